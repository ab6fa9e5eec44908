// HypercallPort: the one interface through which actors (toolstacks, guest kernels) reach the
// hypervisor. Two transports implement it: the in-process scheduled world (world/world.ts, for
// property tests and replay) and SharedArrayBuffer mailboxes to the owner worker (workers/).
// Actors are plain async logic with no I/O and no clock of their own: time is what the port says.

import type { HypercallResult, OpArgs, OpName } from '../hv/ops.ts';
import type { ActorSpec } from './scenario.ts';

export interface HypercallPort {
  /** The domid the calls come from: 0 is the privileged control domain. */
  readonly caller: number;
  /** A stable name for traces and interleaving views ("xl-1", "guest-3"). */
  readonly actor: string;
  /**
   * Issues one hypercall and resolves with Xen's result when its last critical section has run.
   * Never rejects for a Xen-level failure (that is rc < 0); rejects only if the hypervisor owner
   * is gone (OwnerGoneError).
   */
  hypercall<O extends OpName>(op: O, args: OpArgs[O]): Promise<HypercallResult>;
  /**
   * Virtual time in ns as of this actor's last completed call or sleep. Deliberately not "the
   * clock right now": that would let thread timing leak into actor decisions and break replay.
   */
  now(): number;
  /** Blocks this actor for `ns` of virtual time; other actors and hypercalls go on meanwhile. */
  sleep(ns: number): Promise<void>;
  /** Xenstore write (the toolstack sets `memory/target`, guests watch it). */
  xsWrite(path: string, value: string): Promise<void>;
  /** Xenstore read; undefined when the node does not exist. */
  xsRead(path: string): Promise<string | undefined>;
  /** A free-form annotation that lands in the trace and the report ("balloon: target 512 MiB"). */
  note(text: string): void;
  /**
   * Starts another actor (a toolstack starting a guest kernel after `xl create`). Recorded in the
   * trace like any request, so a replay starts it at the same point.
   */
  spawn(spec: ActorSpec): Promise<void>;
}

/** Rejection when the hypervisor owner died or stopped answering within the bounded wait. */
export class OwnerGoneError extends Error {
  override name = 'OwnerGoneError';
}

export const NS_PER_SEC = 1_000_000_000;
export const NS_PER_MS = 1_000_000;

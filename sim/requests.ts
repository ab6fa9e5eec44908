// What an actor asks the hypervisor owner for, and what it gets back: the one vocabulary of
// both transports (in-process calls; SharedArrayBuffer mailboxes, whose codec in workers/codec.ts
// carries exactly these plus transport-only messages), so the owner's logic is written once
// (sim/owner.ts). Discriminated unions named by direction; every field is JSON.

import type { HypercallResult } from '../hv/ops.ts';
import type { ActorSpec } from './scenario.ts';

export type ActorRequest =
  /** A hypercall from this actor's domain. */
  | { kind: 'hypercall'; op: string; args: unknown }
  /** Block for `ns` of virtual time. */
  | { kind: 'sleep'; ns: number }
  | { kind: 'xsWrite'; path: string; value: string }
  | { kind: 'xsRead'; path: string }
  /** Block until a domain with this name is unpaused; answers its domid (a guest kernel boots). */
  | { kind: 'boot'; name: string }
  /** Start another actor now (its name must be new). */
  | { kind: 'spawn'; spec: ActorSpec }
  /** An annotation for the trace; answered at once, changes nothing. */
  | { kind: 'note'; text: string }
  /** The actor finished (normally or with an error message). */
  | { kind: 'exit'; error?: string };

export type OwnerReply =
  | { kind: 'result'; result: HypercallResult; now: number }
  | { kind: 'slept'; now: number }
  | { kind: 'xsValue'; value: string | null; now: number }
  | { kind: 'booted'; domid: number; now: number }
  | { kind: 'ack'; now: number }
  /** The actor's domain is gone (destroyed): the kernel stops running. */
  | { kind: 'gone'; now: number };

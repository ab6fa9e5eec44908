// The actor side of both transports: a HypercallPort built on one primitive, "send a request and
// get the owner's reply". Subclasses only move messages (sim/in-process-port.ts in one thread,
// workers/mailbox-port.ts through a SharedArrayBuffer slot).

import type { HypercallResult, OpArgs, OpName } from '../hv/ops.ts';
import type { HypercallPort } from './port.ts';
import type { ActorRequest, OwnerReply } from './requests.ts';
import type { ActorSpec } from './scenario.ts';
import { copyValue } from './copy-value.ts';

/** Thrown out of a port call when the actor must stop: its domain is gone or the run ended. */
export class ActorStopped extends Error {
  override name = 'ActorStopped';
}

export abstract class RequestPort implements HypercallPort {
  /** Virtual time of the last reply: what now() returns (see HypercallPort.now). */
  private lastNow = 0;

  constructor(readonly actor: string) {}

  abstract get caller(): number;

  /** Moves one request to the owner; resolves with its reply (possibly much later). */
  protected abstract transmit(req: ActorRequest): Promise<OwnerReply> | OwnerReply;

  private async send(req: ActorRequest): Promise<OwnerReply> {
    const r = await this.transmit(req);
    this.lastNow = r.now;
    return r;
  }

  private async expect<K extends OwnerReply['kind']>(req: ActorRequest, kind: K): Promise<Extract<OwnerReply, { kind: K }>> {
    const r = await this.send(req);
    if (r.kind === 'gone') throw new ActorStopped(`${this.actor}: stopped`);
    if (r.kind !== kind) throw new Error(`${this.actor}: owner answered ${r.kind} to ${req.kind}`);
    return r as Extract<OwnerReply, { kind: K }>;
  }

  async hypercall<O extends OpName>(op: O, args: OpArgs[O]): Promise<HypercallResult> {
    // The trace records arguments as they were issued: later mutation by the actor cannot leak in.
    return (await this.expect({ kind: 'hypercall', op, args: copyValue(args) }, 'result')).result;
  }

  now(): number {
    return this.lastNow;
  }

  async sleep(ns: number): Promise<void> {
    await this.expect({ kind: 'sleep', ns }, 'slept');
  }

  async xsWrite(path: string, value: string): Promise<void> {
    await this.expect({ kind: 'xsWrite', path, value }, 'ack');
  }

  async xsRead(path: string): Promise<string | undefined> {
    return (await this.expect({ kind: 'xsRead', path }, 'xsValue')).value ?? undefined;
  }

  note(text: string): void {
    // Fire and forget: an annotation that cannot be delivered (owner gone) changes nothing.
    this.send({ kind: 'note', text }).catch(() => {});
  }

  async spawn(spec: ActorSpec): Promise<void> {
    const r = await this.send({ kind: 'spawn', spec: copyValue(spec) });
    if (r.kind === 'gone') throw new Error(`${this.actor}: cannot spawn ${spec.name}: the name is taken`);
  }

  /** Blocks until the named domain is unpaused; the port then speaks as that domain. */
  async boot(name: string): Promise<number> {
    return (await this.expect({ kind: 'boot', name }, 'booted')).domid;
  }

  /** The actor is finished (with an error message if it failed). */
  exit(error?: string): void {
    // If the owner is gone there is nobody to tell; the transport reports the outcome itself.
    this.send(error === undefined ? { kind: 'exit' } : { kind: 'exit', error }).catch(() => {});
  }
}


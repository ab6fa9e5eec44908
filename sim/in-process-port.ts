// The in-process transport: a HypercallPort whose requests go straight to an Owner in the same
// thread. The scheduled world (sim/world.ts) and replay use it.

import type { HypercallResult, OpArgs, OpName } from '../hv/ops.ts';
import type { Owner } from './owner.ts';
import type { HypercallPort } from './port.ts';
import type { ActorSpec } from './scenario.ts';
import type { ActorRequest, OwnerReply } from './requests.ts';

/** Thrown out of a port call when the actor must stop: its domain is gone or the run ended. */
export class ActorStopped extends Error {
  override name = 'ActorStopped';
}

export class InProcessPort implements HypercallPort {
  private lastNow = 0;

  constructor(
    private readonly owner: Owner,
    readonly actor: string,
  ) {}

  get caller(): number {
    return this.owner.callerOf(this.actor);
  }

  private request(req: ActorRequest): Promise<OwnerReply> {
    return new Promise((resolve) => {
      this.owner.submit(this.actor, req, (r) => {
        this.lastNow = r.now;
        resolve(r);
      });
    });
  }

  private async expect<K extends OwnerReply['kind']>(req: ActorRequest, kind: K): Promise<Extract<OwnerReply, { kind: K }>> {
    const r = await this.request(req);
    if (r.kind === 'gone') throw new ActorStopped(`${this.actor}: stopped`);
    if (r.kind !== kind) throw new Error(`${this.actor}: owner answered ${r.kind} to ${req.kind}`);
    return r as Extract<OwnerReply, { kind: K }>;
  }

  async hypercall<O extends OpName>(op: O, args: OpArgs[O]): Promise<HypercallResult> {
    // The trace records arguments as they were issued: later mutation by the actor cannot leak in.
    return (await this.expect({ kind: 'hypercall', op, args: structuredClone(args) }, 'result')).result;
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
    this.owner.submit(this.actor, { kind: 'note', text }, (r) => (this.lastNow = r.now));
  }

  async spawn(spec: ActorSpec): Promise<void> {
    const r = await this.request({ kind: 'spawn', spec: structuredClone(spec) });
    if (r.kind === 'gone') throw new Error(`${this.actor}: cannot spawn ${spec.name}: the name is taken`);
  }

  /** Blocks until the named domain is unpaused; the port then speaks as that domain. */
  async boot(name: string): Promise<number> {
    return (await this.expect({ kind: 'boot', name }, 'booted')).domid;
  }

  exit(error?: string): void {
    this.owner.submit(this.actor, error === undefined ? { kind: 'exit' } : { kind: 'exit', error }, () => {});
  }
}

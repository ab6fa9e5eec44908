// A HypercallPort straight onto a Hypervisor (run-to-completion calls, xenstore in a map, sleep
// advances the clock), with an optional interceptor to play a hostile or fragmented host, and
// the invariant checker after every call. For builder unit tests; the scheduled world is for
// anything concurrent.

import { checkInvariants, Hypervisor, type HypercallResult, type HypervisorOptions, type OpArgs, type OpName } from '../../hv/index.ts';
import type { HypercallPort } from '../../sim/port.ts';
import type { ActorSpec } from '../../sim/scenario.ts';

export interface LoggedCall {
  op: string;
  args: Record<string, unknown>;
  rc: number;
}

export class DirectPort implements HypercallPort {
  readonly caller = 0;
  readonly actor = 'test';
  readonly hv: Hypervisor;
  readonly xenstore = new Map<string, string>();
  readonly calls: LoggedCall[] = [];
  readonly spawned: ActorSpec[] = [];
  /** Answers a call instead of the hypervisor when it returns a result. */
  intercept: ((op: string, args: Record<string, unknown>) => HypercallResult | undefined) | undefined;

  constructor(host: HypervisorOptions) {
    this.hv = new Hypervisor(host);
  }

  async hypercall<O extends OpName>(op: O, args: OpArgs[O]): Promise<HypercallResult> {
    const a = args as unknown as Record<string, unknown>;
    const r = this.intercept?.(op, a) ?? this.hv.hypercall(0, op, a);
    this.calls.push({ op, args: a, rc: r.rc });
    checkInvariants(this.hv);
    return r;
  }

  /** The logged calls of one op. */
  callsOf(op: string): LoggedCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  now(): number {
    return this.hv.now;
  }
  async sleep(ns: number): Promise<void> {
    this.hv.advanceClockTo(this.hv.now + ns);
  }
  private path(p: string): string {
    return p.startsWith('/') ? p : `/local/domain/0/${p}`;
  }
  async xsWrite(path: string, value: string): Promise<void> {
    this.xenstore.set(this.path(path), value);
  }
  async xsRead(path: string): Promise<string | undefined> {
    return this.xenstore.get(this.path(path));
  }
  note(): void {}
  async spawn(spec: ActorSpec): Promise<void> {
    this.spawned.push(spec);
  }
}

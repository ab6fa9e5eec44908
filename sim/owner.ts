// The hypervisor owner: the single place that holds the Hypervisor and decides, one critical
// section at a time, what runs next. Both transports feed it: the scheduled world calls submit()
// directly; the owner worker (workers/hv-worker.ts) calls it from mailbox slots. Its choices go
// through a SchedulePolicy and into a TraceRecorder, which is what makes a run replayable.
//
// Actor lifecycle: starting → running (computing, not in the owner) → blocked / sleeping /
// booting (a request in flight) → running … → done. Virtual time advances by the cost of each
// section, and jumps to the next timer only when nothing is runnable and no actor is computing;
// every answer carries a time derived from recorded choices alone, so what an actor observes
// never depends on how fast its thread was — which is what lets a real-thread run replay.

import { assert } from '../hv/assert.ts';
import { Hypervisor, type Call } from '../hv/index.ts';
import type { SchedulePolicy } from './policy.ts';
import type { ActorRequest, OwnerReply } from './requests.ts';
import type { ActorSpec, ScenarioSpec } from './scenario.ts';
import { TraceRecorder } from './trace.ts';

type Status = 'starting' | 'running' | 'blocked' | 'sleeping' | 'booting' | 'done';

interface ActorState {
  readonly name: string;
  caller: number;
  status: Status;
  /** The hypercall in flight (status blocked with a hypercall). */
  call?: Call;
  /** A xenstore access or a spawn waiting for its turn (status blocked): one step each. */
  item?: Extract<ActorRequest, { kind: 'xsRead' | 'xsWrite' | 'spawn' }>;
  wakeAt?: number;
  bootName?: string;
  reply?: (r: OwnerReply) => void;
  error?: string;
  /** Why the actor's thread died (a fault, not an error of the actor's program). */
  killed?: string;
  /** The actor's thread died with a call in flight: the call completes, nobody is answered. */
  dead?: boolean;
  /** A timed kill that came due while the actor computed: it lands at the actor's next wait. */
  killDue?: string;
  /** Virtual time of the last answer this actor got: its own notion of now. */
  lastNow: number;
}

/** What the owner reports after each step, for invariant checkers, properties and reports. */
export interface StepInfo {
  step: number;
  actor: string;
  label: string;
  /** The hypercall this section belongs to, if any. */
  op?: string;
  /** Set when the call completed with this section. */
  finished?: boolean;
}

export class Owner {
  readonly hv: Hypervisor;
  readonly trace: TraceRecorder;
  readonly xenstore = new Map<string, string>();
  /** Sections and wake-ups run so far. */
  steps = 0;
  private readonly actors = new Map<string, ActorState>();
  /** Actors with a runnable item, in round-robin arrival order (index 0 = arrival order's pick). */
  private readonly queue: string[] = [];
  /** The scenario's timed faults still to fire, earliest first. */
  private readonly pendingFaults: Array<{ atNs: number; kill: string }>;
  /** Domain name → (domid, virtual time) when first seen unpaused and alive. */
  private readonly unpausedAt = new Map<string, { domid: number; t: number }>();
  readonly afterStep: Array<(info: StepInfo) => void> = [];
  /** The transport starts a spawned actor's program (in-process, or in an actor worker). */
  onSpawn: (spec: ActorSpec) => void = () => {
    throw new Error('owner: this transport cannot spawn actors');
  };

  constructor(
    readonly spec: ScenarioSpec,
    private readonly policy: SchedulePolicy,
    mode: 'scheduled' | 'threads',
  ) {
    this.hv = new Hypervisor(spec.host);
    this.trace = new TraceRecorder({ format: 'xen-memsim-trace', version: 1, scenario: spec, policy: policy.name, mode });
    for (const a of spec.actors) this.addActor(a);
    this.pendingFaults = [...(spec.faults ?? [])].sort((x, y) => x.atNs - y.atNs || (x.kill < y.kill ? -1 : 1));
    for (const f of this.pendingFaults) assert(this.actors.has(f.kill), `scenario: fault names unknown actor ${f.kill}`);
  }

  private addActor(a: ActorSpec): void {
    assert(!this.actors.has(a.name), `scenario: duplicate actor name ${a.name}`);
    this.actors.set(a.name, { name: a.name, caller: a.caller ?? 0, status: 'starting', lastNow: this.hv.now });
  }

  actorNames(): string[] {
    return [...this.actors.keys()];
  }

  callerOf(actor: string): number {
    return this.state(actor).caller;
  }

  private state(actor: string): ActorState {
    const s = this.actors.get(actor);
    assert(s !== undefined, `owner: unknown actor ${actor}`);
    return s;
  }

  /** Starts an actor on behalf of the world itself (actor "@" in the trace): a recorded choice. */
  spawnExternal(spec: ActorSpec): void {
    this.trace.add({ k: 'arrive', a: '@', req: { kind: 'spawn', spec } });
    this.addActor(spec);
    this.onSpawn(spec);
  }

  /** Whether `actor` may send a request now (it is known and not waiting for an answer). */
  canSubmit(actor: string): boolean {
    const s = this.actors.get(actor);
    return s !== undefined && (s.status === 'starting' || s.status === 'running');
  }

  /** An actor's request arrives. `reply` is called exactly once, possibly much later. */
  submit(actor: string, req: ActorRequest, reply: (r: OwnerReply) => void): void {
    this.accept(actor, req, reply);
    const s = this.state(actor);
    // A due kill lands once the actor waits (see fireFault); requests answered at arrival pass.
    if (s.killDue !== undefined && s.reply !== undefined) this.kill(actor, s.killDue);
  }

  private accept(actor: string, req: ActorRequest, reply: (r: OwnerReply) => void): void {
    const s = this.state(actor);
    assert(s.status === 'starting' || s.status === 'running', () => `owner: ${actor} sent a request while ${s.status}`);
    this.trace.add({ k: 'arrive', a: actor, req });
    s.reply = reply;
    switch (req.kind) {
      case 'note':
        s.status = 'running';
        return this.answer(s, { kind: 'ack', now: s.lastNow });
      case 'exit':
        s.status = 'done';
        s.error = req.error;
        s.reply = undefined;
        reply({ kind: 'ack', now: s.lastNow });
        return;
      case 'sleep': {
        // From the actor's own time, not the clock at arrival (which depends on thread timing).
        const until = s.lastNow + Math.max(0, req.ns);
        if (this.spec.untilNs !== undefined && until > this.spec.untilNs) {
          s.status = 'running';
          return this.answer(s, { kind: 'gone', now: s.lastNow });
        }
        s.status = 'sleeping';
        s.wakeAt = until;
        return;
      }
      case 'boot':
        s.status = 'booting';
        s.bootName = req.name;
        this.checkBoots();
        return;
      case 'hypercall':
        // A caller whose domain died meanwhile is told so when its call completes (a recorded
        // step), never at arrival: arrival times differ between threads and replay.
        s.status = 'blocked';
        s.call = this.hv.begin(s.caller, req.op, req.args);
        this.queue.push(actor);
        return;
      case 'xsWrite':
      case 'xsRead':
        s.status = 'blocked';
        s.item = { ...req, path: this.xsPath(s, req.path) };
        this.queue.push(actor);
        return;
      case 'spawn':
        // A step, not an answer at arrival: whether the name is still free (the xl lock uses
        // this as a test-and-set) must be decided at a recorded choice.
        s.status = 'blocked';
        s.item = req;
        this.queue.push(actor);
        return;
    }
  }

  /** A relative xenstore path is relative to the domain's home, /local/domain/<domid>/. */
  private xsPath(s: ActorState, path: string): string {
    return path.startsWith('/') ? path : `/local/domain/${s.caller}/${path}`;
  }

  private callerAlive(s: ActorState): boolean {
    const d = this.hv.domains.get(s.caller);
    return d !== undefined && d.isDying === 0;
  }

  private answer(s: ActorState, r: OwnerReply): void {
    const reply = s.reply;
    assert(reply !== undefined, () => `owner: no reply channel for ${s.name}`);
    s.reply = undefined;
    if (s.status !== 'done') s.status = 'running';
    s.lastNow = r.now;
    this.trace.add({ k: 'reply', a: s.name, r });
    reply(r);
  }

  /** Marks an actor dead (its thread died or threw): its call in flight still completes in Xen. */
  kill(actor: string, why: string): void {
    const s = this.state(actor);
    if (s.status === 'done') return;
    s.killed = why;
    this.trace.add({ k: 'kill', a: actor, why });
    if (s.call !== undefined && s.call.sections > 0 && !s.call.done) {
      s.dead = true; // the hypercall is executing in Xen and runs to completion; nobody reads the answer
      return;
    }
    // A request that has not started is as if never sent.
    s.call = undefined;
    const i = this.queue.indexOf(actor);
    if (i >= 0) this.queue.splice(i, 1);
    s.item = undefined;
    s.status = 'done';
    s.reply = undefined;
  }

  /** Names of actors with a runnable item, in the order the policy indexes. */
  runnable(): readonly string[] {
    return this.queue;
  }

  /** True while some actor is computing outside the owner (the owner must wait for it). */
  anyRunning(): boolean {
    for (const s of this.actors.values()) if (s.status === 'running' || s.status === 'starting') return true;
    return false;
  }

  allDone(): boolean {
    for (const s of this.actors.values()) if (s.status !== 'done') return false;
    return true;
  }

  /** Actors whose program failed (threw or exited with an error); killed actors are not here. */
  errors(): Array<{ actor: string; error: string }> {
    return [...this.actors.values()].filter((s) => s.error !== undefined).map((s) => ({ actor: s.name, error: s.error! }));
  }

  /**
   * Runs one unit: a critical section chosen by the policy, or, when nothing is runnable and no
   * actor is computing, a wake-up of the earliest sleeper (advancing virtual time).
   * @returns false when nothing can progress without an actor computing (or the run is over).
   */
  step(): boolean {
    // Timers fire on time, like a timer interrupt between two sections: the hypervisor's clock
    // has passed them (every section charges it), whatever else is runnable.
    const fault = this.pendingFaults[0];
    if (fault !== undefined && fault.atNs <= this.hv.now) return this.fireFault();
    const due = this.earliestSleeper();
    if (due !== undefined && due.wakeAt! <= this.hv.now) return this.wake(due.name), true;
    if (this.queue.length > 0) {
      const i = this.policy.choose(this.steps, this.queue);
      assert(Number.isInteger(i) && i >= 0 && i < this.queue.length, () => `policy ${this.policy.name} chose ${i} of ${this.queue.length}`);
      this.runItem(this.queue[i], i);
      return true;
    }
    if (this.anyRunning()) return false;
    // Idle: virtual time jumps to the next timer.
    if (fault !== undefined && (due === undefined || fault.atNs <= due.wakeAt!)) {
      this.hv.advanceClockTo(Math.max(this.hv.now, fault.atNs));
      return this.fireFault();
    }
    if (due === undefined) return false;
    this.wake(due.name);
    return true;
  }

  /**
   * Kills the actor of the next scheduled fault (a recorded choice, like any kill). On real
   * threads the actor may be computing between two requests now, and how many requests that are
   * answered at arrival (notes, its exit) it gets in before its thread would see the kill is
   * thread timing — a replay, whose actors always run ahead to their next wait, could not follow
   * it. So the kill lands at the actor's next request that waits (recorded right after that
   * request's arrival), which the replay reaches at the same point; an actor that exits first
   * was not killed. (The scheduled world settles actors before every step: there the kill lands
   * at once.)
   */
  private fireFault(): boolean {
    const f = this.pendingFaults.shift()!;
    const why = `killed by the scenario at ${f.atNs / 1e9} s`;
    const s = this.state(f.kill);
    if (s.status === 'running' || s.status === 'starting') s.killDue = why;
    else this.kill(f.kill, why);
    return true;
  }

  /** Runs the next section of `actor`'s item (a replay names the actor directly). */
  runItem(actor: string, index = this.queue.indexOf(actor)): void {
    assert(index >= 0 && this.queue[index] === actor, () => `owner: ${actor} has nothing runnable`);
    const s = this.state(actor);
    this.queue.splice(index, 1);
    this.steps++;
    if (s.item !== undefined) return this.runOwnerItem(s, s.item);
    const call = s.call;
    assert(call !== undefined, 'owner: runnable actor without a call');
    const label = this.hv.step(call);
    this.trace.add({ k: 'step', a: actor, s: label, t: this.hv.now });
    if (!call.done) {
      this.queue.push(actor);
      this.notify({ step: this.steps, actor, label, op: call.op });
      return;
    }
    s.call = undefined;
    this.notify({ step: this.steps, actor, label, op: call.op, finished: true });
    if (s.dead) {
      s.status = 'done';
      s.reply = undefined;
    } else if (!this.callerAlive(s)) {
      this.answer(s, { kind: 'gone', now: this.hv.now }); // its domain died: the kernel stops
    } else {
      this.answer(s, { kind: 'result', result: call.result!, now: this.hv.now });
    }
    this.checkBoots();
  }

  /** One step for a request the owner serves itself (xenstore, spawn). */
  private runOwnerItem(s: ActorState, req: NonNullable<ActorState['item']>): void {
    s.item = undefined;
    const label = req.kind === 'spawn' ? 'spawn' : 'xenstore';
    this.trace.add({ k: 'step', a: s.name, s: label, t: this.hv.now });
    this.notify({ step: this.steps, actor: s.name, label });
    switch (req.kind) {
      case 'xsRead':
        return this.answer(s, { kind: 'xsValue', value: this.xenstore.get(req.path) ?? null, now: this.hv.now });
      case 'xsWrite':
        this.xenstore.set(req.path, req.value);
        return this.answer(s, { kind: 'ack', now: this.hv.now });
      case 'spawn':
        if (this.actors.has(req.spec.name)) return this.answer(s, { kind: 'gone', now: this.hv.now });
        this.addActor(req.spec);
        this.onSpawn(req.spec);
        return this.answer(s, { kind: 'ack', now: this.hv.now });
    }
  }

  private notify(info: StepInfo): void {
    for (const f of this.afterStep) f(info);
  }

  /**
   * Notes domains that became unpaused (after each step) and answers guest kernels waiting to
   * boot on them. A boot request that arrives late is answered with the unpause time, so what
   * the kernel sees does not depend on when its thread got there.
   */
  private checkBoots(): void {
    for (const d of this.hv.domains.values()) {
      if (!d.paused && d.isDying === 0 && !this.unpausedAt.has(d.name)) this.unpausedAt.set(d.name, { domid: d.domid, t: this.hv.now });
    }
    for (const s of this.actors.values()) {
      if (s.status !== 'booting') continue;
      // Only the recorded unpause decides: whether the domain died since is found out by the
      // kernel's first hypercall (at a step), not by when its boot request happened to arrive.
      const u = this.unpausedAt.get(s.bootName!);
      if (u !== undefined) {
        s.caller = u.domid;
        this.answer(s, { kind: 'booted', domid: u.domid, now: Math.max(u.t, s.lastNow) });
      }
    }
  }

  /**
   * Where virtual time would jump if the host stayed idle: undefined while a section is runnable
   * or an actor computes; else the next timer or fault (Infinity when none is set). The
   * playground paces virtual time with it.
   */
  idleUntilNs(): number | undefined {
    if (this.queue.length > 0 || this.anyRunning()) return undefined;
    const due = this.earliestSleeper();
    return Math.min(due?.wakeAt ?? Infinity, this.pendingFaults[0]?.atNs ?? Infinity);
  }

  private earliestSleeper(): ActorState | undefined {
    let next: ActorState | undefined;
    for (const s of this.actors.values()) {
      // Ties break by name: registration order of spawned actors depends on thread timing.
      if (s.status === 'sleeping' && (next === undefined || s.wakeAt! < next.wakeAt! || (s.wakeAt === next.wakeAt && s.name < next.name))) next = s;
    }
    return next;
  }

  /** Wakes a sleeping actor at its wake time (a replay names it directly). */
  wake(actor: string): void {
    const s = this.state(actor);
    assert(s.status === 'sleeping', () => `owner: ${actor} is not sleeping`);
    this.hv.advanceClockTo(Math.max(this.hv.now, s.wakeAt!));
    this.steps++;
    this.trace.add({ k: 'wake', a: actor, t: this.hv.now });
    s.wakeAt = undefined;
    this.notify({ step: this.steps, actor, label: 'wake' });
    this.answer(s, { kind: 'slept', now: this.hv.now });
  }

  /** Ends the run: actors still waiting to boot or sleeping are told they are gone. */
  finishRun(): string {
    for (const s of this.actors.values()) {
      if (s.status === 'booting' || s.status === 'sleeping') this.answer(s, { kind: 'gone', now: this.hv.now });
    }
    return this.trace.end(this.steps);
  }
}

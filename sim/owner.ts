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
// Nothing runs past the scenario's `untilNs`: no section, wake-up or kill once the clock is past it.
//
// Bookkeeping costs nothing per finished actor: computing and live actors are counted, sleepers
// are a heap, booting actors are indexed by the domain they wait for, errors are a list — no step
// walks the actors (an xl script of N lines spawns N actors; `visits` counts the states examined).

import { assert, AssertionError } from '../hv/assert.ts';
import { Hypervisor, type Call } from '../hv/index.ts';
import type { SchedulePolicy } from './policy.ts';
import type { ActorRequest, OwnerReply } from './requests.ts';
import type { ActorSpec, ScenarioSpec } from './scenario.ts';
import { TraceRecorder, type TraceOptions } from './trace.ts';

type Status = 'starting' | 'running' | 'blocked' | 'sleeping' | 'booting' | 'done';

interface ActorState {
  readonly name: string;
  /** Creation order: where several actors are answered at once, they are answered in this order. */
  readonly index: number;
  caller: number;
  /** Written only by Owner.setStatus, which keeps the counts and indexes below in step. */
  status: Status;
  /** The hypercall in flight (status blocked with a hypercall). */
  call?: Call;
  /** A xenstore access or a spawn waiting for its turn (status blocked): one step each. */
  item?: Extract<ActorRequest, { kind: 'xsRead' | 'xsWrite' | 'spawn' }>;
  wakeAt?: number;
  /** Bumped at every sleep: a sleeper-heap entry is current only while it matches (lazy deletion). */
  sleepSerial: number;
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
  /** Owner.units when the actor last started computing (status starting or running). */
  computingFrom: number;
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
  /**
   * The hypercall in flight (caller domid, op, args; `result` once finished): what monitors check
   * results against state with, at the very section that produced them.
   */
  call?: Readonly<Call>;
}

export class Owner {
  readonly hv: Hypervisor;
  readonly trace: TraceRecorder;
  readonly xenstore = new Map<string, string>();
  /** Sections and wake-ups run so far. */
  steps = 0;
  /** Calls of step(): each is one unit of the run (a section, a wake-up, a fault, or nothing). */
  private units = 0;
  /**
   * Actor states examined by the scheduling bookkeeping (heap moves, boot candidates, the end of
   * the run): stays proportional to steps plus actors, whatever number of actors have finished.
   */
  visits = 0;
  private readonly actors = new Map<string, ActorState>();
  /** Actors starting or running (computing outside the owner). */
  private computing = 0;
  /** Actors not done. */
  private live = 0;
  /** Sleeping actors, earliest wake-up first (ties by name); entries go stale, see sleepSerial. */
  private readonly sleepers = new SleeperHeap(this);
  /** Domain name → actors booting on it (status booting), in the order they asked. */
  private readonly booting = new Map<string, ActorState[]>();
  /** Actors whose program failed, in the order they exited. */
  private readonly errorList: Array<{ actor: string; error: string }> = [];
  /** Actors with a runnable item, in round-robin arrival order (index 0 = arrival order's pick). */
  private readonly queue: string[] = [];
  /** The scenario's timed faults still to fire, earliest first. */
  private readonly pendingFaults: Array<{ atNs: number; kill: string }>;
  /** Domain name → (domid, virtual time) when first seen unpaused and alive. */
  private readonly unpausedAt = new Map<string, { domid: number; t: number }>();
  readonly afterStep: Array<(info: StepInfo) => void> = [];
  /**
   * Right before each section of a hypercall runs (the state is the one after the previous step):
   * for a property that must know what a call's sections found — the p2m entries it names, say —
   * since afterStep sees a call only once its first section has run.
   */
  readonly beforeSection: Array<(actor: string, call: Readonly<Call>) => void> = [];
  /** The transport starts a spawned actor's program (in-process, or in an actor worker). */
  onSpawn: (spec: ActorSpec) => void = () => {
    throw new Error('owner: this transport cannot spawn actors');
  };

  constructor(
    readonly spec: ScenarioSpec,
    private readonly policy: SchedulePolicy,
    mode: 'scheduled' | 'threads',
    traceOptions: TraceOptions = {},
  ) {
    this.hv = new Hypervisor(spec.host);
    this.trace = new TraceRecorder({ format: 'xen-memsim-trace', version: 1, scenario: spec, policy: policy.name, mode }, traceOptions);
    for (const a of spec.actors) this.addActor(a);
    this.pendingFaults = [...(spec.faults ?? [])].sort((x, y) => x.atNs - y.atNs || (x.kill < y.kill ? -1 : 1));
    for (const f of this.pendingFaults) assert(this.actors.has(f.kill), `scenario: fault names unknown actor ${f.kill}`);
  }

  private addActor(a: ActorSpec): void {
    assert(!this.actors.has(a.name), `scenario: duplicate actor name ${a.name}`);
    this.actors.set(a.name, { name: a.name, index: this.actors.size, caller: a.caller ?? 0, status: 'starting', sleepSerial: 0, lastNow: this.hv.now, computingFrom: this.units });
    this.computing++;
    this.live++;
  }

  /** The one place an actor's status changes: keeps the counts, the sleeper heap and the boot index. */
  private setStatus(s: ActorState, status: Status): void {
    const was = s.status;
    if (was === status) return;
    if (was === 'done') throw new AssertionError(`owner: ${s.name} is done and cannot become ${status}`);
    if (was === 'starting' || was === 'running') this.computing--;
    if (status === 'starting' || status === 'running') {
      this.computing++;
      s.computingFrom = this.units;
    }
    if (status === 'done') this.live--;
    if (was === 'booting') {
      const list = this.booting.get(s.bootName!)!;
      list.splice(list.indexOf(s), 1);
      this.visits += list.length + 1;
      if (list.length === 0) this.booting.delete(s.bootName!);
    }
    s.status = status;
    if (status === 'sleeping') this.sleepers.push(s, ++s.sleepSerial);
    if (status === 'booting') {
      const list = this.booting.get(s.bootName!);
      if (list === undefined) this.booting.set(s.bootName!, [s]);
      else list.push(s);
    }
  }

  actorNames(): string[] {
    return [...this.actors.keys()];
  }

  callerOf(actor: string): number {
    return this.state(actor).caller;
  }

  private state(actor: string): ActorState {
    const s = this.actors.get(actor);
    if (s === undefined) throw new AssertionError(`owner: unknown actor ${actor}`);
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
    if (s.status !== 'starting' && s.status !== 'running') throw new AssertionError(`owner: ${actor} sent a request while ${s.status}`);
    this.trace.add({ k: 'arrive', a: actor, req });
    s.reply = reply;
    switch (req.kind) {
      case 'note':
        this.setStatus(s, 'running');
        return this.answer(s, { kind: 'ack', now: s.lastNow });
      case 'exit':
        this.setStatus(s, 'done');
        s.error = req.error;
        if (req.error !== undefined) this.errorList.push({ actor: s.name, error: req.error });
        s.reply = undefined;
        reply({ kind: 'ack', now: s.lastNow });
        return;
      case 'sleep': {
        // From the actor's own time, not the clock at arrival (which depends on thread timing).
        const until = s.lastNow + Math.max(0, req.ns);
        if (this.spec.untilNs !== undefined && until > this.spec.untilNs) {
          this.setStatus(s, 'running');
          return this.answer(s, { kind: 'gone', now: s.lastNow });
        }
        s.wakeAt = until;
        this.setStatus(s, 'sleeping');
        return;
      }
      case 'boot':
        s.bootName = req.name;
        this.setStatus(s, 'booting');
        this.checkBoots(s);
        return;
      case 'hypercall':
        // A caller whose domain died meanwhile is told so when its call completes (a recorded
        // step), never at arrival: arrival times differ between threads and replay.
        this.setStatus(s, 'blocked');
        s.call = this.hv.begin(s.caller, req.op, req.args);
        this.queue.push(actor);
        return;
      case 'xsWrite':
      case 'xsRead':
        this.setStatus(s, 'blocked');
        s.item = { ...req, path: this.xsPath(s, req.path) };
        this.queue.push(actor);
        return;
      case 'spawn':
        // A step, not an answer at arrival: whether the name is still free (the xl lock uses
        // this as a test-and-set) must be decided at a recorded choice.
        this.setStatus(s, 'blocked');
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
    if (reply === undefined) throw new AssertionError(`owner: no reply channel for ${s.name}`);
    s.reply = undefined;
    if (s.status !== 'done') this.setStatus(s, 'running');
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
    if (i >= 0) removeAt(this.queue, i);
    s.item = undefined;
    this.setStatus(s, 'done');
    s.reply = undefined;
  }

  /** Names of actors with a runnable item, in the order the policy indexes. */
  runnable(): readonly string[] {
    return this.queue;
  }

  /** True while some actor is computing outside the owner (the owner must wait for it). */
  anyRunning(): boolean {
    return this.computing > 0;
  }

  /**
   * Actors computing since before the current step() began (not those its answers set going).
   * On real threads they may not have sent their next request yet when that step fails, where a
   * replay — whose world lets every computing actor reach its next request before each choice —
   * records it (workers/owner-host.ts waits for them).
   */
  computingBeforeThisStep(): string[] {
    const out: string[] = [];
    if (this.computing === 0) return out;
    for (const s of this.actors.values()) if ((s.status === 'starting' || s.status === 'running') && s.computingFrom < this.units) out.push(s.name);
    return out;
  }

  /** Whether `actor` is computing (starting, or answered and not yet asking again). */
  isComputing(actor: string): boolean {
    const s = this.actors.get(actor);
    return s !== undefined && (s.status === 'starting' || s.status === 'running');
  }

  allDone(): boolean {
    return this.live === 0;
  }

  /** Actors whose program failed (threw or exited with an error), in exit order; killed actors are not here. */
  errors(): Array<{ actor: string; error: string }> {
    return [...this.errorList];
  }

  /** The first of errors(), without copying the list (the world asks after every step). */
  firstError(): { actor: string; error: string } | undefined {
    return this.errorList[0];
  }

  /** Whether the clock is past the scenario's `untilNs`: nothing more runs. */
  pastUntil(): boolean {
    return this.spec.untilNs !== undefined && this.hv.now > this.spec.untilNs;
  }

  /**
   * Runs one unit: a critical section chosen by the policy, or, when nothing is runnable and no
   * actor is computing, a wake-up of the earliest sleeper (advancing virtual time).
   * @returns false when nothing can progress without an actor computing (or the run is over).
   */
  step(): boolean {
    this.units++;
    // A run that keeps executing sections (a livelock: 4.3's continuations with a zero time
    // slice) still ends at its horizon, like sleepers past it.
    if (this.pastUntil()) return false;
    this.dropMootFaults();
    // Timers fire on time, like a timer interrupt between two sections: the hypervisor's clock
    // has passed them (every section charges it), whatever else is runnable.
    const fault = this.pendingFaults[0];
    if (fault !== undefined && fault.atNs <= this.hv.now) return this.fireFault();
    const due = this.earliestSleeper();
    if (due !== undefined && due.wakeAt! <= this.hv.now) return this.wake(due.name), true;
    if (this.queue.length > 0) {
      const i = this.policy.choose(this.steps, this.queue);
      if (!(Number.isInteger(i) && i >= 0 && i < this.queue.length)) throw new AssertionError(`policy ${this.policy.name} chose ${i} of ${this.queue.length}`);
      this.runItem(this.queue[i], i);
      return true;
    }
    if (this.anyRunning()) return false;
    // Idle: virtual time jumps to the next timer (a replay makes the same jump: applyRecordedKill, wake).
    if (fault !== undefined && (due === undefined || fault.atNs <= due.wakeAt!)) {
      if (this.spec.untilNs !== undefined && fault.atNs > this.spec.untilNs) return false;
      this.hv.advanceClockTo(Math.max(this.hv.now, fault.atNs));
      return this.fireFault();
    }
    if (due === undefined) return false;
    this.wake(due.name);
    return true;
  }

  /**
   * Drops scheduled faults whose victim is already done: killing it changes nothing, so it is no
   * choice — nothing is recorded and the clock does not move for it (the idle jump to a moot
   * fault's time used to be a clock advance no replay could see).
   */
  private dropMootFaults(): void {
    while (this.pendingFaults.length > 0 && this.state(this.pendingFaults[0].kill).status === 'done') {
      this.pendingFaults.shift();
      this.visits++;
    }
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
    const why = faultWhy(f);
    const s = this.state(f.kill);
    if (s.status === 'running' || s.status === 'starting') s.killDue = why;
    else this.kill(f.kill, why);
    return true;
  }

  /**
   * Applies a recorded kill (replay). The kill of a scenario fault moves the clock to the fault's
   * time as it did when recorded (it may have fired at an idle jump); any other kill — a thread
   * that died, a campaign's fault — is just a kill.
   */
  applyRecordedKill(actor: string, why: string): void {
    this.dropMootFaults();
    // Usually the first pending fault; a kill that came due while its victim computed lands later.
    const i = this.pendingFaults.findIndex((f) => f.kill === actor && why === faultWhy(f));
    if (i >= 0) {
      const [f] = this.pendingFaults.splice(i, 1);
      this.hv.advanceClockTo(Math.max(this.hv.now, f.atNs));
    }
    this.kill(actor, why);
  }

  /** Runs the next section of `actor`'s item (a replay names the actor directly). */
  runItem(actor: string, index = this.queue.indexOf(actor)): void {
    if (!(index >= 0 && this.queue[index] === actor)) throw new AssertionError(`owner: ${actor} has nothing runnable`);
    const s = this.state(actor);
    removeAt(this.queue, index);
    this.steps++;
    if (s.item !== undefined) return this.runOwnerItem(s, s.item);
    const call = s.call;
    if (call === undefined) throw new AssertionError('owner: runnable actor without a call');
    for (const f of this.beforeSection) f(actor, call);
    const label = this.hv.step(call);
    this.trace.step(actor, label, this.hv.now);
    if (!call.done) {
      this.queue.push(actor);
      this.notify({ step: this.steps, actor, label, op: call.op, call });
      return;
    }
    s.call = undefined;
    this.notify({ step: this.steps, actor, label, op: call.op, finished: true, call });
    if (s.dead) {
      this.setStatus(s, 'done');
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
    this.trace.step(s.name, label, this.hv.now);
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
   * Notes domains that became unpaused (after each completed call) and answers guest kernels
   * waiting to boot on them — those of a newly unpaused domain, and `asking` (a boot request that
   * just arrived) if its domain was unpaused before. A boot request that arrives late is answered
   * with the unpause time, so what the kernel sees does not depend on when its thread got there.
   */
  private checkBoots(asking?: ActorState): void {
    let ready: ActorState[] | undefined;
    for (const d of this.hv.domains.values()) {
      if (d.paused || d.isDying !== 0 || this.unpausedAt.has(d.name)) continue;
      this.unpausedAt.set(d.name, { domid: d.domid, t: this.hv.now });
      const waiting = this.booting.get(d.name);
      if (waiting !== undefined) (ready ??= []).push(...waiting);
    }
    if (asking !== undefined && asking.status === 'booting' && this.unpausedAt.has(asking.bootName!) && !(ready ?? []).includes(asking)) (ready ??= []).push(asking);
    if (ready === undefined) return;
    this.visits += ready.length;
    // In creation order, as a walk over every actor would answer them.
    ready.sort((x, y) => x.index - y.index);
    for (const s of ready) {
      // Only the recorded unpause decides: whether the domain died since is found out by the
      // kernel's first hypercall (at a step), not by when its boot request happened to arrive.
      const u = this.unpausedAt.get(s.bootName!)!;
      s.caller = u.domid;
      this.answer(s, { kind: 'booted', domid: u.domid, now: Math.max(u.t, s.lastNow) });
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

  /** The sleeper that wakes first (ties by name: registration order of spawned actors depends on thread timing). */
  private earliestSleeper(): ActorState | undefined {
    return this.sleepers.peek();
  }

  /** Counts actor states examined by the sleeper heap (see `visits`). */
  countVisit(n = 1): void {
    this.visits += n;
  }

  /** Wakes a sleeping actor at its wake time (a replay names it directly). */
  wake(actor: string): void {
    const s = this.state(actor);
    if (s.status !== 'sleeping') throw new AssertionError(`owner: ${actor} is not sleeping`);
    this.hv.advanceClockTo(Math.max(this.hv.now, s.wakeAt!));
    this.steps++;
    this.trace.wake(actor, this.hv.now);
    s.wakeAt = undefined;
    this.notify({ step: this.steps, actor, label: 'wake' });
    this.answer(s, { kind: 'slept', now: this.hv.now });
  }

  /** Ends the run: actors still waiting to boot or sleeping are told they are gone. @returns the hash */
  finishRun(): string {
    this.endRun();
    return this.trace.hash;
  }

  /** finishRun() without computing the hash now (a kept trace computes it when first read). */
  endRun(): void {
    for (const s of this.actors.values()) {
      this.visits++;
      if (s.status === 'booting' || s.status === 'sleeping') this.answer(s, { kind: 'gone', now: this.hv.now });
    }
    this.trace.end(this.steps);
  }
}

/** Removes list[i], keeping the order (splice without the array of removed elements it allocates). */
function removeAt<T>(list: T[], i: number): void {
  if (i === 0) {
    list.shift();
    return;
  }
  list.copyWithin(i, i + 1);
  list.length--;
}

/** The reason recorded for a scenario fault's kill. */
function faultWhy(f: { atNs: number }): string {
  return `killed by the scenario at ${f.atNs / 1e9} s`;
}

/**
 * A binary min-heap of sleeping actors by (wakeAt, name), with lazy deletion: an entry whose
 * actor is no longer sleeping, or sleeps again since (sleepSerial), is dropped when it surfaces.
 */
class SleeperHeap {
  private readonly heap: Array<{ s: ActorState; wakeAt: number; serial: number }> = [];
  constructor(private readonly owner: { countVisit(n?: number): void }) {}

  push(s: ActorState, serial: number): void {
    const h = this.heap;
    h.push({ s, wakeAt: s.wakeAt!, serial });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      this.owner.countVisit();
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  /** The earliest current sleeper, dropping stale entries on the way. */
  peek(): ActorState | undefined {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0];
      if (top.s.status === 'sleeping' && top.s.sleepSerial === top.serial) return top.s;
      this.pop();
    }
    return undefined;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      this.owner.countVisit();
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(x: { s: ActorState; wakeAt: number }, y: { s: ActorState; wakeAt: number }): boolean {
  return x.wakeAt < y.wakeAt || (x.wakeAt === y.wakeAt && x.s.name < y.s.name);
}

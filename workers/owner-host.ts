// The hypervisor owner's loop, on whichever thread hosts it: the Owner — the Hypervisor plus the
// one place that chooses which critical section runs next — served to actor threads through the
// mailbox. Pure plumbing: decode a slot, hand the request to the Owner, encode the reply. The
// control plane (stats, snapshot, stop, kill) is returned for the host to expose (comlink); it is
// served between owner-loop slices, never on the hypercall path. Hosts: workers/hv-worker.ts (a
// Node worker_threads Worker) and web/app/thread-roles.ts (a Web Worker); they differ only in how
// the control plane reaches the supervisor and how a slice yields to the event loop.

import { AssertionError } from '../hv/assert.ts';
import { checkInvariants, domainInfo, EFAULT, EINVAL, physinfo, type DomainInfo, type PhysInfo } from '../hv/index.ts';
import { Owner } from '../sim/owner.ts';
import { parsePolicy } from '../sim/policy.ts';
import { loadPluginModules, startMonitors } from '../sim/registry.ts';
import type { OwnerReply } from '../sim/requests.ts';
import type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
import { MailboxServer, OWNER_SPIN_ITERATIONS_DEFAULT, type PollEvent, type RequestTicket } from './channel.ts';
import type { CallerToOwner, DecodeError } from './codec.ts';

export interface HvWorkerData {
  buffer: SharedArrayBuffer;
  /**
   * The scenario, as JSON text: a string is copied to the thread as its bytes, where a spec of
   * many objects was structured-cloned object by object (a script of 1e6 steps: 13-17 s, against
   * ~2 s to write the text and about as long to read it).
   */
  specJson: string;
  /** Modules that register monitors and actor kinds (sim/registry.ts pluginModules()), imported first. */
  plugins: string[];
  /** A policy spec for parsePolicy ("arrival", "random:7", "pct:7:3"). */
  policy: string;
  /** Run checkInvariants after every section (default true). */
  invariants?: boolean;
  /**
   * Stream the trace (ThreadRunOptions.onTrace): the owner keeps no sections and posts the JSONL
   * as it is recorded, as the recorder's chunks of whole lines (~1 MiB of UTF-8, sim/line-chunks.ts;
   * OwnerEvent 'trace'), instead of returning it whole in the outcome. Cell 0 counts the chunks
   * posted and not yet taken by the supervisor; while TRACE_CHUNKS_IN_FLIGHT_MAX are, the owner
   * waits (at most TRACE_CHUNK_WAIT_MS a chunk).
   */
  traceWindow?: Int32Array;
  /**
   * A module exporting `attachObserver(owner)` (world/scenario-file/run.ts RunObserver.ownerModule):
   * imported and attached before the first step; what its `finish()` returns (plain data) comes
   * back as OwnerOutcome.observed.
   */
  observerModule?: string;
  /**
   * The run ends once every one of these actors has exited (or was killed) and the scenario's
   * timed faults have fired — where the scheduled run of a scenario file without `until` ends
   * (world/scenario-file/run.ts), instead of going on to the horizon (`untilNs`).
   */
  endWhenExited?: string[];
}

/**
 * Longest the owner waits at the end of a run for an actor computing to send its next request
 * (awaitLagging), counted from when the wait began or, for an actor whose thread attached during
 * it, from its attach.
 */
export const LAGGING_WAIT_MS = 5_000;
/**
 * Longest it waits there for an actor whose thread has not attached yet (not started: a loaded
 * machine). Such a thread is not computing anything yet; it is either on its way (seconds on a
 * loaded 2-core machine) or dead, and a dead one is reported by the supervisor (control.kill,
 * served while the owner waits). A stop from the supervisor (the run's budget) ends the wait too.
 * As long as the supervisor waits for such a thread at the end (OWNER_START_MS).
 */
export const ACTOR_START_WAIT_MS = 180_000;

/** Trace chunks (each ≤ 1 MiB but for a line longer than that, sim/line-chunks.ts) posted and not yet taken, at most: ~8 MiB in flight. */
export const TRACE_CHUNKS_IN_FLIGHT_MAX = 8;
/**
 * How long the owner waits for the supervisor to take trace chunks before it posts the next one
 * anyway (a supervisor's event loop busy that long is stuck: the run's own budget ends it).
 */
export const TRACE_CHUNK_WAIT_MS = 10_000;

/** What an observer module (HvWorkerData.observerModule) exports. */
export interface OwnerObserverModule {
  attachObserver(owner: Owner): { finish(): unknown };
}

export interface OwnerStats {
  steps: number;
  nowNs: number;
  runnable: number;
  free_pages: number;
  outstanding_pages: number;
  domains: number;
}

export interface OwnerOutcome {
  /** The JSONL trace; absent when it was streamed (HvWorkerData.traceWindow). */
  trace?: string;
  /** Streamed: how many 'trace' chunks the owner posted (the supervisor waits for them all). */
  traceChunks?: number;
  /** What the observer module's finish() returned (HvWorkerData.observerModule). */
  observed?: unknown;
  hash: string;
  steps: number;
  failure?: { kind: string; message: string; step: number };
  /** Why the run was stopped from outside (control.stop), if it was. */
  stopped?: string;
  errors: Array<{ actor: string; error: string }>;
}

/** Owner → supervisor events. */
export type OwnerEvent = { type: 'spawn'; spec: ActorSpec } | { type: 'stats'; stats: OwnerStats } | { type: 'trace'; bytes: Uint8Array };

/** Where the owner posts its events: a MessagePort (Node's or the browser's). */
export interface OwnerEventPort {
  /** `transfer`: the buffers moved to the receiver (a trace chunk's), not copied. */
  postMessage(e: OwnerEvent, transfer: ArrayBuffer[]): void;
}

/** The buffers an event moves to its receiver: a trace chunk's own (a copy made for it, see postTrace's callers). */
function transferOf(e: OwnerEvent): ArrayBuffer[] {
  return e.type === 'trace' ? [e.bytes.buffer as ArrayBuffer] : [];
}

/** The control plane, as the supervisor sees it through comlink. */
export interface OwnerControl {
  stats(): OwnerStats;
  /** The hypervisor's state right now: physinfo and every domain's getdomaininfo. */
  snapshot(): { physinfo: PhysInfo; domains: DomainInfo[]; nowNs: number; steps: number };
  /**
   * Ends the run at the next slice boundary, recorded as a stop with `why` (actors still blocked
   * are told the owner stopped). No effect once the run has ended by itself.
   */
  stop(why?: string): void;
  /** Resolves when the run is over. */
  outcome(): Promise<OwnerOutcome>;
  /** Marks an actor dead (its worker could not start or died). */
  kill(actor: string, why: string): void;
  /**
   * Hands the owner a port for its events to the supervisor: spawn requests (the main thread
   * starts the actor) and, every `statsEverySteps` steps if given, stats. A plain port the
   * supervisor owns and closes, rather than comlink callback proxies, whose channels would
   * outlive a terminated owner and keep each run's supervisor state alive.
   */
  connect(events: OwnerEventPort, statsEverySteps?: number): void;
}

/** How the host lets other work in between two slices of the owner loop (comlink calls). */
export type YieldToHost = () => Promise<void>;

/**
 * Starts the owner of `data`'s run on this thread: imports its plugin modules, builds the Owner,
 * attaches to the mailbox as its one server and runs the owner loop, yielding with `yieldToHost`
 * between slices. @returns the control plane, for the host to expose to the supervisor
 */
export async function startOwnerHost(data: HvWorkerData, yieldToHost: YieldToHost): Promise<OwnerControl> {
  await loadPluginModules(data.plugins);
  const observerModule = data.observerModule === undefined ? undefined : (await import(data.observerModule)) as OwnerObserverModule;
  let events: OwnerEventPort | undefined;
  const eventBacklog: OwnerEvent[] = [];
  let statsEvery = 0;
  function post(e: OwnerEvent): void {
    if (events === undefined) eventBacklog.push(e);
    else events.postMessage(e, transferOf(e));
  }
  const traceWindow = data.traceWindow;
  let traceChunks = 0;
  /** A chunk of the streamed trace to the supervisor, once fewer than TRACE_CHUNKS_IN_FLIGHT_MAX wait there. */
  function postTrace(bytes: Uint8Array): void {
    const w = traceWindow!;
    if (events !== undefined) {
      const deadline = performance.now() + TRACE_CHUNK_WAIT_MS;
      for (let n = Atomics.load(w, 0); n >= TRACE_CHUNKS_IN_FLIGHT_MAX && performance.now() < deadline; n = Atomics.load(w, 0)) Atomics.wait(w, 0, n, 50);
    }
    Atomics.add(w, 0, 1);
    traceChunks++;
    post({ type: 'trace', bytes });
  }
  // The recorder reuses its buffer: each chunk posted is a copy of it, whose buffer is then moved
  // to the supervisor's thread (transferred), not copied once more by the structured clone.
  const traceSink = { write: (text: string) => postTrace(new TextEncoder().encode(text)), writeBytes: (bytes: Uint8Array) => postTrace(bytes.slice()) };
  const spec = JSON.parse(data.specJson) as ScenarioSpec;
  const owner = new Owner(spec, parsePolicy(data.policy), 'threads', traceWindow === undefined ? {} : { keepSteps: false, sink: traceSink });
  const observer = observerModule?.attachObserver(owner);
  /** HvWorkerData.endWhenExited's actors not yet gone, and the virtual time after which every fault has fired. */
  const awaited = new Set(data.endWhenExited ?? []);
  const lastFaultNs = Math.max(-Infinity, ...(spec.faults ?? []).map((f) => f.atNs));
  if (awaited.size > 0) owner.trace.subscribe((e) => {
    if ((e.k === 'arrive' && e.req.kind === 'exit') || e.k === 'kill') awaited.delete(e.a);
  });
  // Nobody computing either: the scheduled run asks once every actor has reached its next request.
  const awaitedGone = (): boolean => data.endWhenExited !== undefined && awaited.size === 0 && lastFaultNs <= owner.hv.now && !owner.anyRunning();
  const server = new MailboxServer(data.buffer);
  /** slot → actor name, set by each slot's attach message. */
  const actorOfSlot = new Map<number, string>();
  let failure: OwnerOutcome['failure'];
  let resolveOutcome!: (o: OwnerOutcome) => void;
  const outcomePromise = new Promise<OwnerOutcome>((r) => (resolveOutcome = r));

  owner.onSpawn = (spec) => post({ type: 'spawn', spec });
  if (data.invariants !== false) owner.afterStep.push(() => checkInvariants(owner.hv));
  // The scenario's property monitors, as the scheduled world runs them (world/world.ts): a breach
  // ends the run as a 'property' failure recorded in the trace, so replay reproduces it.
  const monitors = startMonitors(spec.monitors ?? [], owner);
  class MonitorBreach extends Error {}
  owner.afterStep.push((info) => {
    for (const m of monitors) {
      const breach = m.afterStep?.(info);
      if (breach != null) {
        failure = { kind: 'property', message: `${m.name}: ${breach}`, step: owner.steps };
        throw new MonitorBreach(failure.message);
      }
    }
  });
  owner.afterStep.push((info) => {
    if (statsEvery > 0 && info.step % statsEvery === 0) post({ type: 'stats', stats: stats() });
  });

  function stats(): OwnerStats {
    const p = physinfo(owner.hv);
    return {
      steps: owner.steps,
      nowNs: owner.hv.now,
      runnable: owner.runnable().length,
      free_pages: p.free_pages,
      outstanding_pages: p.outstanding_pages,
      domains: owner.hv.domains.size,
    };
  }

  /** Set by the control plane's stop(): the run ends at the next slice boundary, stopped for this reason. */
  let stopRequested: string | undefined;
  /** How many times stop() was called (a stop during awaitLagging ends that wait). */
  let stopCalls = 0;
  /** Set when a step failed: the actors computing before it, for awaitLagging once the loop is over. */
  let laggingAtFailure: readonly string[] = [];

  const control: OwnerControl = {
    stats,
    snapshot: () => ({ physinfo: physinfo(owner.hv), domains: [...owner.hv.domains.values()].map(domainInfo), nowNs: owner.hv.now, steps: owner.steps }),
    stop: (why) => {
      stopRequested ??= typeof why === 'string' && why.length > 0 ? why.slice(0, 1000) : 'stopped through the control plane';
      stopCalls++;
    },
    outcome: () => outcomePromise,
    kill: (actor, why) => owner.kill(actor, why),
    connect: (port, statsEverySteps) => {
      events = port;
      statsEvery = Math.max(0, statsEverySteps ?? 0);
      for (const e of eventBacklog.splice(0)) port.postMessage(e, transferOf(e));
    },
  };

  /** Takes every new slot event. */
  function drainMailbox(): void {
    for (const ev of server.poll()) take(ev);
  }

  /** One slot event during the run: attach, a request (to the Owner), garbage, a dead caller. */
  function take(ev: PollEvent): void {
    if (ev.kind === 'invalid') {
      refuseGarbage(ev.ticket, ev.error);
    } else if (ev.kind === 'abandoned') {
      const actor = actorOfSlot.get(ev.slot);
      actorOfSlot.delete(ev.slot);
      if (actor !== undefined) owner.kill(actor, 'its thread died');
      if (ev.inFlight !== null) server.reply(ev.inFlight, { kind: 'gone', now: owner.hv.now });
    } else {
      serve(ev.ticket, ev.msg);
    }
  }

  /**
   * After the run: every pending slot event is answered without touching the owner — an actor's
   * request with 'gone' (it stops), anything else as during the run: garbage with -EFAULT, a slot
   * that never attached an actor with -EINVAL.
   */
  function refuseRemaining(): void {
    for (const ev of [...held.splice(0), ...server.poll()]) {
      if (ev.kind === 'invalid') refuseGarbage(ev.ticket, ev.error);
      else if (ev.kind === 'abandoned') {
        if (ev.inFlight !== null) server.reply(ev.inFlight, { kind: 'gone', now: owner.hv.now });
      } else if (ev.msg.kind !== 'attach' && ev.msg.kind !== 'echo' && actorOfSlot.has(ev.ticket.slot)) server.reply(ev.ticket, { kind: 'gone', now: owner.hv.now });
      else refuseUnattached(ev.ticket, ev.msg, actorOfSlot.get(ev.ticket.slot));
    }
  }

  /** Slot events taken while the run ended (awaitLagging) and left for refuseRemaining. */
  const held: PollEvent[] = [];

  /**
   * Before the run ends at a failed step or a stop: lets `lagging` — actors computing before that
   * point — send their next request, taken into the trace, until none of them computes. A replay's
   * world lets every computing actor reach its next request before it takes each recorded choice,
   * so it records those requests; a real actor's thread may not have sent its own yet (a thread
   * the machine has not run for a while), which the trace would miss (a replay divergence "its
   * event N: recorded null"). An attached actor is waited for at most LAGGING_WAIT_MS (one may
   * compute forever); one whose thread has not attached yet, until it attaches or is killed (its
   * thread died: the supervisor's control.kill, served between waits), a stop arrives (the run's
   * budget), or `startWaitMs`. Other slots' events wait, for refuseRemaining: the actors a failed
   * step itself answered reach no request in the replay.
   */
  async function awaitLagging(lagging: readonly string[], startWaitMs: number): Promise<void> {
    if (lagging.length === 0) return;
    const start = performance.now();
    const stopsBefore = stopCalls;
    /** Wall time each lagging actor's wait is counted from: the start, or its attach during the wait. */
    const since = new Map<string, number>();
    const attached = (a: string): boolean => [...actorOfSlot.values()].includes(a);
    const waitingFor = (now: number): boolean =>
      lagging.some((a) => owner.isComputing(a) && (attached(a) ? now - (since.get(a) ?? start) < LAGGING_WAIT_MS : now - start < startWaitMs));
    let yieldedAt = start;
    while (stopCalls === stopsBefore && waitingFor(performance.now())) {
      server.heartbeat();
      for (const ev of server.poll()) {
        const actor = ev.kind === 'abandoned' ? actorOfSlot.get(ev.slot) : actorOfSlot.get(ev.ticket.slot);
        const attaching = ev.kind === 'request' && ev.msg.kind === 'attach' && lagging.includes(ev.msg.actor);
        if (attaching) since.set(ev.msg.actor, performance.now());
        if (attaching || (actor !== undefined && lagging.includes(actor))) take(ev);
        else held.push(ev);
      }
      if (!waitingFor(performance.now())) break;
      if (server.waitForWork(5, OWNER_SPIN_ITERATIONS_DEFAULT) === 'shutdown') return;
      // Let the control plane in (a kill of a thread that died, the budget's stop) now and then.
      if (performance.now() - yieldedAt >= 20) {
        await yieldToHost();
        yieldedAt = performance.now();
      }
    }
  }

  /** Garbage in a slot: that caller gets an error, the hypervisor is untouched. */
  function refuseGarbage(ticket: RequestTicket, error: DecodeError): void {
    server.reply(ticket, { kind: 'error', code: 'decode', errno: -EFAULT, message: `${error.reason}: ${error.detail}`, now: owner.hv.now });
  }

  /** A message its slot may not send now (nothing attached there, a finished actor, an echo). */
  function refuseUnattached(ticket: RequestTicket, msg: CallerToOwner, actor: string | undefined): void {
    server.reply(ticket, { kind: 'error', code: 'unsupported', errno: -EINVAL, message: `${msg.kind} from ${actor ?? 'an unattached slot'} not accepted now`, now: owner.hv.now });
  }

  function serve(ticket: RequestTicket, msg: CallerToOwner): void {
    const reply = (r: OwnerReply) => server.reply(ticket, r);
    if (msg.kind === 'attach') {
      if (!owner.actorNames().includes(msg.actor) || [...actorOfSlot.values()].includes(msg.actor)) {
        server.reply(ticket, { kind: 'error', code: 'unsupported', errno: -EINVAL, message: `unknown or already attached actor ${msg.actor}`, now: owner.hv.now });
        return;
      }
      actorOfSlot.set(ticket.slot, msg.actor);
      server.reply(ticket, { kind: 'ack', now: owner.hv.now });
      return;
    }
    const actor = actorOfSlot.get(ticket.slot);
    if (msg.kind === 'echo' || actor === undefined || !owner.canSubmit(actor)) return refuseUnattached(ticket, msg, actor);
    owner.submit(actor, msg, reply);
  }

  function fail(kind: string, e: unknown): void {
    failure = { kind, message: e instanceof Error ? e.message : String(e), step: owner.steps };
  }

  /** One slice of the owner loop; returns false when the run is over. */
  function slice(): boolean {
    const sliceEnd = performance.now() + 20;
    while (performance.now() < sliceEnd) {
      server.heartbeat();
      drainMailbox();
      if (awaitedGone()) return false;
      let progressed = false;
      try {
        progressed = owner.step();
      } catch (e) {
        laggingAtFailure = owner.computingBeforeThisStep();
        if (e instanceof MonitorBreach) return false;
        fail(e instanceof AssertionError ? (e.name === 'InvariantViolation' ? 'invariant' : 'hv-crash') : 'hv-crash', e);
        return false;
      }
      if (progressed) continue;
      // Nothing runnable, no timer left and nobody computing: nothing can change any more (actors
      // waiting for a domain that never boots, say), so the run is over — where the scheduled
      // world ends it too, and endRun tells the waiting actors to stop. (Waiting on would hold
      // them until their call timeout and fail them with OwnerGoneError.)
      if (owner.allDone() || !owner.anyRunning()) return false;
      // Nothing to do until an actor asks for something: sleep on the doorbell (bounded).
      if (server.waitForWork(5, OWNER_SPIN_ITERATIONS_DEFAULT) === 'shutdown') return false;
    }
    return true;
  }

  async function run(): Promise<void> {
    while (stopRequested === undefined && slice()) await yieldToHost(); // let comlink calls in
    const stopped = stopRequested;
    // A failed step: the actors computing before it get to their next request in a replay.
    await awaitLagging(laggingAtFailure, ACTOR_START_WAIT_MS);
    // Stopped between two steps: every actor computing then gets to its next request in a replay.
    // The supervisor waits STOP_GRACE_MS for the outcome after a stop: a thread not started yet
    // is waited for no longer than one computing (it may then be missing from the trace).
    if (stopped !== undefined) await awaitLagging(owner.actorNames().filter((a) => owner.isComputing(a)), LAGGING_WAIT_MS);
    if (stopped !== undefined) owner.trace.add({ k: 'stop', why: stopped, step: owner.steps });
    for (const m of monitors) {
      if (failure !== undefined) break;
      const breach = m.atEnd?.();
      if (breach != null) failure = { kind: 'property', message: `${m.name}: ${breach}`, step: owner.steps };
    }
    if (failure !== undefined) owner.trace.add({ k: 'fail', kind: failure.kind, message: failure.message, step: failure.step });
    const hash = owner.finishRun();
    // The trace is sealed: requests still arriving are answered without reaching the owner (a
    // late note or kill recorded after the end would be compared by a replay but not hashed).
    refuseRemaining();
    // Callers still blocked (their hypercall never ran) get OwnerGoneError from stop().
    server.stop();
    resolveOutcome({
      ...(owner.trace.kept ? { trace: owner.trace.toJsonl() } : { traceChunks }),
      hash, steps: owner.steps, failure, ...(stopped === undefined ? {} : { stopped }), errors: owner.errors(),
      ...(observer === undefined ? {} : { observed: observer.finish() }),
    });
  }

  void run();
  return control;
}

// Real threads: the supervisor of a run, on any platform that can start threads sharing a
// SharedArrayBuffer (ThreadPlatform: Node's worker_threads + piscina in threads.ts, Web Workers in
// web/app/web-threads.ts). It creates the mailbox, starts the owner thread (hosting the
// hypervisor, owner-host.ts) and one thread per actor (actor-worker.ts), watches threads die
// (abandoning their slots, marking a dead owner), relays spawn requests, and collects the trace.
// The control plane (stats, kill, stop, spawn relay, outcome) goes through comlink; hypercalls
// only ever go through the mailbox.
//
// Every run ends: every wait below is bounded — starting by OWNER_START_MS, the run by its
// wall-clock budget (timeoutMs), the wind-down by short graces; an owner that cannot start comes
// back as its error; a run whose budget runs out is stopped (a recorded stop, so its trace
// replays up to there), and actors still computing after the owner ended have their threads
// terminated.

import type { Remote } from 'comlink';
import { loadPluginModules, pluginModules, REGISTRY_LOOKUPS } from '../sim/registry.ts';
import { assertScenarioSpec } from '../sim/scenario-validate.ts';
import type { ScenarioSpec, ActorSpec } from '../sim/scenario.ts';
import { abandonSlotsOfThread, createMailbox, markOwnerDead } from './channel.ts';
import type { ActorOutcome, ActorTask } from './actor-worker.ts';
import type { HvWorkerData, OwnerControl, OwnerEvent, OwnerOutcome, OwnerStats } from './owner-host.ts';
import { SLOT_COUNT_MAX } from './mailbox-layout.ts';

/** The owner's thread, as its platform started it. */
export interface OwnerThread {
  /** Its control plane (comlink). */
  readonly control: Remote<OwnerControl>;
  /**
   * Hands the owner a fresh event port (OwnerControl.connect) whose events reach `onEvent`.
   * Resolves when the owner took it, that is once the owner is up.
   */
  connect(statsEverySteps: number, onEvent: (e: OwnerEvent) => void): Promise<void>;
  /** Settles once, when the thread is gone: the error that ended it, if one was seen, and its exit code. */
  readonly exited: Promise<{ error?: string; code?: number }>;
  /** Ends the thread; `exited` settles (if it had not). */
  terminate(): Promise<void>;
  /** Drops the control proxy and the event port. */
  release(): void;
}

/** Threads for actors: each task runs one actor on a thread of its own until it finishes. */
export interface ActorThreads {
  /** Runs `task` on a thread; rejects when that thread dies or is terminated. */
  run(task: ActorTask): Promise<ActorOutcome>;
  /** Terminates every thread; tasks still running reject. */
  destroy(): Promise<void>;
}

/** What a platform supplies for a run on real threads: the only platform-specific part. */
export interface ThreadPlatform {
  /**
   * The plugin modules each thread imports, given those registered in the supervisor's thread
   * (Node: the same list; the browser: none, every Web Worker runs the same bundle).
   */
  workerPlugins(registered: string[]): string[];
  /** Starts the owner thread on `data` (owner-host.ts). */
  startOwner(data: HvWorkerData): OwnerThread;
  /**
   * Starts the actors' threads: at most `maxThreads` at once, `minThreads` ready (`plugins`: the
   * modules every actor thread imports, workerPlugins' list, which a platform may load ahead).
   */
  startActorThreads(o: { minThreads: number; maxThreads: number; plugins: string[] }): ActorThreads;
}

/**
 * Actor threads started beyond the scenario's own actors (within maxActors), ready for the actors
 * the run spawns — a guest kernel for each `xl create`: an actor whose thread is still starting
 * stalls the run, since the owner cannot advance virtual time before it has sent its first request.
 */
export const ACTOR_THREADS_AHEAD = 4;
/** Default of ThreadRunOptions.maxActors. */
export const ACTORS_ALIVE_DEFAULT = 64;
/** Upper bound of ThreadRunOptions.maxActors: one mailbox slot per actor alive. */
export const ACTORS_ALIVE_MAX = SLOT_COUNT_MAX;
/** Default of ThreadRunOptions.timeoutMs. */
export const RUN_BUDGET_MS_DEFAULT = 120_000;
/** Upper bound of ThreadRunOptions.timeoutMs (what a Node timer can wait: ~24.8 days). */
export const RUN_BUDGET_MS_MAX = 2 ** 31 - 1;
/**
 * Bound on starting a run: the owner worker up (its thread, the module loader, plugin modules,
 * the hypervisor's boot) and connected. Apart from the run's budget, so that a small budget
 * bounds the run itself on a slow or loaded machine too; generous, since an owner that dies while
 * starting is noticed at once (a scenario of a million script steps took ~25 s to start on a
 * 2-core machine under a load of 20).
 */
export const OWNER_START_MS = 180_000;
/** After the budget: how long the owner has to stop and hand over its trace before it is terminated. */
export const STOP_GRACE_MS = 10_000;
/**
 * After the owner ended: how long actors have to notice and finish before their threads are
 * terminated. An actor whose thread has not started yet (a loaded machine) is waited for longer,
 * up to OWNER_START_MS: it notices the owner's end as soon as it starts.
 */
export const ACTORS_GRACE_MS = 5_000;

export interface ThreadRunOptions {
  /** Owner's scheduling policy among runnable sections (default "arrival": what threads do). */
  policy?: string;
  invariants?: boolean;
  /**
   * Actors alive at once, each on its own thread with its own mailbox slot; a finished actor's
   * thread and slot are reused, so a run may start any number of actors over its life. Integer
   * in 1…ACTORS_ALIVE_MAX, default ACTORS_ALIVE_DEFAULT. A run that needs more at once is stopped
   * there and fails with failure.kind 'limit' (the actor that did not fit is never silently killed).
   */
  maxActors?: number;
  /**
   * The run's wall-clock budget (ms), counted from when the owner is up (starting is bounded by
   * OWNER_START_MS), integer in 1…RUN_BUDGET_MS_MAX, default 120 s. When it is spent the run is
   * stopped: the result says timedOut, failure.kind 'timeout', and carries the trace up to the
   * stop (which replays).
   */
  timeoutMs?: number;
  /** Fault injection: the named actor's thread exits on its way to its (n+1)-th hypercall. */
  dieAfterRequests?: Record<string, number>;
  /**
   * Fault injection: the named actor's thread starts its actor this long (wall ms, integer in
   * 0…OWNER_START_MS) late, as a thread an overloaded machine has not run yet.
   */
  startDelayMs?: Record<string, number>;
  /** Fault injection: terminate the owner worker this long (wall ms) after start. */
  killOwnerAfterMs?: number;
  /** Stats from the owner every `statsEverySteps` steps. */
  onStats?: (s: OwnerStats) => void;
  statsEverySteps?: number;
  /** Test hook: the run's mailbox, before any actor starts (fault tests write rogue slots into it). */
  onMailbox?: (buffer: SharedArrayBuffer) => void;
  /** Hands the caller the owner's control plane (snapshot, stop, stats, kill) once it is up. */
  onControl?: (control: Remote<OwnerControl>) => void;
  /**
   * Receives the trace as the run goes, in order, as UTF-8 chunks of whole JSONL lines (≤ 1 MiB
   * but for a longer line; the first starts with the header): the owner keeps no sections and
   * the result carries no `trace`, so a long run's trace is never held whole by either thread.
   * At most TRACE_CHUNKS_IN_FLIGHT_MAX (owner-host.ts) chunks wait for this function at once
   * (the owner waits). Without it the result's `trace` is the whole text.
   */
  onTrace?: (bytes: Uint8Array) => void;
  /**
   * A module (URL) exporting `attachObserver(owner)`, run on the owner's thread from before its
   * first step (RunObserver.ownerModule in world/scenario-file/run.ts); what its `finish()`
   * returns comes back as the result's `observed`. On a platform whose owner can import it.
   */
  observerModule?: string;
  /**
   * End the run once these actors have all exited (or been killed) and the spec's faults have
   * fired, as the scheduled run of a scenario file does, rather than at the spec's `untilNs`.
   */
  endWhenExited?: string[];
}

export interface ThreadRunResult extends Partial<OwnerOutcome> {
  /** The owner could not start, died, or did not stop in time: there is no outcome (no trace). */
  ownerLost?: string;
  /** The wall-clock budget ran out (with an outcome, failure.kind is 'timeout'). */
  timedOut?: true;
  actors: ActorOutcome[];
  wallMs: number;
}

const TIMED_OUT: unique symbol = Symbol('timed out');

/** `p`'s value, or TIMED_OUT once `ms` have passed (a rejection counts as the value undefined). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms))));
  try {
    return await Promise.race([p.catch(() => undefined), expiry]);
  } finally {
    clearTimeout(timer);
  }
}

function checkRange(name: keyof ThreadRunOptions, v: number | undefined, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new RangeError(`runThreads: options.${name} must be an integer in 1…${max}, got ${v}`);
  return v;
}

/**
 * Runs a scenario with the owner and every actor on their own threads of `platform`.
 * @throws ScenarioSpecError on a spec that is not valid
 */
export async function runThreadsOn(platform: ThreadPlatform, spec: ScenarioSpec, opts: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  const t0 = performance.now();
  const maxActors = checkRange('maxActors', opts.maxActors, ACTORS_ALIVE_MAX, ACTORS_ALIVE_DEFAULT);
  const timeoutMs = checkRange('timeoutMs', opts.timeoutMs, RUN_BUDGET_MS_MAX, RUN_BUDGET_MS_DEFAULT);
  for (const [actor, ms] of Object.entries(opts.startDelayMs ?? {})) {
    if (!Number.isSafeInteger(ms) || ms < 0 || ms > OWNER_START_MS) throw new RangeError(`runThreads: options.startDelayMs["${actor}"] must be an integer in 0…${OWNER_START_MS}, got ${ms}`);
  }
  let budgetFrom = t0 + OWNER_START_MS - timeoutMs;
  const left = (): number => budgetFrom + timeoutMs - performance.now();
  const wallMs = (): number => performance.now() - t0;
  const noRun = (ownerLost: string, timedOut: boolean): ThreadRunResult => ({ ownerLost, ...(timedOut ? { timedOut: true } : {}), actors: [], wallMs: wallMs() });

  assertScenarioSpec(spec, undefined); // the data first: no plugin of a malformed spec is imported
  // Every thread imports the same modules, so a name means the same program everywhere.
  const loaded = await within(loadPluginModules(spec.plugins ?? []).then(() => true), left());
  if (loaded !== true) return noRun(loaded === TIMED_OUT ? `plugin modules did not load within ${OWNER_START_MS} ms` : 'plugin modules did not load', loaded === TIMED_OUT);
  assertScenarioSpec(spec, REGISTRY_LOOKUPS);
  const plugins = platform.workerPlugins(pluginModules());
  const buffer = createMailbox({ slotCount: maxActors });
  opts.onMailbox?.(buffer);
  const { onTrace } = opts;
  const traceWindow = onTrace === undefined ? undefined : new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const data: HvWorkerData = {
    buffer, specJson: JSON.stringify(spec), plugins, policy: opts.policy ?? 'arrival', invariants: opts.invariants,
    ...(traceWindow === undefined ? {} : { traceWindow }),
    ...(opts.observerModule === undefined ? {} : { observerModule: opts.observerModule }),
    ...(opts.endWhenExited === undefined ? {} : { endWhenExited: [...opts.endWhenExited] }),
  };
  /** Streamed trace chunks taken so far, and who waits for the count to reach the owner's. */
  let chunksTaken = 0;
  let chunksWanted = Infinity;
  let allChunks: (() => void) | undefined;
  const allChunksTaken = new Promise<void>((r) => (allChunks = r));
  const takeTrace = (bytes: Uint8Array): void => {
    Atomics.sub(traceWindow!, 0, 1);
    Atomics.notify(traceWindow!, 0);
    chunksTaken++;
    onTrace!(bytes);
    if (chunksTaken >= chunksWanted) allChunks?.();
  };

  // ---- the owner: up, or its error
  const ownerThread = platform.startOwner(data);
  let connected = false;
  const ownerExited = ownerThread.exited.then(({ error, code }) => {
    markOwnerDead(buffer); // every blocked caller gets OwnerGoneError now, not at a timeout
    if (!connected) return `the owner could not start: ${error ?? `its worker exited (code ${code})`}`;
    return error === undefined ? `owner worker exited (code ${code})` : `owner worker failed: ${error}`;
  });
  const { control } = ownerThread;
  const release = async (): Promise<void> => {
    ownerThread.release();
    await within(ownerThread.terminate(), STOP_GRACE_MS);
  };
  const statsEvery = opts.onStats === undefined ? 0 : (opts.statsEverySteps ?? 1000);
  // Events that come before the actors' threads are ready wait for them (in arrival order).
  const early: OwnerEvent[] = [];
  let onEvent = (e: OwnerEvent): void => void early.push(e);
  // Trace chunks go straight to onTrace (in order); other events may wait for the actors' threads.
  const up = await within(Promise.race([ownerThread.connect(statsEvery, (e) => (e.type === 'trace' ? takeTrace(e.bytes) : onEvent(e))).then(() => true as const), ownerExited]), left());
  if (up !== true) {
    await release();
    const why = up === TIMED_OUT ? `the owner did not start within ${OWNER_START_MS} ms` : (up ?? (await within(ownerExited, STOP_GRACE_MS)));
    return noRun(typeof why === 'string' ? why : 'the owner could not start', up === TIMED_OUT);
  }
  connected = true;
  budgetFrom = performance.now();
  opts.onControl?.(control);

  // ---- the actors: one thread each, at most maxActors alive at once
  const pool = platform.startActorThreads({ minThreads: Math.min(spec.actors.length + ACTOR_THREADS_AHEAD, maxActors), maxThreads: maxActors, plugins });
  const outcomes: Array<Promise<ActorOutcome>> = [];
  /** Thread-id cells of the actors whose task has not settled (0 = its thread has not started it). */
  const unsettled = new Set<Int32Array>();
  let live = 0;
  let terminating = false;
  /** Why the run was stopped at the actor limit (set once). */
  let limitHit: string | undefined;
  const start = (a: ActorSpec): void => {
    if (live >= maxActors) {
      if (limitHit === undefined) {
        limitHit = `${a.name} could not start: more than ${maxActors} actors alive at once (ThreadRunOptions.maxActors; each actor runs on its own thread)`;
        void control.stop(`limit: ${limitHit}`).catch(() => {});
      }
      outcomes.push(Promise.resolve({ actor: a.name, error: `not started: ${limitHit}` }));
      return;
    }
    live++;
    const threadCell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const task: ActorTask = { buffer, specJson: JSON.stringify(a), plugins, threadCell, dieAfterRequests: opts.dieAfterRequests?.[a.name], startDelayMs: opts.startDelayMs?.[a.name] };
    unsettled.add(threadCell);
    outcomes.push(
      pool
        .run(task)
        .catch((e: Error): ActorOutcome => {
          // The actor's thread died (or was terminated): free its slot (the owner finishes its call in flight).
          const tid = Atomics.load(threadCell, 0);
          if (tid !== 0) abandonSlotsOfThread(buffer, tid);
          const why = terminating ? `its thread was terminated: it had not ended ${ACTORS_GRACE_MS} ms after the owner did` : `thread died: ${e.message}`;
          void control.kill(a.name, why).catch(() => {});
          return { actor: a.name, error: why };
        })
        .finally(() => {
          live--;
          unsettled.delete(threadCell);
        }),
    );
  };
  for (const a of spec.actors) start(a);
  onEvent = (e) => (e.type === 'spawn' ? start(e.spec) : e.type === 'stats' ? opts.onStats?.(e.stats) : undefined);
  for (const e of early.splice(0)) onEvent(e);
  const killTimer = opts.killOwnerAfterMs === undefined ? undefined : setTimeout(() => void ownerThread.terminate(), opts.killOwnerAfterMs);

  // ---- the run, within its budget
  const timeoutReason = `timed out: the run's wall-clock budget of ${timeoutMs} ms (ThreadRunOptions.timeoutMs) ran out`;
  let ended = await within(Promise.race([control.outcome(), ownerExited]), left());
  if (ended === TIMED_OUT) {
    void control.stop(timeoutReason).catch(() => {});
    ended = await within(Promise.race([control.outcome(), ownerExited]), STOP_GRACE_MS);
  }
  clearTimeout(killTimer);
  const outcome = typeof ended === 'object' ? ended : undefined;
  // The outcome and the trace come by different channels: the last chunks may still be on their way.
  if (outcome?.traceChunks !== undefined) {
    chunksWanted = outcome.traceChunks;
    if (chunksTaken < chunksWanted) await within(allChunksTaken, STOP_GRACE_MS);
  }
  const ownerLost = outcome !== undefined ? (outcome.traceChunks !== undefined && chunksTaken < chunksWanted ? `the owner's streamed trace did not all arrive within ${STOP_GRACE_MS} ms (${chunksTaken} of ${chunksWanted} chunks)` : undefined)
    : ended === TIMED_OUT ? `the run did not stop within ${STOP_GRACE_MS} ms after its ${timeoutMs} ms budget ran out (the owner was terminated)`
    : typeof ended === 'string' ? ended : 'the owner went away without an outcome';
  // Without an outcome the owner is terminated first, so blocked actors get OwnerGoneError.
  if (outcome === undefined) await within(ownerThread.terminate(), STOP_GRACE_MS);

  // ---- the actors wind down; those still computing are terminated
  const waitStart = performance.now();
  let actors = await within(Promise.all(outcomes), ACTORS_GRACE_MS);
  const starting = (): boolean => [...unsettled].some((cell) => Atomics.load(cell, 0) === 0);
  while (actors === TIMED_OUT && starting() && performance.now() - waitStart < OWNER_START_MS) actors = await within(Promise.all(outcomes), ACTORS_GRACE_MS);
  if (actors === TIMED_OUT || actors === undefined) {
    terminating = true;
    await within(pool.destroy(), STOP_GRACE_MS);
    actors = await within(Promise.all(outcomes), STOP_GRACE_MS);
  } else {
    await within(pool.destroy(), STOP_GRACE_MS);
  }
  await release();
  const actorList = Array.isArray(actors) ? actors : [];

  const timedOut = ended === TIMED_OUT || outcome?.stopped === timeoutReason;
  const step = outcome?.steps ?? 0;
  const failure = outcome?.failure
    ?? (timedOut && outcome !== undefined ? { kind: 'timeout', message: timeoutReason, step }
      : limitHit !== undefined && outcome?.stopped === `limit: ${limitHit}` ? { kind: 'limit', message: limitHit, step } : undefined);
  return {
    ...outcome,
    ...(failure === undefined ? {} : { failure }),
    ...(ownerLost === undefined ? {} : { ownerLost }),
    ...(timedOut ? { timedOut: true as const } : {}),
    actors: actorList,
    wallMs: wallMs(),
  };
}

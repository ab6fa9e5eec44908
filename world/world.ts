// The scheduled world: the owner and every actor in one thread. Before each choice all actors
// run until they block on the port, so a run is a pure function of (scenario, policy): the same
// inputs give the same trace, bit for bit. Property tests, campaigns and replay run here.

import { AssertionError } from '../hv/assert.ts';
import { checkInvariants, InvariantViolation } from '../hv/index.ts';
import './actor-kinds.ts'; // registers the built-in actor kinds
import { ActorStopped, InProcessPort } from '../sim/in-process-port.ts';
import { Owner, type StepInfo } from '../sim/owner.ts';
import type { SchedulePolicy } from '../sim/policy.ts';
import { actorKind, isPluginLoaded, loadPluginModules, REGISTRY_LOOKUPS, startMonitors, type Monitor } from '../sim/registry.ts';
import { assertScenarioSpec } from '../sim/scenario-validate.ts';
import type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
import type { TraceOptions } from '../sim/trace.ts';

export interface Failure {
  kind: 'invariant' | 'property' | 'hv-crash' | 'actor-error' | 'step-limit' | 'stuck';
  message: string;
  /** The step after which it was detected. */
  step: number;
}

export interface RunOptions {
  /** Abort the run after this many steps (a livelock guard); default 1,000,000. */
  maxSteps?: number;
  /** Run checkInvariants after every step (default true). */
  invariants?: boolean;
  /** Called after every step; throw a PropertyViolation to fail the run. */
  onStep?: (info: StepInfo, owner: Owner) => void;
  /** Treat an actor that throws (other than being stopped) as a failure (default true). */
  actorErrorsFail?: boolean;
  /** Drives the run instead of the policy (replay): return false when there is nothing left. */
  driver?: (owner: Owner) => boolean;
  /**
   * Wall-clock budget of the run (ms, over all runUntil calls): when it is spent the run is
   * stopped — a recorded {k:'stop'} choice, so the trace still replays — and RunResult.stopped
   * says why. Checked between steps; default none. Limit: WALL_BUDGET_MS_MAX.
   */
  wallBudgetMs?: number;
  /** How the trace is recorded: kept whole (default) or streamed to a sink (sim/trace.ts). */
  trace?: TraceOptions;
}

/** Largest wall-clock budget (ms): a week. */
export const WALL_BUDGET_MS_MAX = 7 * 24 * 3600 * 1000;

export interface RunResult {
  owner: Owner;
  /** The trace's hash (computed when first read for a kept trace). */
  readonly hash: string;
  steps: number;
  failure?: Failure;
  /** Set when the run was stopped before its end (its wall-clock budget was spent). */
  stopped?: string;
}

/** Thrown from an onStep hook to report a broken property. */
export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

/** Starts one actor's program on an in-process port. */
function launch(owner: Owner, spec: ActorSpec): void {
  const port = new InProcessPort(owner, spec.name);
  void (async () => {
    try {
      const main = actorKind(spec.kind);
      if (spec.boot !== undefined) await port.boot(spec.boot);
      await main(port, spec.params ?? {});
      port.exit();
    } catch (e) {
      port.exit(e instanceof ActorStopped ? undefined : e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  })();
}

/** Starts every actor of the scenario, and any actor spawned later, on in-process ports. */
function launchActors(owner: Owner): void {
  owner.onSpawn = (spec) => launch(owner, spec);
  for (const spec of owner.spec.actors) launch(owner, spec);
}

/** Lets actors run until every one of them is blocked on the owner or done. */
async function settle(owner: Owner): Promise<boolean> {
  for (let i = 0; owner.anyRunning(); i++) {
    if (i < 10_000) await Promise.resolve();
    else if (i < 10_100) await new Promise<void>((r) => setImmediate(r));
    else return false;
  }
  return true;
}

/**
 * Longest a scheduled run keeps the event loop from turning (wall ms). Actors are promises, so a
 * run is microtasks only and would starve the loop — signal handlers (Ctrl-C), timers, I/O —
 * for as long as it lasts; runUntil yields a macrotask this often. Yielding between steps
 * changes nothing the run computes: every actor is blocked on the owner there.
 */
const YIELD_EVERY_MS = 25;
let lastYield = performance.now();

/** Lets the event loop turn when YIELD_EVERY_MS have passed since it last did. */
async function yieldIfDue(): Promise<void> {
  if (performance.now() - lastYield < YIELD_EVERY_MS) return;
  await new Promise<void>((r) => setImmediate(r));
  lastYield = performance.now();
}

/**
 * A scheduled world that can be driven incrementally: the xl shell runs it until each command's
 * actor finishes, the demo until a deadline; runScheduled() runs it to the end.
 */
export class World {
  readonly owner: Owner;
  failure: Failure | undefined;
  /** Why the run was stopped before its end (the wall-clock budget), if it was. */
  stopped: string | undefined;
  private readonly maxSteps: number;
  /** performance.now() after which the run is stopped (Infinity: no budget). */
  private readonly deadline: number;
  /** The scenario's property monitors (spec.monitors), in order. */
  private readonly monitors: Monitor[];

  constructor(
    spec: ScenarioSpec,
    policy: SchedulePolicy,
    private readonly opts: RunOptions = {},
  ) {
    assertScenarioSpec(spec, undefined);
    for (const p of spec.plugins ?? []) {
      if (!isPluginLoaded(p)) throw new Error(`World: plugin module ${p} is not loaded (await loadPluginModules(spec.plugins) first; runScheduled does)`);
    }
    assertScenarioSpec(spec, REGISTRY_LOOKUPS);
    const budget = opts.wallBudgetMs;
    if (budget !== undefined && !(Number.isFinite(budget) && budget > 0 && budget <= WALL_BUDGET_MS_MAX)) {
      throw new RangeError(`World: wallBudgetMs must be in (0, ${WALL_BUDGET_MS_MAX}] (got ${budget})`);
    }
    this.owner = new Owner(spec, policy, 'scheduled', opts.trace);
    this.maxSteps = opts.maxSteps ?? 1_000_000;
    this.deadline = budget === undefined ? Infinity : performance.now() + budget;
    this.monitors = startMonitors(spec.monitors ?? [], this.owner);
    this.owner.afterStep.push((info) => {
      if (opts.invariants !== false) checkInvariants(this.owner.hv);
      for (const m of this.monitors) {
        const breach = m.afterStep?.(info);
        if (breach != null) throw new PropertyViolation(`${m.name}: ${breach}`);
      }
      opts.onStep?.(info, this.owner);
    });
    launchActors(this.owner);
  }

  /** Starts an actor from outside (the shell's next command); recorded as a choice. */
  spawn(spec: ActorSpec): void {
    this.owner.spawnExternal(spec);
  }

  /**
   * Runs until `until()` holds after a step, nothing can progress, or the run fails.
   * @returns false when the world can no longer progress (or failed), true when `until` held.
   */
  async runUntil(until: () => boolean = () => false): Promise<boolean> {
    const { owner, opts } = this;
    const errorsFail = opts.actorErrorsFail !== false;
    for (let i = 0; ; i++) {
      if ((i & 255) === 0) {
        await yieldIfDue();
        if (performance.now() >= this.deadline) this.stop(`wall-clock budget of ${this.opts.wallBudgetMs! / 1000} s spent`);
      }
      if (this.failure !== undefined || this.stopped !== undefined) return false;
      // Only after an answer is anybody computing: most steps (a long call's sections) skip this.
      if (owner.anyRunning() && !(await settle(owner))) {
        this.failure = { kind: 'stuck', message: 'an actor is blocked on something other than its port', step: owner.steps };
        return false;
      }
      const err = errorsFail ? owner.firstError() : undefined;
      if (err !== undefined) {
        this.failure = { kind: 'actor-error', message: `${err.actor}: ${err.error}`, step: owner.steps };
        return false;
      }
      if (until()) return true;
      let progressed: boolean;
      try {
        progressed = opts.driver !== undefined ? opts.driver(owner) : owner.step();
      } catch (e) {
        this.failure = classify(e, owner.steps);
        return false;
      }
      if (!progressed) return false;
      if (owner.steps >= this.maxSteps) {
        this.failure = { kind: 'step-limit', message: `no end after ${this.maxSteps} steps`, step: owner.steps };
        return false;
      }
    }
  }

  /** Stops the run here (a recorded choice: a replay stops at the same point). */
  stop(why: string): void {
    if (this.stopped !== undefined || this.failure !== undefined) return;
    this.stopped = why;
    this.owner.trace.add({ k: 'stop', why, step: this.owner.steps });
  }

  /** Ends the run: records a failure, tells waiting actors to stop, seals the trace. */
  async finish(): Promise<RunResult> {
    const { owner } = this;
    for (const m of this.monitors) {
      if (this.failure !== undefined || this.stopped !== undefined) break;
      const breach = m.atEnd?.();
      if (breach != null) this.failure = { kind: 'property', message: `${m.name}: ${breach}`, step: owner.steps };
    }
    const f = this.failure;
    if (f !== undefined) owner.trace.add({ k: 'fail', kind: f.kind, message: f.message, step: f.step });
    owner.endRun();
    await settle(owner);
    const trace = owner.trace;
    return {
      owner, steps: owner.steps, failure: f,
      get hash() { return trace.hash; },
      ...(this.stopped === undefined ? {} : { stopped: this.stopped }),
    };
  }
}

/** Runs a scenario to completion under a policy, in one thread. @throws ScenarioSpecError on a spec that is not valid */
export async function runScheduled(spec: ScenarioSpec, policy: SchedulePolicy, opts: RunOptions = {}): Promise<RunResult> {
  assertScenarioSpec(spec, undefined); // the data first: no plugin of a malformed spec is imported
  await loadPluginModules(spec.plugins ?? []);
  const world = new World(spec, policy, opts);
  await world.runUntil();
  return world.finish();
}

function classify(e: unknown, step: number): Failure {
  if (e instanceof InvariantViolation) return { kind: 'invariant', message: e.message, step };
  if (e instanceof PropertyViolation) return { kind: 'property', message: e.message, step };
  if (e instanceof AssertionError) return { kind: 'hv-crash', message: e.message, step };
  throw e;
}

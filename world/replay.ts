// Replay: re-runs a trace's scenario in the scheduled world, taking exactly the recorded choices
// (which actor's section ran, which sleeper woke), and checks every request and answer against
// the record. Works for traces from scheduled runs and from real-thread runs alike, because the
// choices name actors and the comparison is per actor (see sim/trace.ts).

import { Owner } from '../sim/owner.ts';
import type { SchedulePolicy } from '../sim/policy.ts';
import { validateScenarioNames } from '../sim/scenario-validate.ts';
import { PerActorLog, readTraceLines, textLines, TraceFormatError, traceHash, type TraceEvent, type TraceHeader } from '../sim/trace.ts';
import { World, type Failure, type RunResult } from './world.ts';
import { loadPluginModules, REGISTRY_LOOKUPS } from '../sim/registry.ts';
import { ChoiceTape, isChoice, type ChoiceList } from './choice-tape.ts';
import { readTraceFile } from './trace-file.ts';
import { assertPluginsAllowed } from './trace-plugins.ts';

export interface ReplayReport {
  /** True when every choice, request and answer matched (including a recorded failure). */
  reproduced: boolean;
  /** The first divergence, precisely: where, what was recorded, what happened. */
  divergence?: string;
  recordedHash?: string;
  hash: string;
  steps: number;
  /** The failure the replay ran into (a reproduced failure is expected here). */
  failure?: Failure;
  run: RunResult;
}

/** A policy that is never consulted: replay drives the owner directly. */
const NO_POLICY: SchedulePolicy = {
  name: 'replay',
  choose: () => {
    throw new Error('replay: the policy must not be consulted');
  },
};

export interface ReplayOptions {
  /** Called with the replay's owner before anything runs: observers (the report's telemetry) attach here. */
  attach?: (owner: Owner) => void;
  /**
   * Plugin modules the trace may have imported (file paths or URLs): a trace names modules, and
   * importing one runs its code, so a replay imports only the modules already loaded in this
   * process and these (world/trace-plugins.ts). Any other the header names is refused with a
   * PluginNotAllowedError (a TraceFormatError) before anything is imported.
   */
  allowPlugins?: readonly string[];
}

/** What a replay needs of a recorded run: its header, its choices, each actor's own events, its failure and end. */
export interface RecordedRun {
  header: TraceHeader;
  choices: ChoiceList;
  perActor: Map<string, TraceEvent[]>;
  /** The first fail event, if the run failed. */
  fail?: Extract<TraceEvent, { k: 'fail' }>;
  /** The first end event. */
  end?: Extract<TraceEvent, { k: 'end' }>;
}

/** Builds a RecordedRun one event at a time (from a list, or from a file as it is read). */
class RecordedRunBuilder {
  private readonly choices = new ChoiceTape();
  private readonly perActor = new PerActorLog();
  private fail: RecordedRun['fail'];
  private end: RecordedRun['end'];

  add(e: TraceEvent): void {
    if (isChoice(e)) this.choices.push(e);
    this.perActor.add(e);
    if (e.k === 'fail') this.fail ??= e;
    if (e.k === 'end') this.end ??= e;
  }

  build(header: TraceHeader): RecordedRun {
    return { header, choices: this.choices, perActor: this.perActor.result(), fail: this.fail, end: this.end };
  }
}

/**
 * A recorded run read from JSONL text event by event: a long trace's steps go straight to the
 * compact choice tape, never into an array of event objects. @throws TraceFormatError
 */
export function recordedFromText(text: string): RecordedRun {
  const b = new RecordedRunBuilder();
  return b.build(readTraceLines(textLines(text), (e) => b.add(e)));
}

/**
 * The same from a file, read line by line (a demo variant's ~90 MB trace is never held as text).
 * @throws TraceFormatError on a malformed file, the read error of an unreadable one
 */
export function recordedFromFile(path: string): RecordedRun {
  const b = new RecordedRunBuilder();
  return b.build(readTraceFile(path, (e) => b.add(e)));
}

/** Replays a trace given as JSONL text. Throws TraceFormatError on a malformed file. */
export async function replayTrace(text: string, opts: ReplayOptions = {}): Promise<ReplayReport> {
  return replayRecorded(recordedFromText(text), opts);
}

/** Replays a trace file, reading it line by line (recordedFromFile). */
export async function replayTraceFile(path: string, opts: ReplayOptions = {}): Promise<ReplayReport> {
  return replayRecorded(recordedFromFile(path), opts);
}

export async function replayEvents(header: TraceHeader, events: readonly TraceEvent[], opts: ReplayOptions = {}): Promise<ReplayReport> {
  const b = new RecordedRunBuilder();
  for (const e of events) b.add(e);
  return replayRecorded(b.build(header), opts);
}

/** Replays a recorded run: takes exactly its choices, then compares each actor's own events. */
export async function replayRecorded(rec: RecordedRun, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const { header, choices } = rec;
  let next = 0;
  let divergence: string | undefined;
  const driver = (owner: Owner): boolean => {
    if (next >= choices.length) return false;
    const c = choices.at(next);
    const where = `choice ${next + 1} of ${choices.length} (${c.k}${'a' in c ? ` ${c.a}` : ''})`;
    if (c.k === 'arrive') {
      if (c.req.kind === 'spawn') owner.spawnExternal(c.req.spec);
    } else if (c.k === 'kill') {
      owner.applyRecordedKill(c.a, c.why);
    } else if (c.k === 'stop') {
      owner.trace.add(c); // the recorded run ended here
      next++;
      return false;
    } else if (c.k === 'step') {
      if (!owner.runnable().includes(c.a)) {
        divergence = `${where}: recorded a section of ${c.a}, but ${c.a} has nothing runnable (runnable: ${owner.runnable().join(', ') || 'none'})`;
        return false;
      }
      owner.runItem(c.a);
      const got = owner.trace.lastStep!;
      if (got.s !== c.s || got.t !== c.t) {
        divergence = `${where}: recorded section "${c.s}" at t=${c.t} ns, replay ran "${got.s}" at t=${got.t} ns`;
        return false;
      }
    } else {
      try {
        owner.wake(c.a);
      } catch {
        divergence = `${where}: recorded ${c.a} waking at t=${c.t} ns, but it is not sleeping`;
        return false;
      }
      if (owner.hv.now !== c.t) {
        divergence = `${where}: recorded wake-up at t=${c.t} ns, replay woke at t=${owner.hv.now} ns`;
        return false;
      }
    }
    next++;
    return true;
  };
  // runScheduled(), with a moment between building the world and running it for `attach`.
  // The recording decides how long the run is: never stop it at World's default step limit
  // (a demo variant is ~1.3M steps). Long recordings replay with a lean trace (steps hashed, not kept).
  assertPluginsAllowed(header.scenario.plugins ?? [], opts.allowPlugins ?? []);
  try {
    await loadPluginModules(header.scenario.plugins ?? []);
  } catch (e) {
    throw new TraceFormatError(`trace:1: scenario: ${(e as Error).message}`);
  }
  const unknown = validateScenarioNames(header.scenario, REGISTRY_LOOKUPS);
  if (unknown.length > 0) throw new TraceFormatError(`trace:1: scenario: ${unknown.join('; ')}`);
  const world = new World(header.scenario, NO_POLICY, {
    driver, maxSteps: Math.max(1_000_000, choices.length + 1),
    ...(choices.length > LEAN_REPLAY_CHOICES ? { trace: { keepSteps: false } } : {}),
  });
  opts.attach?.(world.owner);
  await world.runUntil();
  const run = await world.finish();
  if (divergence === undefined && run.failure === undefined && next < choices.length) {
    divergence = `the replay ended after ${next} of ${choices.length} recorded choices`;
  }
  divergence ??= firstPerActorDivergence(rec.perActor, run.owner.trace.perActor());
  const recordedFail = rec.fail;
  if (divergence === undefined && (recordedFail !== undefined) !== (run.failure !== undefined)) {
    divergence = recordedFail !== undefined
      ? `the recorded run failed (${recordedFail.message}) but the replay did not`
      : `the replay failed (${run.failure!.message}) but the recorded run did not`;
  }
  const recordedHash = rec.end?.hash;
  if (divergence === undefined && recordedHash !== undefined && recordedHash !== run.hash) {
    divergence = `all events matched but the hash differs: recorded ${recordedHash}, replay ${run.hash}`;
  }
  return { reproduced: divergence === undefined, divergence, recordedHash, hash: run.hash, steps: run.steps, failure: run.failure, run };
}

/** Recordings with more choices than this replay with a lean trace (the replay's own steps are hashed, not kept). */
const LEAN_REPLAY_CHOICES = 100_000;

/** Compares each actor's own requests and answers, in order; the first mismatch, if any. */
function firstPerActorDivergence(a: Map<string, TraceEvent[]>, b: Map<string, TraceEvent[]>): string | undefined {
  for (const actor of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(actor) ?? [];
    const y = b.get(actor) ?? [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const rx = JSON.stringify(x[i] ?? null);
      const ry = JSON.stringify(y[i] ?? null);
      if (rx !== ry) return `${actor}, its event ${i + 1}: recorded ${rx}, replay ${ry}`;
    }
  }
  return undefined;
}

export { traceHash };

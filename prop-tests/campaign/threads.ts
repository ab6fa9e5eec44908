// Real-thread hunting: the campaign's generated scenarios run on real threads (workers/threads.ts:
// the owner worker runs the scenario's monitors, so a breach is a 'fail' event in the trace).
// A failing trace is replayed in the scheduled world (it must reproduce exactly), turned into the
// choice sequence the scheduled world follows, and shrunk there like any campaign failure.

import { hash32 } from '../../sim/rng.ts';
import type { SchedulePolicy } from '../../sim/policy.ts';
import { replayTrace, type ReplayReport } from '../../world/replay.ts';
import { parseTrace } from '../../sim/trace.ts';
import type { Failure } from '../../world/world.ts';
import { runThreads } from '../../workers/threads.ts';
import { failureKey, ignored, scenarios, shrinkAndConfirm, withPropertyModules, type CampaignOptions, type Found } from './campaign.ts';
import { runOnce, type RunOutcome } from './run.ts';
import { toScenarioSpec, type CampaignScenario } from './scenario.ts';

/** A real-thread failure and what became of it in the scheduled world. */
export interface ThreadFailure {
  scenario: CampaignScenario;
  /** The failure the owner worker recorded. */
  failure: Failure;
  /** The real-thread trace (JSONL). */
  trace: string;
  replay: Pick<ReplayReport, 'reproduced' | 'divergence'>;
  /** The recorded schedule as a scheduled-world choice sequence, and whether it fails the same way. */
  choices: number[];
  choicesReproduce: boolean;
  /** The shrunk failure (undefined when the choice sequence did not reproduce it). */
  found?: Found;
}

export interface ThreadHuntResult {
  seed: number;
  /** Real-thread runs made. */
  runs: number;
  ms: number;
  failures: ThreadFailure[];
  /**
   * Runs that ended without an answer about the properties: the wall-clock budget ran out
   * (failure.kind 'timeout': a loaded machine, or a run that never ends) or the actor limit was
   * hit ('limit'). Not failures of the hypervisor: counted here, never reported as found.
   */
  inconclusive: Array<{ run: number; kind: string; message: string }>;
  /** Set when the wall-clock budget (CampaignOptions.wallBudgetMs) stopped the hunt before its runs. */
  stopped?: string;
}

/** Failure kinds that say the run was cut short, not that a property broke. */
export const INCONCLUSIVE_KINDS: ReadonlySet<string> = new Set(['timeout', 'limit']);

export interface ThreadHuntOptions extends CampaignOptions {
  /** Real-thread runs (default 10); the hunt stops at the first failure unless `all`. */
  threadRuns?: number;
  all?: boolean;
  /** The owner worker's policy per run: 'random' (seeded from the campaign seed) or 'arrival'. */
  ownerPolicy?: 'random' | 'arrival';
  /** Each run's wall-clock budget (runThreads' timeoutMs), default 60 s. */
  runTimeoutMs?: number;
}

/**
 * Follows a recorded run's sections: at each choice, the actor whose section the trace ran next
 * (0 when it is not runnable here — then the scheduled run departs from the recorded one).
 */
class FollowTrace implements SchedulePolicy {
  readonly name = 'follow-trace';
  private next = 0;
  constructor(private readonly actors: readonly string[]) {}
  choose(_step: number, runnable: readonly string[]): number {
    const want = this.actors[this.next];
    const i = want === undefined ? -1 : runnable.indexOf(want);
    if (i >= 0) this.next++;
    return Math.max(0, i);
  }
}

/** The real-thread schedule as a choice sequence for the scheduled world (fast-check's start). */
export async function choicesOfTrace(s: CampaignScenario, trace: string): Promise<RunOutcome> {
  const actors = parseTrace(trace).events.flatMap((e) => (e.k === 'step' ? [e.a] : []));
  return runOnce(s, new FollowTrace(actors));
}

/** Runs generated scenarios on real threads; each failure is replayed, converted and shrunk. */
export async function huntOnThreads(options: ThreadHuntOptions): Promise<ThreadHuntResult> {
  const o = await withPropertyModules(options);
  const t0 = performance.now();
  const maxRuns = o.threadRuns ?? 10;
  const failures: ThreadFailure[] = [];
  const inconclusive: ThreadHuntResult['inconclusive'] = [];
  let runs = 0;
  // The wall-clock budget bounds the whole hunt: each run gets at most what is left of it.
  const wallEnd = o.wallBudgetMs === undefined ? Infinity : t0 + o.wallBudgetMs;
  let stopped: string | undefined;
  for (const scenario of scenarios(o, o.seed)) {
    if (runs >= maxRuns || (failures.length > 0 && o.all !== true)) break;
    const left = Math.floor(wallEnd - performance.now());
    if (left < 1) {
      stopped = `wall-clock budget of ${(o.wallBudgetMs ?? 0) / 1000} s spent while searching`;
      break;
    }
    const policy = o.ownerPolicy === 'arrival' ? 'arrival' : `random:${hash32(o.seed, 0x7d, runs)}`;
    const r = await runThreads(toScenarioSpec(scenario), { policy, timeoutMs: Math.min(o.runTimeoutMs ?? 60_000, left) });
    runs++;
    o.onProgress?.({ phase: 'search', runs, elapsedMs: performance.now() - t0 });
    if (r.failure !== undefined && INCONCLUSIVE_KINDS.has(r.failure.kind)) {
      inconclusive.push({ run: runs, kind: r.failure.kind, message: r.failure.message });
      continue;
    }
    if (r.failure === undefined || r.trace === undefined || ignored(o, r.failure as Failure)) continue;
    const failure = r.failure as Failure;
    await o.onFound?.({ failure, trace: r.trace, runs, strategy: 'threads' });
    const rep = await replayTrace(r.trace);
    const conv = await choicesOfTrace(scenario, r.trace);
    const same = conv.failure !== undefined && failureKey(conv.failure) === failureKey(failure);
    const f: ThreadFailure = {
      scenario, failure, trace: r.trace, replay: { reproduced: rep.reproduced, divergence: rep.divergence },
      choices: conv.choices, choicesReproduce: same,
    };
    if (same) {
      f.found = await shrinkAndConfirm(o, { scenario, run: conv, strategy: 'threads' }, runs, performance.now() - t0, t0);
    }
    failures.push(f);
  }
  if (stopped === undefined && runs < maxRuns && failures.length === 0 && performance.now() >= wallEnd) stopped = `wall-clock budget of ${(o.wallBudgetMs ?? 0) / 1000} s spent while searching`;
  return { seed: o.seed, runs, ms: performance.now() - t0, failures, inconclusive, ...(stopped === undefined ? {} : { stopped }) };
}

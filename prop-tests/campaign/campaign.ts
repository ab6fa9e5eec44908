// A race-hunting campaign: search (a portfolio of (families, strategy) slots — seeded random, PCT
// and bounded DFS schedules over generated scenarios, portfolio.ts), then shrink the first
// failure — scenario and choice sequence together (shrink.ts, then fast-check's shrinker) — and
// confirm the shrunk run with the full invariant checker after every section, as replay runs it.
// Deterministic given the seed.

import fc from 'fast-check';
import { loadPluginModules, monitorNames, namesRegisteredBy } from '../../sim/registry.ts';
import { hash32 } from '../../sim/rng.ts';
import { ChoiceSequence, Pct, SeededRandom, type SchedulePolicy } from '../../sim/policy.ts';
import type { Failure } from '../../world/world.ts';
import { dfsRuns } from './dfs.ts';
import { Portfolio, portfolioFor, SEARCH_STRATEGIES, slotName, type Slot, type SlotReport } from './portfolio.ts';
import { runOnce, type RunOutcome } from './run.ts';
import { scenarioArb, toScenarioSpec, type CampaignScenario, type ScenarioConstraints } from './scenario.ts';
import { checkShard, ownsUnit, SlotRanges, unitCost, type Shard } from './shard.ts';
import { shrinkCase, smallerCase, stepCapFor, type Case } from './shrink.ts';

export const STRATEGIES = SEARCH_STRATEGIES;
/** How a failure was first found: a scheduled strategy, or a real-thread run (threads.ts). */
export type Strategy = (typeof STRATEGIES)[number] | 'threads';

export interface CampaignOptions extends ScenarioConstraints {
  seed: number;
  /** Run budget (schedules executed); default 200 when no timeMs. */
  runs?: number;
  /** Wall-time budget for the search, ms. */
  timeMs?: number;
  /**
   * Wall-clock budget of the whole campaign, search and shrinking, ms: when it is spent the
   * search stops (CampaignResult.stopped) and a failure found is kept as far as it shrank.
   */
  wallBudgetMs?: number;
  /**
   * Schedule strategies. With `families` given, those families run under each strategy in turn;
   * otherwise the default portfolio (portfolio.ts) runs, narrowed to these strategies.
   */
  strategies?: readonly (typeof STRATEGIES)[number][];
  /** DFS: preemption bound (default 2) and schedules per scenario (default 40). */
  dfsBound?: number;
  dfsBudget?: number;
  /** Wall-time budget for shrinking, ms (default 15 s). */
  shrinkTimeMs?: number;
  /**
   * Run only this shard's share of the campaign (shard.ts): `k` of `n`, 1 ≤ k ≤ n. The shards of
   * one campaign run disjoint units of its plan, and together exactly the runs it runs.
   */
  shard?: Shard;
  /**
   * Most runs shrinking may make (default: no limit but the time): a budget that gives the same
   * counterexample on every machine, as tests want.
   */
  shrinkRuns?: number;
  /**
   * A job of a campaign split over threads (jobs.ts): the search ends before the first unit that
   * starts past this slot (another job found a failure there, and the campaign's first failure is
   * the one at the lowest slot). Read before every unit.
   */
  lastSlot?: () => number;
  /** Failure keys (failureKey) to ignore: the search goes on past them (hunt one bug among several). */
  ignore?: readonly string[];
  /** Called after every run of the search and every shrink attempt. */
  onProgress?: (p: Progress) => void;
  /**
   * Modules (file URLs) defining properties (defineProperty): loaded first, every property they
   * define is checked besides the version's, and every scenario (and so its trace) names them.
   */
  propertyModules?: readonly string[];
  /**
   * Called once the search has found a failure, before shrinking starts, with its unshrunk trace
   * (replayable as it is): a front end saves it at once, so an interrupted shrink loses nothing.
   */
  onFound?: (f: FoundUnshrunk) => void | Promise<void>;
}

export interface FoundUnshrunk {
  failure: Failure;
  trace: string;
  /** Runs of the campaign's plan up to and including the failing one (shard.ts: its slot). */
  runs: number;
  strategy: Strategy;
}

export interface Progress {
  phase: 'search' | 'shrink';
  runs: number;
  elapsedMs: number;
  /** Steps to the failure of the shortest failing run so far. */
  bestSteps?: number;
  bestMessage?: string;
}

export interface Found {
  scenario: CampaignScenario;
  choices: number[];
  failure: Failure;
  /** The JSONL trace of the shrunk run, checked like replay checks it. */
  trace: string;
  strategy: Strategy;
  /** The portfolio slot that found it ("claims/random"). */
  slotName?: string;
  runsToFind: number;
  msToFind: number;
  /** Critical sections up to the failure, as first found and after shrinking. */
  stepsBefore: number;
  stepsAfter: number;
  /** Actors in the scenario, as first found and after shrinking. */
  actorsBefore: number;
  actorsAfter: number;
  shrinkRuns: number;
}

export interface CampaignResult {
  seed: number;
  /** Runs of the budget this process spent (its own units' slots, shard.ts). */
  runs: number;
  /** Schedules actually executed (fewer than `runs` when a DFS tree ran out inside its slots). */
  schedules: number;
  /** The plan's slots this process spent, as [first, last] ranges (1-based, in order). */
  slots: Array<[number, number]>;
  ms: number;
  found?: Found;
  /** Set when the wall-clock budget stopped the search before its run or time budget was spent. */
  stopped?: string;
  /** The failure as the search first found it, before shrinking: its plan slot and steps. */
  first?: { slot: number; strategy: Strategy; failure: Failure; steps: number };
  /** How the search split its budget over the portfolio's slots. */
  portfolio: SlotReport[];
}

/**
 * The property (or invariant) a failure broke: shrinking keeps to the same one. A property
 * failure's message starts with the monitor's registered name ("name: what broke").
 */
export function failureKey(f: Failure): string {
  const inv = /^invariant (\S+)/.exec(f.message);
  if (inv !== null) return `${f.kind}:${inv[1]}`;
  const named = monitorNames().filter((n) => f.message.startsWith(`${n}: `)).sort((a, b) => b.length - a.length)[0];
  return `${f.kind}:${named ?? /^([a-z0-9-]+):/.exec(f.message)?.[1] ?? ''}`;
}

/**
 * Loads `o.propertyModules` and adds the properties they define to `o.properties`/`o.plugins`.
 * @throws Error naming a module that cannot be loaded or defines no property
 */
export async function withPropertyModules<O extends CampaignOptions>(o: O): Promise<O> {
  const modules = o.propertyModules ?? [];
  if (modules.length === 0) return o;
  await loadPluginModules(modules);
  const names = modules.map((m) => {
    const defined = namesRegisteredBy(m).monitors;
    if (defined.length === 0) throw new Error(`${m} defines no property (export what defineProperty returns)`);
    return defined;
  });
  return {
    ...o,
    properties: [...new Set([...(o.properties ?? []), ...names.flat()])],
    plugins: [...new Set([...(o.plugins ?? []), ...modules])],
  };
}

/**
 * A schedule as the campaign shrinks it: the choice sequence (sim/policy.ts ChoiceSequence: at
 * each step, the index among the runnable actors, 0 = arrival order), shrinking towards fewer
 * and earlier preemptions.
 */
export function choicesArb(): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 7 }), { maxLength: 100_000 });
}

/** A whole case — scenario and schedule, as one value — as the campaign shrinks it. */
export function caseArb(c: ScenarioConstraints): fc.Arbitrary<{ scenario: CampaignScenario; choices: number[] }> {
  return fc.record({ scenario: scenarioArb(c), choices: choicesArb() });
}

/** Whether the campaign was told to look past `f` (CampaignOptions.ignore). */
export function ignored(o: CampaignOptions, f: Failure): boolean {
  const key = failureKey(f);
  return (o.ignore ?? []).some((i) => key === i || key.endsWith(`:${i}`));
}

function policyFor(strategy: 'random' | 'pct', seed: number, j: number): SchedulePolicy {
  const s = hash32(seed, j);
  return strategy === 'random' ? new SeededRandom(s) : new Pct(s, 2 + (j % 2), 60);
}

/** Scenarios from the seeded arbitrary, in batches. */
export function* scenarios(c: ScenarioConstraints, seed: number): Generator<CampaignScenario> {
  for (let batch = 0; ; batch++) yield* fc.sample(scenarioArb(c), { seed: hash32(seed, 0x5ce, batch), numRuns: 64 });
}

export interface FirstFailure {
  scenario: CampaignScenario;
  run: RunOutcome;
  strategy: Strategy;
  /** The portfolio slot that found it ("claims/random"). */
  slotName?: string;
  /** The families of the slot that found it (what its scenario was drawn with). */
  families?: ScenarioConstraints['families'];
  /** The NUMA node bound its scenario was drawn with, when the slot set one. */
  nodesMax?: number;
}

/** A slot's own node bound (portfolio.ts Slot.nodesMax), unless the campaign fixed one (--nodes). */
function slotNodes(o: { nodesMax?: number }, slot: Slot): { nodesMax?: number } {
  return o.nodesMax === undefined && slot.nodesMax !== undefined ? { nodesMax: slot.nodesMax } : {};
}

interface SearchResult {
  /** The wall-clock budget ran out before the run or time budget. */
  stopped?: boolean;
  runs: number;
  schedules: number;
  slots: Array<[number, number]>;
  first?: FirstFailure & { slot: number };
  portfolio: Portfolio;
}

/**
 * The search phase: runs the plan's units (shard.ts) until a failure or the budget is spent.
 * Unit j is served by a portfolio slot (portfolio.ts: every slot once, then by weight — a choice
 * that depends on j alone, so the plan does not depend on what ran); each slot draws from its
 * own scenario stream. With `families` given, one stream rotates through the strategies, as
 * before portfolios. With a shard, only its own units run; the others' are drawn and passed over.
 */
async function search(o: CampaignOptions, t0: number): Promise<SearchResult> {
  const portfolio = new Portfolio(portfolioFor(o.xen, o.families, o.strategies));
  const single = o.families !== undefined;
  const width = portfolio.slots.length;
  const streams = portfolio.slots.map((slot, i) => (single && i > 0 ? undefined : scenarios({ ...o, families: slot.families, ...slotNodes(o, slot) }, single ? o.seed : hash32(o.seed, 0x9f0, i))));
  const maxRuns = o.runs ?? (o.timeMs === undefined ? 200 : Infinity);
  const wallEnd = o.wallBudgetMs === undefined ? Infinity : t0 + o.wallBudgetMs;
  const deadline = Math.min(o.timeMs === undefined ? Infinity : t0 + o.timeMs, wallEnd);
  const slots = new SlotRanges();
  let schedules = 0;
  let start = 0; // slots of the plan before unit j
  for (let j = 0; start < maxRuns; j++) {
    // Another job of this campaign failed at slot lastSlot(): no unit past it can be the campaign's first failure.
    if (o.lastSlot !== undefined && start >= o.lastSlot()) return { runs: slots.count, schedules, slots: slots.ranges, portfolio };
    if (performance.now() >= deadline) return { runs: slots.count, schedules, slots: slots.ranges, portfolio, ...(performance.now() >= wallEnd ? { stopped: true } : {}) };
    const i = single ? j % width : portfolio.next();
    const slot = portfolio.slots[i];
    const scenario = streams[single ? 0 : i]!.next().value as CampaignScenario;
    const k = portfolio.reports[i].scenarios++;
    const cost = Math.min(unitCost(slot.strategy, o), maxRuns - start);
    if (o.shard === undefined || ownsUnit(o.shard, j, single ? width : 1)) {
      const outcomes: AsyncIterable<RunOutcome> | RunOutcome[] = slot.strategy === 'dfs'
        ? dfsRuns(scenario, o.dfsBound ?? 2, cost)
        : [await runOnce(scenario, policyFor(slot.strategy, single ? o.seed : hash32(o.seed, i), single ? j : k))];
      let n = 0;
      for await (const run of outcomes) {
        n++;
        schedules++;
        slots.add(start + n);
        portfolio.record(i, 1, run.failure?.step ?? run.steps);
        o.onProgress?.({ phase: 'search', runs: slots.count, elapsedMs: performance.now() - t0 });
        if (run.failure !== undefined && !ignored(o, run.failure)) {
          return { runs: slots.count, schedules, slots: slots.ranges, portfolio, first: { scenario, run, strategy: slot.strategy, slot: start + n, slotName: slotName(slot), families: slot.families, ...slotNodes(o, slot) } };
        }
        if (performance.now() >= deadline) return { runs: slots.count, schedules, slots: slots.ranges, portfolio, ...(performance.now() >= wallEnd ? { stopped: true } : {}) };
      }
      // A DFS tree exhausted inside its slots still spends them all: the plan does not depend on what ran.
      for (n++; n <= cost; n++) slots.add(start + n);
    }
    start += cost;
  }
  return { runs: slots.count, schedules, slots: slots.ranges, portfolio };
}

/** The shrink phase: shrink.ts's scenario and schedule passes, then fast-check's shrinker. */
async function shrink(o: CampaignOptions, first: FirstFailure, t0: number): Promise<{ best: Case; runs: number }> {
  const key = failureKey(first.run.failure!);
  const deadline = Math.min(performance.now() + (o.shrinkTimeMs ?? 15_000), o.wallBudgetMs === undefined ? Infinity : t0 + o.wallBudgetMs);
  let runs = 0;
  const progress = (c: Case, message: string): void =>
    o.onProgress?.({ phase: 'shrink', runs, elapsedMs: performance.now() - t0, bestSteps: c.steps, bestMessage: message });
  const greedy = await shrinkCase(
    { scenario: first.scenario, choices: first.run.choices, steps: first.run.failure!.step, picked: first.run.picked },
    { key, keyOf: failureKey, deadline, seed: o.seed, onCase: progress, ...(o.shrinkRuns !== undefined ? { maxRuns: o.shrinkRuns } : {}) },
  );
  let best = greedy.best;
  runs = greedy.runs;
  const left = deadline - performance.now();
  if (left <= 0 || runs >= (o.shrinkRuns ?? Infinity)) return { best, runs };
  // fast-check's shrinker, from the greedy result, with the time that is left.
  const arb = caseArb({ ...o, families: first.families ?? o.families, ...(first.nodesMax !== undefined ? { nodesMax: first.nodesMax } : {}) });
  const prop = fc.asyncProperty(arb, async (v) => {
    if (runs >= (o.shrinkRuns ?? Infinity)) return true; // budget spent: nothing more shrinks
    runs++;
    const r = await runOnce(v.scenario, new ChoiceSequence(v.choices), false, 'at-end', { stepCap: stepCapFor(key, best), deadline });
    if (r.failure === undefined || failureKey(r.failure) !== key) return true;
    const cand = { scenario: v.scenario, choices: r.choices, steps: r.failure.step };
    if (smallerCase(cand, best)) best = cand;
    progress(best, r.failure.message);
    return false;
  });
  await fc.check(prop, {
    examples: [[{ scenario: best.scenario, choices: best.choices }]],
    numRuns: 1,
    seed: o.seed,
    endOnFailure: false,
    // At least 1 ms: fast-check runs the first example either way, and a limit of 0 is no limit.
    interruptAfterTimeLimit: Math.max(1, left),
  });
  return { best, runs };
}

/**
 * Runs a campaign. @returns the budget used and, if a property or invariant broke, the shrunk
 * failure with its trace (replayable with `xen-memsim replay`).
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const o = await withPropertyModules(options);
  if (o.shard !== undefined) checkShard(o.shard);
  const t0 = performance.now();
  const { runs, schedules, slots, first, stopped, portfolio } = await search(o, t0);
  const why = `wall-clock budget of ${(o.wallBudgetMs ?? 0) / 1000} s spent`;
  const done = { seed: o.seed, runs, schedules, slots, portfolio: portfolio.reports, ...(stopped === true ? { stopped: `${why} while searching` } : {}) };
  if (first === undefined) return { ...done, ms: performance.now() - t0 };
  if (o.onFound !== undefined) {
    // A failure found by the fast search's end-of-run scan has no trace of its own: re-run it checked after every section.
    const traced = first.run.trace !== undefined ? first.run : await runOnce(first.scenario, new ChoiceSequence(first.run.choices), true, 'every-step');
    await o.onFound({ failure: traced.failure ?? first.run.failure!, trace: traced.trace!, runs: first.slot, strategy: first.strategy });
  }
  const found = await shrinkAndConfirm(o, first, first.slot, performance.now() - t0, t0);
  const cut = o.wallBudgetMs !== undefined && performance.now() >= t0 + o.wallBudgetMs;
  return { ...done, ...(cut ? { stopped: `${why} while shrinking` } : {}), ms: performance.now() - t0, found, first: { slot: first.slot, strategy: first.strategy, failure: first.run.failure!, steps: first.run.failure!.step } };
}

/**
 * Shrinks a first failure (scenario + choice sequence, together) in the scheduled world and
 * confirms the result with the full checker after every section, as replay runs it.
 */
export async function shrinkAndConfirm(o: CampaignOptions, first: FirstFailure, runs: number, msToFind: number, t0: number): Promise<Found> {
  const { best, runs: shrinkRuns } = await shrink(o, first, t0);
  // Confirm with the full checker after every section (what replay runs): the trace to keep.
  const final = await runOnce(best.scenario, new ChoiceSequence(best.choices), true, 'every-step');
  const chosen = final.failure !== undefined ? final : await runOnce(first.scenario, new ChoiceSequence(first.run.choices), true, 'every-step');
  return {
    scenario: final.failure !== undefined ? best.scenario : first.scenario,
    choices: chosen.choices,
    failure: chosen.failure!,
    trace: chosen.trace!,
    strategy: first.strategy,
    ...(first.slotName !== undefined ? { slotName: first.slotName } : {}),
    runsToFind: runs,
    msToFind,
    stepsBefore: first.run.failure!.step,
    stepsAfter: chosen.failure?.step ?? first.run.failure!.step,
    actorsBefore: toScenarioSpec(first.scenario).actors.length,
    actorsAfter: toScenarioSpec(final.failure !== undefined ? best.scenario : first.scenario).actors.length,
    shrinkRuns,
  };
}

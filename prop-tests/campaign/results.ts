// A campaign's results as a file (`xen-memsim check --results FILE`, one per shard), and their
// merge (`xen-memsim merge`): the format is docs/campaign-results.md. The merge checks that the
// files are the N shards of one campaign, each once, and that together they spent every slot of
// the plan up to the end the unsharded campaign reaches (its budget, or its first failure), so the
// merged result is that campaign's.

import type { Failure } from '../../world/world.ts';
import { STRATEGIES, type CampaignResult, type Strategy } from './campaign.ts';
import type { XenVersion } from '../../hv/index.ts';
import { planStrategies, type SearchStrategy } from './portfolio.ts';
import { describeScenario, type Family } from './scenario.ts';
import { SHARDS_MAX, shardProblems, unitCost, type Shard } from './shard.ts';

export const RESULTS_FORMAT = 'xen-memsim-campaign-results';
export const RESULTS_VERSION = 1;
/** Largest results file merge reads (bytes): a found failure's trace is small (a shrunk run). */
export const RESULTS_BYTES_MAX = 64 << 20;

/** What every shard of one campaign shares: the options that decide its plan and its verdicts. */
export interface CampaignIdentity {
  xen: string;
  /** Every build's claim_mode; absent: per toolstack (check without --claim-mode). */
  claimMode?: 0 | 1;
  inject: string[];
  seed: number;
  /** The run budget (slots); undefined for a time budget (not shardable). */
  runs?: number;
  timeS?: number;
  strategies: string[];
  /** The families searched together (--family); absent: the default portfolio (portfolio.ts). */
  families?: string[];
  nodesMax?: number;
  pokes: boolean;
  ignore: string[];
  /** --property modules as given (the same paths on every machine). */
  properties: string[];
  dfsBound: number;
  dfsBudget: number;
}

/** Slots of the plan by strategy, and units touched, in a set of slot ranges. */
export interface Coverage {
  units: number;
  slotsByStrategy: Record<string, number>;
}

export interface FoundRecord {
  /** The plan slot of the failing run (the unsharded campaign's runs to find it). */
  slot: number;
  strategy: Strategy;
  /** The portfolio slot that found it ("claims/random"), when the campaign ran the portfolio. */
  slotName?: string;
  /** As first found (before shrinking): deterministic. */
  first: Failure;
  /** After shrinking (wall-time bounded, so it may differ between machines). */
  failure: Failure;
  stepsBefore: number;
  stepsAfter: number;
  shrinkRuns: number;
  choices: number[];
  msToFind: number;
  /** describeScenario of the shrunk scenario. */
  scenario: string[];
  /** The shrunk run's JSONL trace (xen-memsim replay). */
  trace: string;
}

export interface CampaignResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  campaign: CampaignIdentity;
  shard: Shard;
  /** Slots spent (Σ over `slots`). */
  runs: number;
  /** Schedules executed. */
  schedules: number;
  slots: Array<[number, number]>;
  coverage: Coverage;
  ms: number;
  found?: FoundRecord;
}

/** Walks the plan's units over slots 1..end: calls `each(j, strategy, first, last)` for each. */
function eachUnit(c: CampaignIdentity, end: number, each: (j: number, strategy: string, first: number, last: number) => void): void {
  const plan = planStrategies(c.xen as XenVersion, c.families as Family[] | undefined, c.strategies as SearchStrategy[]);
  for (let j = 0, start = 0; start < end; j++) {
    const strategy = plan.next().value as SearchStrategy;
    const cost = Math.min(unitCost(strategy, c), (c.runs ?? Infinity) - start);
    each(j, strategy, start + 1, start + cost);
    start += cost;
  }
}

/** Coverage of a set of ordered slot ranges. */
export function coverageOf(c: CampaignIdentity, slots: ReadonlyArray<readonly [number, number]>): Coverage {
  const slotsByStrategy: Record<string, number> = Object.fromEntries(c.strategies.map((s) => [s, 0]));
  let units = 0;
  let r = 0;
  const end = slots.at(-1)?.[1] ?? 0;
  eachUnit(c, end, (_j, strategy, first, last) => {
    let n = 0;
    while (r < slots.length && slots[r][1] < first) r++;
    for (let i = r; i < slots.length && slots[i][0] <= last; i++) n += Math.min(last, slots[i][1]) - Math.max(first, slots[i][0]) + 1;
    if (n > 0) units++;
    slotsByStrategy[strategy] += n;
  });
  return { units, slotsByStrategy };
}

/** A campaign's result as its results file. */
export function toResults(c: CampaignIdentity, shard: Shard, r: CampaignResult): CampaignResults {
  const f = r.found;
  return {
    format: RESULTS_FORMAT, version: RESULTS_VERSION, campaign: c, shard,
    runs: r.runs, schedules: r.schedules, slots: r.slots, coverage: coverageOf(c, r.slots), ms: Math.round(r.ms),
    ...(f === undefined || r.first === undefined ? {} : {
      found: {
        slot: r.first.slot, strategy: f.strategy, ...(f.slotName !== undefined ? { slotName: f.slotName } : {}), first: r.first.failure, failure: f.failure, stepsBefore: f.stepsBefore, stepsAfter: f.stepsAfter,
        shrinkRuns: f.shrinkRuns, choices: f.choices, msToFind: Math.round(f.msToFind), scenario: describeScenario(f.scenario), trace: f.trace,
      },
    }),
  };
}

export class ResultsFormatError extends Error {
  override name = 'ResultsFormatError';
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const nat = (x: unknown, max = Number.MAX_SAFE_INTEGER): x is number => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= max;
const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string' && s.length <= 256) && x.length <= 256;

function failureProblem(x: unknown): string | undefined {
  if (!isObj(x) || typeof x.kind !== 'string' || typeof x.message !== 'string' || !nat(x.step)) return 'is not a failure ({kind, message, step})';
  return undefined;
}

/** Checks a parsed results file (`name` for messages). @throws ResultsFormatError */
export function checkResults(x: unknown, name: string): CampaignResults {
  const fail = (what: string): never => {
    throw new ResultsFormatError(`${name}: ${what}`);
  };
  if (!isObj(x) || x.format !== RESULTS_FORMAT) return fail(`not a ${RESULTS_FORMAT} file`);
  if (x.version !== RESULTS_VERSION) return fail(`unsupported version ${String(x.version)} (this build reads ${RESULTS_VERSION})`);
  const c = x.campaign;
  if (!isObj(c) || typeof c.xen !== 'string' || (c.claimMode !== undefined && c.claimMode !== 0 && c.claimMode !== 1) || !strings(c.inject) || !nat(c.seed, 0xffff_ffff)) return fail('campaign: xen, claimMode, inject or seed malformed');
  if ((c.runs !== undefined && !nat(c.runs, 1_000_000)) || (c.timeS !== undefined && !nat(c.timeS, 86_400)) || (c.runs === undefined) === (c.timeS === undefined)) return fail('campaign: needs exactly one of runs (1..1000000) or timeS');
  if (!strings(c.strategies) || c.strategies.length === 0 || !c.strategies.every((s) => (STRATEGIES as readonly string[]).includes(s))) return fail(`campaign: strategies must be a list of ${STRATEGIES.join(', ')}`);
  if ((c.families !== undefined && !strings(c.families)) || !strings(c.ignore) || !strings(c.properties) || typeof c.pokes !== 'boolean' || (c.nodesMax !== undefined && !nat(c.nodesMax, 64))) return fail('campaign: families, ignore, properties, pokes or nodesMax malformed');
  if (!nat(c.dfsBound, 64) || !nat(c.dfsBudget, 1_000_000) || c.dfsBudget < 1) return fail('campaign: dfsBound or dfsBudget malformed');
  const s = x.shard;
  if (!isObj(s) || shardProblems({ k: s.k as number, n: s.n as number }).length > 0) return fail(`shard: ${isObj(s) ? shardProblems({ k: s.k as number, n: s.n as number }).join('; ') : 'missing'} (at most ${SHARDS_MAX} shards)`);
  if (!nat(x.runs) || !nat(x.schedules) || !nat(x.ms)) return fail('runs, schedules or ms malformed');
  if (!Array.isArray(x.slots) || x.slots.length > 10_000_000) return fail('slots is not a list of [first, last] ranges');
  let prev = 0;
  let count = 0;
  for (const r of x.slots as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !nat(r[0]) || !nat(r[1]) || r[0] <= prev || r[1] < r[0]) return fail('slots: ranges must be [first, last] with first > the previous last and last ≥ first');
    prev = r[1];
    count += r[1] - r[0] + 1;
  }
  if (count !== x.runs) return fail(`runs ${x.runs} is not the ${count} slots listed`);
  if (c.runs !== undefined && prev > (c.runs as number)) return fail(`slots go past the budget of ${c.runs as number} runs`);
  const f = x.found;
  if (f !== undefined) {
    if (!isObj(f) || !nat(f.slot) || f.slot < 1 || !(x.slots as Array<[number, number]>).some(([a, b]) => a <= (f.slot as number) && (f.slot as number) <= b)) return fail('found.slot is not one of the shard\'s slots');
    if (typeof f.strategy !== 'string' || !([...STRATEGIES, 'threads'] as string[]).includes(f.strategy)) return fail('found.strategy malformed');
    if (f.slotName !== undefined && (typeof f.slotName !== 'string' || f.slotName.length > 200)) return fail('found.slotName malformed');
    const p = failureProblem(f.first) ?? failureProblem(f.failure);
    if (p !== undefined) return fail(`found: ${p}`);
    if (!nat(f.stepsBefore) || !nat(f.stepsAfter) || !nat(f.shrinkRuns) || !nat(f.msToFind) || !Array.isArray(f.choices) || !f.choices.every((n) => nat(n, 7))) return fail('found: steps, runs or choices malformed');
    if (!Array.isArray(f.scenario) || !f.scenario.every((l) => typeof l === 'string') || typeof f.trace !== 'string') return fail('found: scenario or trace malformed');
  }
  return { ...(x as unknown as CampaignResults), coverage: coverageOf(c as unknown as CampaignIdentity, x.slots as Array<[number, number]>) };
}

export interface Merged {
  results: CampaignResults;
  /** Other shards' first failures, past the campaign's first (the unsharded campaign stops before them). */
  later: Array<{ shard: Shard; slot: number; failure: Failure }>;
}

/**
 * Merges the results of the N shards of one campaign into the unsharded campaign's result.
 * @throws ResultsFormatError when they are not the N shards of one campaign, or leave slots unrun
 */
export function mergeResults(files: ReadonlyArray<{ name: string; results: CampaignResults }>): Merged {
  if (files.length === 0) throw new ResultsFormatError('no results to merge');
  const [one] = files;
  const key = JSON.stringify(one.results.campaign, Object.keys(one.results.campaign).sort());
  for (const f of files) {
    const k2 = JSON.stringify(f.results.campaign, Object.keys(f.results.campaign).sort());
    if (k2 !== key) {
      const a = one.results.campaign as unknown as Record<string, unknown>;
      const b = f.results.campaign as unknown as Record<string, unknown>;
      const field = [...new Set([...Object.keys(a), ...Object.keys(b)])].find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      throw new ResultsFormatError(`${f.name} is of another campaign than ${one.name} (${field}: ${JSON.stringify(b[field!])} vs ${JSON.stringify(a[field!])})`);
    }
  }
  const n = one.results.shard.n;
  const byK = new Map<number, string>();
  for (const f of files) {
    if (f.results.shard.n !== n) throw new ResultsFormatError(`${f.name} is shard ${f.results.shard.k}/${f.results.shard.n}, ${one.name} is of ${n} shards`);
    const dup = byK.get(f.results.shard.k);
    if (dup !== undefined) throw new ResultsFormatError(`${f.name} and ${dup} are both shard ${f.results.shard.k}/${n}`);
    byK.set(f.results.shard.k, f.name);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !byK.has(k));
  if (missing.length > 0) throw new ResultsFormatError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')}`);
  const c = one.results.campaign;
  const failing = files.filter((f) => f.results.found !== undefined).sort((a, b) => a.results.found!.slot - b.results.found!.slot);
  const firstFile = failing[0];
  const end = firstFile?.results.found!.slot ?? c.runs ?? files.reduce((m, f) => Math.max(m, f.results.slots.at(-1)?.[1] ?? 0), 0);
  // Every slot 1..end spent by exactly one shard.
  const all = files.flatMap((f) => f.results.slots.map((r) => ({ r, name: f.name }))).sort((a, b) => a.r[0] - b.r[0]);
  let next = 1;
  for (const { r, name } of all) {
    if (r[0] > end) break;
    if (r[0] < next) throw new ResultsFormatError(`${name} ran slot ${r[0]}, which another shard ran too`);
    if (r[0] > next) throw new ResultsFormatError(`no shard ran slots ${next}..${Math.min(r[0] - 1, end)} (a shard cut short, or run with other options)`);
    next = r[1] + 1;
  }
  if (next <= end) throw new ResultsFormatError(`no shard ran slots ${next}..${end} (a shard cut short, or run with other options)`);
  const slots: Array<[number, number]> = end > 0 ? [[1, end]] : [];
  const results: CampaignResults = {
    format: RESULTS_FORMAT, version: RESULTS_VERSION, campaign: c, shard: { k: 1, n: 1 },
    runs: end, schedules: files.reduce((s, f) => s + f.results.schedules, 0), slots, coverage: coverageOf(c, slots),
    ms: files.reduce((m, f) => Math.max(m, f.results.ms), 0),
    ...(firstFile === undefined ? {} : { found: firstFile.results.found }),
  };
  const later = failing.slice(1).map((f) => ({ shard: f.results.shard, slot: f.results.found!.slot, failure: f.results.found!.first }));
  return { results, later };
}

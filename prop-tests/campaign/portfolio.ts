// The campaign's default split of its budget: a portfolio of (families, strategy) slots, each with
// its own scenario stream (its own seed), each serving a share of the campaign's units by its
// weight (costly units — DFS trees, xl builds, the Linux guest — weigh less). Cheap slots come
// first and every slot runs within the first round, so a short or loaded campaign still touches
// every family. The plan depends on the options only (never on wall time or on what ran), so a
// seed gives the same runs on every machine and shards can split it.

import { features, type XenVersion } from '../../hv/index.ts';
import type { Family } from './scenario.ts';

export const SEARCH_STRATEGIES = ['random', 'pct', 'dfs'] as const;
export type SearchStrategy = (typeof SEARCH_STRATEGIES)[number];

export interface Slot {
  readonly families: readonly Family[];
  readonly strategy: SearchStrategy;
  /** Share of the campaign's units (scenarios), relative to the other slots' weights. */
  readonly weight: number;
  /** Most NUMA nodes of the slot's hosts (unless the campaign sets --nodes); default 1. */
  readonly nodesMax?: number;
}

/**
 * The default portfolio, cheapest first. Weights favour the plain builder races (B1–B4 live
 * there) and the claims family (claims that differ from demand), keep every other family in, and
 * give the costly ones (xl builds of thousands of sections, the 70-second Linux guest) less.
 */
const DEFAULT_SLOTS: ReadonlyArray<Slot & { only43?: true; onlyClaimSets?: true }> = [
  { families: [], strategy: 'random', weight: 3 },
  { families: [], strategy: 'pct', weight: 2 },
  { families: ['claims'], strategy: 'random', weight: 3 },
  { families: ['rogue'], strategy: 'random', weight: 1 },
  { families: ['guest-ops'], strategy: 'pct', weight: 1 },
  { families: ['busy-cpus', 'claims'], strategy: 'random', weight: 1.5 },
  { families: ['kills', 'claims'], strategy: 'random', weight: 1 },
  // A DFS unit is dfsBudget (40) runs of one scenario: 1/40 of a unit's weight is one run's.
  { families: [], strategy: 'dfs', weight: 0.05 },
  { families: ['claims'], strategy: 'dfs', weight: 0.05 },
  { families: ['claims', 'rogue', 'guest-ops', 'kills'], strategy: 'pct', weight: 1.5 },
  // An xl build is some 500 sections, a builder run some 30.
  { families: ['xl'], strategy: 'random', weight: 0.15 },
  { families: ['xl', 'claims'], strategy: 'pct', weight: 0.08 },
  { families: ['tmem'], strategy: 'random', weight: 1, only43: true },
  { families: ['linux'], strategy: 'random', weight: 0.02, only43: true },
  // The claim-set series (4.22+claim-sets): page offlining at any point of the builders' and the
  // claims family's races (its recall), and vNUMA xl creates on 2–4 nodes (the per-node gate and
  // the proposed per-node claim set). On the released versions B10 ends any run that offlines
  // under a full claim, so these slots are `check --family offline` / `--family vnuma` there:
  // a plain campaign stops at its first failure, and 4.22's and 4.21.2's must stay the clean
  // control (mutants, the fixes of B1–B3) rather than stop at B10 within a few runs.
  { families: ['offline'], strategy: 'random', weight: 1, onlyClaimSets: true },
  { families: ['offline', 'claims'], strategy: 'pct', weight: 0.5, onlyClaimSets: true },
  { families: ['vnuma', 'offline'], strategy: 'random', weight: 0.1, onlyClaimSets: true },
  // NUMA hosts on every version (the allocator's per-node lists, merges and node round-robin):
  // the claims family's builds on hosts of 1-2 nodes. Last, so the other slots keep their streams.
  { families: ['claims'], strategy: 'random', weight: 1, nodesMax: 2 },
  // libxl builds on squeezed hosts (fragmented, free memory within pages of the build): a
  // builder's fallback from a short superpage batch and the size of its claim. A unit is one xl
  // build of some 1-6 k sections, mostly 4 KiB extents.
  { families: ['squeeze'], strategy: 'random', weight: 0.2 },
];

/**
 * The slots of a campaign: the default portfolio (tmem and linux only on 4.3, where they exist;
 * offline and vnuma only on the claim-set series),
 * narrowed to `strategies` when given; with `families`, those families together under each
 * strategy in turn.
 */
export function portfolioFor(xen: XenVersion, families?: readonly Family[], strategies?: readonly SearchStrategy[]): Slot[] {
  const allowed = strategies ?? SEARCH_STRATEGIES;
  if (families !== undefined) return allowed.map((strategy) => ({ families: [...families], strategy, weight: 1 }));
  const slots = DEFAULT_SLOTS.filter((s) => (s.only43 !== true || xen === '4.3') && (s.onlyClaimSets !== true || features(xen).claimSets) && allowed.includes(s.strategy));
  return slots.map(({ families: f, strategy, weight, nodesMax }) => ({ families: f, strategy, weight, ...(nodesMax !== undefined ? { nodesMax } : {}) }));
}

/** "claims+rogue/pct", "builders/random", "claims@2-nodes/random". */
export function slotName(s: Pick<Slot, 'families' | 'strategy' | 'nodesMax'>): string {
  return `${s.families.length === 0 ? 'builders' : s.families.join('+')}${s.nodesMax !== undefined ? `@${s.nodesMax}-nodes` : ''}/${s.strategy}`;
}

/** What a slot got of the budget. */
export interface SlotReport {
  readonly name: string;
  readonly families: readonly Family[];
  readonly strategy: SearchStrategy;
  readonly weight: number;
  scenarios: number;
  runs: number;
  steps: number;
}

/**
 * Serves the slots: every slot once, in order, then by smooth weighted round-robin (the slot with
 * the most credit next; each unit adds every slot's weight to its credit and takes the total from
 * the chosen one). The choice depends only on how many units were served — never on what they
 * ran — so a campaign's plan is fixed by its options and shards can split it (shard.ts).
 */
export class Portfolio {
  readonly reports: SlotReport[];
  private served = 0;
  private readonly credit: number[];
  private readonly total: number;
  constructor(readonly slots: readonly Slot[]) {
    this.reports = slots.map((s) => ({ name: slotName(s), families: s.families, strategy: s.strategy, weight: s.weight, scenarios: 0, runs: 0, steps: 0 }));
    this.credit = slots.map(() => 0);
    this.total = slots.reduce((w, s) => w + s.weight, 0);
  }

  /** Index of the slot that serves the next unit. */
  next(): number {
    const n = this.served++;
    if (n < this.slots.length) return n;
    let best = 0;
    for (let i = 0; i < this.slots.length; i++) {
      this.credit[i] += this.slots[i].weight;
      if (this.credit[i] > this.credit[best]) best = i;
    }
    this.credit[best] -= this.total;
    return best;
  }

  /** Counts a run of slot `i` and the sections it ran (the summary's shares). */
  record(i: number, runs: number, steps: number): void {
    const r = this.reports[i];
    r.runs += runs;
    r.steps += steps;
  }
}

/**
 * The strategy of each unit of a campaign's plan, in order — what the search serves unit by unit
 * (campaign.ts), for what reads a plan without running it (results.ts coverage, shards).
 */
export function* planStrategies(xen: XenVersion, families?: readonly Family[], strategies?: readonly SearchStrategy[]): Generator<SearchStrategy> {
  const p = new Portfolio(portfolioFor(xen, families, strategies));
  for (let j = 0; ; j++) yield p.slots[families !== undefined ? j % p.slots.length : p.next()].strategy;
}

/** "builders/random 31% (812 runs), claims/random 24% (402 runs), …": shares of the sections run. */
export function portfolioSummary(reports: readonly SlotReport[]): string {
  const total = reports.reduce((n, r) => n + r.steps, 0) || 1;
  return reports.map((r) => `${r.name} ${Math.round((100 * r.steps) / total)}% (${r.runs} runs)`).join(', ');
}

// The campaign's plan, and how shards split it. A campaign is a sequence of units — unit j is
// the j-th generated scenario with strategy j mod L of its portfolio (L strategies) — and its run
// budget is a sequence of slots: a random or PCT unit takes 1 slot, a DFS unit `dfsBudget`
// slots, whatever its tree turns out to hold (a tree exhausted early leaves its remaining slots
// unused). So where each unit's slots lie depends only on the options, never on what ran, and
// `--shard K/N` can take a share of the units without knowing the others': block b = ⌊j / L⌋
// (one unit of each strategy) belongs to shard (b mod N) + 1. N shards of one campaign run
// disjoint units and, together, exactly the slots the unsharded campaign runs (its first failure
// is the one with the lowest slot among the shards'; results.ts merges them).

/** Shard `k` of `n` (1 ≤ k ≤ n ≤ SHARDS_MAX). */
export interface Shard {
  readonly k: number;
  readonly n: number;
}

/** Most shards a campaign may be split into (docs/limits.md): a CI matrix is at most 256 jobs, an Indexed Job far fewer nodes. */
export const SHARDS_MAX = 4096;

/** Problems with a shard, in words (empty when valid). */
export function shardProblems(s: Shard): string[] {
  if (!Number.isSafeInteger(s.n) || s.n < 1 || s.n > SHARDS_MAX) return [`the shard count must be 1..${SHARDS_MAX} (got ${String(s.n)})`];
  if (!Number.isSafeInteger(s.k) || s.k < 1 || s.k > s.n) return [`the shard number must be 1..${s.n} (got ${String(s.k)})`];
  return [];
}

/** @throws RangeError on a shard that is not valid (a programmer's error: front ends check with shardProblems) */
export function checkShard(s: Shard): void {
  const p = shardProblems(s);
  if (p.length > 0) throw new RangeError(`campaign shard: ${p.join('; ')}`);
}

/** Parses `K/N` (both decimal, 1 ≤ K ≤ N ≤ SHARDS_MAX). @returns the shard, or why not */
export function parseShard(text: string): Shard | string {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  if (m === null) return `must be K/N (this machine's shard K of N, e.g. 2/4), got ${JSON.stringify(text)}`;
  const s = { k: Number(m[1]), n: Number(m[2]) };
  const p = shardProblems(s);
  return p.length > 0 ? p.join('; ') : s;
}

/** Whether unit `j` of a portfolio of `strategies` strategies belongs to the shard. */
export function ownsUnit(s: Shard, j: number, strategies: number): boolean {
  return Math.floor(j / strategies) % s.n === s.k - 1;
}

/** Slots of the budget a unit takes (before the budget's end cuts it). */
export function unitCost(strategy: 'random' | 'pct' | 'dfs', o: { dfsBudget?: number }): number {
  return strategy === 'dfs' ? (o.dfsBudget ?? 40) : 1;
}

/** Slots spent, as ordered [first, last] ranges (1-based); added in increasing order. */
export class SlotRanges {
  readonly ranges: Array<[number, number]> = [];
  /** Σ (last − first + 1) over `ranges`. */
  count = 0;

  add(slot: number): void {
    const last = this.ranges.at(-1);
    if (last !== undefined && slot <= last[1]) throw new RangeError(`SlotRanges: slot ${slot} after ${last[1]}`);
    if (last !== undefined && slot === last[1] + 1) last[1] = slot;
    else this.ranges.push([slot, slot]);
    this.count++;
  }
}

// Shards of a campaign: the plan's units split disjointly, and N shards' results merged are the
// unsharded campaign's (runs, slots, coverage, the failure as first found). In-process here; the
// command-line version with shards as processes is cli/merge.test.ts.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runCampaign, type CampaignOptions } from './campaign.ts';
import { checkResults, mergeResults, ResultsFormatError, toResults, type CampaignIdentity, type CampaignResults } from './results.ts';
import { ownsUnit, parseShard, SlotRanges } from './shard.ts';
import { pinnedSeed } from '../setup.ts';

const identity = (o: CampaignOptions & { xen: string; claimMode: 0 | 1 }): CampaignIdentity => ({
  xen: o.xen, claimMode: o.claimMode, inject: [...o.inject], seed: o.seed, runs: o.runs ?? 200,
  strategies: ['random', 'pct', 'dfs'], families: [], pokes: true, ignore: [], properties: [], dfsBound: 2, dfsBudget: 40,
});

async function sharded(o: CampaignOptions & { xen: '4.21' | '4.22'; claimMode: 1 }, n: number): Promise<{ whole: CampaignResults; shards: CampaignResults[] }> {
  const c = identity(o);
  const whole = toResults(c, { k: 1, n: 1 }, await runCampaign(o));
  const shards: CampaignResults[] = [];
  for (let k = 1; k <= n; k++) shards.push(toResults(c, { k, n }, await runCampaign({ ...o, shard: { k, n } })));
  return { whole, shards };
}

const named = (rs: CampaignResults[]) => rs.map((results, i) => ({ name: `shard-${i + 1}.json`, results }));

describe(`campaign shards (fast-check seed ${pinnedSeed})`, () => {
  test('K/N parses for 1 ≤ K ≤ N ≤ 4096 only', () => {
    expect(parseShard('2/4')).toEqual({ k: 2, n: 4 });
    expect(parseShard('4096/4096')).toEqual({ k: 4096, n: 4096 });
    for (const bad of ['0/4', '5/4', '4', '1/0', '1/4097', '-1/2', '1.5/2', ' 1/2', '1/2/3', '', '0x1/2', '99999999999/2']) {
      expect(typeof parseShard(bad), bad).toBe('string');
    }
  });

  test('every unit belongs to exactly one shard, and each shard gets whole blocks of the portfolio', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.nat({ max: 10_000 }), (n, L, j) => {
      const owners = Array.from({ length: n }, (_, i) => i + 1).filter((k) => ownsUnit({ k, n }, j, L));
      expect(owners).toHaveLength(1);
      const block = Math.floor(j / L);
      for (let u = block * L; u < block * L + L; u++) expect(ownsUnit({ k: owners[0], n }, u, L)).toBe(true);
    }));
  });

  test('SlotRanges keeps ordered, merged ranges and refuses a slot out of order', () => {
    const r = new SlotRanges();
    for (const s of [1, 2, 3, 7, 8, 10]) r.add(s);
    expect(r.ranges).toEqual([[1, 3], [7, 8], [10, 10]]);
    expect(r.count).toBe(6);
    expect(() => r.add(10)).toThrow(RangeError);
  });

  test('4.21, seed 1: two shards merged find the failure the whole campaign finds, at the same run, with the same runs and coverage', async () => {
    const { whole, shards } = await sharded({ xen: '4.21', claimMode: 1, inject: [], seed: 1, runs: 200, shrinkTimeMs: 1000 }, 2);
    expect(whole.found).toBeDefined();
    const { results: m, later } = mergeResults(named(shards));
    expect(m.runs).toBe(whole.runs);
    expect(m.slots).toEqual(whole.slots);
    expect(m.coverage).toEqual(whole.coverage);
    expect(m.found?.slot).toBe(whole.found!.slot);
    expect(m.found?.strategy).toBe(whole.found!.strategy);
    expect(m.found?.first).toEqual(whole.found!.first);
    expect(m.found?.stepsBefore).toBe(whole.found!.stepsBefore);
    for (const l of later) expect(l.slot).toBeGreaterThan(m.found!.slot);
    // The shards ran disjoint slots.
    const all = shards.flatMap((s) => s.slots).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < all.length; i++) expect(all[i][0]).toBeGreaterThan(all[i - 1][1]);
  });

  test('4.22, seed 1: three shards merged spend exactly the budget the whole campaign spends, and find nothing', async () => {
    const { whole, shards } = await sharded({ xen: '4.22', claimMode: 1, inject: [], seed: 1, runs: 150 }, 3);
    expect(whole.found).toBeUndefined();
    const { results: m } = mergeResults(named(shards));
    expect(m.found).toBeUndefined();
    expect(m.runs).toBe(150);
    expect(m.slots).toEqual([[1, 150]]);
    expect(m.coverage).toEqual(whole.coverage);
    expect(shards.reduce((s, r) => s + r.runs, 0)).toBe(150);
    expect(m.schedules).toBe(whole.schedules);
  });

  describe('merge refuses what is not the N shards of one campaign', () => {
    const c: CampaignIdentity = identity({ xen: '4.22', claimMode: 1, inject: [], seed: 3, runs: 84 });
    // Blocks of 42 slots (random 1, pct 1, dfs 40): shard 1 of 2 has 1..42, shard 2 has 43..84.
    const shard = (k: number, n: number, slots: Array<[number, number]>, over: Partial<CampaignIdentity> = {}): CampaignResults => ({
      format: 'xen-memsim-campaign-results', version: 1, campaign: { ...c, ...over }, shard: { k, n },
      runs: slots.reduce((s, [a, b]) => s + b - a + 1, 0), schedules: 1, slots, coverage: { units: 0, slotsByStrategy: {} }, ms: 1,
    });
    const refused = (rs: CampaignResults[], message: RegExp) => {
      expect(() => mergeResults(named(rs))).toThrow(ResultsFormatError);
      expect(() => mergeResults(named(rs))).toThrow(message);
    };
    test('the two halves merge', () => {
      expect(mergeResults(named([shard(1, 2, [[1, 42]]), shard(2, 2, [[43, 84]])])).results.runs).toBe(84);
    });
    test('a missing shard, a shard given twice, shards of another count', () => {
      refused([shard(1, 2, [[1, 42]])], /missing shard 2\/2/);
      refused([shard(1, 2, [[1, 42]]), shard(1, 2, [[1, 42]])], /both shard 1\/2/);
      refused([shard(1, 2, [[1, 42]]), shard(2, 3, [[43, 84]])], /is shard 2\/3/);
    });
    test('another campaign (a different seed, budget or portfolio), named by its field', () => {
      refused([shard(1, 2, [[1, 42]]), shard(2, 2, [[43, 84]], { seed: 4 })], /another campaign.*seed: 4 vs 3/);
      refused([shard(1, 2, [[1, 42]]), shard(2, 2, [[43, 84]], { strategies: ['random'] })], /strategies/);
    });
    test('slots no shard ran, or two shards ran', () => {
      refused([shard(1, 2, [[1, 42]]), shard(2, 2, [[43, 80]])], /no shard ran slots 81\.\.84/);
      refused([shard(1, 2, [[1, 42]]), shard(2, 2, [[42, 84]])], /ran slot 42, which another shard ran too/);
    });
    test('a malformed file is named, whatever is wrong in it', () => {
      const good = shard(1, 2, [[1, 42]]);
      const cases: unknown[] = [
        null, [], 'x', { ...good, format: 'nope' }, { ...good, version: 2 }, { ...good, campaign: { ...c, seed: -1 } },
        { ...good, campaign: { ...c, strategies: ['bfs'] } }, { ...good, shard: { k: 3, n: 2 } }, { ...good, runs: 41 },
        { ...good, slots: [[5, 1]] }, { ...good, slots: [[1, 2], [2, 3]], runs: 4 }, { ...good, slots: [[1, 100]], runs: 100 },
        { ...good, found: { slot: 99 } }, { ...good, campaign: { ...c, runs: undefined } }, { ...good, campaign: { ...c, dfsBudget: 0 } },
      ];
      for (const x of cases) expect(() => checkResults(x, 'f.json'), JSON.stringify(x)?.slice(0, 80)).toThrow(/^f\.json: /);
      expect(checkResults(JSON.parse(JSON.stringify(good)), 'f.json').runs).toBe(42);
    });
  });
});


// A campaign on several threads (jobs.ts) is the campaign on one: with a run budget the same
// slots, the same portfolio counts, the same first failure (shrunk the same way with a run budget
// for shrinking); jobs of a shard split exactly that shard's units.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runCampaign, type CampaignOptions } from './campaign.ts';
import { combine, jobShard, jobsProblems, JOBS_MAX, runCampaignJobs } from './jobs.ts';
import { ownsUnit } from './shard.ts';
import { pinnedSeed } from '../setup.ts';

// Timeouts only guard against a hang: each campaign here is a few seconds of CPU.
const strip = (r: Awaited<ReturnType<typeof runCampaign>>) => {
  const { ms: _ms, schedules: _s, found, ...rest } = r;
  return { ...rest, ...(found === undefined ? {} : { found: { ...found, msToFind: 0 } }) };
};

describe(`campaign jobs (fast-check seed ${pinnedSeed})`, () => {
  test('the jobs of shard K/N own exactly the units shard K/N owns, each unit one job', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.nat({ max: 10_000 }), (n, k0, jobs, L, j) => {
      const shard = { k: 1 + ((k0 - 1) % n), n };
      const owners = Array.from({ length: jobs }, (_, i) => i + 1).filter((x) => ownsUnit(jobShard(shard, jobs, x), j, L));
      expect(owners.length).toBe(ownsUnit(shard, j, L) ? 1 : 0);
    }));
    expect(jobShard(undefined, 3, 2)).toEqual({ k: 2, n: 3 });
    expect(jobShard({ k: 2, n: 4 }, 2, 2)).toEqual({ k: 6, n: 8 });
  });

  test('job counts: 1..JOBS_MAX, and shards × jobs within the shard limit', () => {
    expect(jobsProblems(1)).toEqual([]);
    expect(jobsProblems(JOBS_MAX)).toEqual([]);
    for (const bad of [0, -1, 1.5, JOBS_MAX + 1, Number.NaN]) expect(jobsProblems(bad)[0]).toMatch(/^the job count must be 1\.\.64/);
    expect(jobsProblems(2, { k: 1, n: 4096 })[0]).toMatch(/more than 4096 shards/);
  });

  test('4.22, no failure: two jobs run the slots, runs and portfolio counts one thread runs', async () => {
    const o: CampaignOptions = { xen: '4.22', inject: [], seed: 7, runs: 200 };
    const one = await runCampaign(o);
    const two = await runCampaignJobs(o, 2, runCampaign);
    expect(one.found).toBeUndefined();
    expect(two.slots).toEqual([[1, 200]]);
    expect(strip(two)).toEqual(strip(one));
  }, 300_000);

  test('4.21: two jobs find the failure one thread finds, at the same slot, and shrink it the same way', async () => {
    // Seed 5: the first failure is at slot 118, so both jobs have run for a while when one finds it.
    const o: CampaignOptions = { xen: '4.21', inject: [], seed: 5, runs: 200, shrinkRuns: 40, shrinkTimeMs: 600_000 };
    const one = await runCampaign(o);
    expect(one.first?.slot).toBe(118);
    const found: number[] = [];
    const two = await runCampaignJobs({ ...o, onFound: (f) => void found.push(f.runs) }, 2, runCampaign);
    expect(two.first).toEqual(one.first);
    // The split reports the work done: a job may have run a unit past the failure before it heard of it.
    const { portfolio: p2, ...rest2 } = strip(two);
    const { portfolio: _p1, ...rest1 } = strip(one);
    expect(rest2).toEqual(rest1);
    expect(p2.reduce((n, r) => n + r.runs, 0)).toBeGreaterThanOrEqual(two.runs);
    // The front end is told of one failure as soon as a job finds it (its unshrunk trace saved at once).
    expect(found).toHaveLength(1);
  }, 300_000);

  test('combine: the lowest failing slot wins, and slots past it are not the campaign\'s', () => {
    const base = { seed: 1, schedules: 0, ms: 1, portfolio: [] };
    const f = (slot: number) => ({ found: { runsToFind: 0 } as never, first: { slot, strategy: 'random' as const, failure: { kind: 'property' as const, message: `at ${slot}`, step: 1 }, steps: 1 } });
    const r = combine([
      { ...base, runs: 5, slots: [[1, 2], [5, 7]], ...f(6) },
      { ...base, runs: 4, slots: [[3, 4], [8, 9]], ...f(9) },
    ]);
    expect(r.first?.slot).toBe(6);
    expect(r.slots).toEqual([[1, 6]]);
    expect(r.runs).toBe(6);
    expect(r.found?.runsToFind).toBe(6);
  });

  test('a job that fails fails the campaign, naming the job and its shard', async () => {
    await expect(runCampaignJobs({ xen: '4.22', inject: [], seed: 1, runs: 10, propertyModules: ['file:///no/such/module.mjs'] }, 2, runCampaign))
      .rejects.toThrow(/^campaign job \d \(shard \d\/2\): /);
  }, 120_000);
});

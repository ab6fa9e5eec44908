// The campaign's done-when targets, with pinned seeds and small budgets (each campaign well under
// a few seconds on 2 cores). Longer hunts: XEN_MEMSIM_LONG=1 widens the seeds and budgets.

import { describe, expect, test } from 'vitest';
import { replayTrace } from '../../world/replay.ts';
import { runCampaign, failureKey, type CampaignOptions } from './campaign.ts';
import { pinnedSeed } from '../setup.ts';

const LONG = process.env.XEN_MEMSIM_LONG === '1';
const RUNS = LONG ? 5_000 : 400;
const SHRINK_MS = LONG ? 30_000 : 3_000;
const base = { claimMode: 1 as const, runs: RUNS, shrinkTimeMs: SHRINK_MS };

async function hunt(o: Omit<CampaignOptions, 'runs' | 'shrinkTimeMs'>) {
  return runCampaign({ ...base, ...o });
}

describe(`race campaigns (fast-check seed ${pinnedSeed}; campaign seeds pinned per case)`, () => {
  test('on 4.21 a campaign finds B1 from scratch: a claim staked on a dying domain leaks, shrunk to a handful of steps, and the trace replays', async () => {
    const r = await hunt({ xen: '4.21', inject: [], seed: 1 });
    expect(r.found, `seed ${r.seed}`).toBeDefined();
    const f = r.found!;
    expect(failureKey(f.failure)).toBe('property:no-leaked-claims');
    expect(f.stepsAfter).toBeLessThanOrEqual(12);
    expect(f.stepsAfter).toBeLessThanOrEqual(f.stepsBefore);
    const rep = await replayTrace(f.trace);
    expect(rep.divergence).toBeUndefined();
    expect(rep.failure?.message).toBe(f.failure.message);
  });

  test('on 4.21 a campaign finds B3 from scratch: a claim granted inside the split-lock window over-commits memory', async () => {
    const r = await hunt({ xen: '4.21', inject: [], seed: 6, ignore: ['no-leaked-claims'] });
    const f = r.found!;
    expect(failureKey(f.failure)).toBe('property:claim-backed');
    expect(f.failure.message).toMatch(/granted, leaving outstanding_claims \d+ > available \d+/);
    expect(f.stepsAfter).toBeLessThanOrEqual(14);
    expect((await replayTrace(f.trace)).reproduced).toBe(true);
  });

  test.each([1, 6])('on 4.22 the same budget finds nothing (seed %i)', async (seed) => {
    const r = await hunt({ xen: '4.22', inject: [], seed });
    expect(r.found?.failure).toBeUndefined();
    expect(r.runs).toBe(RUNS);
  });

  // Mutation score: each injectable hypervisor bug, injected into 4.22, is found.
  const mutants: Array<[bug: string, seed: number, keys: string[]]> = [
    ['B1', 1, ['property:no-leaked-claims']],
    ['B2', 1, ['property:claims-within-available', 'property:claim-backed', 'property:claim-guarantee']],
    ['B3', 1, ['property:claims-within-available', 'property:claim-backed', 'property:claim-guarantee']],
    ['B4', 1, ['property:claims-within-available', 'property:claim-guarantee']],
  ];
  test.each(mutants)('4.22 + %s is found within %#-th pinned budget (seed %i)', async (bug, seed, keys) => {
    const r = await hunt({ xen: '4.22', inject: [bug], seed });
    expect(r.found, `4.22+${bug} not found in ${r.runs} runs (seed ${seed})`).toBeDefined();
    expect(keys).toContain(failureKey(r.found!.failure));
    expect((await replayTrace(r.found!.trace)).reproduced).toBe(true);
  });

  test('4.3 claim_mode=0: two toolstacks that check free memory then populate — a creation fails after populating', async () => {
    // Without pokes most DFS trees are smaller than the 40 slots each takes of the budget (shard.ts): a larger budget (546 slots to find it).
    const r = await runCampaign({ ...base, runs: Math.max(RUNS, 800), xen: '4.3', inject: [], seed: 4, claimMode: 0, pokes: false });
    expect(failureKey(r.found!.failure)).toBe('property:creation-atomic');
    expect(r.found!.failure.message).toMatch(/claim_mode=0\) failed after populating/);
  });

  test('4.3 claim_mode=1: no creation fails after populating; what the campaign finds instead are 4.3\'s native claim bugs (B2/B3/B4)', async () => {
    const plain = await hunt({ xen: '4.3', inject: [], seed: 1, claimMode: 1, pokes: false, ignore: ['claim-guarantee', 'claim-backed'] });
    expect(plain.found).toBeUndefined();
    const any = await hunt({ xen: '4.3', inject: [], seed: 6, claimMode: 1 });
    expect(['property:claim-backed', 'property:claim-guarantee']).toContain(failureKey(any.found!.failure));
  });
});

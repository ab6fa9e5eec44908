// The campaign's done-when targets, with pinned seeds and small budgets (each campaign well under
// a few seconds on 2 cores). Longer hunts: XEN_MEMSIM_LONG=1 widens the seeds and budgets.

import { describe, expect, test } from 'vitest';
import { replayTrace } from '../../world/replay.ts';
import { runCampaign, failureKey, type CampaignOptions } from './campaign.ts';
import { pinnedSeed } from '../setup.ts';
import { monitorNames } from '../../sim/registry.ts';
import './plugin.ts';

const LONG = process.env.XEN_MEMSIM_LONG === '1';
const RUNS = LONG ? 5_000 : 400;
// Shrinking is bounded by runs (the same counterexample on every machine); the time cap is a
// safety net a loaded machine does not reach.
const SHRINK = { shrinkRuns: LONG ? 3_000 : 400, shrinkTimeMs: 600_000 };
const base = { claimMode: 1 as const, runs: RUNS, ...SHRINK };

/** Every registered property but `keep`: a hunt for one bug looks past the others. */
const lookPast = (...keep: string[]): string[] => monitorNames().filter((n) => !keep.includes(n));

async function hunt(o: Omit<CampaignOptions, 'runs' | 'shrinkTimeMs'>) {
  return runCampaign({ ...base, ...o });
}

describe(`race campaigns (fast-check seed ${pinnedSeed}; campaign seeds pinned per case)`, () => {
  // From scratch: the default portfolio, no claim_mode fixed, as a plain `check --xen 4.21`.
  test('on 4.21 a campaign finds B1 from scratch: a claim staked on a dying domain leaks, shrunk to a handful of steps, and the trace replays', async () => {
    const r = await runCampaign({ xen: '4.21', inject: [], seed: 2, runs: RUNS, ...SHRINK, ignore: lookPast('no-leaked-claims') });
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
    const r = await runCampaign({ xen: '4.21', inject: [], seed: 1, runs: RUNS, ...SHRINK, ignore: lookPast('claim-backed') });
    const f = r.found!;
    expect(failureKey(f.failure)).toBe('property:claim-backed');
    expect(f.failure.message).toMatch(/granted, leaving outstanding_claims \d+ > available \d+/);
    expect(f.stepsAfter).toBeLessThanOrEqual(12);
    expect((await replayTrace(f.trace)).reproduced).toBe(true);
  });

  test.each([1, 2, 6])('on 4.22 the same budget of the default portfolio finds nothing (seed %i)', async (seed) => {
    const r = await runCampaign({ xen: '4.22', inject: [], seed, runs: RUNS, ...SHRINK });
    expect(r.found?.failure).toBeUndefined();
    expect(r.runs).toBe(RUNS);
    // Every slot of the portfolio ran (cheap families first, each within the first round).
    expect(r.portfolio.every((slot) => slot.runs > 0)).toBe(true);
  }, 120_000);

  // Mutation score: each injectable hypervisor bug, injected into 4.22, is found.
  const mutants: Array<[bug: string, seed: number, keys: string[]]> = [
    // claim-rules: 4.22 refuses claims on dying domains; claim-accounting: 4.22 consumes claims
    // at allocation only, for refcounted pages, and never re-grows them.
    ['B1', 1, ['property:no-leaked-claims', 'property:claim-rules']],
    ['B2', 1, ['property:claims-within-available', 'property:claim-backed', 'property:claim-guarantee', 'property:claim-accounting']],
    ['B3', 1, ['property:claims-within-available', 'property:claim-backed', 'property:claim-guarantee', 'property:claim-accounting']],
    ['B4', 1, ['property:claims-within-available', 'property:claim-guarantee', 'property:claim-accounting']],
  ];
  test.each(mutants)('4.22 + %s is found within %#-th pinned budget (seed %i)', async (bug, seed, keys) => {
    const r = await hunt({ xen: '4.22', inject: [bug], seed });
    expect(r.found, `4.22+${bug} not found in ${r.runs} runs (seed ${seed})`).toBeDefined();
    expect(keys).toContain(failureKey(r.found!.failure));
    expect((await replayTrace(r.found!.trace)).reproduced).toBe(true);
  });

  test('4.3 claim_mode=0: two toolstacks that check free memory then populate — a creation fails after populating', async () => {
    // Without pokes most DFS trees are smaller than the 40 slots each takes of the budget (shard.ts): a larger budget.
    const r = await hunt({ runs: Math.max(RUNS, 800), xen: '4.3', inject: [], seed: 4, claimMode: 0, pokes: false } as CampaignOptions);
    expect(failureKey(r.found!.failure)).toBe('property:check-then-act');
    expect(r.found!.failure.message).toMatch(/claim_mode=0\) failed after populating/);
  });

  test('4.3 claim_mode=1: no creation fails after populating; what the campaign finds instead are 4.3\'s native claim bugs (B2/B3/B4)', async () => {
    // The builders alone (families: []), as the claim_mode=0 case above.
    const plain = await hunt({ xen: '4.3', inject: [], seed: 1, claimMode: 1, pokes: false, families: [], ignore: lookPast('creation-atomic') });
    expect(plain.found).toBeUndefined();
    const any = await hunt({ xen: '4.3', inject: [], seed: 6, claimMode: 1, families: [] });
    expect(['property:claim-backed', 'property:claim-guarantee']).toContain(failureKey(any.found!.failure));
  });
});

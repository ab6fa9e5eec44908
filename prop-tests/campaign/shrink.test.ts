// Shrinking long builder counterexamples (shrink.ts): an `xl create` is two critical sections a
// 4 KiB page, so a failing libxl build is thousands of sections until the scenario's sizes come
// down with it. Fixed cases the squeeze family found on a deliberately broken builder (hand
// mutants 44 and 45, as squeeze.test breaks it), shrunk with a fixed run budget: below a stated
// bound, the same property, a trace that replays, and the same result twice.

import { describe, expect, test } from 'vitest';
import { Xc } from '../../toolstack/builder/xc.ts';
import { ChoiceSequence, SeededRandom } from '../../sim/policy.ts';
import { replayTrace } from '../../world/replay.ts';
import { failureKey } from './campaign.ts';
import { runOnce } from './run.ts';
import { renameSchedule, scenarioCandidates, shrinkCase, type Case } from './shrink.ts';
import { freeAtBoot, hostMiBOf, squeezeMiB, toScenarioSpec, type CampaignScenario } from './scenario.ts';
import './plugin.ts';
import { patch } from './test-support/patch.ts';

/** A short 2 MiB batch counted whole, as hand mutant 44 breaks meminit_hvm (here in xc: every builder's batches). */
function shortBatchCountedWhole(): void {
  patch(Xc.prototype, 'populatePhysmap', (orig) => async function (this: Xc, domid, n, order, flags, gpfns) {
    const done = await orig.call(this, domid, n, order, flags, gpfns);
    return order === 9 && done > 0 ? n : done;
  });
}

/** meminit_pv as hand mutant 45 breaks it: a claim one page short. */
function claimOneShort(): void {
  patch(Xc.prototype, 'claimPages', (orig) => function (this: Xc, domid, pages) {
    return orig.call(this, domid, pages > 0 ? pages - 1 : pages);
  });
}

const base = { xen: '4.22' as const, inject: [], claimMode: 1 as const, dom0MiB: 1, nodes: 1 };

/** As the squeeze family's first failure on mutant 44 (check --runs 1500, default seed), with an HVM build of 10 MiB of RAM beside two mini-builders. */
const HVM_SHORT_BATCH: CampaignScenario = {
  ...base, hostMiB: 7,
  guests: [{ type: 'pv', memPct: 100, dieAfter: 1 }, { type: 'hvm', memPct: 99, dieAfter: 0 }], pokes: [],
  squeezes: [{ type: 'hvm', size: 4, claimMode: 0, slack: 2, superpages: 1, keep: 1, grabs: 1, grabAtUs: 3 }],
};

/** As the squeeze family's first failure on mutant 45, with a PV build of 5 MiB of 4 KiB pages beside two mini-builders and a destroy poke. */
const PV_CLAIM_SHORT: CampaignScenario = {
  ...base, hostMiB: 12,
  guests: [{ type: 'hvm', memPct: 100, dieAfter: 0 }, { type: 'pv', memPct: 16, dieAfter: 6 }],
  pokes: [{ action: 'destroy', target: 2, polls: 1, size: 8 }],
  squeezes: [{ type: 'pv', size: 3, claimMode: 1, slack: 1, superpages: 0, keep: 1, grabs: 0, grabAtUs: 1999 }],
};

/** The case `s` fails as under seeded random schedule 1, shrunk with `maxRuns` runs (no deadline: the budget is the runs). */
async function shrinkFrom(s: CampaignScenario, maxRuns: number): Promise<{ first: Case; key: string; best: Case; runs: number }> {
  const r = await runOnce(s, new SeededRandom(1));
  expect(r.failure, 'the starting case fails').toBeDefined();
  const key = failureKey(r.failure!);
  const first: Case = { scenario: s, choices: r.choices, steps: r.failure!.step, picked: r.picked };
  const { best, runs } = await shrinkCase(first, { key, keyOf: failureKey, deadline: Infinity, maxRuns, seed: 1 });
  return { first, key, best, runs };
}

/** The shrunk case, run as replay checks it: it fails the same way, and its trace replays. */
async function expectReplays(best: Case, key: string): Promise<void> {
  const final = await runOnce(best.scenario, new ChoiceSequence(best.choices), true, 'every-step');
  expect(final.failure && failureKey(final.failure)).toBe(key);
  expect(final.failure!.step).toBe(best.steps);
  const rep = await replayTrace(final.trace!);
  expect(rep.divergence).toBeUndefined();
  expect(rep.failure?.message).toBe(final.failure!.message);
}

describe('shrinking long libxl-builder counterexamples', () => {
  test('a squeezed HVM build whose short 2 MiB batch is counted whole (mutant 44) shrinks to a PV build of 3 superpages given one: the idle mini-builders dropped, tens of sections', async () => {
    shortBatchCountedWhole();
    const { first, key, best } = await shrinkFrom(HVM_SHORT_BATCH, 160);
    expect(key).toBe('property:build-matches-config');
    expect(first.steps).toBeGreaterThan(1100);
    expect(best.steps).toBeLessThanOrEqual(60);
    expect(toScenarioSpec(best.scenario).actors.map((a) => a.kind)).toEqual(['squeezer', 'xl-timeline']);
    expect(best.scenario.squeezes![0]).toMatchObject({ type: 'pv', superpages: 1 });
    expect(squeezeMiB(best.scenario.squeezes![0])).toBe(6);
    await expectReplays(best, key);
  }, 600_000);

  test('a squeezed PV build of thousands of sections whose claim is a page short (mutant 45) shrinks to a 1 MiB build, the same case twice from the same seed', async () => {
    claimOneShort();
    const a = await shrinkFrom(PV_CLAIM_SHORT, 120);
    expect(a.key).toBe('property:build-claim-covers');
    expect(a.first.steps).toBeGreaterThan(2500);
    // 256 4 KiB pages are ~512 sections on their own.
    expect(a.best.steps).toBeLessThanOrEqual(600);
    expect(squeezeMiB(a.best.scenario.squeezes![0])).toBe(1);
    await expectReplays(a.best, a.key);
    const b = await shrinkFrom(PV_CLAIM_SHORT, 120);
    expect(b.best).toEqual(a.best);
    expect(b.runs).toBe(a.runs);
  }, 600_000);
});

describe('scenario cuts that bring sizes down', () => {
  test('an xl create and a squeeze offer smaller memory (and the squeeze fewer whole blocks with it); idle mini-builders can all go', () => {
    const s: CampaignScenario = {
      ...base, hostMiB: 6, guests: [{ type: 'pv', memPct: 50, dieAfter: 0 }], pokes: [],
      xls: [{ type: 'hvm', memPct: 60, claimMode: 1 }],
      squeezes: [{ type: 'hvm', size: 4, claimMode: 1, slack: 3, superpages: 4, keep: 8, grabs: 2, grabAtUs: 40 }],
    };
    const cands = [...scenarioCandidates(s)];
    expect(cands).toContainEqual({ ...s, guests: [] });
    expect(cands.map((c) => c.xls?.[0]?.memoryMiB)).toEqual(expect.arrayContaining([9, 12, 24]));
    const squeezes = cands.map((c) => c.squeezes?.[0]);
    expect(squeezes).toContainEqual({ ...s.squeezes![0], memoryMiB: 9, superpages: 0 });
    expect(squeezes).toContainEqual({ ...s.squeezes![0], memoryMiB: 9 });
    expect(squeezes).toContainEqual({ ...s.squeezes![0], superpages: 0 });
    expect(squeezes).toContainEqual({ ...s.squeezes![0], slack: 0 });
    // Every cut is smaller somewhere, and none gives a host without free memory.
    for (const c of cands) expect(c).not.toEqual(s);
    // Guests that something runs in stay.
    expect([...scenarioCandidates({ ...s, pokes: [{ action: 'destroy', target: 0, polls: 1, size: 0 }] })]).not.toContainEqual(expect.objectContaining({ guests: [] }));
  });

  test('a schedule follows an actor whose parameters a cut changed (matched by kind and name)', () => {
    const s: CampaignScenario = { ...base, hostMiB: 6, guests: [{ type: 'pv', memPct: 50, dieAfter: 0 }], pokes: [], xls: [{ type: 'pv', memPct: 60, claimMode: 1 }] };
    const smaller = { ...s, xls: [{ ...s.xls![0], memoryMiB: 2 }] };
    expect(renameSchedule(s, smaller, ['xl-1', 'xl-create-1', 'xl-1'])).toEqual(['xl-1', 'xl-create-1', 'xl-1']);
    expect(renameSchedule(s, { ...smaller, guests: [] }, ['xl-1', 'xl-create-1', 'xl-1'])).toEqual(['xl-create-1']);
  });
});

describe('shrinking long traces: exhausted hosts, early polls, long-lived actors', () => {
  test('an xl create that B7 lets fail after populating (1553 sections: 769 pages before an 8 MiB host runs out) shrinks to a 1 MiB build on a host dom0 leaves a page or so of: tens of sections', async () => {
    const s: CampaignScenario = { ...base, inject: ['B7'], claimModeFixed: true, hostMiB: 1, guests: [], pokes: [], xls: [{ type: 'pv', memPct: 20, claimMode: 0 }], noClaims: true };
    const { first, key, best } = await shrinkFrom(s, 60);
    expect(key).toBe('property:creation-atomic');
    expect(first.steps).toBeGreaterThan(1500);
    expect(best.steps).toBeLessThanOrEqual(20);
    // The free memory came down page by page (dom0 holds the rest from boot), not in MiB.
    expect(best.scenario.dom0Pages).toBeDefined();
    expect(freeAtBoot(best.scenario)).toBeLessThan(256);
    await expectReplays(best, key);
  }, 600_000);

  test('a balloon that polled before the build had pages (B2, 19 sections) shrinks by moving those polls past the failure: 12 sections at most, the scenario as it was', async () => {
    const s: CampaignScenario = { ...base, inject: ['B2'], claimModeFixed: true, hostMiB: 4, guests: [{ type: 'pv', memPct: 6, dieAfter: 0 }], pokes: [{ action: 'balloon', target: 1, polls: 6, size: 5 }] };
    const { first, key, best } = await shrinkFrom(s, 100);
    expect(key).toBe('property:claim-accounting');
    expect(first.steps).toBeGreaterThanOrEqual(19);
    expect(best.steps).toBeLessThanOrEqual(12);
    await expectReplays(best, key);
  }, 600_000);

  test("a self-ballooning Linux guest's frontswap shrunk again too soon (B14, 6417 sections of tmem calls) shrinks with its tmem calls a second: below 2000 sections in 30 runs", async () => {
    const s: CampaignScenario = { ...base, xen: '4.3', inject: ['B14'], claimModeFixed: true, hostMiB: 9, guests: [], pokes: [], linux: [{ seed: 15 }] };
    const { first, key, best } = await shrinkFrom(s, 30);
    expect(key).toBe('property:frontswap-inertia');
    expect(first.steps).toBeGreaterThan(6000);
    expect(best.steps).toBeLessThan(2000);
    expect(best.scenario.linux![0].opsPerTick).toBeLessThan(256);
    await expectReplays(best, key);
  }, 600_000);

  test('a candidate runs at most one section past the best case: a longer run stops there (step-limit), a failure before it is what it was', async () => {
    const s: CampaignScenario = { ...base, inject: ['B7'], claimModeFixed: true, hostMiB: 1, guests: [], pokes: [], xls: [{ type: 'pv', memPct: 20, claimMode: 0 }], noClaims: true };
    const full = await runOnce(s, new SeededRandom(1));
    expect(full.failure?.kind).toBe('property');
    const capped = await runOnce(s, new SeededRandom(1), false, 'at-end', { stepCap: 100 });
    expect(capped.failure).toMatchObject({ kind: 'step-limit', step: 100 });
    const atCap = await runOnce(s, new SeededRandom(1), false, 'at-end', { stepCap: full.failure!.step + 1 });
    expect(atCap.failure).toEqual(full.failure);
  }, 600_000);

  test("cuts offer the tmem fill's puts, a Linux guest's tmem calls a second, less free memory; a cut that leaves too small a host gets the least valid one", () => {
    const tmem: CampaignScenario = { ...base, xen: '4.3', hostMiB: 6, guests: [{ type: 'pv', memPct: 20, dieAfter: 0 }, { type: 'pv', memPct: 70, dieAfter: 0 }], pokes: [], tmem: true };
    const fills = [...scenarioCandidates(tmem)].map((c) => c.tmemFill).filter((m) => m !== undefined);
    expect(fills).toEqual(expect.arrayContaining([0, Math.floor(freeAtBoot(tmem) / 2)]));
    const free = [...scenarioCandidates(tmem)].filter((c) => c.dom0Pages !== undefined).map((c) => freeAtBoot(c));
    expect(Math.min(...free)).toBe(1);
    const linux: CampaignScenario = { ...base, xen: '4.3', hostMiB: 9, guests: [], pokes: [], linux: [{ seed: 1 }] };
    expect([...scenarioCandidates(linux)].map((c) => c.linux?.[0].opsPerTick)).toEqual(expect.arrayContaining([0, 128]));
    expect([...scenarioCandidates(linux)].map((c) => c.linux?.[0].workload)).toEqual(expect.arrayContaining(['idle', 'steady']));
    // A guest op that asks beyond its memory gives a 1 MiB base host its room (8 MiB); dropping it leaves a host of 4 MiB, the least.
    const room: CampaignScenario = { ...base, hostMiB: 1, guests: [{ type: 'pv', memPct: 0, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'superpage', on: 0, arg: 0 }, { action: 'foreign-populate', on: 0, arg: 0 }] };
    const dropped = [...scenarioCandidates(room, true)].find((c) => c.guestOps?.length === 1 && c.guestOps[0].action === 'foreign-populate');
    expect(dropped && hostMiBOf(dropped)).toBe(4);
  });
});

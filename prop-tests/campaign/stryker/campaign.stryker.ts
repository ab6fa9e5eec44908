// The campaign as a test for mutation testing (npm run mutation, stryker.config.mjs): bounded,
// deterministic campaigns (run budgets, pinned seeds) over each family of the portfolio and each
// version, each asserting that nothing is reported. Against a mutant of hv/ or toolstack/builder/
// a campaign that reports a failure kills it. Cheap, broad campaigns come first: Stryker bails at
// the first failing test, so a mutant is usually killed within a few seconds.
// Versions with native bugs (4.3, 4.13, 4.21) look past the properties those bugs break; every
// other property still holds there, so mutants of version-specific code are judged too.

import { describe, expect, test } from 'vitest';
import '../plugin.ts';
import { monitorNames } from '../../../sim/registry.ts';
import type { XenVersion } from '../../../hv/index.ts';
import { runCampaign, type CampaignOptions } from '../campaign.ts';
import type { Family } from '../scenario.ts';

/** Properties 4.3/4.13/4.21's native claim bugs (B1–B4, B6, B7, the claim_mode race) break. */
const NATIVE = ['claim-backed', 'claim-guarantee', 'claims-within-available', 'no-leaked-claims', 'frames-back', 'creation-atomic', 'claim-rules', 'check-then-act'];

interface Budget {
  families: Family[];
  strategies?: CampaignOptions['strategies'];
  xen: XenVersion;
  runs: number;
  seed?: number;
}

const BUDGETS: Budget[] = [
  { families: ['claims'], xen: '4.22', runs: 120, strategies: ['random', 'pct'] },
  { families: [], xen: '4.22', runs: 80, strategies: ['random', 'pct'] },
  { families: ['rogue'], xen: '4.22', runs: 40 },
  { families: ['guest-ops'], xen: '4.22', runs: 60, strategies: ['pct', 'random'] },
  { families: ['busy-cpus', 'claims'], xen: '4.22', runs: 50, strategies: ['random'] },
  { families: ['claims'], xen: '4.22', runs: 80, strategies: ['dfs'], seed: 3 },
  { families: ['kills', 'claims'], xen: '4.22', runs: 50, strategies: ['random'] },
  { families: ['xl'], xen: '4.22', runs: 16, strategies: ['random', 'pct'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.21', runs: 60, strategies: ['random', 'pct'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.13', runs: 60, strategies: ['random', 'pct'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.3', runs: 60, strategies: ['random', 'pct'] },
  { families: ['xl'], xen: '4.3', runs: 8, strategies: ['random'] },
  { families: ['tmem'], xen: '4.3', runs: 20, strategies: ['random'] },
];

describe('the campaign holds on the unmutated tree (mutation testing entry)', () => {
  test.each(BUDGETS.map((b) => [`${b.xen} ${b.families.join('+') || 'builders'}/${(b.strategies ?? ['random', 'pct', 'dfs']).join(',')} ×${b.runs}`, b] as const))('%s', async (_name, b) => {
    const native = b.xen === '4.22' ? [] : NATIVE;
    const r = await runCampaign({
      xen: b.xen, inject: [], seed: b.seed ?? 1, families: b.families, runs: b.runs, shrinkRuns: 1, shrinkTimeMs: 1,
      ...(b.strategies !== undefined ? { strategies: b.strategies } : {}), ignore: native.filter((n) => monitorNames().includes(n)),
    });
    expect(r.found?.failure.message).toBeUndefined();
  });
});

// The campaign as a test for mutation testing (npm run mutation, stryker.config.mjs): bounded,
// deterministic campaigns (pinned seeds, run budgets, never wall time) over the portfolio's
// families and the versions whose code differs, each asserting that nothing is reported. Against
// a mutant of hv/ or toolstack/builder/ a campaign that reports a failure kills it. Each campaign
// is its own test, so Stryker's per-test coverage runs only those that reach a mutant.
// Versions with native bugs (4.3, 4.13) look past the properties those bugs break (NATIVE);
// every other property still holds there, so mutants of version-specific code are judged too.

import { describe, expect, test } from 'vitest';
import '../plugin.ts';
import { monitorNames } from '../../../sim/registry.ts';
import type { XenVersion } from '../../../hv/index.ts';
import { runCampaign, type CampaignOptions } from '../campaign.ts';
import type { Family } from '../scenario.ts';

/** The properties 4.3's and 4.13's native bugs break (B1–B4, B12, B13, B15; hv/version.ts NATIVE_BUGS). */
const NATIVE: Partial<Record<XenVersion, readonly string[]>> = {
  '4.3': ['claim-backed', 'claim-guarantee', 'claims-within-available', 'no-leaked-claims', 'claim-rules', 'claim-accounting', 'claim-guarantee-tmem', 'memop-returns-extents', 'forward-progress', 'no-xsa231', 'creation-atomic', 'frames-back'],
  '4.13': ['claim-backed', 'claim-guarantee', 'claims-within-available', 'no-leaked-claims', 'claim-rules', 'claim-accounting', 'creation-atomic', 'frames-back'],
};

interface Budget {
  families: Family[];
  strategies?: CampaignOptions['strategies'];
  xen: XenVersion;
  runs: number;
  seed?: number;
}

/** Cheap, broad campaigns first; each a few seconds on the unmutated tree. */
export const BUDGETS: readonly Budget[] = [
  { families: [], xen: '4.22', runs: 60, strategies: ['random', 'pct'] },
  { families: ['claims'], xen: '4.22', runs: 80, strategies: ['random', 'pct'] },
  { families: ['rogue'], xen: '4.22', runs: 30 },
  { families: ['guest-ops'], xen: '4.22', runs: 60, strategies: ['pct', 'random'] },
  { families: ['busy-cpus', 'claims'], xen: '4.22', runs: 40, strategies: ['random'] },
  { families: ['kills', 'claims'], xen: '4.22', runs: 40, strategies: ['random'] },
  { families: ['claims'], xen: '4.22', runs: 40, strategies: ['dfs'], seed: 3 },
  { families: ['xl'], xen: '4.22', runs: 6, strategies: ['random'] },
  { families: ['claims', 'guest-ops'], xen: '4.22+claim-sets', runs: 40, strategies: ['random'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.21.2', runs: 40, strategies: ['random', 'pct'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.13', runs: 40, strategies: ['random'] },
  { families: ['claims', 'rogue', 'guest-ops'], xen: '4.3', runs: 40, strategies: ['random'] },
  { families: ['xl'], xen: '4.3', runs: 4, strategies: ['random'] },
];

const label = (b: Budget): string => `${b.xen} ${b.families.join('+') || 'builders'}/${(b.strategies ?? ['random', 'pct', 'dfs']).join(',')} ×${b.runs}`;

describe('the campaign holds on the unmutated tree (mutation testing entry)', () => {
  test.each(BUDGETS.map((b) => [label(b), b] as const))('%s', async (_name, b) => {
    const ignore = (NATIVE[b.xen] ?? []).filter((n) => monitorNames().includes(n));
    const r = await runCampaign({
      xen: b.xen, inject: [], seed: b.seed ?? 1, families: b.families, runs: b.runs, shrinkRuns: 1, shrinkTimeMs: 1,
      ...(b.strategies !== undefined ? { strategies: b.strategies } : {}), ignore,
    });
    expect(r.found?.failure.message).toBeUndefined();
  });
});

// How fast a plain campaign (the default portfolio) finds the bugs from scratch, and how small the
// counterexamples shrink (node --import tsx bench/hunt.bench.ts). Per seed 1..N (BENCH_SEEDS):
// B1 and B3 on 4.21 (each looking past the other's properties), every injected hypervisor bug on
// 4.22, wall time and runs to find, sections before → after shrinking; then medians. Wall times
// depend on the machine's load (figures are only comparable side by side in one run); runs and
// sections do not. BENCH_TIME_S bounds each hunt (default 60), BENCH_SHRINK_S each shrink (15).

import '../prop-tests/campaign/plugin.ts';
import { failureKey, runCampaign } from '../prop-tests/campaign/campaign.ts';
import type { XenVersion } from '../hv/index.ts';
import { monitorNames } from '../sim/registry.ts';

const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
const TIME_MS = Number(process.env.BENCH_TIME_S ?? 60) * 1000;
const SHRINK_MS = Number(process.env.BENCH_SHRINK_S ?? 15) * 1000;
const median = (xs: number[]): number => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]);

interface Hunt {
  label: string;
  xen: XenVersion;
  inject: string[];
  /** The properties that name this bug: every other one is looked past. */
  properties: string[];
}

const B3_PROPS = ['claim-backed', 'claim-guarantee', 'claims-within-available', 'claim-rules', 'claim-accounting'];
const HUNTS: Hunt[] = [
  { label: 'B1 (4.21)', xen: '4.21', inject: [], properties: ['no-leaked-claims'] },
  { label: 'B3 (4.21)', xen: '4.21', inject: [], properties: B3_PROPS },
  ...(process.env.BENCH_ONLY_421 === '1' ? [] : [
    { label: 'B1 (4.22+B1)', xen: '4.22' as const, inject: ['B1'], properties: ['no-leaked-claims', 'claim-rules'] },
    { label: 'B2 (4.22+B2)', xen: '4.22' as const, inject: ['B2'], properties: B3_PROPS },
    { label: 'B3 (4.22+B3)', xen: '4.22' as const, inject: ['B3'], properties: B3_PROPS },
    { label: 'B4 (4.22+B4)', xen: '4.22' as const, inject: ['B4'], properties: B3_PROPS },
    { label: 'B12 (4.22+B12)', xen: '4.22' as const, inject: ['B12'], properties: ['memop-returns-extents', 'privilege'] },
    { label: 'B13 (4.22+B13)', xen: '4.22' as const, inject: ['B13'], properties: ['forward-progress'] },
    { label: 'B15 (4.22+B15)', xen: '4.22' as const, inject: ['B15'], properties: ['no-xsa231'] },
  ]),
];

console.log(`default portfolio, --time ${TIME_MS / 1000} s per hunt, shrink ${SHRINK_MS / 1000} s, seeds ${SEEDS.join(',')}`);
console.log('hunt              found  median s  median runs  sections before → after (median)   per seed (s)');
for (const h of HUNTS) {
  const ignore = monitorNames().filter((n) => !h.properties.includes(n));
  const secs: number[] = [];
  const runs: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  const per: string[] = [];
  for (const seed of SEEDS) {
    const r = await runCampaign({ xen: h.xen, inject: h.inject, seed, timeMs: TIME_MS, shrinkTimeMs: SHRINK_MS, ignore });
    const f = r.found;
    if (f === undefined || !h.properties.includes(failureKey(f.failure).replace(/^property:/, ''))) {
      per.push('—');
      continue;
    }
    secs.push(f.msToFind / 1000);
    runs.push(f.runsToFind);
    before.push(f.stepsBefore);
    after.push(f.stepsAfter);
    per.push((f.msToFind / 1000).toFixed(1));
  }
  console.log(`${h.label.padEnd(17)} ${`${secs.length}/${SEEDS.length}`.padStart(5)}  ${median(secs).toFixed(2).padStart(8)}  ${String(median(runs)).padStart(11)}  ${`${median(before)} → ${median(after)}`.padStart(16)}   ${per.join(' ')}`);
}

// Campaign throughput and bug-finding figures, scheduled mode (node --import tsx bench/campaign.bench.ts):
// scenarios/s and schedules/s of the search (fast checker mode and the full per-section checker),
// then for each bug the median wall time and runs to find it over several seeds, and the length
// of the failing interleaving before and after shrinking — every injectable bug (B1–B4, B6, B7,
// B11–B15; see prop-tests/campaign/README.md for the property and family of each). ~2–3 min on 2 cores.

import fc from 'fast-check';
import { runCampaign } from '../prop-tests/campaign/campaign.ts';
import { dfsRuns } from '../prop-tests/campaign/dfs.ts';
import { runOnce } from '../prop-tests/campaign/run.ts';
import { scenarioArb, type Family } from '../prop-tests/campaign/scenario.ts';
import { SeededRandom } from '../sim/policy.ts';
import type { XenVersion } from '../hv/index.ts';

const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function throughput(): Promise<void> {
  const scenarios = fc.sample(scenarioArb({ xen: '4.22', inject: [] }), { seed: 1, numRuns: 150 });
  for (const deep of ['at-end', 'every-step'] as const) {
    const t0 = performance.now();
    let steps = 0;
    for (const [i, s] of scenarios.entries()) steps += (await runOnce(s, new SeededRandom(i), false, deep)).steps;
    const s = (performance.now() - t0) / 1000;
    console.log(`scenarios/s (one random schedule each, invariants ${deep}): ${(scenarios.length / s).toFixed(0)}  ` +
      `(${(steps / scenarios.length).toFixed(0)} sections/run, ${((s * 1e6) / steps).toFixed(1)} µs/section)`);
  }
  const t0 = performance.now();
  let n = 0;
  for (const s of scenarios.slice(0, 5)) for await (const _ of dfsRuns(s, 2, 60)) n++;
  console.log(`schedules/s (bounded DFS, same scenario re-executed, bound 2): ${(n / ((performance.now() - t0) / 1000)).toFixed(0)}`);
}

/** On 4.3 the hypervisor's own claim bugs fire first: hunts for other 4.3 bugs look past them. */
const PAST_43 = ['claim-backed', 'claim-guarantee', 'claims-within-available', 'no-leaked-claims', 'creation-atomic', 'frames-back'];

const BUGS: Array<[label: string, xen: XenVersion, inject: string[], claimMode: 0 | 1, ignore: string[], families?: Family[], runs?: number]> = [
  ['B1 (4.21)', '4.21', [], 1, []],
  ['B3 (4.21)', '4.21', [], 1, ['no-leaked-claims']],
  ['B1 (4.22+B1)', '4.22', ['B1'], 1, []],
  ['B2 (4.22+B2)', '4.22', ['B2'], 1, []],
  ['B3 (4.22+B3)', '4.22', ['B3'], 1, []],
  ['B4 (4.22+B4)', '4.22', ['B4'], 1, []],
  ['check-then-act (4.3 claim_mode=0)', '4.3', [], 0, []],
  ['B6 (4.22+B6, xl)', '4.22', ['B6'], 1, [], ['xl']],
  ['B7 (4.22+B7, xl, no claims)', '4.22', ['B7'], 1, [], ['xl']],
  ['B11 (4.3 tmem)', '4.3', [], 1, PAST_43, ['tmem']],
  ['B12 (4.22+B12, guest-ops)', '4.22', ['B12'], 1, [], ['guest-ops']],
  ['B13 (4.22+B13, busy-cpus)', '4.22', ['B13'], 1, [], ['busy-cpus']],
  ['B14 (4.3+B14, linux)', '4.3', ['B14'], 1, PAST_43, ['linux'], 40],
  ['B15 (4.22+B15, guest-ops)', '4.22', ['B15'], 1, [], ['guest-ops']],
];

async function bugs(): Promise<void> {
  console.log(`\nbug                               found   median ms  median runs  steps before→after shrink (median)`);
  for (const [label, xen, inject, claimMode, ignore, families, budget] of BUGS) {
    const ms: number[] = [];
    const runs: number[] = [];
    const before: number[] = [];
    const after: number[] = [];
    for (const seed of SEEDS) {
      const r = await runCampaign({ xen, inject, claimMode, ignore, families, seed, runs: budget ?? 2000, shrinkTimeMs: 3000 });
      if (r.found === undefined) continue;
      ms.push(r.found.msToFind);
      runs.push(r.found.runsToFind);
      before.push(r.found.stepsBefore);
      after.push(r.found.stepsAfter);
    }
    const found = `${ms.length}/${SEEDS.length}`;
    console.log(`${label.padEnd(34)}${found.padEnd(8)}${(ms.length ? median(ms).toFixed(0) : '-').padStart(9)}  ${(runs.length ? String(median(runs)) : '-').padStart(11)}  ${before.length ? `${median(before)} → ${median(after)}` : '-'}`);
  }
}

await throughput();
await bugs();

// Unit tests of the campaign's parts: extent decomposition, recorded choices replaying a run,
// the bounded DFS, and the interleaving view.

import { describe, expect, test } from 'vitest';
import { ChoiceSequence, SeededRandom } from '../../sim/policy.ts';
import { extentOrders } from './actors.ts';
import { dfsRuns } from './dfs.ts';
import { renderInterleaving, callToken } from './interleaving.ts';
import { CAMPAIGN_BASE_STEPS, campaignMaxSteps, runOnce } from './run.ts';
import { toScenarioSpec, type CampaignScenario } from './scenario.ts';

const tiny: CampaignScenario = {
  xen: '4.21', inject: [], claimMode: 1, hostMiB: 4, dom0MiB: 1, nodes: 1,
  guests: [{ type: 'pv', memPct: 40, dieAfter: 0 }, { type: 'pv', memPct: 40, dieAfter: 0 }],
  pokes: [],
};

describe('campaign parts', () => {
  test('a 4.3 xl create of a 43 MiB PV guest (4 KiB pages, ~21,000 sections) ends within its run\'s step bound, not as a livelock', async () => {
    // The case of seed 1's 4.3 portfolio (claim_mode 1, no pokes), xl/random slot: a fixed
    // 20,000-step bound reported it as "no end after 20000 steps".
    const s: CampaignScenario = {
      xen: '4.3', inject: [], claimMode: 1, hostMiB: 9, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 1, dieAfter: 0 }], pokes: [], xls: [{ type: 'pv', memPct: 69, claimMode: 1 }],
    };
    const spec = toScenarioSpec(s);
    expect(spec.actors[1].params?.files).toEqual({ 'x1.cfg': 'name = "x1"\ntype = "pv"\nmemory = 43\n' });
    expect(campaignMaxSteps(spec)).toBe(CAMPAIGN_BASE_STEPS + 3 * 72 * 256 * 2);
    const r = await runOnce(s, new SeededRandom(1));
    expect(r.failure).toBeUndefined();
    expect(r.steps).toBeGreaterThan(CAMPAIGN_BASE_STEPS);
  });

  test('extentOrders decomposes largest first and sums to the size', () => {
    expect(extentOrders(767)).toEqual([9, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(extentOrders(1024)).toEqual([10]);
    for (const n of [1, 255, 511, 2047]) expect(extentOrders(n).reduce((s, o) => s + 2 ** o, 0)).toBe(n);
  });

  test('the recorded choices of a random run replay it exactly as a choice sequence', async () => {
    const a = await runOnce(tiny, new SeededRandom(5), true);
    const b = await runOnce(tiny, new ChoiceSequence(a.choices), true);
    expect(b.trace).toBe(a.trace!.replace('"policy":"random(seed=5)"', '"policy":"choices"'));
  });

  test('DFS with no preemption only varies free choices (who starts, who goes when one blocks); a bound of 1 runs more, all distinct', async () => {
    const zero: string[] = [];
    for await (const r of dfsRuns(tiny, 0, 50)) zero.push(r.choices.join());
    expect(zero.length).toBeLessThanOrEqual(4);
    expect(new Set(zero).size).toBe(zero.length);
    const one = new Set<string>();
    let n = 0;
    for await (const r of dfsRuns(tiny, 1, 30)) {
      n++;
      one.add(r.choices.join());
    }
    expect(n).toBeGreaterThan(zero.length);
    expect(one.size).toBe(n);
  });

  test('call tokens read like a hypercall trace', () => {
    expect(callToken('XENMEM_claim_pages', { domid: 3, nr_extents: 512 })).toBe('claim[d3,512]');
    expect(callToken('XENMEM_populate_physmap', { domid: 1, nr_extents: 1, extent_order: 9, extent_start: [0] })).toBe('populate[d1,o9@0]');
    expect(callToken('XEN_DOMCTL_destroydomain', { domid: 2 })).toBe('destroy[d2]');
  });

  test('the interleaving has a column per actor and a row per critical section', async () => {
    const r = await runOnce(tiny, new SeededRandom(2), true);
    const text = renderInterleaving(r.trace!);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/#\s+│ xl-1\s+│ xl-2/);
    expect(lines.length - 2).toBe(r.steps);
    expect(text).toMatch(/claim\[d\d,306\] claim/);
  });
});

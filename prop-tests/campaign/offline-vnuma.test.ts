// The campaign's offline and vnuma families. Offlining (sysctl.c XEN_SYSCTL_page_offline_op,
// page_alloc.c offline_page / reserve_offlined_page) while a claim is outstanding: every released
// Xen leaves the claims above the memory backing them (B10); the claim-set series (v7 2/3's
// reserve_offlined_page, not merged) recalls them. vNUMA xl creates (xl_parse.c
// parse_vnuma_config, libxl_vnuma.c, xg_dom_x86.c meminit_hvm) on 2–4 nodes, with the proposed
// per-node claim set on 4.22+claim-sets.

import { describe, expect, it } from 'vitest';
import type { XenVersion } from '../../hv/index.ts';
import { SeededRandom } from '../../sim/policy.ts';
import './plugin.ts';
import { portfolioFor, slotName } from './portfolio.ts';
import { runOnce } from './run.ts';
import { describeScenario, toScenarioSpec, type CampaignScenario } from './scenario.ts';
import { scenarioCandidates } from './shrink.ts';

/** One builder claiming nearly all free memory (4.3's MFN 1 is not for domains), one offliner. */
const offlining = (xen: XenVersion, delay: number): CampaignScenario => ({
  xen, inject: [], claimMode: 1, hostMiB: 4, dom0MiB: 1, nodes: 1,
  guests: [{ type: 'pv', memPct: 99, dieAfter: 0 }], pokes: [],
  offlines: [{ delay, startPct: 50, count: 64, online: true }],
});

/** Runs `s` under seeds 1..n and returns each run's failure message (or ''). */
async function failures(s: CampaignScenario, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let seed = 1; seed <= n; seed++) out.push((await runOnce(s, new SeededRandom(seed))).failure?.message ?? '');
  return out;
}

describe('offline family: B10 on every release, the recall on 4.22+claim-sets', () => {
  it.each(['4.3', '4.13', '4.21.2', '4.22'] as const)('%s: some interleaving offlines a free frame under a full claim and breaks offline-recalls-claims', async (xen) => {
    const found = (await failures(offlining(xen, 2), 16)).filter((m) => m !== '');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^offline-recalls-claims: offlining a frame left outstanding_claims \d+ above the \d+ pages available .*claims not recalled \(B10\)$/);
  });

  it('4.22+claim-sets: the same runs keep every property, the recall included', async () => {
    expect(await failures(offlining('4.22+claim-sets', 2), 16)).toEqual(Array(16).fill(''));
  });

  it('the monitor is added only where something offlines, first, and the scenario says what it does', () => {
    const s = offlining('4.22', 5);
    expect(toScenarioSpec(s).monitors![0]).toBe('offline-recalls-claims');
    expect(toScenarioSpec({ ...s, offlines: [] }).monitors).not.toContain('offline-recalls-claims');
    expect(describeScenario(s)).toContain('offline-1: offlines frames 512-575 after 5 calls, then onlines them');
    // Shrinking drops the offliner, then its onlining, its count and its delay.
    const cands = [...scenarioCandidates(s)];
    expect(cands.some((c) => c.offlines?.length === 0)).toBe(true);
    expect(cands.some((c) => c.offlines?.[0]?.online === false && c.offlines[0].count === 64)).toBe(true);
  });
});

describe('vnuma family: vNUMA xl creates on a NUMA host', () => {
  const vnuma = (xen: XenVersion): CampaignScenario => ({
    xen, inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1, guests: [{ type: 'pv', memPct: 20, dieAfter: 0 }], pokes: [],
    vnumaXls: [{ type: 'hvm', memPct: 60, vnodes: 2, claimMode: 1 }], vnumaHostNodes: 2,
  });

  it('writes xl.cfg vnuma with one vnode per pnode (video RAM on vnode 0) on a 2-node host of 64 MiB', () => {
    const spec = toScenarioSpec(vnuma('4.22+claim-sets'));
    expect([spec.host.nodes, spec.host.memoryMiB]).toEqual([2, 64]);
    const xl = spec.actors.find((a) => a.name === 'xl-vnuma-1')!;
    const cfg = (xl.params!.files as Record<string, string>)['n1.cfg'];
    expect(cfg).toMatch(/^name = "n1"\ntype = "hvm"\nmemory = (\d+)\nvnuma = \[ \["pnode=0", "size=(\d+)", "vcpus=0", "vdistances=10,20"\], \["pnode=1", "size=\d+", "vcpus=1", "vdistances=20,10"\] \]\n$/);
  });

  it.each(['4.22', '4.22+claim-sets'] as const)('%s: the build races the builder and keeps every property; on claim sets it stakes a claim set', async (xen) => {
    for (let seed = 1; seed <= 3; seed++) {
      const r = await runOnce(vnuma(xen), new SeededRandom(seed), true);
      expect(r.failure).toBeUndefined();
      expect(r.trace!.includes('XEN_DOMCTL_claim_memory')).toBe(xen === '4.22+claim-sets');
    }
  });

  it('the claim-set series\' default portfolio offlines and builds vNUMA guests, after the slots it had; released versions take --family', () => {
    const names = (xen: XenVersion) => portfolioFor(xen).map(slotName);
    // The claim-set slots come after the slots every version has but the NUMA and squeeze slots (last).
    expect(names('4.22+claim-sets').slice(-5)).toEqual(['offline/random', 'offline+claims/pct', 'vnuma+offline/random', 'claims@2-nodes/random', 'squeeze/random']);
    expect(names('4.22+claim-sets').filter((n) => !/offline|vnuma/.test(n))).toEqual(names('4.22'));
    for (const xen of ['4.3', '4.21', '4.22'] as const) expect(names(xen).some((n) => /offline|vnuma/.test(n))).toBe(false);
    expect(portfolioFor('4.22', ['offline']).map((s) => s.families)).toEqual([['offline'], ['offline'], ['offline']]);
  });
});

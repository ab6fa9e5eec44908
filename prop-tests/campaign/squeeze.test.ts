// The squeeze family: libxl builds on fragmented hosts with free memory within pages of their
// need, and the properties that judge them against state (build-matches-config,
// build-claim-covers). Fixed scenarios on the real tree (clean, and reaching the paths: a short
// 2 MiB batch the builder falls back from, a host a page too small) and on a deliberately broken
// builder (the property fires).

import { describe, expect, test } from 'vitest';
import { Xc } from '../../toolstack/builder/xc.ts';
import { SeededRandom } from '../../sim/policy.ts';
import { runOnce } from './run.ts';
import { portfolioFor, slotName } from './portfolio.ts';
import { describeScenario, type CampaignScenario, type SqueezeSpec } from './scenario.ts';
import './plugin.ts';
import { patch } from './test-support/patch.ts';

/** One squeezed xl create beside one small mini-builder, on a 32 MiB host. */
function squeezed(q: Partial<SqueezeSpec>): CampaignScenario {
  return {
    xen: '4.22', inject: [], claimMode: 1, hostMiB: 4, dom0MiB: 1, nodes: 1,
    guests: [{ type: 'pv', memPct: 10, dieAfter: 0 }], pokes: [],
    squeezes: [{ type: 'pv', size: 0, claimMode: 1, slack: 2, superpages: 1, keep: 1, grabs: 0, grabAtUs: 0, ...q }],
  };
}

interface Line { k: string; a?: string; req?: { kind: string; op?: string; text?: string; args?: { extent_order: number; nr_extents: number } }; r?: { kind: string; result?: { rc: number } } }

/** The run's failure, the squeezed build's xl exit status and its populate calls ([order, extents asked, rc]). */
async function run(s: CampaignScenario): Promise<{ failure?: string; status?: number; populates: Array<[number, number, number]> }> {
  const r = await runOnce(s, new SeededRandom(1), true);
  const lines = r.trace!.split('\n').filter((l) => l.includes('"a":"xl-squeezed-1"')).map((l) => JSON.parse(l) as Line);
  const populates: Array<[number, number, number]> = [];
  let asked: { extent_order: number; nr_extents: number } | undefined;
  let status: number | undefined;
  for (const l of lines) {
    if (l.k === 'arrive' && l.req?.op === 'XENMEM_populate_physmap') asked = l.req.args;
    else if (l.k === 'arrive' && l.req?.kind === 'note' && l.req.text!.startsWith('xl-result ')) status = (JSON.parse(l.req.text!.slice(10)) as { status: number }).status;
    else if (l.k === 'reply' && asked !== undefined && l.r?.result !== undefined) {
      populates.push([asked.extent_order, asked.nr_extents, l.r.result.rc]);
      asked = undefined;
    }
  }
  return { failure: r.failure?.message, status, populates };
}

describe('squeeze family: libxl builds on fragmented, nearly full hosts', () => {
  test('the default portfolio runs it on every version; describeScenario says what the squeezer leaves', () => {
    for (const xen of ['4.3', '4.21', '4.22', '4.22+claim-sets'] as const) expect(portfolioFor(xen).map(slotName)).toContain('squeeze/random');
    const text = describeScenario(squeezed({ slack: -1, superpages: 2, grabs: 3 })).join('\n');
    expect(text).toContain('xl-squeezed-1: at 0.5 s: xl create q1.cfg (q1: pv, memory 2 MiB, claim_mode=1)');
    expect(text).toContain('1 pages below a build of 512 pages, 2 whole 2 MiB block(s)');
    expect(text).toContain('grabs 3 page(s)');
  });

  test('an HVM build meets a short 2 MiB batch and falls back to 4 KiB pages (real tree: complete and clean); a builder that advances past the short batch starts a domain without its RAM', async () => {
    // 16 MiB: RAM to 0x800, one batch of 3 2 MiB extents from 0x200; one whole 2 MiB block left.
    const s = squeezed({ type: 'hvm', size: 2, superpages: 1, slack: 2 });
    const real = await run(s);
    expect(real.failure).toBeUndefined();
    expect(real.status).toBe(0);
    expect(real.populates).toContainEqual([9, 3, 1]);
    expect(real.populates).toContainEqual([0, 1024, 1024]);
    // meminit_hvm as hand mutant 44 breaks it: a short batch counted whole.
    patch(Xc.prototype, 'populatePhysmap', (orig) => async function (this: Xc, domid, n, order, flags, gpfns) {
      const done = await orig.call(this, domid, n, order, flags, gpfns);
      return order === 9 && done > 0 ? n : done;
    });
    expect((await run(s)).failure).toBe('build-matches-config: xl-squeezed-1 started d3 with 992 pages (992 mapped); its config gives it 2016');
  }, 120_000);

  test('a PV build claims what it populates (real tree: clean); a claim a page short is seen when the builder cancels it', async () => {
    const s = squeezed({ type: 'pv', size: 0, slack: 0, superpages: 0 });
    const real = await run(s);
    expect(real.failure).toBeUndefined();
    expect(real.status).toBe(0);
    expect(real.populates.some(([order, n, rc]) => order === 9 && rc < n)).toBe(true);
    // meminit_pv as hand mutant 45 breaks it.
    patch(Xc.prototype, 'claimPages', (orig) => function (this: Xc, domid, pages) {
      return orig.call(this, domid, pages > 0 ? pages - 1 : pages);
    });
    expect((await run(s)).failure).toBe('build-claim-covers: xl-squeezed-1 claimed 511 pages for d3 but populated 512 before cancelling its claim: its claim does not cover the build');
  }, 120_000);

  test('a host a page too small: the claim is refused (claim_mode=1) or the build runs out (claim_mode=0); either way xl fails cleanly and the properties hold', async () => {
    for (const claimMode of [1, 0] as const) {
      const r = await run(squeezed({ type: 'pv', size: 1, slack: -1, claimMode, superpages: 0 }));
      expect(r.failure).toBeUndefined();
      expect(r.status).not.toBe(0);
    }
  }, 120_000);
});

// The properties that check results against state, each pinned with a fixed seed: it fires on a
// deliberately broken hypervisor (a small mutation made in the test through a prototype hook, or
// an injected bug) and stays silent on the real one with the same seed and budget. Also the new
// generators (their variants appear in pinned samples), the portfolio and describeScenario.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Hypervisor } from '../../hv/index.ts';
import { PageAllocator } from '../../hv/page-allocator.ts';
import type { Domain } from '../../hv/domain.ts';
import { HypercallContext } from '../../hv/hypercall-context.ts';
import { pinnedSeed } from '../setup.ts';
import { EINVAL, ENOMEM, ESRCH } from '../../hv/errno.ts';
import { domainInfo } from '../../hv/domctl.ts';
import { DOMID_MAX, DOMID_SELF } from '../../hv/ops.ts';
import { memfBits, XENMEMF } from '../../hv/flags.ts';
import { SeededRandom } from '../../sim/policy.ts';
import { getdomaininfoAnswer } from './result-monitors.ts';
import { runOnce } from './run.ts';
import { failureKey, runCampaign, type CampaignOptions } from './campaign.ts';
import { configuredRam } from './build-monitors.ts';
import { Portfolio, portfolioFor } from './portfolio.ts';
import { describeScenario, scenarioArb, FAMILIES, type CampaignScenario } from './scenario.ts';
import './plugin.ts';
import { patch } from './test-support/patch.ts';

const BUDGET = { runs: 200, shrinkRuns: 40, shrinkTimeMs: 600_000 };

/** The same campaign on the broken tree (must report `property`) and on the real one (must not). */
async function firesOnlyWhenBroken(o: Omit<CampaignOptions, 'runs'>, property: string, breakIt: () => void): Promise<void> {
  const real = await runCampaign({ ...BUDGET, ...o });
  expect(real.found?.failure.message).toBeUndefined();
  breakIt();
  const broken = await runCampaign({ ...BUDGET, ...o });
  expect(broken.found?.failure.message ?? 'nothing found').toMatch(new RegExp(`^${property}: `));
}

type Step = Hypervisor['step'];
/** Rewrites a finished call's result (a wrong answer the state does not back). */
function lieAbout(op: string, rewrite: (r: Record<string, unknown>, args: Record<string, unknown>) => void): void {
  patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
    const label = orig.call(this, call);
    if (call.done && call.op === op) rewrite(call.result as Record<string, unknown>, call.args as Record<string, unknown>);
    return label;
  });
}

describe(`results checked against state (fast-check seed ${pinnedSeed}; campaign seeds pinned per case)`, () => {
  test('claim-rules: a claim equal to the current pages, accepted as a zero claim, is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['claims'], seed: 2 }, 'claim-rules', () =>
      patch(PageAllocator.prototype, 'setOutstandingPages', (orig) => function (this: PageAllocator, d, pages) {
        return pages !== 0 && pages === d.totPages && d.outstandingPages === 0 ? 0 : orig.call(this, d, pages);
      }));
  }, 120_000);

  test('claim-accounting: paging-pool (MEMF_no_refcount) pages that consume the claim are a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['claims'], seed: 1 }, 'claim-accounting', () =>
      patch(PageAllocator.prototype, 'allocHeapPages', (orig) => function (this: PageAllocator, order, memflags, d) {
        const mfn = orig.call(this, order, memflags, d);
        if (typeof mfn === 'number' && d !== null && (memflags & 1) !== 0 && d.outstandingPages > 0) {
          d.outstandingPages--;
          this.outstandingClaims--;
        }
        return mfn;
      }));
  }, 120_000);

  test('alloc-rules: assign_pages refusing an extent that reaches max_pages exactly is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['claims'], seed: 4 }, 'alloc-rules', () =>
      patch(PageAllocator.prototype, 'assignPages', (orig) => function (this: PageAllocator, d, mfn, order, memflags) {
        return d.domid !== 0 && (memflags & 1) === 0 && d.totPages + 2 ** order === d.maxPages ? false : orig.call(this, d, mfn, order, memflags);
      }));
  }, 120_000);

  test('reservation-accounting: a populate that reports one extent more than it did is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['claims'], seed: 1 }, 'reservation-accounting', () =>
      lieAbout('XENMEM_populate_physmap', (r, a) => {
        if ((r.rc as number) < (a.nr_extents as number)) r.rc = (r.rc as number) + 1;
      }));
  }, 120_000);

  test('privilege: a device model acting on a domain it does not serve is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['rogue'], seed: 2 }, 'privilege', () =>
      patch(HypercallContext.prototype, 'xsmTarget', (orig) => function (this: HypercallContext, caller, d) {
        return (this.domains.get(caller)?.target ?? -1) >= 0 || orig.call(this, caller, d);
      }));
  }, 120_000);

  test('domctl-results: getdomaininfo reporting a claim the domain does not hold is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: [], seed: 1 }, 'domctl-results', () =>
      lieAbout('XEN_DOMCTL_getdomaininfo', (r) => {
        if (r.rc === 0) r.outstanding_pages = 0;
      }));
  }, 120_000);

  test('domctl-results: getdomaininfo answering the next domain for an id with none (the search of Xen < 4.18) is a breach on 4.22', async () => {
    // The rogue family's dom0 probe asks for ids with no domain (destroyed, not yet created, reserved).
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['rogue'], seed: 1 }, 'domctl-results', () =>
      patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
        const label = orig.call(this, call);
        const id = (call.args as { domid?: number }).domid ?? -1;
        if (call.done && call.op === 'XEN_DOMCTL_getdomaininfo' && call.caller === 0 && (call.result as { rc: number }).rc === -ESRCH) {
          const next = [...this.domains.keys()].filter((d) => d > id).sort((a, b) => a - b)[0];
          if (next !== undefined) call.result = { rc: 0, ...domainInfo(this.domains.get(next)!) };
        }
        return label;
      }));
  }, 120_000);

  test('domctl-results judges getdomaininfo per version: the next domain before 4.18 (-EINVAL for reserved ids on 4.13), the exact one from 4.18', () => {
    const ids = [0, 1, 3];
    expect(['search-4.3', 'search-4.13', 'exact'].map((m) => [1, 2, 4, DOMID_MAX + 1].map((id) => getdomaininfoAnswer(m as 'exact', ids, id))))
      .toEqual([[1, 3, -ESRCH, -ESRCH], [1, 3, -ESRCH, -EINVAL], [1, -ESRCH, -ESRCH, -ESRCH]]);
  });

  test('reservation-accounting: a guest\'s order-10 extent granted (memop-max-order not applied) is a breach', async () => {
    // guest-ops gives a guest that asks for extents beyond its memory the room for one (max_mem
    // and free memory): only the order limit refuses it.
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 1 }, 'reservation-accounting', () => {
      for (const op of ['XENMEM_increase_reservation', 'XENMEM_populate_physmap']) {
        lieAbout(op, (r, a) => {
          if ((a.extent_order as number) > 9 && r.rc === 0) r.rc = 1;
        });
      }
    });
  }, 120_000);

  /** Runs the reservation ops of guests through `rewrite` of their arguments (the hypervisor sees the rewrite, monitors the call as issued). */
  function decodeAs(rewrite: (args: Record<string, unknown>) => Record<string, unknown> | undefined): void {
    type Sections = (caller: number, op: string, args: unknown) => unknown;
    const proto = Hypervisor.prototype as unknown as { sections: Sections };
    patch(proto, 'sections', (orig: Sections): Sections => function (this: Hypervisor, caller, op, args) {
      const reservation = op === 'XENMEM_populate_physmap' || op === 'XENMEM_increase_reservation' || op === 'XENMEM_decrease_reservation';
      const changed = caller !== 0 && reservation && typeof args === 'object' && args !== null ? rewrite(args as Record<string, unknown>) : undefined;
      return orig.call(this, caller, op, changed ?? args);
    });
  }

  /** One guest (with room and free memory) whose node-hint poke ends with badArgsCall(variant). */
  const badArgs = (variant: number): CampaignScenario => ({
    xen: '4.22', inject: [], claimMode: 1, hostMiB: 12, dom0MiB: 1, nodes: 1,
    guests: [{ type: 'pv', memPct: 50, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'node-hint', on: 0, arg: 0, variant }],
  });

  test('reservation-accounting: each refused argument shape (guest-ops node-hint variants) does nothing on the real tree, and is a breach when read anyway', async () => {
    // variant bits 0-1: short list, exact node from a guest, address bits ≤ PAGE_SHIFT, exact
    // node ≥ MAX_NUMNODES; bits 2-3: populate_physmap, increase_reservation, decrease_reservation.
    for (let variant = 0; variant < 12; variant++) {
      const real = await runOnce(badArgs(variant), new SeededRandom(1), true);
      expect(real.failure, `variant ${variant}`).toBeUndefined();
      const replies = real.trace!.split('\n').filter((l) => l.includes('"a":"node-hint-1"') && l.includes('"kind":"result"'));
      expect(replies.map((l) => (JSON.parse(l) as { r: { result: { rc: number } } }).r.result.rc), `variant ${variant}`).toEqual([1, 0]);
    }
    // The hypervisor reading what do_memory_op refuses: the list's own length, or the flags
    // without the node request.
    decodeAs((a) => {
      const list = a.extent_start;
      const flags = a.mem_flags as number;
      if (Array.isArray(list) && list.length > 0 && list.length < (a.nr_extents as number)) return { ...a, nr_extents: list.length };
      if ((flags & XENMEMF.exact_node_request) !== 0 || (flags & 0xff) !== 0) return { ...a, mem_flags: 0 };
      return undefined;
    });
    for (const variant of [0, 1, 3, 4, 5, 7, 9, 11]) {
      const broken = await runOnce(badArgs(variant), new SeededRandom(1));
      expect(broken.failure?.message, `variant ${variant}`).toMatch(/^reservation-accounting: node-hint-1: \w+\[d1,[12]×o0\]: (its extent list holds 1 of nr_extents 2|an exact node request from d1, not the control domain), so do_memory_op refuses it/);
    }
  });

  const refusedDomctls: Array<[string, string, (a: Record<string, unknown>) => boolean, number, RegExp]> = [
    ['pausing its own domain', 'XEN_DOMCTL_pausedomain', (a) => a.domid === 0, 0, /it pauses its own domain, which Xen refuses with -EINVAL, yet it answered 0/],
    ['a paging pool not in whole pages', 'XEN_DOMCTL_set_paging_mempool_size', (a) => (a.size as number) % 4096 !== 0, 0, /a paging pool of 4608 bytes is not whole pages, which Xen refuses with -EINVAL, yet it answered 0/],
    ['a domain with no vCPU', 'XEN_DOMCTL_createdomain', (a) => a.max_vcpus === 0, -12, /a domain with max_vcpus 0, which Xen refuses with -EINVAL, yet it answered -12/],
  ];
  test.each(refusedDomctls)('domctl-results: the control domain\'s %s (the rogue family\'s domid-probe sends it) answered other than -EINVAL is a breach', async (_what, op, hit, lie, message) => {
    const o = { ...BUDGET, xen: '4.22' as const, inject: [], families: ['rogue' as const], seed: 1 };
    expect((await runCampaign(o)).found?.failure.message).toBeUndefined();
    patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
      const label = orig.call(this, call);
      if (call.done && call.op === op && call.caller === 0 && hit(call.args as Record<string, unknown>)) (call.result as { rc: number }).rc = lie;
      return label;
    });
    expect((await runCampaign(o)).found?.failure.message ?? 'nothing found').toMatch(message);
  }, 240_000);

  test('privilege: a guest\'s call on its own domain answered -EPERM (the policy permits it) is a breach', async () => {
    // XSM refuses a guest's XENMEM_exchange on itself (-EPERM on 4.22). A refused reservation op
    // answers start_extent there, which reservation-accounting's reach rule reports first
    // (reach-pause.test.ts), so only the exchange is refused here.
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 1 }, 'privilege', () => {
      let exchanging = false;
      patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
        exchanging = call.op === 'XENMEM_exchange';
        return orig.call(this, call);
      });
      patch(HypercallContext.prototype, 'xsmTarget', (orig) => function (this: HypercallContext, caller, d) {
        return caller !== 0 && d.domid === caller && exchanging ? false : orig.call(this, caller, d);
      });
    });
  }, 120_000);

  test('guest-ops: a guest\'s order-10 superpage meets neither max_pages nor a lack of memory, only the order limit', async () => {
    const s: CampaignScenario = {
      xen: '4.22', inject: [], claimMode: 1, hostMiB: 12, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 80, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'superpage', on: 0, arg: 1 }],
    };
    expect(describeScenario(s).slice(0, 3)).toEqual([
      'host 20 MiB (dom0 1 MiB, 4863 pages free), 1 node(s), Xen 4.22, claim_mode=1 unless a build says otherwise',
      'xl-1: xl create g1 (pv, 2252 pages, claims 2252, max_mem +2048 pages)',
      'superpage-1: in g1: superpage (1)',
    ]);
    let seen: { rc: number; room: number; free: number } | undefined;
    patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
      const label = orig.call(this, call);
      const a = call.args as { extent_order?: number };
      if (call.done && call.op === 'XENMEM_populate_physmap' && call.caller !== 0 && a.extent_order === 10) {
        const d = this.domains.get(call.caller)!;
        seen = { rc: (call.result as { rc: number }).rc, room: d.maxPages - d.totPages, free: [...this.heap.freeBlocks()].filter(([, o]) => o >= 10).length };
      }
      return label;
    });
    const r = await runOnce(s, new SeededRandom(1));
    expect(r.failure).toBeUndefined();
    expect(seen?.rc).toBe(0);
    expect(seen!.room).toBeGreaterThanOrEqual(1024);
    expect(seen!.free).toBeGreaterThan(0);
  });

  test('exchange-accounting: an exchange that reports fewer extents exchanged than it did is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 3 }, 'exchange-accounting', () =>
      lieAbout('XENMEM_exchange', (r) => {
        if (r.rc === 0) r.nr_exchanged = 0;
      }));
  }, 120_000);

  test('claim-accounting: a guest booted with a claim (guest-ops bootClaim) whose XENMEM_exchange output consumes it is a breach', async () => {
    // Xen 4.22 memory_exchange: alloc_domheap_pages(d, out.extent_order, MEMF_no_owner | memflags),
    // and MEMF_no_owner implies MEMF_no_refcount: the output neither passes the claim gate on d's
    // claim nor consumes it (mutant 18 allocates it for d).
    let exchanging: Domain | undefined;
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 1 }, 'claim-accounting', () => {
      patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
        exchanging = call.op === 'XENMEM_exchange' ? this.domains.get(call.caller) : undefined;
        try {
          return orig.call(this, call);
        } finally {
          exchanging = undefined;
        }
      });
      patch(PageAllocator.prototype, 'allocHeapPages', (orig) => function (this: PageAllocator, order, memflags, d) {
        return orig.call(this, order, memflags, d ?? exchanging ?? null);
      });
    });
  }, 120_000);

  test('exchange-accounting: a DMA exchange (XENMEMF_address_bits) given frames above its bits is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 7 }, 'exchange-accounting', () =>
      patch(PageAllocator.prototype, 'allocHeapPages', (orig) => function (this: PageAllocator, order, memflags, d) {
        // The address restriction dropped for anonymous allocations (the exchange's output).
        return orig.call(this, order, d === null ? memflags & ~memfBits(0xff) : memflags, d);
      }));
  }, 120_000);

  test('exchange-accounting: a failed multi-chunk exchange that counts chunks it did not exchange is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 8 }, 'exchange-accounting', () =>
      lieAbout('XENMEM_exchange', (r, a) => {
        const inR = a.in as { nr_extents: number };
        if ((r.rc as number) < 0 && (r.nr_exchanged as number) > 0) r.nr_exchanged = inR.nr_extents;
      }));
  }, 120_000);

  /** Input extents of one chunk of an exchange (2^in_chunk_order). */
  const perChunk = (a: Record<string, unknown>): number => {
    const { in: i, out: o } = a as { in: { extent_order: number }; out: { extent_order: number } };
    return 2 ** (Math.max(i.extent_order, o.extent_order) - i.extent_order);
  };

  test('exchange-accounting: an exchange that counts the chunk it failed (mutant 38: -ENOMEM after stealing its inputs, nr_exchanged one chunk more) is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 8 }, 'exchange-accounting', () =>
      lieAbout('XENMEM_exchange', (r, a) => {
        if (r.rc === -ENOMEM) r.nr_exchanged = (r.nr_exchanged as number) + perChunk(a);
      }));
  }, 120_000);

  test('exchange-accounting: a part-way -ENOMEM that counts one chunk fewer than it traded is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 8 }, 'exchange-accounting', () =>
      lieAbout('XENMEM_exchange', (r, a) => {
        if (r.rc === -ENOMEM && (r.nr_exchanged as number) >= perChunk(a)) r.nr_exchanged = (r.nr_exchanged as number) - perChunk(a);
      }));
  }, 120_000);

  test('guest-ops: an exchange whose output must come from the lowest frames (variant 8) fails part-way: one chunk traded, the next given back', async () => {
    // arg 1: 3 chunks of 2 pages (gpfns 0-5) for order-1 extents, from frames below 4: one
    // aligned block; arg 6: 2 order-2 extents (gpfns 0-7) for 4 pages each, from frames below 8:
    // 7 pages, so the second chunk gets 3 and fails. Either way the first chunk's inputs are
    // traded away and the failed chunk's (and any after it) given back.
    for (const [arg, nr, done, mapped] of [[1, 6, 2, [2, 3, 4, 5]], [6, 2, 1, [4, 5, 6, 7]]] as const) {
      const s: CampaignScenario = {
        xen: '4.22', inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1,
        guests: [{ type: 'pv', memPct: 30, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'exchange', on: 0, arg, bootClaim: 0, variant: 8 }],
      };
      let seen: { rc: unknown; done: unknown; nr: unknown; mapped: number[] } | undefined;
      patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
        const label = orig.call(this, call);
        if (call.done && call.op === 'XENMEM_exchange') {
          const a = call.args as { in: { nr_extents: number; extent_order: number; extent_start: number[] } };
          const p2m = this.domains.get(call.caller)!.p2m;
          const pages = a.in.extent_start.flatMap((g) => Array.from({ length: 2 ** a.in.extent_order }, (_, j) => g + j));
          seen = { rc: call.result!.rc, done: call.result!.nr_exchanged, nr: a.in.nr_extents, mapped: pages.filter((g) => p2m.lookup(g) >= 0) };
        }
        return label;
      });
      const r = await runOnce(s, new SeededRandom(1));
      expect(r.failure).toBeUndefined();
      expect(seen).toEqual({ rc: -ENOMEM, done, nr, mapped });
    }
  });

  test('guest-ops: a DMA exchange (variant 2) trades in place, as Linux\'s xen_create_contiguous_region: the same gpfns, now one aligned extent below its address bits', async () => {
    const s: CampaignScenario = {
      xen: '4.22', inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 30, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'exchange', on: 0, arg: 2, bootClaim: 0, variant: 2 }],
    };
    let seen: { rc: unknown; before: number[]; after: number[]; bits: number; ins: unknown; outs: unknown } | undefined;
    let before: number[] = [];
    patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
      const p2m = this.domains.get(call.caller)?.p2m;
      const region = () => [0, 1, 2, 3].map((g) => p2m!.lookup(g));
      if (call.op === 'XENMEM_exchange' && call.sections === 0) before = region();
      const label = orig.call(this, call);
      if (call.done && call.op === 'XENMEM_exchange') {
        const a = call.args as { in: { extent_start: number[] }; out: { extent_start: number[]; mem_flags: number } };
        seen = { rc: call.result!.rc, before, after: region(), bits: a.out.mem_flags & 0xff, ins: a.in.extent_start, outs: a.out.extent_start };
      }
      return label;
    });
    const r = await runOnce(s, new SeededRandom(1));
    expect(r.failure).toBeUndefined();
    // arg 2: 4 pages (gpfns 0-3) for one order-2 extent at gpfn 0.
    expect(seen).toMatchObject({ rc: 0, ins: [0, 1, 2, 3], outs: [0] });
    const [m] = seen!.after;
    expect(seen!.after).toEqual([m, m + 1, m + 2, m + 3]);
    expect(m % 4).toBe(0);
    expect(m + 4).toBeLessThanOrEqual(2 ** (seen!.bits - 12));
    expect(seen!.after.some((x) => seen!.before.includes(x))).toBe(false);
  });

  test('exchange-accounting: a guest\'s exchange for an extent above its max_order, granted, is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 2 }, 'exchange-accounting', () =>
      lieAbout('XENMEM_exchange', (r, a) => {
        if ((a.out as { extent_order: number }).extent_order > 9 && r.rc !== 0) {
          r.rc = 0;
          r.nr_exchanged = (a.in as { nr_extents: number }).nr_extents;
        }
      }));
  }, 120_000);

  test('reservation-accounting: a guest\'s order-10 decrease_reservation that is not refused is a breach (4.22; 4.3 allows it)', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 8 }, 'reservation-accounting', () =>
      lieAbout('XENMEM_decrease_reservation', (r, a) => {
        if ((a.extent_order as number) > 9 && a.domid === DOMID_SELF) r.rc = 1;
      }));
  }, 120_000);

  test('guest-ops: a guest booted with a claim runs its own ops with the claim in force', async () => {
    const s: CampaignScenario = {
      xen: '4.22', inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 30, dieAfter: 0 }], pokes: [], guestOps: [{ action: 'exchange', on: 0, arg: 1, bootClaim: 8 }],
    };
    expect(describeScenario(s)[1]).toMatch(/boots with a claim of 8 pages more/);
    let claimAtExchange = -1;
    patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
      if (call.op === 'XENMEM_exchange' && claimAtExchange < 0) claimAtExchange = this.domains.get(call.caller)!.outstandingPages;
      return orig.call(this, call);
    });
    const r = await runOnce(s, new SeededRandom(1));
    expect(r.failure).toBeUndefined();
    expect(claimAtExchange).toBe(8);
  });

  test('no-orphan-domains: a toolstack that never destroys its half-built domain is reported', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: [], seed: 1, pokes: false }, 'no-orphan-domains', () =>
      patch(Hypervisor.prototype, 'begin', (orig) => function (this: Hypervisor, caller, op, args) {
        return orig.call(this, caller, op === 'XEN_DOMCTL_destroydomain' ? 'XEN_DOMCTL_getdomaininfo' : op, args);
      }));
  }, 120_000);

  test('build-matches-config: an xl build that populates the VGA hole is reported; libxl\'s layout from a config', async () => {
    expect(configuredRam('name="h"\ntype="hvm"\nmemory=16\n', 'h.cfg')).toEqual([[0, 0xa0], [0xc0, 8 * 256]]);
    expect(configuredRam('name="p"\nmemory=16\n', 'p.cfg')).toEqual([[0, 16 * 256]]);
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['xl'], seed: 2, runs: 30 } as CampaignOptions, 'build-matches-config', () =>
      patch(Hypervisor.prototype, 'begin', (orig) => function (this: Hypervisor, caller, op, args) {
        const a = args as { extent_start?: number[]; nr_extents?: number };
        // meminit_hvm resumes at the end of low RAM instead of past the hole (mutant 29's slip).
        if (op === 'XENMEM_populate_physmap' && a.extent_start?.[0] === 0xc0) return orig.call(this, caller, op, { ...a, extent_start: a.extent_start.map((g) => g - 0x20) });
        return orig.call(this, caller, op, args);
      }));
  }, 300_000);
});

describe('generators, portfolio and scenario descriptions', () => {
  const sample = (families: CampaignScenario extends never ? never : (typeof FAMILIES)[number][]) =>
    fc.sample(scenarioArb({ xen: '4.22', inject: [], families }), { seed: 7, numRuns: 200 });

  test('the claims family draws claims that differ from demand: larger, smaller, late, cancelled mid-build, a second claim, per-build claim_mode, superpage and 4 KiB-only builds, several extents per call', () => {
    const plans = sample(['claims']).flatMap((s) => s.guests.flatMap((g) => (g.plan === undefined ? [] : [g.plan])));
    expect(plans.some((p) => p.claimPct < 100)).toBe(true);
    expect(plans.some((p) => p.claimPct > 100)).toBe(true);
    expect(plans.some((p) => p.claimAfter > 0)).toBe(true);
    expect(plans.some((p) => p.cancelAfter > 0)).toBe(true);
    expect(plans.some((p) => p.reclaim)).toBe(true);
    expect(new Set(plans.map((p) => p.claimMode))).toEqual(new Set([0, 1]));
    expect(new Set(plans.map((p) => p.maxOrder))).toEqual(new Set([18, 9, 3]));
    expect(plans.some((p) => p.batch > 1)).toBe(true);
    expect(plans.some((p) => p.maxSlack <= 0)).toBe(true);
  });

  test('the rogue family tries every op, from guests and from device models; guest-ops reach increase, superpages, exchange and partial decreases; kills reach late sections', () => {
    const rogue = sample(['rogue']);
    const ops = new Set(rogue.flatMap((s) => [...(s.rogues ?? []), ...(s.deviceModels ?? [])].flatMap((r) => r.ops)));
    expect(ops.size).toBe(15);
    expect(rogue.some((s) => (s.deviceModels?.length ?? 0) > 0)).toBe(true);
    const actions = new Set(sample(['guest-ops']).flatMap((s) => (s.guestOps ?? []).map((g) => g.action)));
    expect(actions).toEqual(new Set(['node-hint', 'foreign-populate', 'increase', 'superpage', 'exchange', 'decrease']));
    const own = sample(['guest-ops']).flatMap((s) => s.guestOps ?? []);
    expect(own.some((g) => g.action === 'exchange' && (g.bootClaim ?? 0) > 0)).toBe(true);
    // Exchange shapes: several chunks past the end of memory, DMA output, order 10, output from
    // the lowest frames (all of them together too).
    expect(new Set(own.filter((g) => g.action === 'exchange').map((g) => g.variant))).toEqual(new Set(Array.from({ length: 16 }, (_, v) => v)));
    expect(own.some((g) => g.action === 'decrease' && g.arg % 4 === 3)).toBe(true);
    expect(sample(['kills']).some((s) => (s.kills ?? []).some((k) => k.atStep > 60))).toBe(true);
    expect(sample(['xl']).some((s) => (s.xls ?? []).some((x) => x.claimMode === 0))).toBe(true);
  });

  test('the default portfolio covers every family and strategy and serves every slot in its first round; --family narrows it', () => {
    const slots = portfolioFor('4.3');
    // tmem and linux only on 4.3, offline and vnuma only on the claim-set series.
    expect(new Set([...slots, ...portfolioFor('4.22+claim-sets')].flatMap((s) => s.families))).toEqual(new Set(FAMILIES));
    expect(new Set(slots.map((s) => s.strategy))).toEqual(new Set(['random', 'pct', 'dfs']));
    expect(portfolioFor('4.22').some((s) => s.families.includes('tmem'))).toBe(false);
    const p = new Portfolio(slots);
    const first: number[] = [];
    for (let k = 0; k < slots.length; k++) {
      const i = p.next();
      first.push(i);
      p.reports[i].scenarios++;
      p.record(i, 1, 100);
    }
    expect(first).toEqual(slots.map((_, i) => i));
    expect(portfolioFor('4.22', ['xl']).map((s) => s.families)).toEqual([['xl'], ['xl'], ['xl']]);
  });

  test('the default portfolio runs NUMA hosts on released versions: a node mix-up the 1-node hosts cannot see is found, the real tree stays clean', async () => {
    expect(portfolioFor('4.22').filter((s) => s.nodesMax === 2).map((s) => s.families)).toEqual([['claims']]);
    const o: CampaignOptions = { xen: '4.22', inject: [], seed: 1, runs: 300, shrinkRuns: 20, shrinkTimeMs: 600_000 };
    expect((await runCampaign(o)).found?.failure.message).toBeUndefined();
    // Every frame taken for node 0: a no-op on 1-node hosts, a breach of the heap's per-node
    // structure on 2 (what merging a freed block with its buddy on another node also breaks).
    patch(PageAllocator.prototype, 'nodeOf', () => () => 0);
    const broken = await runCampaign(o);
    expect(broken.found?.failure.message ?? 'nothing found').not.toBe('nothing found');
    expect(broken.found!.slotName).toBe('claims@2-nodes/random');
    expect(broken.found!.scenario.nodes).toBe(2);
  }, 300_000);

  test('describeScenario prints xl creates, guest calls and faults (no "paging pool dundefined")', () => {
    const s: CampaignScenario = {
      xen: '4.22', inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 40, dieAfter: 0 }], pokes: [],
      xls: [{ type: 'hvm', memPct: 50, claimMode: 0 }], rogues: [{ on: 0, victim: 0, ops: [0, 7] }], kills: [{ actor: 0, atStep: 9 }],
    };
    const text = describeScenario(s).join('\n');
    expect(text).not.toMatch(/undefined/);
    expect(text).toMatch(/xl-create-1: xl create x1\.cfg \(x1: hvm, memory \d+ MiB, claim_mode=0\)/);
    expect(text).toMatch(/rogue-1: in g1: tries claim, destroy on d0/);
    expect(text).toMatch(/fault: xl-1 is killed after 9 sections/);
  });

  test('a failure shrinks scenario and schedule: 4.22 + B1 among claims plans and kills loses an actor and comes down to ≤ 12 sections', async () => {
    const r = await runCampaign({ xen: '4.22', inject: ['B1'], families: ['claims', 'kills'], seed: 2, runs: 400, shrinkRuns: 400, shrinkTimeMs: 600_000 });
    const f = r.found!;
    expect(['property:no-leaked-claims', 'property:claim-rules']).toContain(failureKey(f.failure));
    expect(f.stepsAfter).toBeLessThanOrEqual(12);
    expect(f.stepsAfter).toBeLessThan(f.stepsBefore);
    expect(f.actorsAfter).toBeLessThan(f.actorsBefore);
  }, 300_000);
});

// The allocation gate of alloc_heap_pages and claim consumption / re-growth, per Xen version
// (reference: xen-hypervisor.md §2.1, §2.2, §3).

import { describe, expect, test } from 'vitest';
import { Hypervisor, XEN_VERSIONS, ENOMEM, type HvEvent, type XenVersion } from './index.ts';
import { AssertionError } from './assert.ts';
import { MAX_ORDER } from './page-allocator.ts';
import { createDomain, finishChecked, freePages, hypercallChecked, info, outstanding, populateArgs, stepUntil, availPages } from '../prop-tests/drive.ts';

const boot = (xen: XenVersion, inject: string[] = []): Hypervisor => new Hypervisor({ memoryMiB: 16, xen, inject });
const versions = XEN_VERSIONS.map((v) => [v] as const);
const claim = (hv: Hypervisor, domid: number, pages: number): number =>
  hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid, nr_extents: pages }).rc;
const populate = (hv: Hypervisor, domid: number, nr: number, order: number, base = 0, caller = 0): number =>
  hypercallChecked(hv, caller, 'XENMEM_populate_physmap', populateArgs(domid, nr, order, base)).rc;
const decrease = (hv: Hypervisor, domid: number, gpfnList: number[], order = 0): number =>
  hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid, nr_extents: gpfnList.length, extent_order: order, extent_start: gpfnList }).rc;
const poolPages = (hv: Hypervisor, domid: number, pages: number): number =>
  hypercallChecked(hv, 0, 'XEN_DOMCTL_set_paging_mempool_size', { domid, size: pages * 4096 }).rc;
function failures(hv: Hypervisor): Array<Extract<HvEvent, { kind: 'alloc_failed' }>> {
  const seen: Array<Extract<HvEvent, { kind: 'alloc_failed' }>> = [];
  hv.listeners.push((e) => {
    if (e.kind === 'alloc_failed') seen.push(e);
  });
  return seen;
}

describe('the claim gate (§2.1)', () => {
  test.each(versions)('on %s a non-claimer is refused once free memory is down to the claimed amount', (v) => {
    const hv = boot(v);
    const claimer = createDomain(hv, 1 << 20);
    const other = createDomain(hv, 1 << 20);
    const seen = failures(hv);
    expect(claim(hv, claimer, availPages(hv) - 10)).toBe(0);
    expect(populate(hv, other, 20, 0)).toBe(10);
    expect(seen).toEqual([{ kind: 'alloc_failed', domid: other, order: 0, outstanding: 0, reason: 'gate' }]);
    expect(availPages(hv)).toBe(outstanding(hv));
  });

  test.each(versions)('on %s the claimer itself may use claimed memory, down to the last page', (v) => {
    const hv = boot(v);
    const claimer = createDomain(hv, 1 << 20);
    const free = freePages(hv);
    expect(claim(hv, claimer, free)).toBe(0);
    expect(populate(hv, claimer, 6, 9)).toBe(6);
    expect(populate(hv, claimer, free - 6 * 512, 0, 6 * 512)).toBe(free - 6 * 512);
    expect(freePages(hv)).toBe(0);
    expect(outstanding(hv)).toBe(0);
  });

  test.each(versions)('on %s a claimer whose remaining claim is below 2^order is refused under pressure, even if claim + slack would cover it', (v) => {
    const hv = boot(v);
    const small = createDomain(hv, 1 << 20);
    const big = createDomain(hv, 1 << 20);
    const seen = failures(hv);
    expect(claim(hv, small, 100)).toBe(0);
    expect(claim(hv, big, freePages(hv) - 100 - 450)).toBe(0); // 450 unclaimed: 100 + 450 >= 512
    expect(populate(hv, small, 1, 9)).toBe(0);
    expect(seen).toEqual([{ kind: 'alloc_failed', domid: small, order: 9, outstanding: 100, reason: 'gate' }]);
    expect(populate(hv, small, 1, 0)).toBe(1);
    expect(info(hv, small).outstanding_pages).toBe(99);
  });

  test.each(versions)('on %s without pressure a small claim does not stop a larger extent, and is consumed whole', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1 << 20);
    expect(claim(hv, d, 100)).toBe(0);
    expect(populate(hv, d, 1, 9)).toBe(1);
    expect(info(hv, d).outstanding_pages).toBe(0);
    expect(outstanding(hv)).toBe(0);
  });

  test.each([
    ['4.3', 0, 8],
    ['4.13', -ENOMEM, 0],
    ['4.21', -ENOMEM, 0],
    ['4.22', -ENOMEM, 0],
  ] as const)('on %s MEMF_no_refcount paging-pool pages of a claimer under pressure: rc %i, %i pages taken (gate ignores no_refcount before 4.6)', (v, rc, taken) => {
    const hv = boot(v);
    const d = createDomain(hv, 1 << 20);
    const free = freePages(hv);
    expect(claim(hv, d, free)).toBe(0);
    expect(poolPages(hv, d, 8)).toBe(rc);
    expect(freePages(hv)).toBe(free - taken);
    expect(info(hv, d).outstanding_pages).toBe(free);
    expect(info(hv, d).tot_pages).toBe(0);
  });

  test.each(versions)('on %s paging-pool pages never consume a claim nor count in tot_pages', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1 << 20);
    expect(claim(hv, d, 1000)).toBe(0);
    expect(poolPages(hv, d, 16)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(1000);
    expect(info(hv, d).tot_pages).toBe(0);
    expect(poolPages(hv, d, 0)).toBe(0);
  });
});

describe('claim consumption (§2.2) and frees (§3)', () => {
  test.each([
    ['4.3', 1024],
    ['4.13', 1024],
    ['4.21', 1024],
    ['4.22', 512],
  ] as const)('on %s between alloc_heap_pages and assign_pages the claim reads %i (E4 consumes under heap_lock)', (v, mid) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 1024)).toBe(0);
    const call = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, call, 'alloc_heap_pages');
    expect(hv.domain(d)!.outstandingPages).toBe(mid);
    expect(hv.heap.outstandingClaims).toBe(mid);
    expect(finishChecked(hv, call).rc).toBe(1);
    expect(info(hv, d).outstanding_pages).toBe(512);
  });

  test.each([
    ['4.3', 974],
    ['4.13', 974],
    ['4.21', 924],
    ['4.22', 924],
  ] as const)('on %s freeing 50 pages while the claim is active leaves it at %i (frees re-grow claims before 4.21)', (v, after) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 1024)).toBe(0);
    expect(populate(hv, d, 100, 0)).toBe(100);
    expect(info(hv, d).outstanding_pages).toBe(924);
    expect(decrease(hv, d, Array.from({ length: 50 }, (_, i) => i))).toBe(50);
    expect(info(hv, d).outstanding_pages).toBe(after);
    expect(outstanding(hv)).toBe(after);
  });

  test.each(versions)('on %s a fully consumed claim never comes back when pages are freed', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 100)).toBe(0);
    expect(populate(hv, d, 100, 0)).toBe(100);
    expect(decrease(hv, d, Array.from({ length: 50 }, (_, i) => i))).toBe(50);
    expect(info(hv, d).outstanding_pages).toBe(0);
  });

  test.each([
    ['4.3', 488],
    ['4.13', 488],
    ['4.21', 488],
    ['4.22', 0],
  ] as const)('on %s an extent refused by assign_pages (over max_pages) leaves the claim at %i (B5: lost in 4.22)', (v, left) => {
    const hv = boot(v);
    const d = createDomain(hv, 1000);
    expect(claim(hv, d, 1000)).toBe(0);
    expect(populate(hv, d, 2, 9)).toBe(1);
    expect(info(hv, d).tot_pages).toBe(512);
    expect(info(hv, d).outstanding_pages).toBe(left);
    expect(outstanding(hv)).toBe(left);
  });

  test.each(versions)('on %s increase_reservation consumes a claim like populate_physmap', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 1024)).toBe(0);
    const r = hypercallChecked(hv, 0, 'XENMEM_increase_reservation', { domid: d, nr_extents: 3, extent_order: 0, extent_start: [0, 0, 0] });
    expect(r.rc).toBe(3);
    expect((r.extent_start as number[]).length).toBe(3);
    expect(info(hv, d).outstanding_pages).toBe(1021);
    expect(info(hv, d).tot_pages).toBe(3);
  });
});

// The allocator's own contract (hv/page-allocator.ts: callers validate, this module asserts):
// page_alloc.c alloc_heap_pages returns NULL for `order > MAX_ORDER` before taking heap_lock,
// BUG_ON(outstanding > outstanding_claims) where it redeems a claim, and the claim-set series'
// domain_release_host_claims ASSERTs outstanding_pages >= node_claims. Callers never reach these
// (do_memory_op bounds the order, the counters stay consistent), so they are driven directly.
describe('alloc_heap_pages preconditions and BUG_ONs, driven directly', () => {
  test.each(versions)('on %s an order above MAX_ORDER is refused as "order" before the gate, touching nothing', (v) => {
    const hv = boot(v);
    const d = hv.domains.get(createDomain(hv, 1 << 20))!;
    const before = [hv.heap.totalAvailPages, hv.heap.anonPages, hv.heap.outstandingClaims];
    expect(hv.heap.allocHeapPages(MAX_ORDER + 1, 0, d)).toBe('order');
    expect(hv.heap.allocHeapPages(MAX_ORDER + 1, 0, null)).toBe('order');
    expect([hv.heap.totalAvailPages, hv.heap.anonPages, hv.heap.outstandingClaims]).toEqual(before);
  });

  test.each(versions)('on %s a negative or fractional order is a programmer error (AssertionError), not a refusal', (v) => {
    const hv = boot(v);
    for (const order of [-1, 1.5, Number.NaN]) {
      expect(() => hv.heap.allocHeapPages(order, 0, null)).toThrow(new AssertionError('allocHeapPages: order'));
    }
    expect(typeof hv.heap.allocHeapPages(0, 0, null)).toBe('number');
  });

  test.each(versions.filter(([v]) => !['4.3', '4.13', '4.21'].includes(v)))( // B3 before 4.21.1
    'on %s redeeming more claim than outstanding_claims holds is BUG_ON (claim consumed at allocation, 75d29d9b5e)', (v) => {
      const hv = boot(v);
      const d = hv.domains.get(createDomain(hv, 1 << 20))!;
      d.outstandingPages = 5; // a d->outstanding_pages that outstanding_claims (0) does not count: a broken tree's state
      expect(() => hv.heap.allocHeapPages(0, 0, d)).toThrow(new AssertionError('BUG_ON: claim consumption exceeds outstanding_claims'));
    });

  test('on 4.22+claim-sets releasing host claims of a domain whose node claims exceed its outstanding pages is an ASSERT', () => {
    const hv = boot('4.22+claim-sets');
    const d = hv.domains.get(createDomain(hv, 1 << 20))!;
    expect(claim(hv, d.domid, 100)).toBe(0);
    d.nodeClaims = [101]; // node claims above outstanding_pages: a broken tree's state
    expect(() => hv.heap.releaseHostClaims(d, 1)).toThrow(new AssertionError('ASSERT: outstanding_pages >= node_claims'));
  });

  // Xen's tot_pages is unsigned: freeing more than a domain holds would wrap it. Every caller
  // frees only frames the domain owns, so this module's assert is driven directly.
  test.each(versions)('on %s taking tot_pages below 0 is an AssertionError; down to exactly 0 is not', (v) => {
    const hv = boot(v);
    const d = hv.domains.get(createDomain(hv, 1 << 20))!;
    expect(populate(hv, d.domid, 3, 0)).toBe(3);
    hv.heap.domainAdjustTotPages(d, -3);
    expect(d.totPages).toBe(0);
    expect(() => hv.heap.domainAdjustTotPages(d, -1)).toThrow(new AssertionError('domain_adjust_tot_pages: tot_pages underflow'));
  });
});

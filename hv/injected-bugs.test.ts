// Each injectable hypervisor bug (B1–B4 of the reference's bug table) demonstrated by an explicit
// interleaving built with begin/step: with the bug (native to a version, or injected) the same
// schedule breaks a stated property; without it (4.22, or a version that fixed it) it holds.
// The invariant checker runs after every section throughout: the bugs break version promises
// (prop-tests/properties.ts), never the structural invariants.

import { describe, expect, test } from 'vitest';
import { EINVAL, ENOMEM, Hypervisor, type XenVersion } from './index.ts';
import { availPages, createDomain, finishChecked, freePages, hypercallChecked, info, outstanding, populateArgs, stepChecked, stepUntil } from '../prop-tests/drive.ts';
import { claimsExceedAvailable, leakedClaims, watchClaimGuarantee } from '../prop-tests/properties.ts';

type Case = readonly [label: string, xen: XenVersion, inject: string[], buggy: boolean];
const boot = (xen: XenVersion, inject: string[]): Hypervisor => new Hypervisor({ memoryMiB: 16, xen, inject });
const claim = (hv: Hypervisor, domid: number, pages: number): number =>
  hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid, nr_extents: pages }).rc;

describe('B1: a claim staked on a dying domain leaks (fixed by 2379ca04fe, 4.22)', () => {
  const cases: Case[] = [
    ['4.21 (native)', '4.21', [], true],
    ['4.22 + B1', '4.22', ['B1'], true],
    ['4.22', '4.22', [], false],
  ];
  test.each(cases)('on %s a claim between domain_kill and completion leaks: %s', (_l, xen, inject, buggy) => {
    const hv = boot(xen, inject);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1000, 0)).rc).toBe(1000);
    const destroy = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
    stepUntil(hv, destroy, 'domain_kill');
    expect(claim(hv, d, 1500)).toBe(buggy ? 0 : -EINVAL);
    expect(finishChecked(hv, destroy).rc).toBe(0);
    expect(hv.domain(d)).toBeUndefined();
    if (buggy) {
      expect(leakedClaims(hv)).toMatch(/leaked/);
      expect(hv.heap.leakedClaimPages).toBe(500);
      expect(outstanding(hv)).toBe(500);
    } else {
      expect(leakedClaims(hv)).toBeNull();
      expect(outstanding(hv)).toBe(0);
    }
  });

  test('on 4.13 (B1 + B2) the leaked claim grows by every page relinquished afterwards', () => {
    const hv = boot('4.13', []);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1000, 0)).rc).toBe(1000);
    const destroy = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
    stepUntil(hv, destroy, 'domain_kill');
    expect(claim(hv, d, 1500)).toBe(0);
    finishChecked(hv, destroy);
    expect(hv.heap.leakedClaimPages).toBe(1500);
  });
});

describe('B2: frees re-grow an active claim (changed by 3472783c26, 4.21)', () => {
  const cases: Case[] = [
    ['4.13 (native)', '4.13', [], true],
    ['4.22 + B2', '4.22', ['B2'], true],
    ['4.21', '4.21', [], false],
    ['4.22', '4.22', [], false],
  ];
  test.each(cases)('on %s a claim re-grown before the pages reach the heap exceeds free memory and lets a claim through: %s', (_l, xen, inject, buggy) => {
    const hv = boot(xen, inject);
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    expect(claim(hv, a, freePages(hv))).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, 100, 0)).rc).toBe(100);
    expect(claimsExceedAvailable(hv)).toBeNull();
    const dec = hv.begin(0, 'XENMEM_decrease_reservation', { domid: a, nr_extents: 50, extent_order: 0, extent_start: Array.from({ length: 50 }, (_, i) => i) });
    stepUntil(hv, dec, 'guest_remove_page');
    expect(claimsExceedAvailable(hv) !== null).toBe(buggy);
    expect(claim(hv, b, 1)).toBe(buggy ? 0 : -ENOMEM);
    expect(finishChecked(hv, dec).rc).toBe(50);
    expect(claimsExceedAvailable(hv) !== null).toBe(buggy);
    expect(info(hv, a).outstanding_pages).toBe(hv.heap.totalAvailPages - (buggy ? 0 : 50));
  });
});

describe('B3: claim consumed in a second lock region (fixed by 75d29d9b5e, 4.22)', () => {
  const cases: Case[] = [
    ['4.21 (native)', '4.21', [], true],
    ['4.22 + B3', '4.22', ['B3'], true],
    ['4.22', '4.22', [], false],
  ];
  test.each(cases)("on %s a claim staked inside a claimer's alloc/assign window over-commits, and a claimer is later refused memory its claim covers: %s", (_l, xen, inject, buggy) => {
    const hv = boot(xen, inject);
    const watch = watchClaimGuarantee(hv);
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    const free = freePages(hv);
    expect(claim(hv, a, free)).toBe(0);
    const pop = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(a, 1, 9));
    stepUntil(hv, pop, 'alloc_heap_pages');
    // Inside the window: free memory is down by 512 and (with the bug) a's claim is not yet.
    expect(claimsExceedAvailable(hv) !== null).toBe(buggy);
    expect(claim(hv, b, 512)).toBe(buggy ? 0 : -ENOMEM);
    expect(finishChecked(hv, pop).rc).toBe(1);
    expect(claimsExceedAvailable(hv) !== null).toBe(buggy);
    // a uses the rest of its claim; then b asks for a page its claim covers.
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, free - 512, 0, 512)).rc).toBe(free - 512);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(b, 1, 0)).rc).toBe(0);
    expect(watch.breaches.length).toBe(buggy ? 1 : 0);
    if (buggy) expect(watch.breaches[0].event).toMatchObject({ kind: 'alloc_failed', domid: b, order: 0, outstanding: 512 });
  });
});

describe('B4: MEMF_no_refcount allocations bypass the claim gate (fixed by 17294e69c4, 4.6)', () => {
  const cases: Case[] = [
    ['4.3 (native)', '4.3', [], true],
    ['4.22 + B4', '4.22', ['B4'], true],
    ['4.13', '4.13', [], false],
    ['4.22', '4.22', [], false],
  ];
  test.each(cases)("on %s a claimer's paging-pool pages pass the gate on its claim without consuming it: %s", (_l, xen, inject, buggy) => {
    const hv = boot(xen, inject);
    const watch = watchClaimGuarantee(hv);
    const a = createDomain(hv, 1 << 20);
    // The claim takes all of total_avail_pages; on 4.3 that includes MFN 1 (MEMZONE_XEN), which
    // counts for claims but is never given to a domain: one claimed page a can never get.
    const free = availPages(hv);
    const unreachable = free - freePages(hv);
    expect(claim(hv, a, free)).toBe(0);
    const pool = hv.begin(0, 'XEN_DOMCTL_set_paging_mempool_size', { domid: a, size: 8 * 4096 });
    stepChecked(hv, pool); // the first page's alloc_heap_pages section
    expect(claimsExceedAvailable(hv) !== null).toBe(buggy);
    expect(finishChecked(hv, pool).rc).toBe(buggy ? 0 : -ENOMEM);
    expect(info(hv, a).outstanding_pages).toBe(free);
    // a now populates what it claimed: with the bug, 8 claimed pages are gone.
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, free, 0)).rc).toBe((buggy ? free - 8 : free) - unreachable);
    expect(watch.breaches.length).toBe(buggy ? 1 : 0);
  });
});

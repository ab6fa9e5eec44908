// Point release 4.21.2 (RELEASE-4.21.2; 4.21.1 has the same memory code): stable-4.21 carries
// the allocation-time claim fix 82fe260552 (backport of 75d29d9b5e), the dying-domain refusal
// bc63b09ecc (of 2379ca04fe) and the LLC-colouring refusal e39831f590 (of b068cafc73; no LLC
// colouring is modelled). 4.21.0 (the '4.21' string) has none of them. Each rule is pinned
// against 4.21 (bug present) and 4.22 (the same fix), so 4.21.2 behaves as 4.22 here.

import { describe, expect, test } from 'vitest';
import { EINVAL, Hypervisor, NATIVE_BUGS, XEN_RELEASES, xenBranch, type XenVersion } from './index.ts';
import { createDomain, hypercallChecked, outstanding, populateArgs, stepUntil, finishChecked } from '../prop-tests/drive.ts';
import { claimsExceedAvailable } from '../prop-tests/properties.ts';

const boot = (xen: XenVersion): Hypervisor => new Hypervisor({ memoryMiB: 16, xen });
const claim = (hv: Hypervisor, domid: number, pages: number): number =>
  hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid, nr_extents: pages }).rc;

describe('4.21.2 is its own version string, a 4.21 with the 4.22 claim fixes', () => {
  test('it names RELEASE-4.21.2, belongs to the 4.21 series and ships none of B1/B2/B3', () => {
    expect(XEN_RELEASES['4.21.2']).toMatch(/^RELEASE-4\.21\.2/);
    expect(xenBranch('4.21.2')).toBe('4.21');
    expect(NATIVE_BUGS['4.21.2']).toEqual([]);
    expect(NATIVE_BUGS['4.21']).toEqual(['B1', 'B3']);
  });

  // xen/common/memory.c do_memory_op XENMEM_claim_pages: `if ( d->is_dying ) rc = -EINVAL` (bc63b09ecc).
  test.each([['4.21', 0], ['4.21.2', -EINVAL], ['4.22', -EINVAL]] as const)(
    'memory.c XENMEM_claim_pages on a dying domain (bc63b09ecc) on %s: rc %i', (xen, rc) => {
      const hv = boot(xen);
      const d = createDomain(hv, 2048);
      const destroy = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
      stepUntil(hv, destroy, 'domain_kill');
      expect(claim(hv, d, 100)).toBe(rc);
      finishChecked(hv, destroy);
    });

  // page_alloc.c alloc_heap_pages: the claim is consumed under heap_lock with total_avail_pages
  // (82fe260552), so between alloc_heap_pages and assign_pages claims never exceed free memory.
  test.each([['4.21', true], ['4.21.2', false], ['4.22', false]] as const)(
    'page_alloc.c alloc_heap_pages consumes the claim in the same lock region (82fe260552) on %s: window %s', (xen, window) => {
      const hv = boot(xen);
      const d = createDomain(hv, 4096);
      const free = hv.heap.totalAvailPages;
      expect(claim(hv, d, free)).toBe(0);
      const pop = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
      stepUntil(hv, pop, 'alloc_heap_pages');
      expect(claimsExceedAvailable(hv) !== null).toBe(window);
      expect(outstanding(hv)).toBe(window ? free : free - 512);
      expect(finishChecked(hv, pop).rc).toBe(1);
      expect(outstanding(hv)).toBe(free - 512);
    });

  // page_alloc.c domain_adjust_tot_pages: frees never re-grow a claim (3472783c26, 4.21.0 on).
  test.each([['4.13', 256 + 64], ['4.21.2', 256]] as const)('frees re-grow a claim on %s: claim %i after freeing 64', (xen, after) => {
    const hv = boot(xen);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 64, 0)).rc).toBe(64);
    expect(claim(hv, d, 64 + 256)).toBe(0);
    const list = Array.from({ length: 64 }, (_, i) => i);
    expect(hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 64, extent_order: 0, extent_start: list }).rc).toBe(64);
    expect(outstanding(hv)).toBe(after);
  });
});

// 4.22's scrub-before-assign in populate_physmap (xen/common/memory.c populate_physmap,
// stash_allocation, get_stashed_allocation; 83a784a15b "allow deferred scrub of physmap populate
// allocated pages", 3652268543 "do not assign pages to a domain until they are scrubbed",
// 009401506e "don't unconditionally clear PGC_need_scrub"), domain.c domain_pending_scrub_free
// and domain_unpause_by_systemcontroller. Every section is followed by the invariant checker.

import { describe, expect, test } from 'vitest';
import { EBUSY, Hypervisor, type HvEvent, type XenVersion } from './index.ts';
import { createDomain, finishChecked, hypercallChecked, populateArgs, stepChecked, stepUntil } from '../prop-tests/drive.ts';

/** 16 MiB, dom0 2 MiB; a 64 µs preemption slice, so 256 scrubbed pages (256 µs) preempt. */
const boot = (xen: XenVersion = '4.22'): Hypervisor => new Hypervisor({ memoryMiB: 16, xen, dom0MiB: 2, costs: { preemptSliceNs: 64_000 } });

/** Fills the host with a domain's pages and destroys it: on 4.22 every freed frame is dirty. */
function dirtyHost(hv: Hypervisor): void {
  const free = hv.heap.totalAvailPages;
  const a = createDomain(hv, free);
  hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, free, 0));
  expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_destroydomain', { domid: a }).rc).toBe(0);
}

function claimed(hv: Hypervisor, pages: number): number {
  const d = createDomain(hv, 4096);
  expect(hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: pages }).rc).toBe(0);
  return d;
}

const events = (hv: Hypervisor): HvEvent[] => {
  const seen: HvEvent[] = [];
  hv.listeners.push((e) => seen.push(e));
  return seen;
};

describe('populate_physmap scrub-before-assign (4.22)', () => {
  test('4.22 frees a dying domain\'s pages dirty; 4.21.2 scrubs them on the spot', () => {
    for (const [v, dirty] of [['4.22', true], ['4.21.2', false]] as const) {
      const hv = boot(v);
      dirtyHost(hv);
      expect(hv.dirty.frames > 0).toBe(dirty);
    }
  });

  test('a dirty 2 MiB extent is scrubbed across a continuation: stashed unassigned with its claim share consumed, then resumed and assigned', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    const call = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, call, 'stash_allocation');
    const dom = hv.domain(d)!;
    expect(dom.pendingScrub).toMatchObject({ order: 9, index: 256 });
    expect(dom.totPages).toBe(0); // not assigned until scrubbed (3652268543)
    expect(dom.outstandingPages).toBe(1024 - 512); // consumed in alloc_heap_pages (E4)
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(labels).toContain('get_stashed_allocation');
    expect(call.result!.rc).toBe(1);
    expect(dom.pendingScrub).toBeNull();
    expect(dom.totPages).toBe(512);
    expect(hv.dirty.count(dom.p2m.lookup(0), 512)).toBe(0);
  });

  test('a concurrent populate of the same domain with another order frees the stash: its claim share is lost', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    const seen = events(hv);
    const a = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, a, 'stash_allocation');
    const b = finishChecked(hv, hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0, 2048)));
    expect(b.rc).toBe(1);
    expect(seen).toContainEqual({ kind: 'scrub_stash_freed', domid: d, order: 9 });
    expect(finishChecked(hv, a).rc).toBe(1); // re-entry finds no stash and allocates afresh
    const dom = hv.domain(d)!;
    expect(dom.totPages).toBe(513);
    // 513 pages populated, but 512 (lost with the stash) + 1 + 512 were charged to the claim of
    // 1024: it ran out with the domain 511 pages short of it.
    expect(dom.outstandingPages).toBe(0);
  });

  test('a concurrent populate of the same order takes the stash over: the page lands at its gpfn, nothing is lost', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    const a = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, a, 'stash_allocation');
    const stash = hv.domain(d)!.pendingScrub!.mfn;
    expect(finishChecked(hv, hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9, 512))).rc).toBe(1);
    expect(hv.domain(d)!.p2m.lookup(512)).toBe(stash);
    expect(finishChecked(hv, a).rc).toBe(1);
    expect(hv.domain(d)!.totPages).toBe(1024);
    expect(hv.domain(d)!.outstandingPages).toBe(0);
  });

  test('unpausing a domain with a pending scrub is -EBUSY and frees the stash (domain_unpause_by_systemcontroller)', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    const a = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, a, 'stash_allocation');
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_unpausedomain', { domid: d }).rc).toBe(-EBUSY);
    expect(hv.domain(d)!.pendingScrub).toBeNull();
    expect(hv.heap.anonPages).toBe(0);
  });

  test('destroying a domain with a pending scrub frees it (domain_teardown → domain_pending_scrub_free)', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    const a = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    stepUntil(hv, a, 'stash_allocation');
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_destroydomain', { domid: d }).rc).toBe(0);
    expect(hv.heap.anonPages).toBe(0);
    expect(hv.heap.outstandingClaims).toBe(0);
    finishChecked(hv, a); // the continuation finds no domain: 0 extents done
    expect(a.result!.rc).toBe(0);
  });

  test('after creation (first unpause) populates scrub inside the allocation: nothing is stashed', () => {
    const hv = boot();
    dirtyHost(hv);
    const d = claimed(hv, 1024);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_unpausedomain', { domid: d }).rc).toBe(0);
    const call = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9));
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(labels).not.toContain('stash_allocation');
    expect(call.result!.rc).toBe(1);
  });
});

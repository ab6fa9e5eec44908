// NUMA claim sets (the unmerged "[PATCH v7 0/3] xen/mm: Introduce NUMA-aware memory claim sets",
// xen-devel 2026-05-08; rules from the shared reference §8), on '4.22+claim-sets' only.

import { describe, expect, test } from 'vitest';
import { E2BIG, EINVAL, ENOENT, ENOMEM, ENOSYS, EPERM, ESRCH, Hypervisor, XENMEMF, xenmemfNode } from './index.ts';
import { CLAIM_TARGET_HOST, CLAIM_TARGET_LEGACY } from './claim-sets.ts';
import { createDomain, hypercallChecked, populateArgs, stepUntil, finishChecked } from '../prop-tests/drive.ts';

/** 32 MiB in two nodes of 16 MiB (4096 frames each); dom0 2 MiB on node 0. */
const boot = (xen: '4.22' | '4.22+claim-sets' = '4.22+claim-sets') => new Hypervisor({ memoryMiB: 32, xen, nodes: 2, dom0MiB: 2 });
const set = (hv: Hypervisor, domid: number, claims: object[], caller = 0) => hypercallChecked(hv, caller, 'XEN_DOMCTL_claim_memory', { domid, claims }).rc;
const node = (n: number, pages: number) => ({ pages, target: n });
const host = (pages: number) => ({ pages, target: CLAIM_TARGET_HOST });

describe('XEN_DOMCTL_claim_memory', () => {
  test('exists only on the claim-set version', () => {
    const hv = boot('4.22');
    expect(set(hv, createDomain(hv, 1000), [node(0, 10)])).toBe(-ENOSYS);
  });

  test('its errors in the series\' order', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    expect(set(hv, d, [])).toBe(-EINVAL); // nr_claims == 0
    expect(set(hv, d, [{ pages: 1, target: 0, pad: 1 }])).toBe(-EINVAL);
    expect(set(hv, d, Array.from({ length: 66 }, (_, i) => node(i, 1)))).toBe(-E2BIG);
    expect(set(hv, d, [node(2, 1)])).toBe(-ENOENT); // node 2 is offline (absent)
    expect(set(hv, d, [node(64, 1)])).toBe(-ENOENT);
    expect(set(hv, d, [node(1, 1), node(1, 2)])).toBe(-EINVAL); // duplicate node
    expect(set(hv, d, [host(1), host(2)])).toBe(-EINVAL);
    expect(set(hv, d, [node(1, 4097)])).toBe(-ENOMEM); // more than node 1 has
    expect(set(hv, d, [node(0, 1000), node(1, 3001)])).toBe(-EINVAL); // tot + Σ > max_pages
    expect(set(hv, d, [node(1, 10), { pages: 10, target: CLAIM_TARGET_LEGACY }])).toBe(-EINVAL); // legacy alone only
    expect(set(hv, d, [node(0, 1000)], d)).toBe(-EPERM);
    expect(set(hv, 77, [node(0, 1)], d)).toBe(-EPERM); // 4.22: unknown domain from a guest
    expect(hv.heap.outstandingClaims).toBe(0);
  });

  test('a dying domain is -ESRCH', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    stepUntil(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d }), 'domain_kill');
    expect(set(hv, d, [node(0, 1)])).toBe(-ESRCH);
  });

  test('a set is installed atomically and replaces the old one (old claims credited back first)', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    expect(set(hv, a, [node(1, 4000), host(100)])).toBe(0);
    expect(hv.heap.nodeOutstanding[1]).toBe(4000);
    expect(hv.domain(a)!.outstandingPages).toBe(4100);
    // Replacing: 4090 on node 1 fits only because a's own 4000 there are credited back.
    expect(set(hv, a, [node(1, 4090)])).toBe(0);
    expect(hv.heap.nodeOutstanding[1]).toBe(4090);
    expect(hv.domain(a)!.outstandingPages).toBe(4090);
    // A refused set leaves the old one in place.
    expect(set(hv, a, [node(1, 5000)])).toBe(-ENOMEM);
    expect(hv.domain(a)!.nodeClaims![1]).toBe(4090);
    expect(set(hv, a, [host(0)])).toBe(0); // an all-zero set cancels
    expect(hv.heap.outstandingClaims).toBe(0);
    expect(hv.heap.nodeOutstanding[1]).toBe(0);
  });

  test('the per-node gate in get_free_buddy keeps others off a claimed node; the claimer draws its node claim first, then the host claim', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    const b = createDomain(hv, 8000);
    const free1 = hv.heap.nodeAvailPages(1);
    expect(set(hv, a, [node(1, free1 - 10), host(20)])).toBe(0);
    // b asks node 1 exactly: only 10 unclaimed pages there.
    const exact1 = XENMEMF.exact_node_request | xenmemfNode(1);
    const r = hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { domid: b, nr_extents: 20, extent_order: 0, mem_flags: exact1, extent_start: Array.from({ length: 20 }, (_, i) => i) });
    expect(r.rc).toBe(10);
    // a populates on node 1: node claim consumed, host claim untouched.
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { domid: a, nr_extents: 4, extent_order: 0, mem_flags: exact1, extent_start: [0, 1, 2, 3] }).rc).toBe(4);
    expect(hv.domain(a)!.nodeClaims![1]).toBe(free1 - 14);
    expect(hv.domain(a)!.outstandingPages).toBe(free1 - 14 + 20);
    // On node 0 a has no node claim: the host claim pays.
    const exact0 = XENMEMF.exact_node_request | xenmemfNode(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { domid: a, nr_extents: 5, extent_order: 0, mem_flags: exact0, extent_start: [10, 11, 12, 13, 14] }).rc).toBe(5);
    expect(hv.domain(a)!.outstandingPages).toBe(free1 - 14 + 15);
    expect(hv.domain(a)!.nodeClaims![1]).toBe(free1 - 14);
  });

  test('the host gate is unchanged by the series: under pressure only a claim covering the whole extent passes', () => {
    const hv = boot();
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    const unclaimed = hv.heap.totalAvailPages;
    expect(set(hv, b, [host(unclaimed - 300)])).toBe(0);
    expect(set(hv, a, [host(300)])).toBe(0);
    // Nothing unclaimed; a's 300 pages cover an order-8 (256) extent but not order 9 (512).
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, 1, 9)).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, 1, 8)).rc).toBe(1);
  });

  test('domain destruction cancels every node claim', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    expect(set(hv, a, [node(0, 100), node(1, 200), host(5)])).toBe(0);
    const kill = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: a });
    expect(finishChecked(hv, kill).rc).toBe(0);
    expect([hv.heap.outstandingClaims, hv.heap.nodeOutstanding[0], hv.heap.nodeOutstanding[1]]).toEqual([0, 0, 0]);
  });
});

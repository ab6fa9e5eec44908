// NUMA claim sets on '4.22+claim-sets' only: "[PATCH v7 2/3] xen/mm: Introduce NUMA-aware memory
// claim sets" (xen-devel, 2026-05-08): xen/common/domctl.c claim_memory, xen/common/page_alloc.c
// domain_set_claim_entries / domain_get_claim_entries / get_free_buddy / alloc_heap_pages,
// xen/common/memory.c XENMEM_claim_pages (one LEGACY entry), xen/include/public/domctl.h.

import { describe, expect, test } from 'vitest';
import {
  E2BIG, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSYS, EOPNOTSUPP, EPERM, ERANGE, ESRCH, Hypervisor, XENMEMF, xenmemfNode,
  XEN_DOMCTL_CLAIM_MEMORY_GET as GET, XEN_DOMCTL_CLAIM_MEMORY_HOST as HOST, XEN_DOMCTL_CLAIM_MEMORY_LEGACY as LEGACY,
  type HypercallResult,
} from './index.ts';
import { createDomain, finishChecked, hypercallChecked, populateArgs, stepUntil } from '../prop-tests/drive.ts';

/** 32 MiB in two nodes of 16 MiB (4096 frames each); dom0 2 MiB on node 0. */
const boot = (xen: '4.22' | '4.22+claim-sets' = '4.22+claim-sets', nodes = 2) => new Hypervisor({ memoryMiB: 32, xen, nodes, dom0MiB: 2 });
const set = (hv: Hypervisor, domid: number, claim_set: object[], caller = 0): number =>
  hypercallChecked(hv, caller, 'XEN_DOMCTL_claim_memory', { domid, claim_set }).rc;
const get = (hv: Hypervisor, domid: number, nr_entries = 65): HypercallResult =>
  hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid, mode: GET, nr_entries });
const node = (n: number, pages: number) => ({ pages, target: n });
const host = (pages: number) => ({ pages, target: HOST });
const legacyClaim = (hv: Hypervisor, domid: number, pages: number): number =>
  hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid, nr_extents: pages }).rc;
const exact = (n: number) => XENMEMF.exact_node_request | xenmemfNode(n);
const populateOn = (hv: Hypervisor, domid: number, n: number, nr: number, base: number, order = 0): number =>
  hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { ...populateArgs(domid, nr, order, base), mem_flags: exact(n) }).rc;
const counters = (hv: Hypervisor) => [hv.heap.outstandingClaims, ...hv.heap.nodeOutstanding];

describe('XEN_DOMCTL_claim_memory (domctl.c claim_memory)', () => {
  test('the public ABI: HOST 0x80000000, LEGACY 0x40000000, GET 1', () => {
    expect([HOST, LEGACY, GET]).toEqual([0x80000000, 0x40000000, 1]);
  });

  test('exists only on the claim-set version: an unknown domctl is -ENOSYS on 4.22', () => {
    const hv = boot('4.22');
    expect(set(hv, createDomain(hv, 1000), [node(0, 10)])).toBe(-ENOSYS);
  });

  test('mode and count are checked before the domain state: -EOPNOTSUPP, -EINVAL (none), -E2BIG (> 65)', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    stepUntil(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d }), 'domain_kill');
    const call = (args: object) => hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: d, ...args }).rc;
    expect(call({ mode: 2, claim_set: [node(0, 1)] })).toBe(-EOPNOTSUPP);
    expect(call({ claim_set: [] })).toBe(-EINVAL);
    expect(call({ nr_entries: 66, claim_set: [] })).toBe(-E2BIG);
    // Past those, a dying domain is -ESRCH, for SET and GET alike, before the entries are read.
    expect(call({ nr_entries: 2, claim_set: [] })).toBe(-ESRCH);
    expect(call({ mode: GET, nr_entries: 1000 })).toBe(-ESRCH);
  });

  test('entries are read after the dying check: too few, or not a struct, is -EFAULT', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    const call = (args: object) => hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: d, ...args }).rc;
    expect(call({ nr_entries: 2, claim_set: [node(0, 1)] })).toBe(-EFAULT);
    expect(call({ claim_set: [{ pages: -1, target: 0 }] })).toBe(-EFAULT);
    expect(call({ claim_set: [{ pages: 1, target: 2 ** 32 }] })).toBe(-EFAULT);
    // Entries past nr_entries are never read.
    expect(call({ nr_entries: 1, claim_set: [node(0, 5), 'junk'] })).toBe(0);
    expect(hv.domain(d)!.nodeClaims![0]).toBe(5);
  });

  test('privilege: xsm_claim_pages(XSM_PRIV) after the lookup (4.22: -EPERM for a guest naming an unknown domain)', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    expect(set(hv, d, [node(0, 1000)], d)).toBe(-EPERM);
    expect(set(hv, 77, [node(0, 1)], d)).toBe(-EPERM);
    expect(set(hv, 77, [node(0, 1)])).toBe(-ESRCH);
    expect(counters(hv)).toEqual([0, 0, 0]);
  });
});

describe('domain_set_claim_entries (page_alloc.c): entries one by one, then the whole set', () => {
  test('each entry\'s errors: cmd -EINVAL, second host/legacy -EINVAL, bad or offline node -ENOENT, duplicate node -EINVAL, node short -ENOMEM', () => {
    const hv = boot();
    const d = createDomain(hv, 8000);
    expect(set(hv, d, [{ pages: 1, target: 0, cmd: 1 }])).toBe(-EINVAL);
    expect(set(hv, d, [host(1), host(2)])).toBe(-EINVAL);
    expect(set(hv, d, [{ pages: 1, target: LEGACY }, host(2)])).toBe(-EINVAL);
    expect(set(hv, d, [node(2, 1)])).toBe(-ENOENT); // a 2-node host: node 2 is not online
    expect(set(hv, d, [node(64, 1)])).toBe(-ENOENT); // >= MAX_NUMNODES
    expect(set(hv, d, [{ pages: 1, target: 0x20000000 }])).toBe(-ENOENT); // not a special target
    expect(set(hv, d, [node(1, 1), node(1, 2)])).toBe(-EINVAL);
    expect(set(hv, d, [node(1, hv.heap.nodeAvailPages(1) + 1)])).toBe(-ENOMEM);
    expect(counters(hv)).toEqual([0, 0, 0]);
  });

  test('the first failing entry decides, in array order', () => {
    const hv = boot();
    const d = createDomain(hv, 8000);
    const short = node(1, hv.heap.nodeAvailPages(1) + 1);
    expect(set(hv, d, [short, { pages: 1, target: 0, cmd: 7 }])).toBe(-ENOMEM);
    expect(set(hv, d, [{ pages: 1, target: 0, cmd: 7 }, short])).toBe(-EINVAL);
    expect(set(hv, d, [node(5, 1), node(1, 1), node(1, 1)])).toBe(-ENOENT);
    expect(set(hv, d, [node(1, 1), node(1, 1), node(5, 1)])).toBe(-EINVAL);
    // Per-entry checks come before the set's: a max_pages excess after a bad node is -ENOENT.
    expect(set(hv, d, [host(9000), node(3, 1)])).toBe(-ENOENT);
  });

  test('the set: tot + Σ > max_pages -EINVAL, Σ > unclaimed + own claim -ENOMEM', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    expect(populateOn(hv, d, 0, 100, 0)).toBe(100);
    expect(set(hv, d, [node(0, 1000), node(1, 2901)])).toBe(-EINVAL); // 100 + 3901 > 4000
    expect(set(hv, d, [node(0, 1000), node(1, 2900)])).toBe(0); // = 4000
    expect(set(hv, d, [host(4001)])).toBe(-EINVAL); // host > max_pages by itself
    const big = createDomain(hv, 1 << 20);
    const unclaimed = hv.heap.totalAvailPages - hv.heap.outstandingClaims;
    expect(set(hv, big, [host(unclaimed + 1)])).toBe(-ENOMEM);
    expect(set(hv, big, [host(unclaimed)])).toBe(0);
    // big's own claim is available to its next set.
    expect(set(hv, big, [host(unclaimed)])).toBe(0);
    expect(set(hv, big, [host(unclaimed + 1)])).toBe(-ENOMEM);
  });

  test('a set replaces the old one atomically: the old claims count as available; a refused set leaves them', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    expect(set(hv, a, [node(1, 4000), host(100)])).toBe(0);
    expect(counters(hv)).toEqual([4100, 0, 4000]);
    expect(set(hv, a, [node(1, 4090)])).toBe(0); // fits only with a's 4000 there credited back
    expect(counters(hv)).toEqual([4090, 0, 4090]);
    expect(set(hv, a, [node(0, 10), node(1, 5000)])).toBe(-ENOMEM);
    expect(get(hv, a).claim_set).toEqual([{ pages: 0, target: HOST, cmd: 0 }, { pages: 4090, target: 1, cmd: 0 }]);
    expect(set(hv, a, [host(0), node(0, 0)])).toBe(0); // all entries 0: a pure release
    expect(counters(hv)).toEqual([0, 0, 0]);
    expect(hv.domain(a)!.outstandingPages).toBe(0);
  });

  test('entries are amounts on top of the current pages; LEGACY keeps the old absolute target', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    expect(populateOn(hv, d, 0, 100, 0)).toBe(100);
    expect(set(hv, d, [host(300)])).toBe(0);
    expect(hv.domain(d)!.outstandingPages).toBe(300);
    expect(set(hv, d, [{ pages: 300, target: LEGACY }])).toBe(-EINVAL); // a claim is outstanding
    expect(set(hv, d, [{ pages: 0, target: LEGACY }])).toBe(0); // cancels
    expect(set(hv, d, [{ pages: 100, target: LEGACY }])).toBe(-EINVAL); // not above tot_pages
    expect(set(hv, d, [{ pages: 300, target: LEGACY }])).toBe(0);
    expect(hv.domain(d)!.outstandingPages).toBe(200);
    expect(set(hv, d, [{ pages: 0, target: LEGACY }, node(1, 5)])).toBe(-EINVAL); // no node claims with LEGACY
    expect(set(hv, d, [{ pages: 0, target: LEGACY }, node(1, 0)])).toBe(0); // zero node entries do not count
    expect(hv.domain(d)!.outstandingPages).toBe(0);
  });

  test('XENMEM_claim_pages is one LEGACY entry: a cancel also drops node claims', () => {
    const hv = boot();
    const d = createDomain(hv, 4000);
    expect(set(hv, d, [node(0, 10), node(1, 20)])).toBe(0);
    expect(legacyClaim(hv, d, 500)).toBe(-EINVAL); // claims outstanding
    expect(legacyClaim(hv, d, 0)).toBe(0);
    expect(counters(hv)).toEqual([0, 0, 0]);
    expect(legacyClaim(hv, d, 500)).toBe(0);
    expect(get(hv, d).claim_set).toEqual([{ pages: 500, target: HOST, cmd: 0 }]);
  });
});

describe('domain_get_claim_entries (GET)', () => {
  test('entry 0 is the host-wide part, then each claimed node in order; too few entries is -ERANGE with the count', () => {
    const hv = boot('4.22+claim-sets', 3);
    const d = createDomain(hv, 8000);
    expect(get(hv, d, 0)).toEqual({ rc: -ERANGE, nr_entries: 1 });
    expect(get(hv, d, 1)).toEqual({ rc: 0, nr_entries: 1, claim_set: [{ pages: 0, target: HOST, cmd: 0 }] });
    expect(set(hv, d, [node(2, 30), host(7), node(0, 10)])).toBe(0);
    expect(get(hv, d, 2)).toEqual({ rc: -ERANGE, nr_entries: 3 });
    expect(get(hv, d, 1000)).toEqual({
      rc: 0, nr_entries: 3, claim_set: [{ pages: 7, target: HOST, cmd: 0 }, { pages: 10, target: 0, cmd: 0 }, { pages: 30, target: 2, cmd: 0 }],
    });
    expect(counters(hv)).toEqual([47, 10, 0, 30]); // a GET changes nothing
  });
});

describe('the allocator under claim sets (page_alloc.c get_free_buddy, alloc_heap_pages)', () => {
  test('the per-node gate keeps others off a claimed node; the claimer draws its node claim first, then the host claim', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    const b = createDomain(hv, 8000);
    const free1 = hv.heap.nodeAvailPages(1);
    expect(set(hv, a, [node(1, free1 - 10), host(20)])).toBe(0);
    expect(populateOn(hv, b, 1, 20, 0)).toBe(10); // only 10 unclaimed pages on node 1
    expect(populateOn(hv, a, 1, 4, 0)).toBe(4);
    expect(hv.domain(a)!.nodeClaims![1]).toBe(free1 - 14);
    expect(hv.domain(a)!.outstandingPages).toBe(free1 - 14 + 20);
    expect(populateOn(hv, a, 0, 5, 10)).toBe(5); // no node-0 claim: the host claim pays
    expect(hv.domain(a)!.outstandingPages).toBe(free1 - 14 + 15);
    expect(hv.domain(a)!.nodeClaims![1]).toBe(free1 - 14);
  });

  test('without a node or host claim left to redeem, the other nodes\' claims are recalled in node order', () => {
    const hv = boot('4.22+claim-sets', 3);
    const a = createDomain(hv, 8000);
    expect(set(hv, a, [node(1, 6), node(2, 100), host(2)])).toBe(0);
    // 16 pages on node 0: 2 from the host claim, then 6 recalled from node 1 and 8 from node 2.
    expect(populateOn(hv, a, 0, 1, 0, 4)).toBe(1);
    expect(get(hv, a).claim_set).toEqual([{ pages: 0, target: HOST, cmd: 0 }, { pages: 92, target: 2, cmd: 0 }]);
    expect(counters(hv)).toEqual([92, 0, 0, 92]);
  });

  test('a non-exact request skips a node whose unclaimed memory is short and lands on the next', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    const b = createDomain(hv, 8000);
    expect(set(hv, a, [node(1, hv.heap.nodeAvailPages(1))])).toBe(0);
    const before1 = hv.heap.nodeAvailPages(1);
    // b's node hint names node 1 (not exact): node 1 has nothing unclaimed, node 0 serves it.
    const r = hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { ...populateArgs(b, 8, 0), mem_flags: xenmemfNode(1) });
    expect(r.rc).toBe(8);
    expect(hv.heap.nodeAvailPages(1)).toBe(before1);
  });

  test('the host gate is unchanged by the series: under pressure only a claim covering the whole extent passes', () => {
    const hv = boot();
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    expect(set(hv, b, [host(hv.heap.totalAvailPages - 300)])).toBe(0);
    expect(set(hv, a, [host(300)])).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, 1, 9)).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(a, 1, 8)).rc).toBe(1);
  });

  test('domain destruction releases every node claim', () => {
    const hv = boot();
    const a = createDomain(hv, 8000);
    expect(set(hv, a, [node(0, 100), node(1, 200), host(5)])).toBe(0);
    expect(finishChecked(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: a })).rc).toBe(0);
    expect(counters(hv)).toEqual([0, 0, 0]);
  });
});

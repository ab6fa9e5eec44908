// Memory ops at the edges, per Xen version, each case citing xen/common/memory.c or page_alloc.c.

import { describe, expect, test } from 'vitest';
import { EFAULT, EINVAL, EPERM, Hypervisor, XEN_VERSIONS, XENMEMF, xenmemfNode, type XenVersion } from './index.ts';
import { createDomain, finishChecked, freePages, hypercallChecked, populateArgs, stepUntil } from '../prop-tests/drive.ts';

const versions = XEN_VERSIONS.map((v) => [v] as const);
const boot = (xen: XenVersion, nodes = 1): Hypervisor => new Hypervisor({ memoryMiB: 16, xen, nodes, dom0MiB: 2 });
const populate = (hv: Hypervisor, caller: number, domid: number, gpfn: number, order: number, memFlags: number) =>
  hypercallChecked(hv, caller, 'XENMEM_populate_physmap', { domid, nr_extents: 1, extent_order: order, mem_flags: memFlags, extent_start: [gpfn] }).rc;

describe('XENMEMF_vnode (construct_memop_from_reservation, 4.5+)', () => {
  // `if ( r->mem_flags & XENMEMF_vnode ) { if ( d->vnuma ) … }`: with no vNUMA topology neither
  // the node nor exact_node_request is used, and propagate_node is not consulted at all.
  test.each(versions)('on %s a guest asking vnode 1 exact on a domain without vNUMA', (v) => {
    const hv = boot(v, 2);
    const d = createDomain(hv, 1024);
    const flags = XENMEMF.vnode | xenmemfNode(1) | XENMEMF.exact_node_request;
    // 4.3 has no vnode bit: the node byte is a physical node, used unchecked (B15).
    expect(populate(hv, d, d, 0, 0, flags)).toBe(1);
    const node = hv.heap.nodeOf(hv.domain(d)!.p2m.lookup(0));
    if (v === '4.3') expect(node).toBe(1);
    // From 4.13 the same guest without the vnode bit is refused (propagate_node: exact from a guest).
    else expect(populate(hv, d, d, 1, 0, xenmemfNode(1) | XENMEMF.exact_node_request)).toBe(0);
  });
});

describe('address_bits (construct_memop_from_reservation, alloc_domheap_pages)', () => {
  test.each(versions)('on %s address_bits <= PAGE_SHIFT yields nothing (-EINVAL inside: 0 extents)', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(populate(hv, 0, d, 0, 0, 12)).toBe(0);
    expect(populate(hv, 0, d, 0, 0, 5)).toBe(0);
  });

  // 4.3: bits_to_zone(13) = 0 = MEMZONE_XEN: `if ( (zone_hi = …) == 0 ) return NULL`; 4.13+
  // (zones are flsl(mfn)): zone 1 holds MFN 1 only, which an order-0 request may get.
  test.each(versions)('on %s 13 address bits reach only MFN 1, and only from 4.13', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(populate(hv, 0, d, 0, 1, 13)).toBe(0);
    const got = populate(hv, 0, d, 0, 0, 13);
    expect(got).toBe(v === '4.3' ? 0 : 1);
    if (got === 1) expect(hv.domain(d)!.p2m.lookup(0)).toBe(1);
  });

  test.each(versions)('on %s 14 address bits give a frame below 4 (zone 1 of fls - 1)', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(populate(hv, 0, d, 0, 0, 14)).toBe(1);
    expect(hv.domain(d)!.p2m.lookup(0)).toBeLessThan(4);
  });
});

describe('MEMZONE_XEN (4.3: page_to_zone = fls(mfn) - 1, MFN 1 is in zone 0)', () => {
  // alloc_domheap_pages searches from MEMZONE_XEN + 1, and x86 Xen gives no memory below 1 MiB
  // to the heap (setup.c: s = max_t(uint64_t, s, 1<<20)): on 4.3 MEMZONE_XEN's only frame of the
  // emulated host, MFN 1, is not heap memory at all — never free, never given, never counted by
  // the claim rules. From 4.13 (zones are flsl(mfn)) MFN 1 is an ordinary frame.
  test.each(versions)('on %s MFN 1 is in the heap and handed to domains only from 4.13', (v) => {
    const hv = boot(v);
    expect(freePages(hv)).toBe(hv.heap.totalAvailPages);
    const d = createDomain(hv, 8192);
    let got = 0;
    for (let g = 0; g < 8192; g++) {
      if (populate(hv, 0, d, g, 0, 0) !== 1) break;
      got++;
    }
    expect([...hv.domain(d)!.p2m.entries()].some(([, mfn]) => mfn === 1)).toBe(v !== '4.3');
    expect(hv.heap.totalAvailPages).toBe(0);
    expect(freePages(hv)).toBe(0);
    expect(got).toBeGreaterThan(0);
  });
});

describe('decrease_reservation order limit', () => {
  // 4.3: `a->extent_order > MAX_ORDER` only; 4.13+: `a->extent_order > max_order(current->domain)`.
  test.each(versions)('on %s a guest gives back a 4 MiB (order 10) extent only on 4.3', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(populate(hv, 0, d, 0, 10, 0)).toBe(1);
    const rc = hypercallChecked(hv, d, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 1, extent_order: 10, extent_start: [0] }).rc;
    expect(rc).toBe(v === '4.3' ? 1 : 0);
    expect(hv.domain(d)!.totPages).toBe(v === '4.3' ? 0 : 1024);
  });
});

describe('XENMEM_exchange checks (memory_exchange)', () => {
  const exchange = (hv: Hypervisor, caller: number, args: object) => hypercallChecked(hv, caller, 'XENMEM_exchange', args);
  const pair = (domid: number, inOrder: number, outOrder: number, extra: object = {}) => ({
    in: { domid, nr_extents: 1, extent_order: inOrder, extent_start: [0] },
    out: { domid, nr_extents: 2 ** (inOrder - outOrder), extent_order: outOrder, extent_start: Array.from({ length: 2 ** (inOrder - outOrder) }, (_, i) => 4096 + i * 2 ** outOrder) },
    ...extra,
  });

  // 4.13 (XSA-158): `if ( max(in.extent_order, out.extent_order) > max_order(current->domain) )
  // { rc = -EPERM; … }` comes before the sanity checks; 4.3 checks the sanity first (-EINVAL).
  test.each([['4.3', -EINVAL], ['4.13', -EPERM], ['4.22', -EPERM]] as const)('on %s a guest\'s order-10 exchange with mismatched domids → %i', (v, rc) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    const a = pair(d, 10, 0);
    expect(exchange(hv, d, { ...a, out: { ...a.out, domid: 0 } }).rc).toBe(rc);
  });

  // 4.3: `(exch.in.extent_order > MAX_ORDER)` in the sanity checks.
  test.each([['4.3', -EINVAL], ['4.13', -EPERM], ['4.21.2', -EPERM]] as const)('on %s the control domain asking order 19 → %i', (v, rc) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(exchange(hv, 0, pair(d, 19, 19)).rc).toBe(rc);
  });

  // 4.13: `if ( exch.nr_exchanged == exch.in.nr_extents ) return 0;` before the handles and the
  // domain lookup; and there is no nr_extents bound of exchange's own (only the overflow check).
  test.each([['4.3', -EFAULT], ['4.13', 0], ['4.22', 0]] as const)('on %s nothing left to exchange, huge nr_extents, bad handles, unknown domain → %i', (v, rc) => {
    const hv = boot(v);
    const n = 2 ** 30;
    const r = exchange(hv, 0, {
      in: { domid: 99, nr_extents: n, extent_order: 0, extent_start: [] },
      out: { domid: 99, nr_extents: n, extent_order: 0, extent_start: [] },
      nr_exchanged: n,
    });
    expect(r.rc).toBe(rc);
  });

  // propagate_node(exch.out.mem_flags): an exact-node request from a guest is -EINVAL (4.10+);
  // 4.3 takes MEMF_node(XENMEMF_get_node(out.mem_flags)) and never exact_node.
  test.each([['4.3', 0], ['4.13', -EINVAL], ['4.22', -EINVAL]] as const)('on %s a guest asking exact node 0 for its outputs → %i', (v, rc) => {
    const hv = boot(v, 2);
    const d = createDomain(hv, 2048);
    expect(populate(hv, 0, d, 0, 0, 0)).toBe(1);
    const a = pair(d, 0, 0);
    expect(exchange(hv, d, { ...a, out: { ...a.out, mem_flags: xenmemfNode(0) | XENMEMF.exact_node_request } }).rc).toBe(rc);
    if (rc !== 0) expect(exchange(hv, d, a).rc).toBe(0); // without the exact bit it goes through
  });

  test.each(versions)('on %s the outputs honour out.mem_flags address bits (MEMF_bits)', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(populate(hv, 0, d, 0, 0, 0)).toBe(1);
    const a = pair(d, 0, 0);
    expect(exchange(hv, 0, { ...a, out: { ...a.out, mem_flags: 16 } }).rc).toBe(0);
    expect(hv.domain(d)!.p2m.lookup(4096)).toBeLessThan(16);
  });
});



describe('populate_physmap racing a populate of the same gpfns', () => {
  // Between alloc_heap_pages and the p2m update another vCPU's populate maps the gpfn: the later
  // one finds it mapped, frees its extent and stops (DIVERGENCE in memop.ts: no replacement).
  test.each(versions)('on %s the extent allocated second is freed and the loop stops there', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    const free = freePages(hv);
    const slow = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 2, 0, 40));
    stepUntil(hv, slow, 'alloc_heap_pages');
    // The other call maps gpfn 40 (the slow call's first extent) and 41 meanwhile.
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 2, 0, 40)).rc).toBe(2);
    expect(finishChecked(hv, slow).rc).toBe(0);
    expect(slow.lastLabel).toBe('free_heap_pages');
    expect(hv.domain(d)!.totPages).toBe(2);
    expect(freePages(hv)).toBe(free - 2);
  });

  test.each(versions)('on %s an unrelated mapping in between does not stop it', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    const slow = hv.begin(0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0, 40));
    stepUntil(hv, slow, 'alloc_heap_pages');
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0, 41)).rc).toBe(1);
    expect(finishChecked(hv, slow).rc).toBe(1);
    expect(hv.domain(d)!.p2m.lookup(40)).toBeGreaterThan(0);
  });
});

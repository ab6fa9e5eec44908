// populate_physmap / increase_reservation / decrease_reservation: extents done instead of errnos,
// continuations with start_extent, memop order limits and node hints, per Xen version
// (reference: xen-hypervisor.md §5).

import { describe, expect, test } from 'vitest';
import { EPERM, Hypervisor, XEN_VERSIONS, XENMEMF, xenmemfNode, type HvEvent, type XenVersion } from './index.ts';
import { DOMID_SELF } from './ops.ts';
import { createDomain, hypercallChecked, info, populateArgs, stepChecked } from '../prop-tests/drive.ts';

const versions = XEN_VERSIONS.map((v) => [v] as const);
const boot = (xen: XenVersion, memoryMiB = 16, extra: object = {}): Hypervisor => new Hypervisor({ memoryMiB, xen, ...extra });
const POPULATE = 'XENMEM_populate_physmap';

describe('reservation ops return extents done, never an errno', () => {
  test.each(versions)('on %s populating past max_pages returns the extents that fit', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 10);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 15, 0)).rc).toBe(10);
    expect(info(hv, d).tot_pages).toBe(10);
  });

  test.each(versions)('on %s argument problems return start_extent: bad copy, unknown domain, short list, oversized nr_extents', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: -1 }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(99, 1, 0) }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: 3, extent_start: [0, 1] }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: 2 ** 26, extent_start: [] }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 4, 0), start_extent: 2, domid: 99 }).rc).toBe(2);
    expect(info(hv, d).tot_pages).toBe(0);
  });

  // start_extent is cmd >> MEMOP_EXTENT_SHIFT (6), below 2^58 on a 64-bit cmd: an index no cmd
  // can carry has no extent to return, so the op does nothing and returns 0, in one section.
  test.each(versions)('on %s a start_extent no cmd can carry does nothing and returns 0, in one section', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 2, 0)).rc).toBe(2);
    for (const op of [POPULATE, 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation']) {
      for (const start_extent of [-1, 0.5, 2 ** 58, 'x']) {
        const call = hv.begin(0, op, { domid: d, nr_extents: 3, extent_order: 0, extent_start: [0, 1, 2], start_extent });
        expect([stepChecked(hv, call), stepChecked(hv, call)]).toEqual(['memory_op', 'return']);
        expect(call.result).toEqual({ rc: 0 });
      }
    }
    expect(info(hv, d).tot_pages).toBe(2);
  });

  test.each(versions)('on %s an argument refused at decode is one memory_op section returning start_extent', (v) => {
    const hv = boot(v);
    for (const op of [POPULATE, 'XENMEM_decrease_reservation']) {
      const call = hv.begin(0, op, { ...populateArgs(99, 4, 0), start_extent: 2 });
      expect([stepChecked(hv, call), stepChecked(hv, call)]).toEqual(['memory_op', 'return']);
      expect(call.result).toEqual({ rc: 2 });
    }
  });

  // populate_physmap reads each gpfn from extent_start: with no list (a NULL handle) the first
  // copy_from_guest_offset faults and the loop stops at extent 0; a bad gpfn ends the call in the
  // section that found it.
  test.each(versions)('on %s populate_physmap without an extent list does nothing and returns 0; a bad gpfn stops in one memory_op section', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    for (const extent_start of [null, undefined]) {
      expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: 2, extent_order: 0, extent_start }).rc).toBe(0);
    }
    const call = hv.begin(0, POPULATE, { domid: d, nr_extents: 2, extent_order: 1, extent_start: [1, 2] });
    expect([stepChecked(hv, call), stepChecked(hv, call)]).toEqual(['memory_op', 'return']);
    expect(call.result).toEqual({ rc: 0 });
    expect(info(hv, d).tot_pages).toBe(0);
  });

  test.each(versions)('on %s a gpfn that is unaligned or already mapped stops the loop there', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: 3, extent_order: 1, extent_start: [0, 2, 5] }).rc).toBe(2);
    expect(hypercallChecked(hv, 0, POPULATE, { domid: d, nr_extents: 2, extent_order: 0, extent_start: [10, 3] }).rc).toBe(1);
    expect(info(hv, d).tot_pages).toBe(5);
  });

  test.each([
    ['4.3', -EPERM],
    ['4.13', 0],
    ['4.21', 0],
    ['4.22', 0],
  ] as const)('on %s an XSM denial (guest populating another guest) returns %i (B12 before 4.5)', (v, rc) => {
    const hv = boot(v);
    const guest = createDomain(hv, 100);
    const victim = createDomain(hv, 100);
    expect(hypercallChecked(hv, guest, POPULATE, populateArgs(victim, 4, 0)).rc).toBe(rc);
    expect(info(hv, victim).tot_pages).toBe(0);
  });

  test.each(versions)('on %s a guest may populate itself through DOMID_SELF', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 100);
    expect(hypercallChecked(hv, guest, POPULATE, populateArgs(DOMID_SELF, 4, 0)).rc).toBe(4);
    expect(info(hv, guest).tot_pages).toBe(4);
  });

  // decrease_reservation per extent: guest_remove_page for its gfns (one section), then
  // free_heap_pages, which costs the extent and each page freed; a gfn that is not mapped stops
  // the loop after that extent's pages before it are freed. A gpfn the copy cannot read, or no
  // list at all, stops it in one memory_op section.
  test.each(versions)('on %s decrease_reservation: two sections an extent, the free one charging extentNs + pageFreeNs a page', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 3, 1)).rc).toBe(3);
    const dom = hv.domain(d)!;
    hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 1, extent_order: 0, extent_start: [5] });
    expect(dom.totPages).toBe(5);
    const call = hv.begin(0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 3, extent_order: 1, extent_start: [0, 4, 2] });
    const labels: string[] = [];
    const freeCost: number[] = [];
    while (!call.done) {
      const t = hv.now;
      const label = stepChecked(hv, call);
      labels.push(label);
      if (label === 'free_heap_pages') freeCost.push(hv.now - t);
    }
    expect(labels).toEqual(['guest_remove_page', 'free_heap_pages', 'guest_remove_page', 'free_heap_pages', 'return']);
    expect(freeCost).toEqual([hv.costs.extentNs + 2 * hv.costs.pageFreeNs, hv.costs.extentNs + hv.costs.pageFreeNs]);
    expect(call.result).toEqual({ rc: 1 }); // gpfn 5 was a hole: the extent at 4 is not done
    expect(dom.totPages).toBe(2);
    expect(dom.p2m.lookup(2)).toBeGreaterThan(0);
    // A list longer than nr_extents: only nr_extents are read.
    const last = hv.begin(0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 1, extent_order: 0, extent_start: [2, 3] });
    expect([stepChecked(hv, last), stepChecked(hv, last), stepChecked(hv, last)]).toEqual(['guest_remove_page', 'free_heap_pages', 'return']);
    expect(last.result).toEqual({ rc: 1 });
    expect(dom.totPages).toBe(1);
    expect(dom.p2m.lookup(3)).toBeGreaterThan(0);
  });

  test('on 4.22 a decrease_reservation continued at every extent still frees every extent once', () => {
    const hv = boot('4.22', 16, { costs: { preemptSliceNs: 0 } });
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 5, 0)).rc).toBe(5);
    const call = hv.begin(0, 'XENMEM_decrease_reservation', populateArgs(d, 5, 0));
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(labels.filter((l) => l === 'continuation').length).toBe(4);
    expect(call.result).toEqual({ rc: 5 });
    expect(hv.domain(d)!.totPages).toBe(0);
  });

  test.each(versions)('on %s decrease_reservation without a list, or with a gpfn no copy can read, stops in one memory_op section', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 2, 0)).rc).toBe(2);
    for (const [extent_start, rc] of [[null, 0], [undefined, 0], [[0, -1], 1], [[1, 0.5], 1]] as const) {
      const call = hv.begin(0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 2, extent_order: 0, extent_start });
      const labels: string[] = [];
      while (!call.done) labels.push(stepChecked(hv, call));
      expect(labels.slice(-2)).toEqual(['memory_op', 'return']);
      expect(call.result).toEqual({ rc });
    }
    expect(hv.domain(d)!.totPages).toBe(0);
  });

  test.each(versions)('on %s decrease_reservation frees only mapped gpfns and stops at the first hole', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 8, 0)).rc).toBe(8);
    const free = hv.heap.totalAvailPages;
    const r = hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid: d, nr_extents: 4, extent_order: 0, extent_start: [0, 1, 50, 2] });
    expect(r.rc).toBe(2);
    expect(info(hv, d).tot_pages).toBe(6);
    expect(hv.heap.totalAvailPages).toBe(free + 2);
  });
});

describe('continuations (§5.3)', () => {
  test.each(versions)('on %s start_extent >= nr_extents returns start_extent and does nothing', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 3, 0), start_extent: 3 }).rc).toBe(3);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 3, 0), start_extent: 7 }).rc).toBe(7);
    expect(info(hv, d).tot_pages).toBe(0);
  });

  test.each(versions)('on %s a call resumed at start_extent does the remaining extents and returns the total', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 10, 0), start_extent: 4 }).rc).toBe(10);
    expect(info(hv, d).tot_pages).toBe(6);
    expect(hv.domain(d)!.p2m.lookup(3)).toBe(-1);
    expect(hv.domain(d)!.p2m.lookup(4)).toBeGreaterThan(0);
  });

  test.each(versions)('on %s a long populate is preempted, continues, and still returns the full count', (v) => {
    const hv = boot(v, 64);
    const d = createDomain(hv, 1 << 20);
    const call = hv.begin(0, POPULATE, populateArgs(d, 20, 9));
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(labels.filter((l) => l === 'continuation').length).toBeGreaterThanOrEqual(2);
    expect(call.result!.rc).toBe(20);
    expect(info(hv, d).tot_pages).toBe(20 * 512);
  });

  test('on 4.22 the first extent of each entry is never preempted: progress even with a zero time slice', () => {
    const hv = boot('4.22', 16, { costs: { preemptSliceNs: 0 } });
    const d = createDomain(hv, 100);
    const call = hv.begin(0, POPULATE, populateArgs(d, 5, 0));
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(call.result!.rc).toBe(5);
    expect(labels.filter((l) => l === 'continuation').length).toBe(4);
  });

  // The re-entered do_memory_op copies the reservation from guest memory again: a guest that
  // rewrote it meanwhile (here to a domain that does not exist) gets the index it had reached.
  test.each(['4.13', '4.22'] as const)('on %s a continuation decodes the arguments again: refused there, the call returns the extent reached', (v) => {
    const hv = boot(v, 16, { costs: { preemptSliceNs: 0 } });
    const d = createDomain(hv, 100);
    for (const [op, tot] of [[POPULATE, 1], ['XENMEM_decrease_reservation', 0]] as const) {
      const args = populateArgs(d, 5, 0) as { domid: number };
      const call = hv.begin(0, op, args);
      const labels: string[] = [];
      while (!labels.includes('continuation')) labels.push(stepChecked(hv, call));
      expect(hv.domain(d)!.totPages).toBe(tot);
      args.domid = 99;
      while (!call.done) labels.push(stepChecked(hv, call));
      expect(labels.slice(-3)).toEqual(['continuation', 'memory_op', 'return']);
      expect(call.result).toEqual({ rc: 1 });
      expect(hv.domain(d)!.totPages).toBe(tot);
    }
  });

  test('on 4.3 the first extent can be preempted (B13): with a zero time slice the call never progresses', () => {
    const hv = boot('4.3', 16, { costs: { preemptSliceNs: 0 } });
    const d = createDomain(hv, 100);
    const call = hv.begin(0, POPULATE, populateArgs(d, 5, 0));
    for (let i = 0; i < 50; i++) stepChecked(hv, call);
    expect(call.done).toBe(false);
    expect(hv.domain(d)!.totPages).toBe(0);
  });
});

describe('memop order limits (§5.4)', () => {
  test.each(versions)('on %s a guest may use order 9 for itself but not order 10', (v) => {
    const hv = boot(v, 16);
    const guest = createDomain(hv, 4096);
    expect(hypercallChecked(hv, guest, POPULATE, populateArgs(DOMID_SELF, 1, 10)).rc).toBe(0);
    expect(hypercallChecked(hv, guest, POPULATE, populateArgs(DOMID_SELF, 1, 9)).rc).toBe(1);
    // 4.3's decrease_reservation has no multipage check (only > MAX_ORDER): the 512 mapped pages
    // of the order-10 extent go, then the unmapped gfn 512 stops it (0 extents done).
    expect(hypercallChecked(hv, guest, 'XENMEM_decrease_reservation', { domid: DOMID_SELF, nr_extents: 1, extent_order: 10, extent_start: [0] }).rc).toBe(0);
    expect(info(hv, guest).tot_pages).toBe(v === '4.3' ? 0 : 512);
  });

  test.each(versions)('on %s the control domain may populate a 1 GiB (order 18) extent into a guest, not order 19', (v) => {
    const hv = boot(v, 4096, { dom0MiB: 64 }); // zone 19 holds two 1 GiB blocks; dom0 splits one
    const d = createDomain(hv, 1 << 20);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 1, 19)).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, populateArgs(d, 1, 18)).rc).toBe(1);
    expect(info(hv, d).tot_pages).toBe(2 ** 18);
  });
});

describe('node hints (§5.1, XSA-231)', () => {
  const twoNodes = (v: XenVersion): Hypervisor => boot(v, 32, { nodes: 2, dom0MiB: 2 });
  const nodeOfGpfn = (hv: Hypervisor, domid: number, gpfn: number): number => hv.heap.nodeOf(hv.domain(domid)!.p2m.lookup(gpfn));

  test.each(versions)('on %s the control domain gets an exact node request honoured', (v) => {
    const hv = twoNodes(v);
    const d = createDomain(hv, 100);
    const flags = xenmemfNode(1) | XENMEMF.exact_node_request;
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 2, 0), mem_flags: flags }).rc).toBe(2);
    expect(nodeOfGpfn(hv, d, 0)).toBe(1);
    expect(nodeOfGpfn(hv, d, 1)).toBe(1);
  });

  test.each([
    ['4.3', 1],
    ['4.13', 0],
    ['4.21', 0],
    ['4.22', 0],
  ] as const)('on %s a guest exact-node request for itself populates %i extents (refused since XSA-231)', (v, done) => {
    const hv = twoNodes(v);
    const guest = createDomain(hv, 100);
    const flags = xenmemfNode(1) | XENMEMF.exact_node_request;
    expect(hypercallChecked(hv, guest, POPULATE, { ...populateArgs(DOMID_SELF, 1, 0), mem_flags: flags }).rc).toBe(done);
    if (done === 1) expect(nodeOfGpfn(hv, guest, 0)).toBe(1);
  });

  test.each([
    ['4.3', 1],
    ['4.22', 0],
  ] as const)('on %s a guest node byte beyond the host is used unchecked %i times (B15 event)', (v, events) => {
    const hv = twoNodes(v);
    const guest = createDomain(hv, 100);
    const seen: HvEvent[] = [];
    hv.listeners.push((e) => seen.push(e));
    expect(hypercallChecked(hv, guest, POPULATE, { ...populateArgs(DOMID_SELF, 1, 0), mem_flags: xenmemfNode(40) }).rc).toBe(1);
    expect(seen.filter((e) => e.kind === 'xsa231').length).toBe(events);
  });

  test.each(versions)('on %s an exact-node flag without a node is ignored, not rejected (propagate_node)', (v) => {
    const hv = twoNodes(v);
    const guest = createDomain(hv, 100);
    expect(hypercallChecked(hv, guest, POPULATE, { ...populateArgs(DOMID_SELF, 1, 0), mem_flags: XENMEMF.exact_node_request }).rc).toBe(1);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(guest, 1, 0, 1), mem_flags: XENMEMF.exact_node_request }).rc).toBe(1);
  });

  test.each(versions.filter(([v]) => v !== '4.3'))('on %s a control-domain node >= MAX_NUMNODES is refused', (v) => {
    const hv = twoNodes(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 1, 0), mem_flags: xenmemfNode(64) }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 1, 0), mem_flags: xenmemfNode(63) }).rc).toBe(1);
  });

  test.each(versions)('on %s an exact request for an offline node fails instead of falling back', (v) => {
    const hv = twoNodes(v);
    const d = createDomain(hv, 100);
    const flags = xenmemfNode(5) | XENMEMF.exact_node_request;
    expect(hypercallChecked(hv, 0, POPULATE, { ...populateArgs(d, 1, 0), mem_flags: flags }).rc).toBe(0);
    expect(info(hv, d).tot_pages).toBe(0);
  });
});

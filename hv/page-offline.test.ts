// XEN_SYSCTL_page_offline_op (xen/common/sysctl.c; page_alloc.c offline_page, online_page,
// query_page_offline, reserve_offlined_page), per version, and the claims it leaves behind: bug B10
// in every release (outstanding_claims above total_avail_pages), the recall in the claim-set
// series ("[PATCH v7 2/3] xen/mm: Introduce NUMA-aware memory claim sets", reserve_offlined_page).

import { describe, expect, test } from 'vitest';
import {
  checkInvariants, DOMID_INVALID, EFAULT, EINVAL, ENOMEM, EPERM, Hypervisor, physinfo, XEN_VERSIONS, XENMEMF, xenmemfNode,
  XEN_DOMCTL_CLAIM_MEMORY_HOST as HOST, type XenVersion,
} from './index.ts';
import {
  MAX_STATUS, PG_OFFLINE_ANONYMOUS, PG_OFFLINE_FAILED, PG_OFFLINE_INVALID, PG_OFFLINE_OFFLINED, PG_OFFLINE_OWNED,
  PG_OFFLINE_PENDING, PG_OFFLINE_STATUS_OFFLINE_PENDING, PG_OFFLINE_STATUS_OFFLINED, PG_ONLINE_ONLINED,
} from './page-offline.ts';
import { createDomain, finishChecked, hypercallChecked, populateArgs } from '../prop-tests/drive.ts';

const OFFLINE = 1;
const ONLINE = 2;
const QUERY = 3;
const boot = (xen: XenVersion, nodes = 1) => new Hypervisor({ memoryMiB: 16, xen, nodes, dom0MiB: 1 });
const op = (hv: Hypervisor, cmd: number, start: number, end = start, caller = 0) =>
  hypercallChecked(hv, caller, 'XEN_SYSCTL_page_offline_op', { cmd, start, end }, true);
/** The highest free frame. */
function topFree(hv: Hypervisor): number {
  let mfn = hv.heap.nrPages - 1;
  while (hv.heap.ownerOf(mfn) !== 0xffff) mfn--;
  return mfn;
}

describe.each(XEN_VERSIONS.map((v) => [v] as const))('XEN_SYSCTL_page_offline_op on %s', (v) => {
  test('a free frame is offlined at once: out of total_avail_pages and physinfo, never allocated, online again', () => {
    const hv = boot(v);
    const mfn = topFree(hv);
    const free = hv.heap.totalAvailPages;
    const pfree = physinfo(hv).free_pages;
    expect(op(hv, OFFLINE, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_OFFLINED] });
    expect([hv.heap.totalAvailPages, physinfo(hv).free_pages, hv.heap.offlinedPages]).toEqual([free - 1, pfree - 1, 1]);
    expect(op(hv, QUERY, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_STATUS_OFFLINED] });
    expect(op(hv, OFFLINE, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_OFFLINED] }); // again: nothing changes
    expect(hv.heap.totalAvailPages).toBe(free - 1);
    // Every other free frame can still be populated; the offlined one is never handed out.
    const d = createDomain(hv, 1 << 20);
    const got = hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, free - 1, 0)).rc;
    expect(got).toBe(free - 1); // 4.3's MFN 1 (MEMZONE_XEN) is not in the heap at all
    expect(hv.heap.ownerOf(mfn)).not.toBe(d);
    expect(op(hv, ONLINE, mfn)).toEqual({ rc: 0, status: [PG_ONLINE_ONLINED] });
    expect([hv.heap.offlinedPages, hv.heap.totalAvailPages]).toEqual([0, 1]);
    expect(op(hv, QUERY, mfn)).toEqual({ rc: 0, status: [0] });
  });

  test('a frame in use is pending (owner in bits 16..31) and offlined when its domain frees it', () => {
    const hv = boot(v);
    const d = createDomain(hv, 4096);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 4, 0)).rc).toBe(4);
    const mfn = hv.domain(d)!.p2m.lookup(2);
    expect(hv.heap.ownerOf(mfn)).toBe(d);
    expect(op(hv, OFFLINE, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_OWNED | PG_OFFLINE_PENDING | (d << 16)] });
    expect(op(hv, QUERY, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_STATUS_OFFLINE_PENDING] });
    const free = hv.heap.totalAvailPages;
    expect(finishChecked(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d }), true).rc).toBe(0);
    expect(hv.heap.totalAvailPages).toBe(free + 3); // 4 freed, 1 offlined on the way
    expect(op(hv, QUERY, mfn)).toEqual({ rc: 0, status: [PG_OFFLINE_STATUS_OFFLINED] });
    checkInvariants(hv, true);
  });

  test('a pending frame brought online before it is freed goes back to the heap as usual', () => {
    const hv = boot(v);
    const d = createDomain(hv, 4096);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0)).rc).toBe(1);
    const mfn = hv.domain(d)!.p2m.lookup(0);
    op(hv, OFFLINE, mfn);
    expect(op(hv, ONLINE, mfn)).toEqual({ rc: 0, status: [PG_ONLINE_ONLINED] });
    const free = hv.heap.totalAvailPages;
    expect(finishChecked(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d }), true).rc).toBe(0);
    expect([hv.heap.totalAvailPages, hv.heap.offlinedPages]).toEqual([free + 1, 0]);
  });

  test('an anonymous frame (MFN 0, never in the heap) fails with DOMID_INVALID as owner but is marked', () => {
    const hv = boot(v);
    expect(op(hv, OFFLINE, 0)).toEqual({ rc: 0, status: [PG_OFFLINE_ANONYMOUS | PG_OFFLINE_FAILED | (DOMID_INVALID << 16)] });
    expect(op(hv, QUERY, 0)).toEqual({ rc: 0, status: [PG_OFFLINE_STATUS_OFFLINE_PENDING] });
  });

  test('errors: xsm_sysctl -EPERM, end < start -EINVAL, the loop stops at the first bad frame or cmd (the rest INVALID)', () => {
    const hv = boot(v);
    const top = topFree(hv);
    expect(op(hv, QUERY, 5, 5, createDomain(hv, 100)).rc).toBe(-EPERM);
    expect(op(hv, OFFLINE, 9, 8)).toEqual({ rc: -EINVAL });
    expect(op(hv, 7, 10, 11)).toEqual({ rc: -EINVAL, status: [PG_OFFLINE_INVALID, PG_OFFLINE_INVALID] });
    const free = hv.heap.totalAvailPages;
    expect(op(hv, OFFLINE, top, top)).toEqual({ rc: 0, status: [PG_OFFLINE_OFFLINED] });
    expect(hv.heap.totalAvailPages).toBe(free - 1);
    const last = hv.heap.nrPages - 1;
    const r = op(hv, QUERY, last, last + 2);
    expect(r.rc).toBe(-EINVAL);
    expect((r.status as number[]).slice(1)).toEqual([PG_OFFLINE_INVALID, PG_OFFLINE_INVALID]);
    expect((r.status as number[])[0]).not.toBe(PG_OFFLINE_INVALID);
    expect(op(hv, OFFLINE, last + 1).rc).toBe(-EINVAL);
    expect(op(hv, ONLINE, last + 1).rc).toBe(-EINVAL);
    expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_page_offline_op', { cmd: 1, start: -1, end: 2 }).rc).toBe(-EFAULT);
    expect(op(hv, QUERY, 0, MAX_STATUS)).toEqual({ rc: -ENOMEM });
  });

  test('offlining splits the free buddy around the frame: the rest stays allocatable as maximal blocks', () => {
    const hv = boot(v);
    const mfn = topFree(hv) - 5;
    op(hv, OFFLINE, mfn);
    op(hv, OFFLINE, mfn + 1);
    checkInvariants(hv, true); // buddy-merged / free-on-list / conservation / offlined-count
    expect(op(hv, ONLINE, mfn).rc).toBe(0);
    expect(op(hv, ONLINE, mfn + 1).rc).toBe(0);
    checkInvariants(hv, true);
    expect(hv.heap.freeBlockOf(mfn)?.[1]).toBeGreaterThan(1); // merged back
  });
});

describe('claims after offlining free memory', () => {
  test.each(XEN_VERSIONS.filter((v) => v !== '4.22+claim-sets').map((v) => [v] as const))(
    'on %s claims are not recalled: outstanding_claims ends above total_avail_pages (B10)', (v) => {
      const hv = boot(v);
      const d = createDomain(hv, 1 << 20);
      expect(hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: hv.heap.totalAvailPages }).rc).toBe(0);
      expect(op(hv, OFFLINE, topFree(hv), topFree(hv)).rc).toBe(0);
      expect(hv.heap.outstandingClaims).toBe(hv.heap.totalAvailPages + 1);
      expect(hv.domain(d)!.outstandingPages).toBe(hv.heap.totalAvailPages + 1);
    },
  );

  test('on 4.22+claim-sets the node claims, then the host-wide claims are recalled until both fit again', () => {
    const hv = boot('4.22+claim-sets', 2);
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    const node1 = hv.heap.nodeAvailPages(1);
    const rest = hv.heap.totalAvailPages - node1;
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: a, claim_set: [{ pages: node1 - 3, target: 1 }] }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: b, claim_set: [{ pages: 3, target: 1 }, { pages: rest, target: HOST }] }).rc).toBe(0);
    // Offline 2 free frames of node 1: node 1 is over-claimed by 2; a (lower domid) gives them back.
    const top = topFree(hv);
    expect(op(hv, OFFLINE, top - 1, top).rc).toBe(0);
    expect([hv.domain(a)!.nodeClaims![1], hv.domain(b)!.nodeClaims![1]]).toEqual([node1 - 5, 3]);
    expect(hv.heap.nodeOutstanding[1]).toBe(hv.heap.nodeAvailPages(1));
    // Now a frame of node 0: nothing over-claimed on node 0, but the host total is: b's host claim pays.
    let low = hv.heap.nodeRange(0)[1] - 1;
    while (hv.heap.ownerOf(low) !== 0xffff) low--;
    expect(op(hv, OFFLINE, low).rc).toBe(0);
    expect(hv.heap.outstandingClaims).toBe(hv.heap.totalAvailPages);
    expect(hv.domain(b)!.outstandingPages).toBe(3 + rest - 1);
    checkInvariants(hv, true);
  });

  test('on 4.22+claim-sets a frame offlined when freed recalls as well', () => {
    const hv = boot('4.22+claim-sets', 1);
    const d = createDomain(hv, 1 << 20);
    const g = createDomain(hv, 1 << 20);
    const exact0 = XENMEMF.exact_node_request | xenmemfNode(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { ...populateArgs(g, 1, 0), mem_flags: exact0 }).rc).toBe(1);
    const mfn = hv.domain(g)!.p2m.lookup(0);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: d, claim_set: [{ pages: hv.heap.totalAvailPages, target: HOST }] }).rc).toBe(0);
    op(hv, OFFLINE, mfn);
    // g's page comes back to the heap and is offlined at once: d's claim still fits.
    expect(hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid: g, nr_extents: 1, extent_order: 0, extent_start: [0] }).rc).toBe(1);
    expect(hv.heap.outstandingClaims).toBeLessThanOrEqual(hv.heap.totalAvailPages);
    expect(hv.heap.offlinedPages).toBe(1);
  });
});

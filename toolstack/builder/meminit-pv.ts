// ≈ libxenguest's meminit_pv (xg_dom_x86.c 4.22; arch_setup_meminit in xc_dom_x86.c of 4.3):
// claim dom->total_pages, populate 2 MiB extents in batches of 512 (4.6+), the rest in 4 KiB
// chunks of 1M pages, then cancel the claim, per vmemrange (one dummy range without vNUMA; with
// vNUMA each range's vnode's pnode as XENMEMF_exact_node). libxl refuses PV vNUMA since 4.7
// (27524b5e15), so xl never gets there; the ranges are kept as meminit_pv has them. Leaves out:
// the p2m/m2p bookkeeping (every guest is auto-translated in hv/), address-size setup.

import { gpfnList } from './xc.ts';
import {
  isLegacyLibxc, PAGES_4K_CHUNK, SUPERPAGE_2MB_NR_PFNS, SUPERPAGE_2MB_SHIFT, SUPERPAGE_BATCH_SIZE, XC_NUMA_NO_NODE,
  type DomImage, type PfnRange,
} from './meminit-context.ts';
import { xenmemfExactNode } from './meminit-hvm.ts';

/** @returns 0, or -1 with dom.xc.errno set (and messages on the xc log). */
export async function meminitPv(dom: DomImage): Promise<number> {
  return isLegacyLibxc(dom.version) ? meminitPvLegacy(dom) : meminitPvModern(dom);
}

/** 4.6+: claim (return at once on failure), per range 2 MiB batches then 4 KiB; a failure leaves the claim. */
async function meminitPvModern(dom: DomImage): Promise<number> {
  const { xc, domid, totalPages } = dom;
  if (dom.claimEnabled) {
    const rc = await xc.claimPages(domid, totalPages);
    if (rc !== 0) return rc;
  }
  const vnuma = dom.vmemranges.length > 0;
  const ranges: readonly PfnRange[] = vnuma ? dom.vmemranges : [{ start: 0, end: totalPages, nid: 0 }];
  const total = ranges.reduce((a, r) => a + r.end - r.start, 0);
  if (total !== totalPages) {
    xc.panic(dom.sites.meminitPv!, 'Internal error', `meminit_pv: vNUMA page count mismatch (0x${total.toString(16)} != 0x${totalPages.toString(16)})`);
    xc.errno = 22; // -EINVAL, returned as is
    return -22;
  }
  for (const [i, range] of ranges.entries()) {
    const pnode = vnuma ? dom.vnodeToPnode[range.nid]! : XC_NUMA_NO_NODE;
    const rc = await populatePvRange(dom, range, i, pnode);
    if (rc !== 0) return rc;
  }
  await xc.claimPages(domid, 0); // "cancel claim"
  return 0;
}

/** One vmemrange: 2 MiB extents in batches (a short count falls back), then exact 4 KiB chunks. */
async function populatePvRange(dom: DomImage, range: PfnRange, index: number, pnode: number): Promise<number> {
  const { xc, domid } = dom;
  const memflags = pnode === XC_NUMA_NO_NODE ? 0 : xenmemfExactNode(pnode);
  const pages = range.end - range.start;
  let pfn = range.start;
  let superPages = pages >> SUPERPAGE_2MB_SHIFT;
  while (superPages > 0) {
    const count = Math.min(superPages, SUPERPAGE_BATCH_SIZE);
    superPages -= count;
    const done = await xc.populatePhysmap(domid, count, SUPERPAGE_2MB_SHIFT, memflags, gpfnList(pfn, count, SUPERPAGE_2MB_NR_PFNS));
    if (done < 0) return done;
    pfn += done * SUPERPAGE_2MB_NR_PFNS;
  }
  for (let j = pfn - range.start; j < pages; ) {
    const allocsz = Math.min(PAGES_4K_CHUNK, pages - j);
    const rc = await xc.populatePhysmapExact(domid, allocsz, 0, memflags, gpfnList(range.start + j, allocsz));
    if (rc !== 0) {
      // No cancel here since 4.6: the claim lingers until the domain is destroyed.
      const where = pnode === XC_NUMA_NO_NODE ? '' : ` (v=${index}, p=${pnode})`;
      xc.panic(dom.sites.meminitPv!, 'Internal error', `meminit_pv: failed to allocate 0x${pages.toString(16)} pages${where}`);
      return rc;
    }
    j += allocsz;
  }
  return 0;
}

/**
 * 4.3–4.5 arch_setup_meminit: with dom->superpages (xm only) exact 2 MiB extents and no claim;
 * otherwise claim, 4 KiB chunks only, and cancel after the loop even on failure. No message of
 * its own on failure: the caller's xc_dom_boot_mem_init panic is all the user sees.
 */
async function meminitPvLegacy(dom: DomImage): Promise<number> {
  const { xc, domid, totalPages } = dom;
  if (dom.superpages) {
    const count = totalPages >> SUPERPAGE_2MB_SHIFT;
    return xc.populatePhysmapExact(domid, count, SUPERPAGE_2MB_SHIFT, 0, gpfnList(0, count, SUPERPAGE_2MB_NR_PFNS));
  }
  if (dom.claimEnabled) {
    const rc = await xc.claimPages(domid, totalPages);
    if (rc !== 0) return rc;
  }
  let rc = 0;
  for (let i = 0; i < totalPages && rc === 0; ) {
    const allocsz = Math.min(PAGES_4K_CHUNK, totalPages - i);
    rc = await xc.populatePhysmapExact(domid, allocsz, 0, 0, gpfnList(i, allocsz));
    i += allocsz;
  }
  // "Ensure no unclaimed pages are left unused. OK to call if hadn't done the earlier claim call."
  await xc.claimPages(domid, 0);
  return rc;
}

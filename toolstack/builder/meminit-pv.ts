// ≈ libxenguest's meminit_pv (xg_dom_x86.c 4.22; arch_setup_meminit in xc_dom_x86.c of 4.3):
// claim dom->total_pages, populate 2 MiB extents in batches of 512 (4.6+), the rest in 4 KiB
// chunks of 1M pages, then cancel the claim. Leaves out: vNUMA (one dummy vmemrange), the
// p2m/m2p bookkeeping (every guest is auto-translated in hv/), address-size setup.

import { gpfnList } from './xc.ts';
import {
  isLegacyLibxc, PAGES_4K_CHUNK, SUPERPAGE_2MB_NR_PFNS, SUPERPAGE_2MB_SHIFT, SUPERPAGE_BATCH_SIZE, type DomImage,
} from './meminit-context.ts';

/** @returns 0, or -1 with dom.xc.errno set (and messages on the xc log). */
export async function meminitPv(dom: DomImage): Promise<number> {
  return isLegacyLibxc(dom.version) ? meminitPvLegacy(dom) : meminitPvModern(dom);
}

/** 4.6+: claim (return at once on failure), 2 MiB batches, 4 KiB rest; a failure leaves the claim. */
async function meminitPvModern(dom: DomImage): Promise<number> {
  const { xc, domid, totalPages } = dom;
  if (dom.claimEnabled) {
    const rc = await xc.claimPages(domid, totalPages);
    if (rc !== 0) return rc;
  }
  let pfn = 0;
  const superPages = totalPages >> SUPERPAGE_2MB_SHIFT;
  for (let j = 0; j < superPages; ) {
    const count = Math.min(superPages - j, SUPERPAGE_BATCH_SIZE);
    const done = await xc.populatePhysmap(domid, count, SUPERPAGE_2MB_SHIFT, 0, gpfnList(pfn, count, SUPERPAGE_2MB_NR_PFNS));
    if (done > 0) {
      pfn += done * SUPERPAGE_2MB_NR_PFNS;
      j += done;
    }
    if (done !== count) break; // fall back to 4 KiB pages for the rest
  }
  for (let j = pfn; j < totalPages; ) {
    const allocsz = Math.min(PAGES_4K_CHUNK, totalPages - j);
    const rc = await xc.populatePhysmapExact(domid, allocsz, 0, 0, gpfnList(j, allocsz));
    if (rc !== 0) {
      // No cancel here since 4.6: the claim lingers until the domain is destroyed.
      xc.panic(dom.sites.meminitPv!, 'Internal error', `meminit_pv: failed to allocate 0x${totalPages.toString(16)} pages`);
      return rc;
    }
    j += allocsz;
  }
  await xc.claimPages(domid, 0); // "cancel claim"
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

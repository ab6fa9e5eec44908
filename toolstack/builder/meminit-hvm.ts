// ≈ libxenguest's meminit_hvm (xg_dom_x86.c 4.22) and, under bug B6, 4.3's setup_guest
// (xc_hvm_build_x86.c): claim, the first 0xA0 pages and the VGA hole with a device model, then
// per step 1 GiB → 2 MiB (8 MiB batches) → 4 KiB extents, and the claim cancelled at `out:`
// on every path. Leaves out: vNUMA, special pages, the MMIO-hole check beyond splitting the
// guest's memory at the hole (a step never crosses a range end, so no 1 GiB extent covers it).
// DIVERGENCE: PoD is not modelled in hv/; a pre-ballooned guest (maxmem > memory) gets its
// target populated for real (gpfns below target) instead of PoD entries plus a PoD cache, which
// consumes the same claim and leaves the same free memory.

import { STRERROR } from '../../hv/errno.ts';
import { gpfnList } from './xc.ts';
import {
  isLegacyLibxc, SUPERPAGE_1GB_NR_PFNS, SUPERPAGE_1GB_SHIFT, SUPERPAGE_2MB_NR_PFNS, SUPERPAGE_2MB_SHIFT, type DomImage,
} from './meminit-context.ts';

/** LIBXL_VGA_HOLE_SIZE: 0xA0000–0xC0000, in pages. */
export const VGA_HOLE_SIZE = 0x20;
/** Low RAM below the VGA hole (0–640 KiB), populated with 4 KiB pages first. */
const LOW_RAM_PAGES = 0xa0;
/** End of the VGA hole: population resumes here. */
const VGA_HOLE_END = 0xc0;
/** Guest RAM below 4 GiB ends where the MMIO hole starts (libxl's default 256 MiB hole). */
const MMIO_HOLE_START = 0xf0000;
const FOUR_GIB_PFN = 0x100000;

/** The guest's RAM as vmemranges [start, end) in pfns: split around the MMIO hole. */
function vmemranges(pages: number): Array<[number, number]> {
  if (pages <= MMIO_HOLE_START) return [[0, pages]];
  return [[0, MMIO_HOLE_START], [FOUR_GIB_PFN, FOUR_GIB_PFN + pages - MMIO_HOLE_START]];
}

/** @returns 0, or -1 with dom.xc.errno set. */
export async function meminitHvm(dom: DomImage): Promise<number> {
  return dom.bugs.has('B6') && dom.deviceModel ? setupGuest43(dom) : meminitHvmModern(dom);
}

/** Pages the builder populates: all of total_pages, or the target in (modelled) PoD mode. */
function populatedPages(dom: DomImage): number {
  return dom.totalPages > dom.targetPages ? dom.targetPages : dom.totalPages;
}

async function meminitHvmModern(dom: DomImage): Promise<number> {
  const { xc, domid } = dom;
  const vgaHole = dom.deviceModel ? VGA_HOLE_SIZE : 0;
  let rc = 0;
  if (dom.claimEnabled) {
    // Before the PoD target is set: the PoD call allocates memory.
    rc = await xc.claimPages(domid, dom.targetPages - vgaHole);
    if (rc !== 0) {
      claimFailed(dom);
      await xc.claimPages(domid, 0); // out:
      return rc;
    }
  }
  const ranges = vmemranges(populatedPages(dom));
  for (let v = 0; v < ranges.length && rc === 0; v++) {
    let [cur, end] = ranges[v];
    if (dom.deviceModel && v === 0) {
      rc = await xc.populatePhysmapExact(domid, LOW_RAM_PAGES, 0, 0, gpfnList(0, LOW_RAM_PAGES));
      cur = VGA_HOLE_END;
    }
    // A failure here is DOMPRINTF("Could not allocate memory for HVM guest."): detail level.
    if (rc === 0) rc = await populateRange(dom, cur, end);
  }
  await xc.claimPages(domid, 0); // out: cancel on success and on error
  return rc;
}

/** The claim failure message: an error-level PERROR in 4.3–4.6, a detail line since 4.7. */
function claimFailed(dom: DomImage): void {
  if (isLegacyLibxc(dom.version)) {
    perror(dom, 'Could not allocate memory for HVM guest as we cannot claim memory!');
  }
}

/** PERROR: `<msg> (<errno> = <strerror>)` reported as an internal error. */
function perror(dom: DomImage, msg: string): void {
  dom.xc.report('Internal error', `${msg} (${dom.xc.errno} = ${strerror(dom.xc.errno)})`);
}

function strerror(errno: number): string {
  return STRERROR[errno] ?? `Unknown error ${errno}`;
}

/**
 * B6, 4.3's setup_guest: populate the first 0xA0 pages, then claim `nr_pages - 0xc0` as if it
 * were an increment (it is the absolute target: too small, or EINVAL when <= tot_pages), then the
 * loop from 0xC0; the claim is cancelled after the loop, whatever happened.
 */
async function setupGuest43(dom: DomImage): Promise<number> {
  const { xc, domid } = dom;
  let rc = await xc.populatePhysmapExact(domid, LOW_RAM_PAGES, 0, 0, gpfnList(0, LOW_RAM_PAGES));
  if (rc !== 0) return rc;
  if (dom.claimEnabled) {
    rc = await xc.claimPages(domid, dom.totalPages - VGA_HOLE_END);
    if (rc !== 0) {
      claimFailed(dom);
      return rc;
    }
  }
  const ranges = vmemranges(populatedPages(dom));
  for (let v = 0; v < ranges.length && rc === 0; v++) {
    rc = await populateRange(dom, v === 0 ? VGA_HOLE_END : ranges[v][0], ranges[v][1]);
  }
  await xc.claimPages(domid, 0); // "ensure no unclaimed pages are left unused"
  if (rc !== 0 && isLegacyLibxc(dom.version)) perror(dom, 'Could not allocate memory for HVM guest.');
  return rc;
}

/**
 * The population loop over [cur, end): each step takes at most 1 GiB up to the next 1 GiB
 * boundary and tries one order-18 extent if aligned; what remains is clipped to 8 MiB and the
 * next 2 MiB boundary and tried as order-9 extents if aligned; the rest goes as exact 4 KiB.
 * Superpage short counts are never errors. @returns 0 or -1 (a failed 4 KiB populate).
 */
async function populateRange(dom: DomImage, cur: number, end: number): Promise<number> {
  const { xc, domid } = dom;
  while (end > cur) {
    let count = Math.min(end - cur, SUPERPAGE_1GB_NR_PFNS);
    const curPfn = cur;
    count = clipToBoundary(curPfn, count, SUPERPAGE_1GB_NR_PFNS);
    if (((count | curPfn) & (SUPERPAGE_1GB_NR_PFNS - 1)) === 0) {
      const n = count >> SUPERPAGE_1GB_SHIFT;
      const done = await xc.populatePhysmap(domid, n, SUPERPAGE_1GB_SHIFT, 0, gpfnList(cur, n, SUPERPAGE_1GB_NR_PFNS));
      if (done > 0) {
        cur += done << SUPERPAGE_1GB_SHIFT;
        count -= done << SUPERPAGE_1GB_SHIFT;
      }
    }
    if (count !== 0) {
      count = Math.min(count, SUPERPAGE_2MB_NR_PFNS * 4);
      count = clipToBoundary(curPfn, count, SUPERPAGE_2MB_NR_PFNS);
      if (((count | curPfn) & (SUPERPAGE_2MB_NR_PFNS - 1)) === 0) {
        const n = count >> SUPERPAGE_2MB_SHIFT;
        const done = await xc.populatePhysmap(domid, n, SUPERPAGE_2MB_SHIFT, 0, gpfnList(cur, n, SUPERPAGE_2MB_NR_PFNS));
        if (done > 0) {
          cur += done << SUPERPAGE_2MB_SHIFT;
          count -= done << SUPERPAGE_2MB_SHIFT;
        }
      }
    }
    if (count !== 0) {
      const rc = await xc.populatePhysmapExact(domid, count, 0, 0, gpfnList(cur, count));
      if (rc !== 0) return rc;
      cur += count;
    }
  }
  return 0;
}

/**
 * "Take care the corner cases of super page tails": an unaligned start is clipped to the next
 * boundary; an aligned start with a count above one superpage drops its non-superpage tail.
 */
function clipToBoundary(curPfn: number, count: number, nrPfns: number): number {
  const toBoundary = -curPfn & (nrPfns - 1);
  if ((curPfn & (nrPfns - 1)) !== 0 && count > toBoundary) return toBoundary;
  if ((count & (nrPfns - 1)) !== 0 && count > nrPfns) return count & ~(nrPfns - 1);
  return count;
}

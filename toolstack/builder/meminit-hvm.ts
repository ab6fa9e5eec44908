// ≈ libxenguest's meminit_hvm (xg_dom_x86.c 4.22) and, under bug B6, 4.3's setup_guest
// (xc_hvm_build_x86.c): claim, the first 0xA0 pages and the VGA hole with a device model, then
// per step 1 GiB → 2 MiB (8 MiB batches) → 4 KiB extents, and the claim cancelled at `out:`
// on every path. With vNUMA (libxl's dom->vmemranges) each range is populated with
// XENMEMF_exact_node(its vnode's pnode). Leaves out: special pages, the MMIO-hole check beyond
// splitting the guest's memory at the hole (a step never crosses a range end, so no 1 GiB extent
// covers it).
// DIVERGENCE: PoD is not modelled in hv/; a pre-ballooned guest (maxmem > memory) gets its
// target populated for real (gpfns below target) instead of PoD entries plus a PoD cache, which
// consumes the same claim and leaves the same free memory.

import { STRERROR } from '../../hv/errno.ts';
import { xenmemfNode, XENMEMF } from '../../hv/flags.ts';
import { gpfnList } from './xc.ts';
import {
  isLegacyLibxc, SUPERPAGE_1GB_NR_PFNS, SUPERPAGE_1GB_SHIFT, SUPERPAGE_2MB_NR_PFNS, SUPERPAGE_2MB_SHIFT, XC_NUMA_NO_NODE,
  type DomImage, type PfnRange,
} from './meminit-context.ts';
import { claimSetFor } from './vnuma.ts';

/** XENMEMF_exact_node(n): the node and the exact-node bit. */
export const xenmemfExactNode = (node: number): number => xenmemfNode(node) | XENMEMF.exact_node_request;

/** LIBXL_VGA_HOLE_SIZE: 0xA0000–0xC0000, in pages. */
export const VGA_HOLE_SIZE = 0x20;
/** Low RAM below the VGA hole (0–640 KiB), populated with 4 KiB pages first. */
const LOW_RAM_PAGES = 0xa0;
/** End of the VGA hole: population resumes here. */
const VGA_HOLE_END = 0xc0;
/** Guest RAM below 4 GiB ends where the MMIO hole starts (libxl's default 256 MiB hole). */
export const MMIO_HOLE_START = 0xf0000;
const FOUR_GIB_PFN = 0x100000;

/** The dummy vmemranges without vNUMA: the guest's RAM split around the MMIO hole, on vnode 0. */
function dummyVmemranges(pages: number): PfnRange[] {
  if (pages <= MMIO_HOLE_START) return [{ start: 0, end: pages, nid: 0 }];
  return [{ start: 0, end: MMIO_HOLE_START, nid: 0 }, { start: FOUR_GIB_PFN, end: FOUR_GIB_PFN + pages - MMIO_HOLE_START, nid: 0 }];
}

/** The ranges and each vnode's pnode meminit_hvm works through. */
function rangesOf(dom: DomImage): { ranges: readonly PfnRange[]; pnodeOf: (r: PfnRange) => number } {
  if (dom.vmemranges.length === 0) return { ranges: dummyVmemranges(populatedPages(dom)), pnodeOf: () => XC_NUMA_NO_NODE };
  return { ranges: dom.vmemranges, pnodeOf: (r) => dom.vnodeToPnode[r.nid]! };
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
  const { ranges, pnodeOf } = rangesOf(dom);
  let rc = 0;
  if (dom.claimEnabled) {
    // Before the PoD target is set: the PoD call allocates memory.
    rc = await stakeClaim(dom, ranges, pnodeOf, vgaHole);
    if (rc !== 0) {
      claimFailed(dom);
      await xc.claimPages(domid, 0); // out:
      return rc;
    }
  }
  if (dom.deviceModel) {
    // The first 0xA0 pages go with the plain memflags: no node, whatever the vNUMA layout.
    rc = await xc.populatePhysmapExact(domid, LOW_RAM_PAGES, 0, 0, gpfnList(0, LOW_RAM_PAGES));
  }
  for (let v = 0; v < ranges.length && rc === 0; v++) {
    const range = ranges[v]!;
    const pnode = pnodeOf(range);
    const memflags = pnode === XC_NUMA_NO_NODE ? 0 : xenmemfExactNode(pnode);
    const cur = range.start === 0 && dom.deviceModel ? VGA_HOLE_END : range.start;
    // A failure here is DOMPRINTF("Could not allocate memory for HVM guest."): detail level.
    rc = await populateRange(dom, cur, range.end, memflags);
  }
  await xc.claimPages(domid, 0); // out: cancel on success and on error
  return rc;
}

/**
 * The early-warning claim: xc_domain_claim_pages(target_pages - vga_hole_size), or, for a vNUMA
 * guest on a hypervisor with claim sets, one claim set with an entry per physical node.
 * DIVERGENCE: PROPOSED behaviour, not upstream — the claim-set series dropped libxl's
 * claim_on_node and no posted libxl code claims per vNUMA node; this is what the series' per-node
 * claims are for. The cancel at `out:` stays the legacy 0-page claim, which releases every entry.
 */
async function stakeClaim(dom: DomImage, ranges: readonly PfnRange[], pnodeOf: (r: PfnRange) => number, vgaHole: number): Promise<number> {
  if (!dom.claimSets || dom.vmemranges.length === 0) return dom.xc.claimPages(dom.domid, dom.targetPages - vgaHole);
  const entries = claimSetFor(ranges.map((r) => ({ startPfn: r.start, pages: r.end - r.start, pnode: pnodeOf(r) })), dom.deviceModel ? vgaHole : 0);
  return dom.xc.claimMemory(dom.domid, entries);
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
 * loop from 0xC0; the claim is cancelled at `out:` on every path, a failed claim's too.
 * setup_guest does not check the low populate's rc: the claim's rc replaces it, and without a
 * claim a failed low populate only keeps the loop (`while ( (rc == 0) && … )`) from starting.
 */
async function setupGuest43(dom: DomImage): Promise<number> {
  const { xc, domid } = dom;
  let rc = await xc.populatePhysmapExact(domid, LOW_RAM_PAGES, 0, 0, gpfnList(0, LOW_RAM_PAGES));
  if (dom.claimEnabled) {
    rc = await xc.claimPages(domid, dom.totalPages - VGA_HOLE_END);
    if (rc !== 0) {
      claimFailed(dom);
      await xc.claimPages(domid, 0); // error_out: → out:
      return rc;
    }
  }
  const ranges = dummyVmemranges(populatedPages(dom));
  for (let v = 0; v < ranges.length && rc === 0; v++) {
    rc = await populateRange(dom, v === 0 ? VGA_HOLE_END : ranges[v]!.start, ranges[v]!.end, 0);
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
async function populateRange(dom: DomImage, cur: number, end: number, memflags: number): Promise<number> {
  const { xc, domid } = dom;
  while (end > cur) {
    let count = Math.min(end - cur, SUPERPAGE_1GB_NR_PFNS);
    const curPfn = cur;
    count = clipToBoundary(curPfn, count, SUPERPAGE_1GB_NR_PFNS);
    if (((count | curPfn) & (SUPERPAGE_1GB_NR_PFNS - 1)) === 0) {
      const n = count >> SUPERPAGE_1GB_SHIFT;
      const done = await xc.populatePhysmap(domid, n, SUPERPAGE_1GB_SHIFT, memflags, gpfnList(cur, n, SUPERPAGE_1GB_NR_PFNS));
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
        const done = await xc.populatePhysmap(domid, n, SUPERPAGE_2MB_SHIFT, memflags, gpfnList(cur, n, SUPERPAGE_2MB_NR_PFNS));
        if (done > 0) {
          cur += done << SUPERPAGE_2MB_SHIFT;
          count -= done << SUPERPAGE_2MB_SHIFT;
        }
      }
    }
    if (count !== 0) {
      const rc = await xc.populatePhysmapExact(domid, count, 0, memflags, gpfnList(cur, count));
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

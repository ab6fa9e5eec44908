// What libxenguest's arch meminit hooks see of `struct xc_dom_image` (xg_dom_core.c): the
// sizes libxl computed, the claim switch, and the libxenctrl handle.

import type { XenVersion } from '../../hv/version.ts';
import type { ToolstackBug } from '../bugs.ts';
import type { SourceSites } from './sites.ts';
import type { Xc } from './xc.ts';

export const SUPERPAGE_2MB_SHIFT = 9;
export const SUPERPAGE_1GB_SHIFT = 18;
export const SUPERPAGE_2MB_NR_PFNS = 1 << SUPERPAGE_2MB_SHIFT;
export const SUPERPAGE_1GB_NR_PFNS = 1 << SUPERPAGE_1GB_SHIFT;
/** meminit_pv: at most 512 2 MiB extents (1 GiB) per populate call. */
export const SUPERPAGE_BATCH_SIZE = 512;
/** 4 KiB extents go in calls of at most 1024 × 1024 pages (4 GiB). */
export const PAGES_4K_CHUNK = 1024 * 1024;

export interface DomImage {
  readonly xc: Xc;
  readonly domid: number;
  readonly version: XenVersion;
  readonly bugs: ReadonlySet<ToolstackBug>;
  readonly sites: SourceSites;
  /** dom->claim_enabled (libxl: b_info->claim_mode, i.e. xl.conf claim_mode != 0). */
  readonly claimEnabled: boolean;
  /** dom->total_pages: PV target, HVM/PVH maxmem − video (4 KiB pages). */
  readonly totalPages: number;
  /** dom->target_pages (HVM/PVH): target − video. */
  readonly targetPages: number;
  /** HVM has a device model (VGA hole, first 0xA0 pages); PVH does not. */
  readonly deviceModel: boolean;
  /** dom->superpages: only the legacy xm path set it (Xen 4.3 PV builder). */
  readonly superpages: boolean;
  /**
   * dom->vmemranges in pfns (empty without vNUMA: meminit builds its dummy ranges) and
   * dom->vnode_to_pnode, from libxl's vNUMA build.
   */
  readonly vmemranges: readonly PfnRange[];
  readonly vnodeToPnode: readonly number[];
  /** The hypervisor has claim sets (XEN_DOMCTL_claim_memory): the proposed vNUMA claim path. */
  readonly claimSets: boolean;
}

/** A vmemrange in guest pfns [start, end) on virtual node nid. */
export interface PfnRange {
  readonly start: number;
  readonly end: number;
  readonly nid: number;
}

/** XC_NUMA_NO_NODE: the dummy vnode's pnode (allocate anywhere). */
export const XC_NUMA_NO_NODE = -1;

/** 4.3–4.5 libxc (the only pre-4.6 version modelled is 4.3). */
export function isLegacyLibxc(version: XenVersion): boolean {
  return version === '4.3';
}

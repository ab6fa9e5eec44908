// Toolstack-level historical bugs (the reference's bug table, xen-hypervisor.md), as named
// switches in the style of hv/version.ts HV_BUGS: a version implies the bugs its libxc shipped
// with; `inject` adds more, so a race-hunting campaign can prove it finds each one. The
// hypervisor ignores these names (isHvBug is false for them).

import type { XenVersion } from '../hv/version.ts';

/** Bugs libxc/libxenguest can carry. Each names the Xen commit that fixed it. */
export const TOOLSTACK_BUGS = {
  /**
   * libxc 4.3 HVM claim wrong: after populating the first 0xa0 pages (and after PoD setup) it
   * claims `nr_pages - 0xc0` — an incremental count passed as the absolute target, based on
   * maxmem — so the claim is too small, or EINVAL when it is <= tot_pages. Fixed 46b5f0fd1f (4.4.0).
   */
  B6: 'libxc 4.3 HVM claim: nr_pages - 0xc0 after populating 0xa0 pages',
  /**
   * xc_domain_claim_pages squashes ENOSYS to success, so a toolstack on a hypervisor without
   * claims believes it holds a reservation. Fixed 7672602df6 (4.22.0).
   */
  B7: 'xc_domain_claim_pages squashes ENOSYS to success',
} as const;
export type ToolstackBug = keyof typeof TOOLSTACK_BUGS;

/** The toolstack bugs each version shipped with. */
export const NATIVE_TOOLSTACK_BUGS: Readonly<Record<XenVersion, readonly ToolstackBug[]>> = {
  '4.3': ['B6', 'B7'],
  '4.13': ['B7'],
  '4.21': ['B7'],
  '4.21.2': ['B7'], // 7672602df6 is not on stable-4.21
  '4.22': [],
  '4.22+claim-sets': [],
};

export function isToolstackBug(b: unknown): b is ToolstackBug {
  return typeof b === 'string' && Object.hasOwn(TOOLSTACK_BUGS, b);
}

/** The toolstack bugs in effect: the version's own plus the injected ones (others ignored). */
export function toolstackBugs(version: XenVersion, inject: readonly string[] = []): ReadonlySet<ToolstackBug> {
  return new Set<ToolstackBug>([...NATIVE_TOOLSTACK_BUGS[version], ...inject.filter(isToolstackBug)]);
}

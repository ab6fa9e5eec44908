// Xen versions the emulator follows, and the historical bugs (B1…B15 of the reference's bug table)
// as named switches. A version implies the bugs it shipped with; `inject` adds more, so a campaign
// can prove it finds each one. Nothing here reads a clock or a random number.

export const XEN_VERSIONS = ['4.3', '4.13', '4.21', '4.21.2', '4.22', '4.22+claim-sets'] as const;
export type XenVersion = (typeof XEN_VERSIONS)[number];

/**
 * The exact Xen each version string models (docs/fidelity.md says more). '4.21.2' stands for
 * both point releases of 4.21: 4.21.1 and 4.21.2 have the same memory-management code (the
 * deferred-scrub backport 6228ea8acd was reverted by 73f4c7aab7 before 4.21.1 was tagged);
 * 4.21.2 only moves getdomaininfo out of the domctl lock (1874bf7927), which nothing here sees.
 */
export const XEN_RELEASES: Readonly<Record<XenVersion, string>> = {
  '4.3': 'RELEASE-4.3.0 (2013-07-09)',
  '4.13': 'RELEASE-4.13.0 (2019-12-18)',
  '4.21': 'RELEASE-4.21.0',
  '4.21.2': 'RELEASE-4.21.2 (f1a1e629d0 is 4.21.1; same memory code)',
  '4.22': 'RELEASE-4.22.0 (d45d5687f1, 2026-07-29)',
  '4.22+claim-sets': 'RELEASE-4.22.0 + "[PATCH v7 0/3] xen/mm: Introduce NUMA-aware memory claim sets" (xen-devel, 2026-05-08, unmerged)',
};

/** A release series: what tables keyed by release line (toolstack sites, output formats) use. */
export type XenBranch = '4.3' | '4.13' | '4.21' | '4.22';

/** The series a version string belongs to: 4.21.2 is a 4.21, the claim-set version a 4.22. */
export function xenBranch(v: XenVersion): XenBranch {
  return v === '4.21.2' ? '4.21' : v === '4.22+claim-sets' ? '4.22' : v;
}

/** A version's release as a number for ordering (4.3 → 403, 4.21.2 → 421.2). */
function releaseKey(v: XenVersion): number {
  const [maj, min, pt = '0'] = v.replace('+claim-sets', '').split('.');
  return Number(maj) * 100 + Number(min) + Number(pt) / 10;
}

/** True when `v` is release `than` or later (e.g. atLeast(v, '4.18')). */
export function atLeast(v: XenVersion, than: string): boolean {
  const [maj, min, pt = '0'] = than.split('.');
  return releaseKey(v) >= Number(maj) * 100 + Number(min) + Number(pt) / 10;
}

/** Bugs a hypervisor can carry. Each names the Xen commit that fixed it (see docs/fidelity.md). */
export const HV_BUGS = {
  /** Claim accepted on a dying domain, never released. Fixed 2379ca04fe (4.22.0). */
  B1: 'claim accepted on a dying domain leaks',
  /** Frees re-grow an active claim (signed delta in domain_adjust_tot_pages). Changed 3472783c26 (4.21.0). */
  B2: 'frees re-grow an active claim',
  /** Claim consumed in a second lock region after alloc_heap_pages. Fixed 75d29d9b5e (4.22.0). */
  B3: 'claim consumed in a second lock region (split-lock window)',
  /** MEMF_no_refcount allocations by a claimer pass the gate but never reduce the claim. Fixed 17294e69c4 (4.6.0). */
  B4: 'MEMF_no_refcount allocations bypass the claim gate',
  /** XSM denial returned an errno from reservation ops instead of extents done. Fixed 76d4ff26d9 (4.5.0). */
  B12: 'XSM error path returns an errno from reservation ops',
  /** First loop iteration of a memory op could be preempted. Fixed 8c0eed2cc8 (4.5.0). */
  B13: 'first extent of a memory op can be preempted',
  /** Unchecked NUMA node byte from guests (XSA-231). Fixed 2fece35303 (4.10.0). */
  B15: 'node hint from guests used unchecked (XSA-231)',
} as const;
export type HvBug = keyof typeof HV_BUGS;

/** The bugs each version shipped with (the epochs table of the reference). */
export const NATIVE_BUGS: Readonly<Record<XenVersion, readonly HvBug[]>> = {
  '4.3': ['B1', 'B2', 'B3', 'B4', 'B12', 'B13', 'B15'],
  '4.13': ['B1', 'B2', 'B3'],
  '4.21': ['B1', 'B3'],
  // 4.21.1: 82fe260552 (= 75d29d9b5e, fixes B3), bc63b09ecc (= 2379ca04fe, fixes B1),
  // e39831f590 (= b068cafc73, LLC colouring refusal: no LLC colouring is modelled).
  '4.21.2': [],
  '4.22': [],
  '4.22+claim-sets': [],
};

/** Behaviour switches derived once from (version, injected bugs); read on hot paths. */
export interface Features {
  readonly version: XenVersion;
  readonly bugs: ReadonlySet<string>;
  /** E1: tmem exists (4.3 … 4.12). */
  readonly tmemHypercall: boolean;
  /** E4: claims consumed inside alloc_heap_pages under heap_lock (fix of B3). */
  readonly claimConsumedAtAlloc: boolean;
  /** Claims re-grow on frees (B2). */
  readonly freesRegrowClaim: boolean;
  /** The allocation gate honours MEMF_no_refcount (fix of B4). */
  readonly gateHonoursNoRefcount: boolean;
  /** Claims on dying domains are refused (fix of B1). */
  readonly claimRefusesDying: boolean;
  /** Non-zero continuation index on XENMEM_claim_pages: 0 = unchecked (4.3/4.4), else the errno. */
  readonly claimStartExtentErrno: number;
  /** Memop max-order limits per caller kind (≥ 4.7, XSA-158) instead of "≤ 9 unless I/O caps". */
  readonly perKindMaxOrder: boolean;
  /** Reservation ops return start_extent on XSM denial (fix of B12). */
  readonly xsmDenialReturnsExtents: boolean;
  /** First extent of each (re)entry is never preempted (fix of B13). */
  readonly firstExtentNotPreempted: boolean;
  /** Node hints from non-control domains are dropped (fix of B15, XSA-231). */
  readonly nodeHintChecked: boolean;
  /**
   * XEN_DOMCTL_getdomaininfo (xen/common/domctl.c): 'search-4.3' answers the first domid >= the
   * one asked (control domain only); 'search-4.13' looks the exact id up first (XSM_XS_PRIV: a
   * device model may read its target), refuses ids >= DOMID_FIRST_RESERVED with -EINVAL, then
   * searches (control domain only); 'exact' wants the exact id (31c6554974, 4.18).
   */
  readonly getdomaininfo: 'search-4.3' | 'search-4.13' | 'exact';
  /** A non-control caller naming an unknown domain in a domctl gets -EPERM (a89ca78901, 4.22). */
  readonly unknownDomainEpermForGuests: boolean;
  /**
   * XEN_DOMCTL_createdomain domids: 'rover' (4.3/4.13: an id in use is -EINVAL, 0 and ids >=
   * DOMID_FIRST_RESERVED auto-allocate), 'domid-alloc' (4.21: domid.c, in use -EEXIST, 0 and
   * reserved ids auto-allocate), 'domid-any' (4.22, 23e2479ff9: only DOMID_ANY auto-allocates;
   * 0 and other reserved ids are -EEXIST).
   */
  readonly createdomainDomids: 'rover' | 'domid-alloc' | 'domid-any';
  /** XEN_DOMCTL_max_mem stores max_memkb >> 2 truncated to unsigned int (4.3) instead of clamped. */
  readonly maxMemTruncates: boolean;
  /** Controller pauses are counted (controller_pause_count, 4.5+): extra unpauses -EINVAL. */
  readonly countedPauses: boolean;
  /**
   * 4.3's zones are fls(mfn) - 1, so MFN 1 would sit in zone 0 = MEMZONE_XEN: never given to a
   * domain (alloc_domheap_pages searches from MEMZONE_XEN + 1) and not in physinfo's free_pages
   * (avail_domheap_pages); x86 Xen gives no memory below 1 MiB to the heap, so the emulator keeps
   * it out (hv/page-allocator.ts). From 4.13 zones are flsl(mfn) and zone 0 holds only Xen-heap pages.
   */
  readonly lowestZoneIsXen: boolean;
  /** XENMEMF_vnode exists (vNUMA, 4.5+): without a vNUMA topology the node is ignored. */
  readonly vnodeFlag: boolean;
  /** XSA-158 memory_exchange order: the per-caller order check (-EPERM) first, early return 0. */
  readonly exchangeOrderCheckFirst: boolean;
  /**
   * 4.22 (83a784a15b, 3652268543, 009401506e): freed pages stay dirty (PGC_need_scrub), and
   * populate_physmap during creation allocates them unscrubbed and unassigned, scrubs them with
   * preemption (the page waits in d->pending_scrub across a continuation), then assigns them.
   */
  readonly deferredPopulateScrub: boolean;
  /**
   * The unmerged NUMA claim-set series ("[PATCH v7 0/3] xen/mm: Introduce NUMA-aware memory claim
   * sets", 2026-05): XEN_DOMCTL_claim_memory, per-node outstanding counters, the per-node gate in
   * get_free_buddy (alloc_heap_pages' host gate is unchanged in v7).
   */
  readonly claimSets: boolean;
}

export function isXenVersion(v: unknown): v is XenVersion {
  return typeof v === 'string' && (XEN_VERSIONS as readonly string[]).includes(v);
}

export function isHvBug(b: unknown): b is HvBug {
  return typeof b === 'string' && Object.hasOwn(HV_BUGS, b);
}

/**
 * Derives the behaviour switches. `inject` may name any bug, including ones other layers define
 * (tmem, toolstack); the hypervisor only acts on those in HV_BUGS.
 */
export function features(version: XenVersion, inject: readonly string[] = []): Features {
  // The campaign's monitors ask after every critical section: a version's own are derived once.
  if (inject.length > 0) return deriveFeatures(version, inject);
  let f = SHIPPED.get(version);
  if (f === undefined) SHIPPED.set(version, (f = Object.freeze(deriveFeatures(version, inject))));
  return f;
}

/** features(version) of each version as shipped (no bug injected), derived on first use. */
const SHIPPED = new Map<XenVersion, Features>();

function deriveFeatures(version: XenVersion, inject: readonly string[]): Features {
  const bugs = new Set<string>([...NATIVE_BUGS[version], ...inject]);
  const e1 = version === '4.3';
  return {
    version,
    bugs,
    tmemHypercall: e1,
    claimConsumedAtAlloc: !bugs.has('B3'),
    freesRegrowClaim: bugs.has('B2'),
    gateHonoursNoRefcount: !bugs.has('B4'),
    claimRefusesDying: !bugs.has('B1'),
    claimStartExtentErrno: e1 ? 0 : 22 /* EINVAL since 4.8 */,
    perKindMaxOrder: !e1,
    xsmDenialReturnsExtents: !bugs.has('B12'),
    firstExtentNotPreempted: !bugs.has('B13'),
    nodeHintChecked: !bugs.has('B15'),
    getdomaininfo: e1 ? 'search-4.3' : atLeast(version, '4.18') ? 'exact' : 'search-4.13',
    unknownDomainEpermForGuests: atLeast(version, '4.22'),
    createdomainDomids: atLeast(version, '4.22') ? 'domid-any' : atLeast(version, '4.21') ? 'domid-alloc' : 'rover',
    maxMemTruncates: e1,
    countedPauses: !e1,
    lowestZoneIsXen: e1,
    vnodeFlag: !e1,
    exchangeOrderCheckFirst: !e1,
    deferredPopulateScrub: atLeast(version, '4.22'),
    claimSets: version === '4.22+claim-sets',
  };
}

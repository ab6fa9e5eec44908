// Xen versions the emulator follows, and the historical bugs (B1…B15 of the reference's bug table)
// as named switches. A version implies the bugs it shipped with; `inject` adds more, so a campaign
// can prove it finds each one. Nothing here reads a clock or a random number.

export const XEN_VERSIONS = ['4.3', '4.13', '4.21', '4.22'] as const;
export type XenVersion = (typeof XEN_VERSIONS)[number];

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
  '4.22': [],
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
  };
}

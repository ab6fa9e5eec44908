// A small counter model of Xen's claim rules per version (reference §1.3, §2.1, §2.2, §3): free
// pages, outstanding claims and per-domain tot/max/claim counters, nothing else. It knows no
// frames, no buddy lists and no sections; the allocator is compared against it after every
// command (prop-tests/allocator.prop.test.ts). Its rules are derived from the version string on
// their own, not from hv/version.ts, so a wrong feature table shows up as a mismatch.

import { features, type XenVersion } from '../hv/index.ts';

export const EINVAL = 22;
export const ENOMEM = 12;

export interface ModelDomain {
  tot: number;
  max: number;
  claim: number;
  /** Paging-pool pages (MEMF_no_refcount: not in tot, never consume a claim). */
  pool: number;
  /** Next unused gpfn for populate (the command driver's cursor, not Xen state). */
  nextGpfn: number;
}

export interface Model {
  readonly version: XenVersion;
  /** E1/E2: frees re-grow a non-zero claim (B2). */
  readonly freesRegrow: boolean;
  /** E4: claim consumed at allocation, so an extent refused by assign_pages loses its share (B5). */
  readonly consumeAtAlloc: boolean;
  /** >= 4.6: MEMF_no_refcount allocations are treated as anonymous at the gate (B4 fixed). */
  readonly gateHonoursNoRefcount: boolean;
  /** total_avail_pages (AVAIL of the claim rules). */
  free: number;
  /** Free frames no domain is given: 4.3's MFN 1 in MEMZONE_XEN (not in physinfo's free_pages). */
  readonly xenZoneFrames: number;
  /** physinfo outstanding_pages. */
  outstanding: number;
  /** The createdomain rover. */
  rover: number;
  readonly domains: Map<number, ModelDomain>;
}

/** What happens to one populate extent, as far as counters can tell. */
export type ExtentOutcome = 'gate' | 'nomem' | 'assign' | 'ok';

export function newModel(version: XenVersion, free: number): Model {
  return {
    version,
    freesRegrow: features(version).freesRegrowClaim,
    consumeAtAlloc: features(version).claimConsumedAtAlloc,
    gateHonoursNoRefcount: features(version).gateHonoursNoRefcount,
    free,
    // 4.3's MEMZONE_XEN frame (MFN 1) is not in the heap (x86 Xen keeps the first MiB out of it).
    xenZoneFrames: 0,
    outstanding: 0,
    rover: 0,
    domains: new Map(),
  };
}

/** Domids of the model's guests, ascending. */
export function guestIds(m: Readonly<Model>): number[] {
  return [...m.domains.keys()].sort((a, b) => a - b);
}

/** XEN_DOMCTL_createdomain with domid 0: the next free id after the rover. */
export function modelCreate(m: Model): number {
  let id = m.rover;
  do id = id >= 0x7fef ? 1 : id + 1;
  while (m.domains.has(id));
  m.rover = id;
  m.domains.set(id, { tot: 0, max: 0, claim: 0, pool: 0, nextGpfn: 0 });
  return id;
}

/** domain_set_outstanding_pages (§1.3) after the entry checks. @returns rc. */
export function modelClaim(m: Model, domid: number, pages: number): number {
  const d = m.domains.get(domid);
  if (d === undefined) return -EINVAL;
  if (pages === 0) {
    m.outstanding -= d.claim;
    d.claim = 0;
    return 0;
  }
  if (d.claim !== 0) return -EINVAL;
  if (pages <= d.tot || pages > d.max) return -EINVAL;
  const unclaimed = m.free - m.outstanding;
  if (unclaimed >= 0 && pages - d.tot > unclaimed) return -ENOMEM;
  d.claim = pages - d.tot;
  m.outstanding += d.claim;
  return 0;
}

/** The gate of alloc_heap_pages (§2.1): true when the request is refused before any search. */
export function gateRefuses(m: Readonly<Model>, d: Readonly<ModelDomain> | null, order: number, noRefcount: boolean): boolean {
  const request = 2 ** order;
  const mayUseClaim = d !== null && d.claim >= request && !(noRefcount && m.gateHonoursNoRefcount);
  return m.outstanding + request > m.free && !mayUseClaim;
}

/** Predicts one populate extent; fragmentation is invisible to counters ('ok' may still fail). */
export function predictExtent(m: Readonly<Model>, d: Readonly<ModelDomain>, order: number): ExtentOutcome {
  const request = 2 ** order;
  if (order > 18 || gateRefuses(m, d, order, false)) return 'gate';
  if (m.free - m.xenZoneFrames < request) return 'nomem';
  if (d.tot + request > d.max) return 'assign';
  return 'ok';
}

/** Applies an extent outcome that the hypervisor actually had. */
export function applyExtent(m: Model, d: ModelDomain, order: number, outcome: ExtentOutcome): void {
  const request = 2 ** order;
  if (outcome === 'ok') {
    const consumed = Math.min(d.claim, request);
    d.claim -= consumed;
    m.outstanding -= consumed;
    d.tot += request;
    m.free -= request;
  } else if (outcome === 'assign' && m.consumeAtAlloc) {
    // B5: 75d29d9b5e consumed the claim before assign_pages failed; the share is lost.
    const consumed = Math.min(d.claim, request);
    d.claim -= consumed;
    m.outstanding -= consumed;
  }
}

/** decrease_reservation of `n` mapped order-0 pages (§3): E1/E2 re-grow a non-zero claim. */
export function modelDecrease(m: Model, d: ModelDomain, n: number): void {
  if (m.freesRegrow && d.claim > 0) {
    d.claim += n;
    m.outstanding += n;
  }
  d.tot -= n;
  m.free += n;
}

/** XEN_DOMCTL_set_paging_mempool_size to `pages`. @returns rc (0 or -ENOMEM). */
export function modelPool(m: Model, d: ModelDomain, pages: number): number {
  if (pages <= d.pool) {
    m.free += d.pool - pages;
    d.pool = pages;
    return 0;
  }
  while (d.pool < pages) {
    if (gateRefuses(m, d, 0, true) || m.free - m.xenZoneFrames < 1) return -ENOMEM;
    d.pool++;
    m.free--;
  }
  return 0;
}

/** XEN_DOMCTL_destroydomain run to completion: claim cancelled, every page back. */
export function modelDestroy(m: Model, domid: number): void {
  const d = m.domains.get(domid)!;
  m.outstanding -= d.claim;
  m.free += d.tot + d.pool;
  m.domains.delete(domid);
}

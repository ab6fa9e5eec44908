// The campaign's state ledger: the hypervisor's counters before and after every critical section,
// read from the hypervisor's state itself (never from an actor's bookkeeping), so a monitor can
// attribute each section's change to the one hypercall that ran it. A section is atomic, so the
// difference between the state after step N-1 and after step N is exactly what that section did,
// however the calls interleave. One ledger per owner is shared by every monitor of the run.

import type { Call, Hypervisor } from '../../hv/index.ts';
import { DOMID_SELF } from '../../hv/ops.ts';
import { features } from '../../hv/version.ts';
import type { Owner, StepInfo } from '../../sim/owner.ts';

/** One domain's counters (struct domain, reduced to what memory management promises about). */
export interface DomainSnap {
  readonly tot: number;
  readonly max: number;
  readonly out: number;
  readonly extra: number;
  /** Mapped gpfns (p2m entries). */
  readonly mapped: number;
  /** Pages held in extents that are not mapped (increase_reservation). */
  readonly unmapped: number;
  readonly pool: number;
  readonly dying: number;
  readonly paused: boolean;
  /** controller_pause_count (counted from 4.5; stays 1 where pauses are not counted). */
  readonly pauses: number;
  /** The domain this one is device model for, or -1. */
  readonly target: number;
}

/** The host's counters and every domain's, at one point between two sections. */
export interface Snap {
  /** total_avail_pages. */
  readonly avail: number;
  /** Free frames domains can be given: total_avail_pages less MEMZONE_XEN's (4.3: MFN 1). */
  readonly domheapAvail: number;
  /** total_avail_pages + tmem freeable pages: AVAIL of the claim rules. */
  readonly availForClaims: number;
  /** outstanding_claims. */
  readonly claims: number;
  readonly anon: number;
  readonly leaked: number;
  readonly doms: ReadonlyMap<number, DomainSnap>;
}

/**
 * The hypervisor's counters now. Given the previous snapshot, a domain whose counters did not
 * change keeps its DomainSnap, and when nothing changed at all the previous snapshot itself is
 * returned (snapshots are immutable; most sections change nothing or one domain).
 */
export function snapshot(hv: Hypervisor, prev?: Snap): Snap {
  const doms = new Map<number, DomainSnap>();
  let same = prev !== undefined && prev.doms.size === hv.domains.size;
  for (const d of hv.domains.values()) {
    let unmapped = 0;
    for (const order of d.unmappedExtents.values()) unmapped += 2 ** order;
    const was = prev?.doms.get(d.domid);
    const now = was !== undefined && was.tot === d.totPages && was.max === d.maxPages && was.out === d.outstandingPages && was.extra === d.extraPages &&
      was.mapped === d.p2m.size && was.unmapped === unmapped && was.pool === d.pagingPool.length && was.dying === d.isDying && was.paused === d.paused &&
      was.pauses === d.controllerPauseCount && was.target === d.target
      ? was
      : {
        tot: d.totPages, max: d.maxPages, out: d.outstandingPages, extra: d.extraPages, mapped: d.p2m.size,
        unmapped, pool: d.pagingPool.length, dying: d.isDying, paused: d.paused, pauses: d.controllerPauseCount, target: d.target,
      };
    if (now !== was) same = false;
    doms.set(d.domid, now);
  }
  const heap = hv.heap;
  let xenZone = 0;
  if (features(hv.version).lowestZoneIsXen) for (let node = 0; node < heap.nodes; node++) xenZone += heap.avail[node * heap.nrZones];
  const avail = heap.totalAvailPages;
  const availForClaims = heap.availForClaims();
  if (same && prev!.avail === avail && prev!.domheapAvail === avail - xenZone && prev!.availForClaims === availForClaims && prev!.claims === heap.outstandingClaims &&
    prev!.anon === heap.anonPages && prev!.leaked === heap.leakedClaimPages) return prev!;
  return { avail, domheapAvail: avail - xenZone, availForClaims, claims: heap.outstandingClaims, anon: heap.anonPages, leaked: heap.leakedClaimPages, doms };
}

const HOST_FIELDS = ['avail', 'claims', 'anon', 'leaked'] as const;
const DOMAIN_FIELDS = ['tot', 'max', 'out', 'extra', 'mapped', 'unmapped', 'pool', 'dying', 'paused', 'pauses', 'target'] as const satisfies ReadonlyArray<keyof DomainSnap>;
/** Compiles only while DOMAIN_FIELDS names every field of DomainSnap. */
const EVERY_DOMAIN_FIELD: Exclude<keyof DomainSnap, (typeof DOMAIN_FIELDS)[number]> extends never ? true : never = true;
void EVERY_DOMAIN_FIELD;

/**
 * Fields of a snapshot that differ between two points, as `field a→b` texts (empty: the same),
 * the first `limit` of them (a monitor's message names a few; it stops looking there).
 */
export function snapDiff(a: Snap, b: Snap, limit = Infinity): readonly string[] {
  if (a === b) return NO_DIFF;
  let out: string[] | undefined;
  const add = (text: string): boolean => (out ??= []).push(text) >= limit;
  for (const k of HOST_FIELDS) if (a[k] !== b[k] && add(`${k} ${a[k]}→${b[k]}`)) return out!;
  for (const [domid, x] of a.doms) {
    const y = b.doms.get(domid);
    if (y === x) continue;
    if (y === undefined) {
      if (add(`d${domid} gone`)) return out!;
      continue;
    }
    for (const k of DOMAIN_FIELDS) if (x[k] !== y[k] && add(`d${domid}.${k} ${String(x[k])}→${String(y[k])}`)) return out!;
  }
  for (const domid of b.doms.keys()) if (!a.doms.has(domid) && add(`d${domid} created`)) return out!;
  return out ?? NO_DIFF;
}

const NO_DIFF: readonly string[] = [];

/** What one section did: the state before and after it, and the call it belongs to. */
export interface SectionView {
  readonly info: StepInfo;
  readonly before: Snap;
  readonly after: Snap;
  /** Sections of this call so far, labels in order (this one last). */
  readonly labels: readonly string[];
  /** State before the call's first section. */
  readonly atCallStart: Snap;
  /**
   * State right after the call's first section. A one-section operation (claim, createdomain,
   * max_mem, getdomaininfo …) does its work there and returns at a later step (its "return"
   * section), after other calls' sections may have run: its effect is atCallStart → afterFirst.
   */
  readonly afterFirst: Snap;
}

/** The domain a memory op names (DOMID_SELF is the caller), from its args. */
export function targetDomid(call: Readonly<Call>): number | undefined {
  const a = call.args as { domid?: unknown; in?: { domid?: unknown } } | null;
  const raw = call.op === 'XENMEM_exchange' ? a?.in?.domid : a?.domid;
  if (typeof raw !== 'number') return undefined;
  return raw === DOMID_SELF && call.op.startsWith('XENMEM_') ? call.caller : raw;
}

interface CallTrack {
  readonly call: Readonly<Call>;
  readonly labels: string[];
  readonly atStart: Snap;
  afterFirst?: Snap;
}

/**
 * Before/after snapshots around every step, shared by the monitors of one run: the first monitor
 * to see step N takes the "after" snapshot, the others reuse it.
 */
export class Ledger {
  private step = 0;
  private prev: Snap;
  private cur: Snap;
  private view: SectionView | undefined;
  private readonly calls = new Map<string, CallTrack>();

  constructor(private readonly hv: Hypervisor) {
    this.prev = snapshot(hv);
    this.cur = this.prev;
  }

  /** The section that ran at `info.step` (undefined for a wake-up or an owner item). */
  section(info: StepInfo): SectionView | undefined {
    if (info.step !== this.step) {
      this.step = info.step;
      this.prev = this.cur;
      this.cur = snapshot(this.hv, this.cur);
      this.view = undefined;
      if (info.call !== undefined) {
        let t = this.calls.get(info.actor);
        if (t === undefined || t.call !== info.call) {
          t = { call: info.call, labels: [], atStart: this.prev };
          this.calls.set(info.actor, t);
        }
        t.labels.push(info.label);
        t.afterFirst ??= this.cur;
        this.view = { info, before: this.prev, after: this.cur, labels: t.labels, atCallStart: t.atStart, afterFirst: t.afterFirst };
        if (info.finished === true) this.calls.delete(info.actor);
      }
    }
    return this.view;
  }

  /** The state now (after the last step seen). */
  get now(): Snap {
    return this.cur;
  }
}

const ledgers = new WeakMap<Owner, Ledger>();

/** The ledger of `owner`'s run (created, with the state before any step, on first use). */
export function ledgerOf(owner: Owner): Ledger {
  let l = ledgers.get(owner);
  if (l === undefined) {
    l = new Ledger(owner.hv);
    ledgers.set(owner, l);
  }
  return l;
}

// The claim rules as Xen states them, checked section by section against the hypervisor's own
// counters (ledger.ts), never against what an actor believes: every XENMEM_claim_pages answer and
// its effect (claim-rules), every change of a domain's claim (claim-accounting), and every
// allocation the gate let through or refused, and every extent assign_pages refused (alloc-rules).
// The rules are the version's as shipped (hv/version.ts features(version), no injected bug): an
// injected bug or a mutated hypervisor is what breaks them. Registered with sim/registry.ts.

import type { Call, HvEvent } from '../../hv/index.ts';
import { EFAULT, EINVAL, ENOMEM, ENOSYS, EPERM, ESRCH } from '../../hv/errno.ts';
import { MAX_ORDER } from '../../hv/page-allocator.ts';
import { features, type Features } from '../../hv/version.ts';
import type { Owner } from '../../sim/owner.ts';
import { registerMonitor, type MonitorFactory } from '../../sim/registry.ts';
import { ledgerOf, targetDomid, type DomainSnap, type SectionView, type Snap } from './ledger.ts';

/** The control domain of the dummy XSM policy (is_control_domain): dom0, here as in xl setups. */
export const CONTROL_DOMID = 0;

/** The version's promises: its features with no bug injected. */
function promiseOf(owner: Owner): Features {
  return features(owner.hv.version);
}

interface ReservationArgs {
  domid?: number;
  nr_extents?: number;
  extent_order?: number;
  mem_flags?: number;
  extent_start?: unknown[] | null;
  start_extent?: number;
}

const args = (c: Readonly<Call>): ReservationArgs => (typeof c.args === 'object' && c.args !== null ? c.args : {}) as ReservationArgs;
const rcOf = (c: Readonly<Call>): number | undefined => (typeof c.result?.rc === 'number' ? c.result.rc : undefined);

/**
 * XENMEMF_* → the MEMF_no_refcount question is all the gate asks; the reservation ops never pass
 * it, the paging pool always does.
 */
function noRefcount(c: Readonly<Call>): boolean {
  return c.op === 'XEN_DOMCTL_set_paging_mempool_size';
}

/**
 * What XENMEM_claim_pages must answer from the state before its one section (§1.2, §1.3 of the
 * reference): rc and the claim it leaves. `undefined` when the call is outside what is modelled
 * here (a continuation index).
 */
export function expectedClaim(p: Features, hasClaimPages: boolean, caller: number, a: ReservationArgs, before: Snap): { rc: number; claim?: number } | undefined {
  const c = before.doms.get(caller);
  if (c === undefined || c.dying !== 0) return { rc: -ESRCH };
  if (!hasClaimPages) return { rc: -ENOSYS };
  if ((a.start_extent ?? 0) !== 0) return undefined;
  const { domid, nr_extents: pages, extent_order = 0, mem_flags = 0, extent_start = null } = a;
  if (typeof domid !== 'number' || typeof pages !== 'number' || !Number.isSafeInteger(pages) || pages < 0) return { rc: -EFAULT };
  if (extent_start !== null || extent_order !== 0 || mem_flags !== 0) return { rc: -EINVAL };
  const d = before.doms.get(domid); // by id: DOMID_SELF is not a domain
  if (d === undefined) return { rc: -EINVAL };
  if (caller !== CONTROL_DOMID) return { rc: -EPERM };
  if (p.claimRefusesDying && d.dying !== 0) return { rc: -EINVAL };
  if (pages === 0) return { rc: 0, claim: 0 };
  if (d.out !== 0) return { rc: -EINVAL };
  if (pages <= d.tot || pages > d.max) return { rc: -EINVAL };
  const claim = pages - d.tot;
  // The promise: a claim is backed by memory nobody else claimed (Xen's unsigned arithmetic
  // wraps when claims already exceed memory — B3's window — and then grants anything).
  if (claim > before.availForClaims - before.claims) return { rc: -ENOMEM };
  return { rc: 0, claim };
}

/** claim-rules: every XENMEM_claim_pages answers and acts exactly as the rules say at that moment. */
const claimRules: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const p = promiseOf(owner);
  return {
    name: 'claim-rules',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined || v.info.call?.op !== 'XENMEM_claim_pages' || v.info.finished !== true) return null;
      const call = v.info.call;
      const a = args(call);
      const want = expectedClaim(p, owner.hv.hasClaimPages, call.caller, a, v.atCallStart);
      const rc = rcOf(call);
      if (want === undefined) return null;
      const what = `d${call.caller}'s claim[d${String(a.domid)},${String(a.nr_extents)}]`;
      if (rc !== want.rc) return `${what} answered ${String(rc)}, the rules give ${want.rc} (${claimState(v.atCallStart, a.domid)})`;
      const after = v.afterFirst;
      const d = typeof a.domid === 'number' ? after.doms.get(a.domid) : undefined;
      const was = typeof a.domid === 'number' ? v.atCallStart.doms.get(a.domid) : undefined;
      if (want.claim !== undefined && d !== undefined && was !== undefined) {
        if (d.out !== want.claim) return `${what} left a claim of ${d.out}, the rules give ${want.claim} (${claimState(v.atCallStart, a.domid)})`;
        if (after.claims - v.atCallStart.claims !== want.claim - was.out) return `${what} moved outstanding_claims by ${after.claims - v.atCallStart.claims}, its claim by ${want.claim - was.out}`;
      } else if (rc !== 0 && (after.claims !== v.atCallStart.claims || (d !== undefined && was !== undefined && d.out !== was.out))) {
        return `${what} was refused (${String(rc)}) but changed the claims`;
      }
      return null;
    },
  };
};

function claimState(s: Snap, domid: unknown): string {
  const d = typeof domid === 'number' ? s.doms.get(domid) : undefined;
  const dom = d === undefined ? 'no such domain' : `tot ${d.tot}, max ${d.max}, claim ${d.out}${d.dying !== 0 ? ', dying' : ''}`;
  return `${dom}; available ${s.availForClaims}, outstanding_claims ${s.claims}`;
}

/** Pages a section allocated from the heap for the call's target (an 'alloc_heap_pages' section). */
function allocatedBy(v: SectionView, order: number): boolean {
  return v.before.avail - v.after.avail === 2 ** order;
}

const POPULATING = new Set(['XENMEM_populate_physmap', 'XENMEM_increase_reservation']);

/**
 * The claim a section must leave on domain `x` (rules 5–7 of the reference's invariants), or
 * undefined when the section is a claim call (claim-rules judges those).
 */
function expectedClaimAfter(p: Features, v: SectionView, domid: number, b: DomainSnap, a: DomainSnap): number | undefined {
  const call = v.info.call!;
  // Claim calls are judged by claim-rules; a claim set (XEN_DOMCTL_claim_memory, 4.22+claim-sets)
  // replaces the domain's claims by the rules of hv/claim-sets.ts, pinned by its own tests.
  if (call.op === 'XENMEM_claim_pages' || call.op === 'XEN_DOMCTL_claim_memory') return undefined;
  // The claim-set series' reserve_offlined_page recalls claims that offlining left unbacked, from
  // whichever domains hold them: offline-recalls-claims and node-claims-backed judge the result.
  if (p.claimSets && v.info.label === 'offline_page') return a.out <= b.out ? a.out : b.out;
  const target = targetDomid(call);
  // domain_kill cancels the claim of the domain it marks dying (a refused kill marks nothing).
  if (v.info.label === 'domain_kill' && target === domid && a.dying !== 0) return 0;
  if (p.claimConsumedAtAlloc) {
    // E4: consumed inside alloc_heap_pages, for the domain's own refcounted allocations only.
    if (POPULATING.has(call.op) && target === domid && v.info.label === 'alloc_heap_pages') {
      const order = args(call).extent_order ?? 0;
      return allocatedBy(v, order) ? b.out - Math.min(b.out, 2 ** order) : b.out;
    }
    return b.out;
  }
  // E1–E3: consumed when tot_pages rises (assign_pages); E1/E2 re-grow a live claim on frees.
  const dTot = a.tot - b.tot;
  if (dTot > 0) return b.out - Math.min(b.out, dTot);
  if (dTot < 0 && p.freesRegrowClaim && b.out > 0) return b.out - dTot;
  return b.out;
}

/** claim-accounting: a domain's claim only changes as the rules say, in the section that changes it. */
const claimAccounting: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const p = promiseOf(owner);
  return {
    name: 'claim-accounting',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined) return null;
      for (const [domid, a] of v.after.doms) {
        const b = v.before.doms.get(domid);
        if (b === undefined) {
          if (a.out !== 0) return `d${domid} was created with a claim of ${a.out}`;
          continue;
        }
        const want = expectedClaimAfter(p, v, domid, b, a);
        if (want !== undefined && a.out !== want) {
          return `${info.actor}'s ${info.call!.op} section ${info.label} took d${domid}'s claim ${b.out} → ${a.out} (tot ${b.tot} → ${a.tot}); the rules give ${want}`;
        }
      }
      return null;
    },
  };
};

/** The claim gate (rule 4): would alloc_heap_pages refuse 2^order pages for `d` here? */
export function gateRefuses(p: Features, s: Snap, d: DomainSnap | null, order: number, noRef: boolean): boolean {
  const request = 2 ** order;
  const mayUseClaim = d !== null && d.out >= request && !(p.gateHonoursNoRefcount && noRef);
  return s.claims + request > s.availForClaims && !mayUseClaim;
}

/** The extent index a populate is at: its start plus the extents assigned so far in this call. */
interface PopulateTrack {
  call: Readonly<Call>;
  next: number;
}

/**
 * alloc-rules: allocations pass or fail the claim gate exactly as the rule says (rule 4); a
 * refusal for lack of a free block happens only when no free block is large enough; an extent is
 * refused by assign_pages only when the domain is dying, the extent would take tot_pages past
 * max_pages, or its gpfns were populated meanwhile — and never assigned past those.
 */
const allocRules: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const p = promiseOf(owner);
  const hv = owner.hv;
  let breach: string | null = null;
  /** A gate refusal inside the step being run (judged in afterStep, against the state before). */
  let gateRefusal: Extract<HvEvent, { kind: 'alloc_failed' }> | undefined;
  /** A buddy refusal inside the step, with one free block per node that could have served it. */
  let buddyRefusal: { readonly e: Extract<HvEvent, { kind: 'alloc_failed' }>; readonly blocks: ReadonlyArray<{ mfn: number; order: number; node: number }> } | undefined;
  hv.listeners.push((e: HvEvent) => {
    if (e.kind !== 'alloc_failed' || breach !== null) return;
    if (e.reason === 'gate') gateRefusal = e;
    if (e.reason === 'order' && e.order <= MAX_ORDER) breach = `d${e.domid}'s order-${e.order} allocation refused as above MAX_ORDER`;
    if (e.reason !== 'buddy' || hv.tmem !== null) return;
    // Inside the refusing section: a free block of at least that order on a free list, in a zone
    // domains allocate from (4.3's lowest zone, MFN 1, is MEMZONE_XEN), first one per node, on a
    // node the claim sets' per-node gate (get_free_buddy) lets the domain use. The request's node
    // (an exact-node populate may use only its own) is judged in afterStep, from the call.
    const zoneLo = p.lowestZoneIsXen ? 1 : 0;
    const d = hv.domains.get(e.domid);
    const gateOk = (node: number): boolean => !p.claimSets
      || hv.heap.nodeAvailPages(node) - hv.heap.nodeOutstanding[node]! + (d?.nodeClaims?.[node] ?? 0) >= 2 ** e.order;
    const blocks = new Map<number, { mfn: number; order: number; node: number }>();
    for (const [mfn, order, node, zone] of hv.heap.freeBlocks()) {
      if (order >= e.order && zone >= zoneLo && !blocks.has(node) && gateOk(node)) blocks.set(node, { mfn, order, node });
    }
    if (blocks.size > 0) buddyRefusal = { e, blocks: [...blocks.values()] };
  });
  const tracks = new Map<string, PopulateTrack>();
  return {
    name: 'alloc-rules',
    afterStep: (info) => {
      const v = ledger.section(info);
      const refusal = gateRefusal;
      const buddy = buddyRefusal;
      gateRefusal = undefined;
      buddyRefusal = undefined;
      if (breach !== null) return breach;
      if (buddy !== undefined) {
        // XENMEMF_exact_node(n): bit 17 and node + 1 in bits 8..15 — only node n will do.
        const flags = info.call === undefined ? 0 : (args(info.call).mem_flags ?? 0);
        const exact = (flags & (1 << 17)) !== 0 ? ((flags >> 8) & 0xff) - 1 : -1;
        const block = buddy.blocks.find((b) => exact < 0 || b.node === exact);
        if (block !== undefined) {
          breach = `d${buddy.e.domid}'s order-${buddy.e.order} allocation found no free block, but block ${block.mfn} of order ${block.order} is free${exact >= 0 ? ` on its node ${exact}` : ''}`;
          return breach;
        }
      }
      if (v === undefined) return null;
      const call = v.info.call!;
      const target = targetDomid(call);
      const isPop = POPULATING.has(call.op);
      if (!isPop && call.op !== 'XEN_DOMCTL_set_paging_mempool_size') return null;
      if (target === undefined) return null;
      const a = args(call);
      let t = tracks.get(info.actor);
      if (t === undefined || t.call !== call) {
        t = { call, next: a.start_extent ?? 0 };
        tracks.set(info.actor, t);
      }
      if (info.finished === true) tracks.delete(info.actor);
      const order = isPop ? (a.extent_order ?? 0) : 0;
      const n = 2 ** order;
      const b = v.before.doms.get(target);
      if (b === undefined) return null;
      if (info.label === 'alloc_heap_pages') {
        const refuses = gateRefuses(p, v.before, b, order, noRefcount(call));
        // tmem hosts (4.3) may serve order 0 off tmem's free list: the heap count does not move.
        if (hv.tmem === null && refuses && allocatedBy(v, order)) {
          return `${info.actor}'s ${call.op} allocated ${n} pages for d${target} past the claim gate (claims ${v.before.claims}, available ${v.before.availForClaims}, d${target}'s claim ${b.out})`;
        }
        if (refusal !== undefined && !refuses) {
          return `${info.actor}'s ${call.op}: the claim gate refused ${n} pages for d${target} though the rule admits them (claims ${v.before.claims}, available ${v.before.availForClaims}, d${target}'s claim ${b.out})`;
        }
        return null;
      }
      if (info.label !== 'assign_pages' || !isPop) return null;
      const after = v.after.doms.get(target);
      const assigned = after !== undefined && after.tot - b.tot === n;
      const idx = t.next;
      if (assigned) {
        t.next++;
        if (b.dying !== 0) return `${info.actor}'s ${call.op} assigned an extent to d${target} while it was dying`;
        if (b.tot + n > b.max) return `${info.actor}'s ${call.op} assigned ${n} pages to d${target} past max_pages (tot ${b.tot}, max ${b.max})`;
        return null;
      }
      // Refused: free_heap_pages follows. A concurrent populate of the same gpfns is a reason.
      const gpfn = call.op === 'XENMEM_populate_physmap' && Array.isArray(a.extent_start) ? a.extent_start[idx] : undefined;
      const mappedMeanwhile = typeof gpfn === 'number' && (hv.domains.get(target)?.p2m.anyMapped(gpfn, n) ?? false);
      if (b.dying === 0 && b.tot + n <= b.max && !mappedMeanwhile && after !== undefined) {
        return `${info.actor}'s ${call.op}: assign_pages refused ${n} pages for d${target} (tot ${b.tot}, max ${b.max}, not dying)`;
      }
      return null;
    },
  };
};

export const CLAIM_MONITORS: Readonly<Record<string, MonitorFactory>> = {
  'claim-rules': claimRules,
  'claim-accounting': claimAccounting,
  'alloc-rules': allocRules,
};

for (const [name, factory] of Object.entries(CLAIM_MONITORS)) registerMonitor(name, factory, import.meta.url);

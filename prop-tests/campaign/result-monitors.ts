// Results checked against state: what a hypercall answers must match what its own sections did to
// the hypervisor (ledger.ts attributes each section's change to its call), whatever any actor
// believes. reservation-accounting (extents done = pages the domain gained or lost),
// exchange-accounting, privilege (the dummy XSM policy: a caller without the right changes
// nothing and gets no success), domctl-results (getdomaininfo, physinfo, max_mem, createdomain,
// destroydomain, pause, paging pool against the state they read or wrote), and no-orphan-domains
// (a half-built domain is destroyed, or its toolstack's death explains it). Registered with
// sim/registry.ts.

import type { Call } from '../../hv/index.ts';
import { EINVAL, ENOMEM, EPERM, ESRCH } from '../../hv/errno.ts';
import { MAX_NUMNODES } from '../../hv/claim-sets.ts';
import { XENMEMF } from '../../hv/flags.ts';
import { PAGE_SHIFT } from '../../hv/page-allocator.ts';
import { DOMID_MAX, XEN_DOMINF } from '../../hv/ops.ts';
import { features, type Features } from '../../hv/version.ts';
import type { Owner } from '../../sim/owner.ts';
import { registerMonitor, type MonitorFactory } from '../../sim/registry.ts';
import { BUILD_MONITORS } from './build-monitors.ts';
import { CONTROL_DOMID } from './claim-monitors.ts';
import { ExchangeWatch } from './exchange-gpfns.ts';
import { ReservationReach } from './reservation-reach.ts';
import { ledgerOf, snapDiff, targetDomid, type SectionView, type Snap } from './ledger.ts';

type Args = Record<string, unknown>;
const argsOf = (c: Readonly<Call>): Args => (typeof c.args === 'object' && c.args !== null ? (c.args as Args) : {});
const num = (x: unknown, dflt: number): number => (typeof x === 'number' ? x : dflt);

const RESERVATION = new Set(['XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation']);

/** Per in-flight call: the sum of what its sections changed on its target domain. */
interface Delta {
  call: Readonly<Call>;
  tot: number;
  mapped: number;
  unmapped: number;
  avail: number;
  /** Some section of the call took frames off the heap. */
  allocated: boolean;
  /** The target vanished (destroyed) during the call. */
  lost: boolean;
}

/** Accumulates each call's deltas on its target; returns the finished call's totals. */
function deltaTracker(filter: (c: Readonly<Call>) => boolean): (v: SectionView) => Delta | undefined {
  const open = new Map<string, Delta>();
  return (v) => {
    const call = v.info.call!;
    if (!filter(call)) return undefined;
    let d = open.get(v.info.actor);
    if (d === undefined || d.call !== call) {
      d = { call, tot: 0, mapped: 0, unmapped: 0, avail: 0, allocated: false, lost: false };
      open.set(v.info.actor, d);
    }
    const t = targetDomid(call);
    const b = t === undefined ? undefined : v.before.doms.get(t);
    const a = t === undefined ? undefined : v.after.doms.get(t);
    if (b !== undefined && a !== undefined) {
      d.tot += a.tot - b.tot;
      d.mapped += a.mapped - b.mapped;
      d.unmapped += a.unmapped - b.unmapped;
    } else if (b !== undefined) d.lost = true;
    d.avail += v.after.avail - v.before.avail;
    if (v.after.avail < v.before.avail) d.allocated = true;
    if (v.info.finished !== true) return undefined;
    open.delete(v.info.actor);
    return d;
  };
}

/** memop-max-order's default for domUs (XSA-158, and 4.3's "≤ 9 without I/O capabilities"). */
const GUEST_MAX_ORDER = 9;

/**
 * Why do_memory_op refuses a reservation call's arguments before doing anything — it answers
 * start_extent — or undefined (xen/common/memory.c, 4.22): the extent list shorter than
 * nr_extents (guest_handle_subrange_okay); XENMEMF_address_bits of 1…PAGE_SHIFT
 * (construct_memop_from_reservation); a node byte at or above MAX_NUMNODES from the control
 * domain, or an exact node request from any other domain (propagate_node, from 2fece35303;
 * `nodeHintChecked`); XENMEMF_vnode requests are not judged here.
 */
function decodeRefusal(call: Readonly<Call>, feat: Features): string | undefined {
  const a = argsOf(call);
  const nr = num(a.nr_extents, 0);
  if (num(a.start_extent, 0) >= nr) return undefined;
  if (Array.isArray(a.extent_start) && a.extent_start.length < nr) return `its extent list holds ${a.extent_start.length} of nr_extents ${nr}`;
  const xmf = num(a.mem_flags, 0);
  const bits = xmf & 0xff;
  if (bits !== 0 && bits <= PAGE_SHIFT) return `XENMEMF_address_bits(${bits}) is at most PAGE_SHIFT`;
  if (xmf & XENMEMF.vnode && feat.vnodeFlag) return undefined;
  const node = ((xmf >>> 8) & 0xff) - 1;
  if (node === -1 || !feat.nodeHintChecked) return undefined;
  if (call.caller === CONTROL_DOMID) return node >= MAX_NUMNODES ? `the control domain's node ${node} is at or above MAX_NUMNODES` : undefined;
  return xmf & XENMEMF.exact_node_request ? `an exact node request from d${call.caller}, not the control domain` : undefined;
}

/**
 * reservation-accounting: populate_physmap / increase_reservation return the extents they added
 * (tot_pages and the p2m — or, for increase, unmapped extents — grew by exactly rc × 2^order);
 * decrease_reservation returns the extents it removed whole (a partly mapped extent is removed
 * up to its first hole and ends the call uncounted). rc lies in [start_extent, nr_extents]. A
 * guest asking to allocate extents above its memop-max-order (9) is refused before anything is
 * allocated. And a permitted call with nothing in its way (a live target with room, a free
 * first gpfn — a mapped one for decrease —, plain flags; `ReservationReach`) does or tries its
 * first extent: 4.22 answers an XSM denial with start_extent, so this is what tells a wrong
 * denial from a lack of memory.
 */
const reservationAccounting: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const reach = new ReservationReach(owner, RESERVATION);
  const feat = features(owner.hv.version);
  const perKindMaxOrder = feat.perKindMaxOrder;
  const track = deltaTracker((c) => RESERVATION.has(c.op));
  return {
    name: 'reservation-accounting',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined) return null;
      const d = track(v);
      if (d === undefined) return null;
      const call = d.call;
      const a = argsOf(call);
      const rc = call.result?.rc;
      const start = num(a.start_extent, 0);
      const nr = num(a.nr_extents, 0);
      const n = 2 ** num(a.extent_order, 0);
      const t = targetDomid(call);
      const who = `${info.actor}: ${call.op.replace('XENMEM_', '')}[d${String(t)},${nr}×o${num(a.extent_order, 0)}]`;
      const must = reach.finished(info.actor, call);
      if (typeof rc !== 'number' || !Number.isSafeInteger(rc) || rc < 0) return null; // memop-returns-extents' case
      if (rc < start || rc > Math.max(start, nr)) return `${who} returned ${rc}, outside [start_extent ${start}, nr_extents ${nr}]`;
      const refusal = decodeRefusal(call, feat);
      if (refusal !== undefined && (rc !== start || d.allocated || d.tot !== 0 || d.mapped !== 0 || d.unmapped !== 0)) {
        return `${who}: ${refusal}, so do_memory_op refuses it before doing anything, yet it returned ${rc} and moved tot_pages by ${d.tot}`;
      }
      if (call.caller !== CONTROL_DOMID && call.op !== 'XENMEM_decrease_reservation' && num(a.extent_order, 0) > GUEST_MAX_ORDER && (rc !== start || d.allocated)) {
        return `${who}: a guest's order-${num(a.extent_order, 0)} request (above memop-max-order ${GUEST_MAX_ORDER}) ${rc !== start ? `returned ${rc}` : 'allocated memory'}`;
      }
      // From XSA-158 (4a578b316e) decrease_reservation checks max_order(current->domain) too
      // (4.3: only extent_order > MAX_ORDER): a guest's order-10 decrease removes nothing.
      if (perKindMaxOrder && call.caller !== CONTROL_DOMID && call.op === 'XENMEM_decrease_reservation' && num(a.extent_order, 0) > GUEST_MAX_ORDER && (rc !== start || d.tot !== 0)) {
        return `${who}: a guest's order-${num(a.extent_order, 0)} decrease (above memop-max-order ${GUEST_MAX_ORDER}) returned ${rc} and moved tot_pages by ${d.tot}`;
      }
      if (must !== undefined && refusal === undefined && rc === start && permitted(call.caller, call.op, t, v.atCallStart) === true) {
        const decrease = call.op === 'XENMEM_decrease_reservation';
        if (decrease ? d.tot === 0 : !d.allocated && !must.tried) {
          return `${who}: d${call.caller} may make it and ${must.must}, yet it returned start_extent ${start} in its first section without ${decrease ? 'removing a page' : 'trying to allocate'}`;
        }
      }
      if (d.lost) return null;
      const pages = (rc - start) * n;
      if (call.op === 'XENMEM_decrease_reservation') {
        const removed = -d.tot;
        if (d.mapped !== d.tot || d.unmapped !== 0) return `${who}: tot_pages moved by ${d.tot}, the p2m by ${d.mapped}`;
        if (removed < pages || removed >= pages + n) return `${who} returned ${rc} extents but removed ${removed} pages`;
        if (removed > pages && rc >= nr) return `${who} removed part of an extent and still counted every extent`;
        return null;
      }
      const mapped = call.op === 'XENMEM_populate_physmap' ? d.mapped : d.unmapped;
      const other = call.op === 'XENMEM_populate_physmap' ? d.unmapped : d.mapped;
      if (d.tot !== pages || mapped !== pages || other !== 0) {
        return `${who} returned ${rc} (${pages} pages) but tot_pages grew by ${d.tot}, ${call.op === 'XENMEM_populate_physmap' ? 'the p2m' : 'unmapped extents'} by ${mapped}`;
      }
      const out = call.result?.extent_start;
      if (call.op === 'XENMEM_increase_reservation' && Array.isArray(a.extent_start) && (Array.isArray(out) ? out.length !== rc - start : rc !== start)) {
        return `${who} returned ${rc} but wrote back ${Array.isArray(out) ? out.length : 'no'} frames`;
      }
      return null;
    },
  };
};

/**
 * exchange-accounting: XENMEM_exchange trades pages for pages — tot_pages, the p2m's size and
 * the free heap end where they began, whatever it answers; success exchanges every extent; a
 * guest's exchange with an extent order above its memop-max-order (9) is refused; and
 * nr_exchanged is what its sections did to the gpfns it names (exchange-gpfns.ts): the counted
 * chunks' inputs traded away and their outputs mapped (contiguous, aligned, the domain's, within
 * out.mem_flags' XENMEMF_address_bits), every other chunk's gpfns as the call found them.
 */
const exchangeAccounting: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const hv = owner.hv;
  const track = deltaTracker((c) => c.op === 'XENMEM_exchange');
  /** Per actor: its exchange in flight and that call's watch (null: not followed gpfn by gpfn). */
  const watches = new Map<string, { call: Readonly<Call>; watch: ExchangeWatch | undefined }>();
  owner.beforeSection.push((actor, call) => {
    if (call.op !== 'XENMEM_exchange') return;
    let w = watches.get(actor);
    if (w === undefined || w.call !== call) {
      w = { call, watch: ExchangeWatch.of(call) };
      watches.set(actor, w);
    }
    w.watch?.beforeSection(hv);
  });
  return {
    name: 'exchange-accounting',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined) return null;
      const w = info.op === 'XENMEM_exchange' ? watches.get(info.actor) : undefined;
      if (w !== undefined && w.call === info.call) {
        w.watch?.afterSection(hv);
        if (info.finished === true) watches.delete(info.actor);
      }
      const d = track(v);
      if (d === undefined || d.lost) return null;
      const a = argsOf(d.call);
      const inR = (typeof a.in === 'object' && a.in !== null ? a.in : {}) as Args;
      const rc = d.call.result?.rc;
      const done = d.call.result?.nr_exchanged;
      const who = `${info.actor}: exchange[d${String(targetDomid(d.call))},${String(inR.nr_extents)}×o${num(inR.extent_order, 0)}]`;
      if (d.tot !== 0 || d.mapped !== 0 || d.avail !== 0) return `${who} (rc ${String(rc)}) moved tot_pages by ${d.tot}, the p2m by ${d.mapped}, free memory by ${d.avail}`;
      if (rc === 0 && done !== inR.nr_extents) return `${who} succeeded with nr_exchanged ${String(done)} of ${String(inR.nr_extents)}`;
      if (typeof done === 'number' && typeof inR.nr_extents === 'number' && done > inR.nr_extents) return `${who} reports nr_exchanged ${done} > nr_extents`;
      const outR = (typeof a.out === 'object' && a.out !== null ? a.out : {}) as Args;
      const inOrder = num(inR.extent_order, 0);
      const outOrder = num(outR.extent_order, 0);
      if (d.call.caller !== CONTROL_DOMID && Math.max(inOrder, outOrder) > GUEST_MAX_ORDER && (typeof rc !== 'number' || rc >= 0)) {
        return `${who} → o${outOrder}: a guest's exchange above memop-max-order ${GUEST_MAX_ORDER} answered ${String(rc)}`;
      }
      return w?.call === d.call && w.watch !== undefined ? w.watch.judge(hv, `${who} (rc ${String(rc)})`) : null;
    },
  };
};

/**
 * Whether the dummy XSM policy lets `caller` do `op` on `target` (XSM_PRIV: the control domain;
 * XSM_TARGET for memory reservation and exchange: itself, the control domain, or its device
 * model). Undefined: not judged here (tmem is per client; getdomaininfo lets a device model read
 * its target in some versions).
 */
function permitted(caller: number, op: string, target: number | undefined, s: Snap): boolean | undefined {
  if (caller === CONTROL_DOMID) return true;
  if (op.startsWith('TMEM_')) return undefined;
  if (RESERVATION.has(op) || op === 'XENMEM_exchange') {
    if (target === undefined) return undefined;
    return target === caller || s.doms.get(caller)?.target === target;
  }
  if (op === 'XEN_DOMCTL_getdomaininfo' && target !== undefined && s.doms.get(caller)?.target === target) return undefined;
  return false;
}

/** A guest's XENMEM_exchange with an extent order above its memop-max-order (refused with -EPERM). */
function exchangeOrderOver(call: Readonly<Call>): boolean {
  if (call.op !== 'XENMEM_exchange' || call.caller === CONTROL_DOMID) return false;
  const a = argsOf(call);
  const order = (r: unknown): number => num(typeof r === 'object' && r !== null ? (r as Args).extent_order : 0, 0);
  return Math.max(order(a.in), order(a.out)) > GUEST_MAX_ORDER;
}

/** Ops that may legitimately fail after changing state (partial progress is their contract). */
const PARTIAL_ON_ERROR = new Set(['XEN_DOMCTL_set_paging_mempool_size', 'XENMEM_exchange']);

/**
 * privilege: a call the policy does not permit changes nothing in any of its sections and does
 * not succeed (reservation ops return start_extent, every other op an errno); and any call that
 * ends in an errno (other than the partial-progress ops) changed nothing either.
 */
const NO_CHANGE: readonly string[] = [];

const privilege: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const changed = new Map<string, { call: Readonly<Call>; first?: string }>();
  return {
    name: 'privilege',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined) return null;
      const call = v.info.call!;
      const target = targetDomid(call);
      let c = changed.get(info.actor);
      if (c === undefined || c.call !== call) {
        c = { call };
        changed.set(info.actor, c);
      }
      const allowed = permitted(call.caller, call.op, target, v.atCallStart);
      // What changed is only read for the call's first change, or for a call not permitted.
      const diff = c.first === undefined || allowed === false ? snapDiff(v.before, v.after, 3) : NO_CHANGE;
      if (c.first === undefined && diff.length > 0) c.first = `${info.label}: ${diff.join(', ')}`;
      const who = `d${call.caller} (${info.actor}) ${call.op}${target === undefined ? '' : ` on d${target}`}`;
      if (allowed === false && diff.length > 0) return `${who} is not permitted, yet its section ${info.label} changed ${diff.join(', ')}`;
      if (info.finished !== true) return null;
      changed.delete(info.actor);
      const rc = call.result?.rc;
      if (allowed === false) {
        const refused = RESERVATION.has(call.op) ? rc === num(argsOf(call).start_extent, 0) || (typeof rc === 'number' && rc < 0) : typeof rc === 'number' && rc < 0;
        if (!refused) return `${who} is not permitted, yet it answered ${String(rc)}`;
      }
      // The other way round: the policy lets it, so the XSM check cannot be what says no (but for
      // a guest's exchange above its memop-max-order: multipage_allocation_permitted's -EPERM).
      if (allowed === true && rc === -EPERM && !exchangeOrderOver(call)) return `${who} is permitted (the dummy XSM policy), yet it answered -EPERM`;
      if (typeof rc === 'number' && rc < 0 && !RESERVATION.has(call.op) && !PARTIAL_ON_ERROR.has(call.op) && !call.op.startsWith('TMEM_') && c.first !== undefined) {
        return `${who} answered ${rc} but changed state (${c.first})`;
      }
      return null;
    },
  };
};

/**
 * The answer XEN_DOMCTL_getdomaininfo owes the control domain asking for `id` among the domains
 * `ids` (xen/common/domctl.c per version): the domid that must answer, or the negative errno.
 * 'search-4.3': the first domain with an id >= `id`; 'search-4.13': the exact one, else -EINVAL
 * for a reserved id, else the first after it; 'exact' (31c6554974, 4.18): the exact one only.
 */
export function getdomaininfoAnswer(lookup: Features['getdomaininfo'], ids: readonly number[], id: number): number {
  if (ids.includes(id)) return id;
  if (lookup === 'exact') return -ESRCH;
  if (lookup === 'search-4.13' && id > DOMID_MAX) return -EINVAL;
  const after = ids.filter((d) => d > id);
  return after.length > 0 ? Math.min(...after) : -ESRCH;
}

/**
 * Why Xen refuses a control domain's domctl with -EINVAL for its arguments alone, or undefined:
 * XEN_DOMCTL_pausedomain of its own domain (domctl.c: no domain_pause() on current->domain), a
 * paging pool size that is not whole pages (arch_set_paging_mempool_size: size & ~PAGE_MASK),
 * XEN_DOMCTL_createdomain with max_vcpus 0 (sanitise_domain_config: "No vCPUS").
 */
function domctlArgRefusal(call: Readonly<Call>, s: Snap): string | undefined {
  if (call.caller !== CONTROL_DOMID) return undefined;
  const a = argsOf(call);
  switch (call.op) {
    case 'XEN_DOMCTL_pausedomain':
      return a.domid === call.caller && s.doms.has(call.caller) ? 'it pauses its own domain' : undefined;
    case 'XEN_DOMCTL_set_paging_mempool_size':
      return typeof a.domid === 'number' && s.doms.has(a.domid) && typeof a.size === 'number' && Number.isSafeInteger(a.size) && a.size >= 0 && a.size % 4096 !== 0
        ? `a paging pool of ${a.size} bytes is not whole pages` : undefined;
    case 'XEN_DOMCTL_createdomain':
      return a.max_vcpus === 0 ? 'a domain with max_vcpus 0' : undefined;
    default:
      return undefined;
  }
}

/**
 * domctl-results: the control operations' answers match the state they read, and their effects
 * are what they answered: getdomaininfo (the first domain at or after the id asked for, its
 * counters and flags), physinfo (free and claimed pages), max_mem (max_pages = max_memkb / 4),
 * createdomain (a new, empty, paused domain with the id the rover gives next), destroydomain
 * (the domain is gone when it returns), pause/unpause, the paging pool size.
 */
const domctlResults: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const hv = owner.hv;
  let rover = 0; // the domid rover (domctl.c), from boot
  const counted = features(hv.version).countedPauses;
  const lookup = features(hv.version).getdomaininfo;
  // Paging-pool resizes in flight per domain, and which of them overlapped another (the last
  // section wins: their answers are then not the pool's size).
  const pools = new Map<number, Set<string>>();
  const overlapped = new Set<string>();
  return {
    name: 'domctl-results',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined) return null;
      if (v.info.call!.op === 'XEN_DOMCTL_set_paging_mempool_size') trackPools(pools, overlapped, info.actor, num(argsOf(v.info.call!).domid, -1), v.labels.length === 1, info.finished === true);
      if (v.labels.length === 1 && v.info.call!.op === 'XEN_DOMCTL_createdomain') {
        const made = roverBreach(v, rover);
        rover = made.rover;
        if (made.breach !== null) return `${info.actor}: XEN_DOMCTL_createdomain ${made.breach}`;
      }
      if (info.finished !== true) return null;
      const call = v.info.call!;
      const r = call.result ?? { rc: NaN };
      const a = argsOf(call);
      // One-section operations: their work is the call's first section (ledger.ts afterFirst).
      const s = v.atCallStart;
      const after = v.afterFirst;
      const rc = r.rc;
      const who = `${info.actor}: ${call.op}`;
      const refusal = domctlArgRefusal(call, s);
      if (refusal !== undefined && rc !== -EINVAL) return `${who}: ${refusal}, which Xen refuses with -EINVAL, yet it answered ${String(rc)}`;
      switch (call.op) {
        case 'XEN_DOMCTL_getdomaininfo': {
          if (call.caller !== CONTROL_DOMID || !Number.isInteger(a.domid) || (a.domid as number) < 0 || (a.domid as number) > 0xffff) return null;
          const owed = getdomaininfoAnswer(lookup, [...s.doms.keys()], a.domid as number);
          const d = s.doms.get(r.domid as number);
          if (rc !== 0 || owed < 0 || d === undefined || r.domid !== owed) {
            if (rc === owed) return null;
            const what = owed < 0 ? `${owed} (${lookup === 'exact' ? 'no domain has that id' : 'no domain at or after it'})` : `d${owed}`;
            return `${who}[d${String(a.domid)}] answered ${rc === 0 ? `d${String(r.domid)}` : String(rc)}, not ${what} (getdomaininfo ${lookup})`;
          }
          const flags = num(r.flags, 0);
          const got = { tot: r.tot_pages, max: r.max_pages, out: r.outstanding_pages, dying: (flags & XEN_DOMINF.dying) !== 0, paused: (flags & XEN_DOMINF.paused) !== 0 };
          const want = { tot: d.tot, max: d.max, out: d.out, dying: d.dying !== 0, paused: d.paused };
          for (const k of Object.keys(want) as Array<keyof typeof want>) {
            if (got[k] !== want[k]) return `${who}[d${a.domid}] reports ${k} ${String(got[k])}, the domain has ${String(want[k])}`;
          }
          return null;
        }
        case 'XEN_SYSCTL_physinfo':
          if (rc !== 0) return null;
          if (r.free_pages !== s.domheapAvail || r.outstanding_pages !== s.claims) {
            return `${who} reports free ${String(r.free_pages)}, claimed ${String(r.outstanding_pages)}; the heap has ${s.domheapAvail} free for domains, ${s.claims} claimed`;
          }
          if (r.total_pages !== hv.heap.nrPages || r.nr_nodes !== hv.heap.nodes) return `${who} reports ${String(r.total_pages)} pages on ${String(r.nr_nodes)} nodes`;
          return null;
        case 'XEN_DOMCTL_max_mem': {
          const d = after.doms.get(num(a.domid, -1));
          if (rc !== 0 || d === undefined || typeof a.max_memkb !== 'number') return null;
          const want = Math.min(Math.floor(a.max_memkb / 4), 0xffffffff);
          return d.max === want ? null : `${who}[d${String(a.domid)},${a.max_memkb}k] left max_pages ${d.max}, not ${want}`;
        }
        case 'XEN_DOMCTL_createdomain': {
          if (rc !== 0) return null;
          const id = r.domid as number;
          const d = after.doms.get(id);
          if (s.doms.has(id)) return `${who} answered d${id}, a domain that already existed`;
          if (d === undefined) return `${who} answered d${id} but no such domain exists`;
          if (d.tot !== 0 || d.out !== 0 || d.max !== 0 || !d.paused || d.dying !== 0) return `${who}: the new d${id} is not empty and paused (${snapText(d)})`;
          if (d.target !== num(a.target, -1)) return `${who}: d${id} is device model for d${d.target}, asked for d${num(a.target, -1)}`;
          return null;
        }
        case 'XEN_DOMCTL_destroydomain': {
          const t = num(a.domid, -1);
          if (rc === 0 && v.after.doms.has(t)) return `${who}[d${t}] returned 0 with d${t} still there (${snapText(v.after.doms.get(t)!)})`;
          if (rc === 0 && t === call.caller) return `${who}: a domain destroyed itself`;
          return null;
        }
        case 'XEN_DOMCTL_pausedomain':
        case 'XEN_DOMCTL_unpausedomain': {
          const d = after.doms.get(num(a.domid, -1));
          const b = s.doms.get(num(a.domid, -1));
          if (rc !== 0 || d === undefined || b === undefined) return null;
          // Counted controller pauses (4.5+): unpause counts down, the domain runs at 0.
          const pause = call.op === 'XEN_DOMCTL_pausedomain';
          const want = !counted ? pause : pause || b.pauses - 1 > 0;
          if (counted && d.pauses !== b.pauses + (pause ? 1 : -1)) return `${who}[d${String(a.domid)}] returned 0, pause count ${b.pauses} → ${d.pauses}`;
          return d.paused === want ? null : `${who}[d${String(a.domid)}] returned 0, the domain is ${d.paused ? '' : 'not '}paused`;
        }
        case 'XEN_DOMCTL_set_paging_mempool_size': {
          // Multi-section: judged at its end, unless a concurrent destroy took the pool meanwhile.
          const d = v.after.doms.get(num(a.domid, -1));
          const want = num(a.size, -1) / 4096;
          const alone = !overlapped.delete(info.actor);
          if (d === undefined || d.dying !== 0 || !alone || !Number.isInteger(want) || want < 0) return null;
          if (rc === 0 && d.pool !== want) return `${who}[d${String(a.domid)},${want}p] returned 0 with a pool of ${d.pool} pages`;
          if (rc === -ENOMEM && d.pool >= want) return `${who}[d${String(a.domid)},${want}p] answered -ENOMEM with the pool at ${d.pool} pages`;
          if (rc === -EINVAL && s.doms.get(num(a.domid, -1))?.pool !== d.pool && v.labels.length <= 2) return `${who} answered -EINVAL but resized the pool`;
          return null;
        }
        default:
          return null;
      }
    },
  };
};

/** Notes pool resizes of one domain that overlap in time (each marks the other). */
function trackPools(pools: Map<number, Set<string>>, overlapped: Set<string>, actor: string, domid: number, first: boolean, finished: boolean): void {
  let set = pools.get(domid);
  if (set === undefined) pools.set(domid, (set = new Set()));
  if (first) {
    for (const other of set) overlapped.add(other);
    if (set.size > 0) overlapped.add(actor);
    set.add(actor);
  }
  if (finished) set.delete(actor);
}

/**
 * The domid rover (domctl.c): a domain created without a requested id gets the first free id
 * after the last one handed out, wrapping below DOMID_FIRST_RESERVED. Judged in the section that
 * creates it (creations complete in the order their sections ran, not their answers).
 */
function roverBreach(v: SectionView, rover: number): { rover: number; breach: string | null } {
  const made = [...v.after.doms.keys()].filter((id) => !v.before.doms.has(id));
  if (made.length === 0) return { rover, breach: null };
  const id = made[0];
  if (num(argsOf(v.info.call!).domid, 0) !== 0) return { rover, breach: null };
  for (let k = 0; k < DOMID_MAX; k++) {
    const cand = ((rover + k) % DOMID_MAX) + 1;
    if (!v.before.doms.has(cand)) return { rover: id, breach: cand === id ? null : `handed out d${id}; the domid rover gives d${cand} next` };
  }
  return { rover: id, breach: null };
}

function snapText(d: { tot: number; max: number; out: number; paused: boolean; dying: number }): string {
  return `tot ${d.tot}, max ${d.max}, claim ${d.out}${d.paused ? ', paused' : ''}${d.dying !== 0 ? ', dying' : ''}`;
}

/**
 * no-orphan-domains: when the run ends, every domain a toolstack created was either built (it
 * was unpaused) or destroyed — unless that toolstack died (a kill, or its scripted death), which
 * is the report of why it stayed half-built.
 */
const noOrphanDomains: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  const creator = new Map<number, string>();
  const unpaused = new Set<number>();
  const died = new Set<string>();
  owner.trace.subscribe((e) => {
    if (e.k === 'kill') died.add(e.a);
    // A toolstack's own report of its death (the mini-builder's scripted fault).
    if (e.k === 'arrive' && e.req.kind === 'note' && e.req.text.includes('"outcome":"died"')) died.add(e.a);
  });
  return {
    name: 'no-orphan-domains',
    afterStep: (info) => {
      ledger.section(info);
      const call = info.call;
      if (call === undefined || info.finished !== true || call.result?.rc !== 0) return null;
      if (call.op === 'XEN_DOMCTL_createdomain') creator.set(call.result.domid as number, info.actor);
      if (call.op === 'XEN_DOMCTL_unpausedomain') unpaused.add(num(argsOf(call).domid, -1));
      return null;
    },
    atEnd: () => {
      for (const [domid, by] of creator) {
        const d = owner.hv.domains.get(domid);
        if (d === undefined || d.isDying !== 0 || unpaused.has(domid) || died.has(by)) continue;
        return `d${domid}, created by ${by}, was left half-built (paused, ${d.totPages} pages, claim ${d.outstandingPages}): nobody destroyed it and its toolstack did not die`;
      }
      return null;
    },
  };
};

export const RESULT_MONITORS: Readonly<Record<string, MonitorFactory>> = {
  'reservation-accounting': reservationAccounting,
  'exchange-accounting': exchangeAccounting,
  privilege,
  'domctl-results': domctlResults,
  'no-orphan-domains': noOrphanDomains,
};

for (const [name, factory] of Object.entries(RESULT_MONITORS)) registerMonitor(name, factory, import.meta.url);

/** The state monitors' names, in the order a run checks them (after the bug-named properties). */
export const STATE_MONITOR_NAMES = ['claim-rules', 'claim-accounting', 'alloc-rules', ...Object.keys(RESULT_MONITORS), ...Object.keys(BUILD_MONITORS)];

export type { Owner };

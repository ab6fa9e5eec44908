// ≈ xen/common/memory.c, do_memory_op: decodes and validates each field in Xen's order, returns
// early with Xen's errno (or, for the reservation ops, the extents done), and then runs exactly
// one core loop per op. Leaves out: PoD, vNUMA translation, M2P, grant/foreign mappings; every
// guest is modelled auto-translated (a p2m indexed by gpfn), so PV's MFN-based decrease becomes
// gpfn-based (DIVERGENCE: keeps one ownership model; accounting is unaffected).

import { allocFailLine, assignFailLine } from './console.ts';
import { assert, assertFail, assertNever } from './assert.ts';
import { MAX_NUMNODES, setClaimEntries } from './claim-sets.ts';
import type { Domain } from './domain.ts';
import { EFAULT, EINVAL, ENOMEM, EPERM, ESRCH } from './errno.ts';
import { MEMF, memfBits, memfGetNode, memfNode, XENMEMF } from './flags.ts';
import { FrameRuns } from './frame-runs.ts';
import { copyReservation, isRecord, isU64, startExtentOf, type Reservation } from './guest-args.ts';
import { once, type HypercallContext, type SectionRunner, type Sections } from './hypercall-context.ts';
import { DOMID_SELF, MEMOPS, XEN_DOMCTL_CLAIM_MEMORY_LEGACY, type HypercallResult } from './ops.ts';

export { MEMOPS };
import { MAX_ORDER, PAGE_SHIFT } from './page-allocator.ts';
import { pow2 } from './pow2.ts';

export type Memop = (typeof MEMOPS)[number];
type ReservationOp = Exclude<Memop, 'XENMEM_claim_pages' | 'XENMEM_exchange'>;

/** nr_extents must leave room for the continuation index in cmd (UINT_MAX >> MEMOP_EXTENT_SHIFT). */
const MAX_NR_EXTENTS = 0xffffffff >>> 6;
/** ~0UL. */
const ULONG_MAX = 2n ** 64n - 1n;

export function isMemop(op: string): op is Memop {
  return (MEMOPS as readonly string[]).includes(op);
}

/** The op's sections (the handler's own generator: no delegation on the hot path). */
export function dispatchMemop(hv: HypercallContext, caller: number, op: Memop, args: unknown): SectionRunner {
  switch (op) {
    case 'XENMEM_claim_pages':
      return claimPages(hv, caller, args);
    case 'XENMEM_exchange':
      return memoryExchange(hv, caller, args);
    case 'XENMEM_populate_physmap':
    case 'XENMEM_increase_reservation':
      return populate(hv, caller, op, args);
    case 'XENMEM_decrease_reservation':
      return decreaseReservation(hv, caller, args);
    default:
      return assertNever(op, 'memop');
  }
}

/**
 * XENMEM_claim_pages: one non-preemptible section under page_alloc_lock + heap_lock.
 * @returns 0, -EINVAL (bad fields, unknown or dying domain, rule 2/3), -EFAULT, -EPERM, -ENOMEM.
 */
function* claimPages(hv: HypercallContext, caller: number, args: unknown): Sections {
  const rc = claimPagesRc(hv, caller, args);
  yield 'claim';
  return { rc };
}

function claimPagesRc(hv: HypercallContext, caller: number, args: unknown): number {
  const start = startExtentOf(args);
  if (start === undefined) return -EFAULT;
  if (start !== 0 && hv.feat.claimStartExtentErrno !== 0) return -hv.feat.claimStartExtentErrno;
  const r = copyReservation(args);
  if (r === undefined) return -EFAULT;
  if (r.list !== null || r.extentOrder !== 0 || r.memFlags !== 0) return -EINVAL;
  const d = hv.domains.get(r.domid); // rcu_lock_domain_by_id: DOMID_SELF is not accepted
  if (d === undefined) return -EINVAL;
  if (!hv.isControl(caller)) return -EPERM; // xsm_claim_pages(XSM_PRIV, d)
  if (hv.feat.claimRefusesDying && d.isDying !== 0) return -EINVAL;
  // The claim-set series routes it through domain_set_claim_entries with one LEGACY entry (the
  // same rules, and a cancel also drops node claims).
  const rc = hv.feat.claimSets
    ? setClaimEntries(hv.heap, d, [{ pages: r.nrExtents, target: XEN_DOMCTL_CLAIM_MEMORY_LEGACY, cmd: 0 }])
    : hv.heap.setOutstandingPages(d, r.nrExtents);
  hv.emit({ kind: 'claim', domid: d.domid, pages: r.nrExtents, rc });
  return rc;
}

/** The reservation ops' validated arguments (struct memop_args). */
interface MemopArgs {
  d: Domain;
  r: Reservation;
  memflags: number;
}

/**
 * The reservation ops' result once the loop stops (not preempted): the extents done, and for
 * increase_reservation with a handle the mfns it wrote there.
 */
function reservationResult(op: ReservationOp, a: MemopArgs, done: number, mfnsOut: number[]): HypercallResult {
  const result: HypercallResult = { rc: done };
  if (op === 'XENMEM_increase_reservation' && a.r.list !== null) result.extent_start = mfnsOut;
  return result;
}

/** do_memory_op's argument checks, in Xen's order. @returns the args, or the rc to return. */
/**
 * hypercall_create_continuation at extent `i` (one section), then the re-entered do_memory_op's
 * decode and checks from that extent on: the new arguments, or an errno. Only on a continuation,
 * so the delegation costs nothing on the per-extent path.
 */
function* continueReservation(hv: HypercallContext, caller: number, op: ReservationOp, args: unknown, i: number): Generator<string, MemopArgs | number, void> {
  yield 'continuation';
  hv.charge(hv.costs.hypercallNs);
  return decodeReservation(hv, caller, op, args, i);
}

function decodeReservation(hv: HypercallContext, caller: number, op: ReservationOp, args: unknown, start: number): MemopArgs | number {
  const r = copyReservation(args);
  if (r === undefined) return start;
  if (r.nrExtents > MAX_NR_EXTENTS) return start;
  if (start >= r.nrExtents) return start;
  if (r.list !== null && r.list.length < r.nrExtents) return start; // guest_handle_subrange_okay
  const d = hv.domains.get(r.domid === DOMID_SELF ? caller : r.domid); // rcu_lock_domain_by_any_id
  if (d === undefined) return start;
  const memflags = constructMemflags(hv, caller, op, r.memFlags);
  if (memflags === undefined) return start;
  if (!hv.xsmTarget(caller, d)) return hv.feat.xsmDenialReturnsExtents ? start : -EPERM; // B12
  // 4.3 decrease_reservation: `a->extent_order > MAX_ORDER` only (no multipage check); from
  // XSA-158 (4a578b316e) every reservation op checks max_order(current->domain).
  const limit = op === 'XENMEM_decrease_reservation' && !hv.feat.perKindMaxOrder ? MAX_ORDER : maxOrder(hv, caller);
  if (r.extentOrder > limit) return start;
  return { d, r, memflags };
}

/** memop max order per caller kind: 9 for guests, MAX_ORDER for the control domain (§5.4). */
function maxOrder(hv: HypercallContext, caller: number): number {
  return hv.isControl(caller) ? MAX_ORDER : 9;
}

/** construct_memop_from_reservation + propagate_node: XENMEMF_* → MEMF_*, or undefined. */
function constructMemflags(hv: HypercallContext, caller: number, op: ReservationOp, xmf: number): number | undefined {
  let memflags = 0;
  const bits = xmf & 0xff;
  const needBits = Math.ceil(Math.log2(hv.heap.nrPages)) + PAGE_SHIFT; // get_order_from_pages(max_page)
  if (bits !== 0 && bits < needBits) {
    if (bits <= PAGE_SHIFT) return undefined;
    memflags |= memfBits(bits);
  }
  if (xmf & XENMEMF.vnode && hv.feat.vnodeFlag) {
    // `if ( d->vnuma )` translates the virtual node; no domain has a vNUMA topology here
    // (XEN_DOMCTL_setvnumainfo is not modelled), so the node and exact bits are ignored.
  } else {
    const nodeFlags = propagateNode(hv, caller, xmf);
    if (nodeFlags === undefined) return undefined;
    memflags |= nodeFlags;
  }
  if (op === 'XENMEM_populate_physmap' && xmf & XENMEMF.populate_on_demand) {
    // DIVERGENCE: populate-on-demand is not modelled; such a request populates nothing.
    return undefined;
  }
  return memflags;
}

/**
 * propagate_node (4.10+, 2fece35303) / 4.3's unchecked MEMF_node: the node bits of XENMEMF_* as
 * MEMF_*, or undefined when Xen refuses them (-EINVAL).
 */
function propagateNode(hv: HypercallContext, caller: number, xmf: number): number | undefined {
  let memflags = 0;
  const node = ((xmf >>> 8) & 0xff) - 1; // XENMEMF_get_node: 0xff means none
  const exact = (xmf & XENMEMF.exact_node_request) !== 0;
  if (node === -1) {
    // No node: exact_node_request is ignored, not refused (propagate_node returns true early;
    // 4.3's allocator drops MEMF_exact_node for NUMA_NO_NODE).
  } else if (!hv.feat.nodeHintChecked) {
    // B15 (XSA-231): any caller's node byte indexes per-node arrays unchecked.
    if (node >= hv.heap.nodes) hv.emit({ kind: 'xsa231', caller, node });
    memflags |= memfNode(node);
    if (exact) memflags |= MEMF.exact_node;
  } else if (hv.isControl(caller)) {
    if (node >= MAX_NUMNODES) return undefined;
    memflags |= memfNode(node);
    if (exact) memflags |= MEMF.exact_node;
  } else if (exact) {
    return undefined;
  }
  return memflags;
}

/** hypercall_preempt_check() at the top of each iteration; never on the first from 4.5 (B13). */
function preemptPending(hv: HypercallContext, i: number, start: number, entry: number): boolean {
  if (i === start && hv.feat.firstExtentNotPreempted) return false;
  return hv.now - entry >= hv.costs.preemptSliceNs;
}

/**
 * increase_reservation / populate_physmap: per extent, alloc_heap_pages (heap_lock) then
 * assign_pages + p2m update (page_alloc_lock) as two sections; a failure stops the loop.
 * A pending preemption (or a stashed scrub) continues the call: hypercall_create_continuation
 * (op | i << 6), and the vCPU re-enters do_memory_op with the new index, which decodes and
 * checks the arguments again. The continuations run inside this one call's sections; the final
 * rc is the total of extents done.
 */
function populate(hv: HypercallContext, caller: number, op: 'XENMEM_populate_physmap' | 'XENMEM_increase_reservation', args: unknown): SectionRunner {
  return new PopulateSections(hv, caller, op, args);
}

/** Where PopulateSections resumes: each constant names the code after one of its sections. */
const P_ENTRY = 0;
/** The top of the extent loop (extent i): the preemption check, then the extent's first section. */
const P_TOP = 1;
/** After 'continuation': the re-entered do_memory_op's decode. */
const P_CONTINUED = 2;
/** The allocation (after 'get_stashed_allocation', or straight from the top). */
const P_ALLOC = 3;
/** The next scrub batch of the extent (4.22, during creation). */
const P_SCRUB = 4;
/** After a scrub batch that was not the last: the preemption check. */
const P_SCRUB_CHECK = 5;
/** After 'stash_allocation': the extent is continued. */
const P_STASHED = 6;
/** assign_pages + the p2m update. */
const P_ASSIGN = 7;
/** After a refused assign_pages: free_heap_pages. */
const P_FREE = 8;
/** After 'assign_pages': the next extent. */
const P_NEXT = 9;
/** The last section has run: `result` is the call's. */
const P_DONE = 10;

/**
 * populate's sections as a state machine rather than a generator: resuming a generator as large
 * as this loop copies its whole register file at every section, twice per extent, and each
 * next() allocates a result object; here a section is one method call on fields, and the
 * IteratorResult is reused (Hypervisor.step reads it before the next one). Each `return label`
 * ends a section, exactly where the generator yielded; `state` says where the next one begins.
 */
class PopulateSections implements SectionRunner {
  #state = P_ENTRY;
  readonly #res = { done: false, value: '' as string | HypercallResult };
  readonly #mapIt: boolean;
  readonly #mfnsOut: number[] = [];
  /** The decoded arguments (re-decoded at each continuation). */
  #a: MemopArgs | null = null;
  /** The extent in progress, where the current do_memory_op entry began, and when. */
  #i = 0;
  #start = 0;
  #entry = 0;
  /** The extent being populated was stashed (stash_allocation): the call must be continued. */
  #stashed = false;
  /** The extent in progress: its gpfn (populate_physmap), mfn once allocated, scrub position. */
  #gpfn = -1;
  /** d.p2m.mutations when the extent's gpfns were found unmapped. */
  #p2mSeen = 0;
  #mfn = -1;
  #scrubAt = 0;
  /** 4.22 populate_physmap during creation: pages come unscrubbed and are scrubbed here. */
  #deferred = false;
  #result: HypercallResult = { rc: 0 };

  readonly #hv: HypercallContext;
  readonly #caller: number;
  readonly #op: 'XENMEM_populate_physmap' | 'XENMEM_increase_reservation';
  readonly #args: unknown;

  constructor(hv: HypercallContext, caller: number, op: 'XENMEM_populate_physmap' | 'XENMEM_increase_reservation', args: unknown) {
    this.#hv = hv;
    this.#caller = caller;
    this.#op = op;
    this.#args = args;
    this.#mapIt = op === 'XENMEM_populate_physmap';
  }

  next(): IteratorResult<string, HypercallResult> {
    const label = this.#section();
    const res = this.#res;
    if (label === null) {
      res.done = true;
      res.value = this.#result;
    } else {
      res.value = label;
    }
    return res as IteratorResult<string, HypercallResult>;
  }

  /** The last section: `label`, and the call returns `result`. */
  #last(label: string, result: HypercallResult): string {
    this.#result = result;
    this.#state = P_DONE;
    return label;
  }

  /** The loop stops at extent i: the extents done so far. */
  #stopAt(label: string): string {
    return this.#last(label, reservationResult(this.#op, this.#a!, this.#i, this.#mfnsOut));
  }

  /** Runs one section. @returns its label, or null when the call has returned. */
  #section(): string | null {
    const hv = this.#hv;
    for (;;) {
      switch (this.#state) {
        case P_ENTRY: {
          const first = startExtentOf(this.#args);
          if (first === undefined) return this.#last('memory_op', { rc: 0 });
          const a = decodeReservation(hv, this.#caller, this.#op, this.#args, first);
          if (typeof a === 'number') return this.#last('memory_op', { rc: a });
          this.#a = a;
          this.#i = this.#start = first;
          this.#entry = hv.now;
          this.#state = P_TOP;
          break;
        }
        case P_TOP: {
          const a = this.#a!;
          if (this.#i >= a.r.nrExtents) {
            this.#result = reservationResult(this.#op, a, a.r.nrExtents, this.#mfnsOut);
            this.#state = P_DONE;
            return null;
          }
          if (this.#stashed || preemptPending(hv, this.#i, this.#start, this.#entry)) {
            this.#stashed = false;
            this.#state = P_CONTINUED;
            return 'continuation';
          }
          const { d, r } = a;
          const n = pow2(r.extentOrder);
          if (this.#mapIt) {
            const g = r.list === null ? undefined : r.list[this.#i];
            // DIVERGENCE: populating over an existing mapping stops the loop instead of replacing it.
            if (!isU64(g) || g % n !== 0 || g + n > 2 ** 40 || d.p2m.anyMapped(g, n)) return this.#stopAt('memory_op');
            this.#gpfn = g;
            this.#p2mSeen = d.p2m.mutations;
          }
          // 4.22 populate_physmap: during creation pages come unscrubbed and unassigned
          // (MEMF_no_scrub | MEMF_keep_scrub) and are scrubbed here, with preemption.
          this.#deferred = this.#mapIt && hv.feat.deferredPopulateScrub && !d.creationFinished;
          this.#mfn = -1;
          this.#scrubAt = 0;
          this.#state = P_ALLOC;
          if (this.#mapIt && hv.feat.deferredPopulateScrub && d.pendingScrub !== null) {
            const p = getStashedAllocation(hv, d, r.extentOrder, a.memflags);
            if (p !== null) {
              this.#mfn = p.mfn;
              this.#scrubAt = p.index;
            }
            return 'get_stashed_allocation';
          }
          break;
        }
        case P_CONTINUED: {
          // hypercall_create_continuation at extent i, then the re-entered do_memory_op's decode
          // and checks from that extent on.
          hv.charge(hv.costs.hypercallNs);
          const again = decodeReservation(hv, this.#caller, this.#op, this.#args, this.#i);
          if (typeof again === 'number') return this.#last('memory_op', { rc: again });
          this.#a = again;
          this.#start = this.#i;
          this.#entry = hv.now;
          this.#state = P_TOP; // the re-entered loop checks extent i from the top
          break;
        }
        case P_ALLOC: {
          const { d, r, memflags } = this.#a!;
          if (this.#mfn >= 0) {
            this.#scrubAt += this.#mfn;
            this.#state = this.#deferred ? P_SCRUB : P_ASSIGN;
            break;
          }
          const order = r.extentOrder;
          const before = d.outstandingPages;
          const got = hv.heap.allocHeapPages(order, memflags, d);
          hv.charge(hv.costs.extentNs);
          if (typeof got !== 'number') {
            hv.emit({ kind: 'alloc_failed', domid: d.domid, order, outstanding: before, reason: got });
            // gdprintk (debug builds only); 4.3's populate_physmap stays quiet for order 0 under tmem.
            if (hv.debugBuild && !(this.#mapIt && hv.feat.version === '4.3' && hv.tmem !== null && order === 0)) {
              hv.console.printk(allocFailLine(hv.feat.version, this.#mapIt, hv.current?.domid ?? d.domid, order, d.domid, memflags, this.#i, r.nrExtents));
            }
            return this.#stopAt('alloc_heap_pages');
          }
          this.#mfn = got;
          this.#scrubAt = got;
          if (!this.#deferred) hv.scrubOnAlloc(got, pow2(order));
          this.#state = this.#deferred ? P_SCRUB : P_ASSIGN;
          return 'alloc_heap_pages';
        }
        case P_SCRUB: {
          // The scrub loop (4.22): one section per SCRUB_BATCH dirty pages; after each batch but the
          // last a pending preemption stashes the extent for the continuation to resume.
          const end = this.#mfn + pow2(this.#a!.r.extentOrder);
          const upTo = hv.dirty.scrubBatch(this.#scrubAt, end, SCRUB_BATCH);
          const scrubbed = hv.dirty.batchCleared;
          hv.charge(scrubbed * hv.costs.pageScrubNs);
          this.#scrubAt = upTo;
          this.#state = upTo === end ? P_ASSIGN : P_SCRUB_CHECK;
          if (scrubbed > 0) return 'scrub_pages';
          break;
        }
        case P_SCRUB_CHECK: {
          if (hv.now - this.#entry < hv.costs.preemptSliceNs) { // hypercall_preempt_check()
            this.#state = P_SCRUB;
            break;
          }
          const { d, r } = this.#a!;
          stashAllocation(hv, d, this.#mfn, r.extentOrder, this.#scrubAt - this.#mfn);
          this.#state = P_STASHED;
          return 'stash_allocation';
        }
        case P_STASHED:
          this.#stashed = true;
          this.#state = P_TOP; // extent i again, through the continuation
          break;
        case P_ASSIGN: {
          const { d, r, memflags } = this.#a!;
          const order = r.extentOrder;
          const n = pow2(order);
          // A concurrent populate may have mapped the same gpfns meanwhile (if any mapping changed).
          const raced = this.#mapIt && d.p2m.mutations !== this.#p2mSeen && d.p2m.anyMapped(this.#gpfn, n);
          if (raced || !hv.heap.assignPages(d, this.#mfn, order, memflags)) {
            if (!raced && hv.debugBuild) {
              const dying = d.isDying !== 0;
              const line = assignFailLine(hv.feat.version, hv.current?.domid ?? d.domid, hv.tmem !== null, order, { domid: d.domid, totPages: d.totPages, maxPages: d.maxPages, dying });
              if (line !== undefined) hv.console.printk(line);
            }
            // E4 consumed the claim already: that share is lost, as 75d29d9b5e accepts (B5).
            this.#state = P_FREE;
            return 'assign_pages';
          }
          if (this.#mapIt) d.p2m.map(this.#gpfn, this.#mfn, n);
          else {
            d.unmappedExtents.set(this.#mfn, order);
            this.#mfnsOut.push(this.#mfn);
          }
          hv.charge(n * hv.costs.pagePopulateNs);
          this.#state = P_NEXT;
          return 'assign_pages';
        }
        case P_FREE:
          hv.heap.freeHeapPages(this.#mfn, this.#a!.r.extentOrder);
          return this.#stopAt('free_heap_pages');
        case P_NEXT:
          this.#i++;
          this.#state = P_TOP;
          break;
        case P_DONE:
          return null;
        default:
          return assertFail(`populate: bad state ${this.#state}`);
      }
    }
  }
}

/** Dirty pages scrubbed between two preemption checks (`!(++dirty_cnt & 0xff)`). */
const SCRUB_BATCH = 256;

/**
 * get_stashed_allocation (4.22 memory.c): the pending extent if it has the order asked for and,
 * for an exact-node request, the node; otherwise it is freed. Either way the slot is emptied.
 * @returns the extent taken over (its mfn and scrub index), or null.
 */
function getStashedAllocation(hv: HypercallContext, d: Domain, order: number, memflags: number): { mfn: number; index: number } | null {
  const p = d.pendingScrub!;
  const node = memflags & MEMF.exact_node ? memfGetNode(memflags) : -1;
  if (p.order === order && (node < 0 || hv.heap.nodeOf(p.mfn) === node)) {
    d.pendingScrub = null;
    return p;
  }
  hv.dropPendingScrub(d);
  return null;
}

/**
 * stash_allocation (4.22): keeps the extent whose scrub stopped at `index` in d->pending_scrub
 * for the continuation — "Drop the passed page in preference for the already stashed one": when
 * the slot is taken or d is dying the new extent is freed (with its claim share).
 */
function stashAllocation(hv: HypercallContext, d: Domain, mfn: number, order: number, index: number): void {
  if (d.pendingScrub !== null || d.isDying !== 0) {
    hv.heap.freeHeapPages(mfn, order);
    hv.emit({ kind: 'scrub_stash_freed', domid: d.domid, order });
  } else {
    d.pendingScrub = { mfn, order, index };
  }
}

/**
 * decrease_reservation: per extent, guest_remove_page for each of its 2^order gfns (p2m +
 * page_alloc_lock, where E1/E2 re-grow a claim), then free_heap_pages (heap_lock). A gfn that
 * is not mapped stops the loop after the pages before it were removed, as in Xen. Continues
 * itself on a pending preemption, as populate does.
 */
function* decreaseReservation(hv: HypercallContext, caller: number, args: unknown): Sections {
  const op = 'XENMEM_decrease_reservation';
  const first = startExtentOf(args);
  if (first === undefined) return yield* once('memory_op', { rc: 0 });
  let a = decodeReservation(hv, caller, op, args, first);
  if (typeof a === 'number') return yield* once('memory_op', { rc: a });
  /** The frames of the extent being freed, between its two sections. */
  const runs = new FrameRuns();
  let start = first;
  let entry = hv.now;
  for (let i = start; i < a.r.nrExtents; i++) {
    if (preemptPending(hv, i, start, entry)) {
      const again = yield* continueReservation(hv, caller, op, args, i);
      if (typeof again === 'number') return yield* once('memory_op', { rc: again });
      a = again;
      start = i;
      entry = hv.now;
      i--;
      continue;
    }
    const { d, r } = a;
    const n = pow2(r.extentOrder);
    const g = r.list === null ? undefined : r.list[i];
    if (!isU64(g)) {
      yield 'memory_op';
      return { rc: i };
    }
    // guest_remove_page for each gfn of the extent, up to the first that is not mapped; a part
    // of a superpage entry splits it.
    const removed = d.p2m.mappedPrefix(g, n);
    runs.clear();
    if (removed > 0) d.p2m.unmapRange(g, removed, runs);
    hv.heap.dropRuns(runs, d.domid);
    hv.heap.domainAdjustTotPages(d, -removed);
    yield 'guest_remove_page';
    hv.heap.freeRuns(runs);
    hv.charge(hv.costs.extentNs + removed * hv.costs.pageFreeNs);
    yield 'free_heap_pages';
    if (removed < n) return { rc: i };
  }
  return { rc: a.r.nrExtents };
}

function anyMapped(d: Domain, gpfn: number, n: number): boolean {
  return d.p2m.anyMapped(gpfn, n);
}

/**
 * XENMEM_exchange (PV): trades input extents for output extents of another order, chunk by chunk.
 * Input pages are stolen with MEMF_no_refcount (tot_pages unchanged), output pages are allocated
 * anonymously (so the claim gate treats them as anybody's) and assigned MEMF_no_refcount.
 * @returns 0 with nr_exchanged, or -EINVAL / -EFAULT / -EPERM / -ESRCH / -ENOMEM.
 */
function* memoryExchange(hv: HypercallContext, caller: number, args: unknown): Sections {
  if (!isRecord(args) || !isRecord(args.in) || !isRecord(args.out)) {
    yield 'memory_op';
    return { rc: -EFAULT };
  }
  const inR = copyReservation(args.in);
  const outR = copyReservation(args.out);
  const nrExchanged = args.nr_exchanged ?? 0;
  const bad = (rc: number): Sections => (function* () { yield 'memory_op'; return { rc, nr_exchanged: isU64(nrExchanged) ? nrExchanged : 0 }; })();
  if (inR === undefined || outR === undefined || !isU64(nrExchanged)) return yield* bad(-EFAULT);
  const limit = maxOrder(hv, caller);
  const orderOver = inR.extentOrder > limit || outR.extentOrder > limit;
  // Sizes of input and output lists do not overflow a long, and match (unsigned long maths).
  // Orders above 63 are refused here too: C's shift by >= 64 has no defined value.
  const sane = (r: Reservation) => r.extentOrder <= 63 && (ULONG_MAX >> BigInt(r.extentOrder)) >= BigInt(r.nrExtents);
  const insane = nrExchanged > inR.nrExtents || inR.domid !== outR.domid || !sane(inR) || !sane(outR) ||
    BigInt(inR.nrExtents) << BigInt(inR.extentOrder) !== BigInt(outR.nrExtents) << BigInt(outR.extentOrder);
  const handlesBad = inR.list === null || outR.list === null || inR.list.length < inR.nrExtents || outR.list.length < outR.nrExtents;
  let outFlags: number | undefined;
  if (hv.feat.exchangeOrderCheckFirst) {
    // 4.7+ (XSA-158) order: max_order first (-EPERM), the sanity checks (no nr_extents bound of
    // its own), nothing left → 0, the handles, then propagate_node(out.mem_flags).
    if (orderOver) return yield* bad(-EPERM);
    if (insane) return yield* bad(-EINVAL);
    if (nrExchanged === inR.nrExtents) return yield* bad(0);
    if (handlesBad) return yield* bad(-EFAULT);
    outFlags = propagateNode(hv, caller, outR.memFlags);
    if (outFlags === undefined) return yield* bad(-EINVAL);
  } else {
    // 4.3: the sanity checks include `extent_order > MAX_ORDER` (-EINVAL), then the handles,
    // then multipage_allocation_permitted (-EPERM); the node byte is used as given.
    if (insane || inR.extentOrder > MAX_ORDER || outR.extentOrder > MAX_ORDER) return yield* bad(-EINVAL);
    if (handlesBad) return yield* bad(-EFAULT);
    if (orderOver) return yield* bad(-EPERM);
    outFlags = propagateNode(hv, caller, outR.memFlags & ~XENMEMF.exact_node_request) ?? 0;
  }
  const d = hv.domains.get(inR.domid === DOMID_SELF ? caller : inR.domid);
  if (d === undefined) return yield* bad(-ESRCH);
  if (!hv.xsmTarget(caller, d)) return yield* bad(-EPERM);
  // MEMF_bits(domain_clamp_alloc_bitsize(d, XENMEMF_get_address_bits(out.mem_flags) ?: 76)).
  outFlags |= memfBits((outR.memFlags & 0xff) || 64 + PAGE_SHIFT);
  assert(inR.list !== null && outR.list !== null, 'exchange: handles checked');

  const chunkOrder = Math.max(inR.extentOrder, outR.extentOrder);
  const inPerChunk = 2 ** (chunkOrder - inR.extentOrder);
  const outPerChunk = 2 ** (chunkOrder - outR.extentOrder);
  let done = nrExchanged;
  while (done < inR.nrExtents) {
    const chunk = done / inPerChunk;
    // Section 1: steal the input pages (steal_page with MEMF_no_refcount: tot_pages unchanged).
    const inGpfns: number[] = [];
    for (let k = 0; k < inPerChunk; k++) {
      const g = inR.list[done + k];
      for (let j = 0; j < 2 ** inR.extentOrder; j++) inGpfns.push(isU64(g) ? g + j : -1);
    }
    // steal_page fails on a page no longer d's: a gpfn listed twice is stolen once, then refused.
    if (inGpfns.some((g) => g < 0 || d.p2m.lookup(g) < 0) || new Set(inGpfns).size !== inGpfns.length) {
      yield 'steal_page';
      return { rc: -EINVAL, nr_exchanged: done };
    }
    const stolen = inGpfns.map((g) => d.p2m.unmapOne(g));
    for (const mfn of stolen) hv.heap.dropRange(mfn, 1, d.domid);
    d.stolenPages += stolen.length;
    yield 'steal_page';
    // Section 2: allocate the output extents anonymously (d === NULL at the gate).
    const outMfns: number[] = [];
    let failed = false;
    for (let k = 0; k < outPerChunk && !failed; k++) {
      const mfn = hv.heap.allocHeapPages(outR.extentOrder, outFlags, null);
      hv.charge(hv.costs.extentNs);
      if (typeof mfn === 'number') {
        hv.scrubOnAlloc(mfn, 2 ** outR.extentOrder);
        outMfns.push(mfn);
      }
      else failed = true;
    }
    yield 'alloc_heap_pages';
    const outGpfns = Array.from({ length: outPerChunk }, (_, k) => outR.list![chunk * outPerChunk + k]);
    // DIVERGENCE: two outputs of one chunk at the same gpfn are refused (-EINVAL) rather than one
    // replacing the other's mapping, which would strand a frame.
    const outOk = outGpfns.every((g) => isU64(g) && g % 2 ** outR.extentOrder === 0 && !anyMapped(d, g, 2 ** outR.extentOrder))
      && new Set(outGpfns).size === outGpfns.length;
    if (failed || !outOk || d.isDying !== 0) {
      // Give the stolen pages back; free what was allocated (-ENOMEM in Xen for a failed alloc).
      for (const m of outMfns) hv.heap.freeHeapPages(m, outR.extentOrder);
      d.stolenPages -= stolen.length;
      for (let k = 0; k < stolen.length; k++) {
        hv.heap.takeFrames(stolen[k], 1, d.domid);
        d.p2m.map(inGpfns[k], stolen[k], 1);
      }
      yield 'assign_pages';
      return { rc: failed ? -ENOMEM : -EINVAL, nr_exchanged: done };
    }
    // Section 3: assign outputs (MEMF_no_refcount: tot_pages unchanged) and free the inputs.
    // DIVERGENCE: the outputs then count as ordinary pages in place of the inputs (no extra_pages).
    d.stolenPages -= stolen.length;
    outMfns.forEach((mfn, k) => {
      const n = 2 ** outR.extentOrder;
      hv.heap.takeFrames(mfn, n, d.domid);
      d.p2m.map(outGpfns[k] as number, mfn, n);
    });
    const stolenRuns = new FrameRuns();
    for (const mfn of stolen) stolenRuns.push(mfn, 1);
    hv.heap.freeRuns(stolenRuns);
    yield 'assign_pages';
    done += inPerChunk;
  }
  assert(done === inR.nrExtents, 'exchange: progress');
  return { rc: 0, nr_exchanged: done };
}

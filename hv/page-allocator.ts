// ≈ xen/common/page_alloc.c: the binary buddy heap, total_avail_pages, outstanding claims, the
// claim gate in alloc_heap_pages, domain_set_outstanding_pages and domain_adjust_tot_pages.
// Leaves out: the Xen heap zone and dma_bitsize fallback, page offlining, scrub bookkeeping
// (dirty pages are counted free, as Xen ≥ 4.10 does), LLC colouring, static memory.
//
// The heap: per NUMA node and zone, one free list per order 0..MAX_ORDER. Zone z holds the
// frames whose most significant set bit is z (4.3's fls(mfn) - 1). Blocks are 2^order frames,
// naturally aligned; a split keeps the lower halves free and hands out the upper one; a free
// merges with an equal-order free buddy on the same node; MFN 0 is never in the heap, which is
// also what keeps merges from crossing a zone boundary.
//
// Callers validated their input (hv/memop.ts); this module asserts instead of re-validating.

import { assert, assertFail } from './assert.ts';
import type { Domain } from './domain.ts';
import { MEMF, memfGetBits, memfGetNode } from './flags.ts';
import type { FrameRuns } from './frame-runs.ts';
import { FrameTable } from './frame-table.ts';
import { FreeLists } from './free-lists.ts';
import type { Features } from './version.ts';
import { pow2 } from './pow2.ts';

export const PAGE_SHIFT = 12;
/** CONFIG_PAGEALLOC_MAX_ORDER on x86: 18 (1 GiB). */
export const MAX_ORDER = 18;
/** Frame owner values that are not domids. */
export const OWNER_FREE = 0xffff;
export const OWNER_ANON = 0xfffe;
/** An offlined frame (page_offlined_list): on no free list, not in total_avail_pages. */
export const OWNER_OFFLINED = 0xfffc;
/** 2^64 as a double: what `unsigned long` wraps around. */
const ULONG_WRAP = 2 ** 64;

/** Where a refused allocation was refused, for events and properties. */
export type AllocFailure = 'gate' | 'buddy' | 'tmem' | 'order';

/** The tmem seam: 4.3's allocator consults tmem (hv/tmem.ts) without importing it. */
export interface TmemHooks {
  /** tmem_freeable_pages(): free-list pages + heap pages holding ephemeral data. */
  freeablePages(): number;
  /** tmem_relinquish_pages(order, memflags): a frame off tmem's free list, or -1. */
  relinquishPages(order: number, memflags: number): number;
}

/**
 * The heap and the claim counters. Invariants (checked by hv/invariants.ts):
 * - outstandingClaims === Σ d.outstandingPages + leakedClaimPages (Xen updates both under heap_lock);
 * - totalAvailPages === Σ avail[node][zone] === frames on the free lists;
 * - conservation: totalAvailPages + anonPages + Σ (d.totPages + d.extraPages) === managedPages.
 */
export class PageAllocator {
  /** Frames on the free lists (total_avail_pages); written only in allocHeapPages/freeHeapPages. */
  totalAvailPages = 0;
  /** Σ claims (outstanding_claims); written only with a domain's outstandingPages. */
  outstandingClaims = 0;
  /** Claim sets: Σ of every domain's nodeClaims[node], per node (the series' per-node outstanding). */
  readonly nodeOutstanding: Float64Array;
  /** Claims of domains freed while still claiming (bug B1): never released, until reboot. */
  leakedClaimPages = 0;
  /** Frames allocated without a domain owner (in flight, exchange, tmem, Xen itself). */
  anonPages = 0;
  /** 4.3 tmem: high-water mark of totalAvailPages / 128, raised in free_heap_pages. */
  midsizeAllocZonePages = 0;
  /** Frames handed to the heap at boot (all but MFN 0). */
  readonly managedPages: number;
  readonly nrZones: number;
  /**
   * Owner of each frame: a domid, OWNER_FREE or OWNER_ANON (hv/frame-table.ts: per 1 GiB, 2 MiB
   * or 4 KiB as written). A frame is OWNER_FREE iff it lies in a block on a free list.
   */
  readonly frames: FrameTable;
  /** avail[node * nrZones + zone]: free frames per node and zone. */
  readonly avail: Float64Array;
  /**
   * Free lists, indexed by (node * nrZones + zone) * (MAX_ORDER + 1) + order: FIFO, blocks appended on free and split,
   * the first one taken; linked through the blocks' heads as Xen links their page_info
   * (hv/free-lists.ts: O(1) and allocation-free, where a Set per list rehashed its table as the
   * order-0 path flipped lists between empty and one block).
   * Membership is also what page_alloc.c reads as PFN_ORDER(buddy) == order on a free buddy.
   */
  private readonly lists: FreeLists;
  /** nonEmpty[node * nrZones + zone] has bit j set iff that node and zone's order-j list is non-empty. */
  private readonly nonEmpty: Uint32Array;
  tmem: TmemHooks | null = null;
  /** Frames owned by OWNER_OFFLINED. */
  offlinedPages = 0;
  /** PGC_state_offlining: frames in use (or in flight) to be offlined when they are freed. */
  readonly offlining = new Set<number>();
  /** for_each_domain, for the claim sets' recall after offlining (set by the Hypervisor). */
  domainList: () => Iterable<Domain> = () => [];

  constructor(
    readonly nrPages: number,
    readonly nodes: number,
    private readonly feat: Features,
  ) {
    assert(Number.isSafeInteger(nrPages) && nrPages >= 2 && nrPages <= 2 ** 32, 'PageAllocator: nrPages');
    assert(Number.isSafeInteger(nodes) && nodes >= 1 && nodes <= 64, 'PageAllocator: nodes');
    this.nrZones = Math.floor(Math.log2(nrPages - 1)) + 1;
    this.frames = new FrameTable(nrPages, OWNER_FREE);
    this.avail = new Float64Array(nodes * this.nrZones);
    this.nodeOutstanding = new Float64Array(nodes);
    this.lists = new FreeLists(nrPages, nodes * this.nrZones * (MAX_ORDER + 1));
    this.nonEmpty = new Uint32Array(nodes * this.nrZones);
    // MFN 0 is never in the heap. On 4.3 neither is MFN 1, the only frame of zone 0 =
    // MEMZONE_XEN (fls(mfn) - 1): real x86 Xen gives no memory below 1 MiB to the heap
    // (arch/x86/setup.c: s = max_t(uint64_t, s, 1<<20)), so MEMZONE_XEN's frame never counts in
    // total_avail_pages. DIVERGENCE: the emulated host's frames 1..255 (2..255 on 4.3) are heap
    // memory, as if the first MiB were ordinary RAM; keeping MFN 1 in 4.3's heap made the claim
    // rules count a frame no domain can be given (the demo's claimed build ended one page short).
    const firstHeap = feat.lowestZoneIsXen ? 2 : 1;
    this.frames.setRange(0, firstHeap, OWNER_ANON);
    this.managedPages = nrPages - firstHeap;
    for (let node = 0; node < nodes; node++) {
      const [lo, hi] = this.nodeRange(node);
      this.initHeapRange(Math.max(lo, firstHeap), hi, node);
    }
  }

  /** [first, end) frames of a node: memory is split into equal contiguous node ranges. */
  nodeRange(node: number): [number, number] {
    const per = Math.ceil(this.nrPages / this.nodes);
    return [Math.min(node * per, this.nrPages), Math.min((node + 1) * per, this.nrPages)];
  }

  nodeOf(mfn: number): number {
    return Math.min(this.nodes - 1, Math.floor(mfn / Math.ceil(this.nrPages / this.nodes)));
  }

  /** The owner of a frame: a domid, OWNER_FREE or OWNER_ANON. */
  ownerOf(mfn: number): number {
    return this.frames.ownerOf(mfn);
  }

  /** The zone of a frame: position of its most significant set bit. */
  static zoneOf(mfn: number): number {
    return 31 - Math.clz32(mfn);
  }

  /** init_heap_pages: inserts [lo, hi) (already OWNER_FREE) as maximal naturally aligned blocks. */
  private initHeapRange(lo: number, hi: number, node: number): void {
    let mfn = lo;
    while (mfn < hi) {
      let order = Math.min(MAX_ORDER, mfn === 0 ? MAX_ORDER : 31 - Math.clz32(mfn & -mfn));
      while (mfn + pow2(order) > hi) order--;
      this.insertFree(mfn, order, node);
      mfn += pow2(order);
    }
  }

  /** Puts a block whose frames are OWNER_FREE (or about to be, see freeHeapPages) on its list. */
  private insertFree(mfn: number, order: number, node: number): void {
    const n = pow2(order);
    const nz = node * this.nrZones + PageAllocator.zoneOf(mfn);
    this.lists.append(nz * (MAX_ORDER + 1) + order, mfn, order);
    this.nonEmpty[nz] |= 1 << order;
    this.avail[nz] += n;
    this.totalAvailPages += n;
  }

  private removeFree(mfn: number, order: number, node: number): void {
    const nz = node * this.nrZones + PageAllocator.zoneOf(mfn);
    const list = nz * (MAX_ORDER + 1) + order;
    this.lists.remove(list, mfn, order);
    if (this.lists.firstOf(list) === 0) this.nonEmpty[nz] &= ~(1 << order);
    this.avail[nz] -= pow2(order);
    this.totalAvailPages -= pow2(order);
  }

  /** MEMZONE_XEN + 1 in this module's zone numbering: 1 on 4.3 (MFN 1 is Xen's), else 0. */
  get domheapZoneLo(): number {
    return this.feat.lowestZoneIsXen ? 1 : 0;
  }

  /**
   * avail_domheap_pages(): free frames in zones above MEMZONE_XEN (physinfo's free_pages). That is
   * every free frame: MEMZONE_XEN's only frame (MFN 1 on 4.3) is never heap memory here (see the
   * constructor), so on 4.3 avail[node][MEMZONE_XEN] is always 0, and from 4.13 no zone of this
   * numbering is MEMZONE_XEN.
   */
  domheapAvailPages(): number {
    return this.totalAvailPages;
  }

  /** AVAIL of the claim rules: free heap (+ tmem freeable pages in the tmem era). */
  availForClaims(): number {
    return this.totalAvailPages + (this.tmem?.freeablePages() ?? 0);
  }

  /**
   * `AVAIL - outstanding_claims` as Xen computes it in an unsigned long: if claims ever exceed
   * AVAIL (bug B3's window, B11) the subtraction wraps and any claim "fits".
   */
  unclaimedAvail(): number {
    const diff = this.availForClaims() - this.outstandingClaims;
    return diff >= 0 ? diff : ULONG_WRAP + diff;
  }

  /**
   * alloc_heap_pages(zone_lo, zone_hi, order, memflags, d): the claim gate, the tmem detour (4.3),
   * the buddy search and split. Returns the head mfn (owned by OWNER_ANON) or the failure reason.
   * One heap_lock region. E4 consumes the claim here.
   */
  allocHeapPages(order: number, memflags: number, d: Domain | null): number | AllocFailure {
    assert(Number.isInteger(order) && order >= 0, 'allocHeapPages: order');
    if (order > MAX_ORDER) return 'order';
    const request = pow2(order);
    // The claim gate: unclaimed memory is first-come-first-served; claimed memory only serves a
    // domain whose own remaining claim covers the whole request (page_alloc.c, §2.1).
    // The claim-set series (v7 2/3) keeps this gate as it is; its per-node gate is in get_free_buddy.
    const mayUseClaim =
      d !== null && d.outstandingPages >= request && !(this.feat.gateHonoursNoRefcount && memflags & MEMF.no_refcount);
    if (this.outstandingClaims + request > this.availForClaims() && !mayUseClaim) return 'gate';

    // 4.3's tmem detour: with tmem holding freeable pages and the heap below the mid-size mark,
    // order 0 and order >= 9 requests are served by tmem only (tmem refuses order > 0).
    const tmem = this.tmem;
    if (tmem !== null && (order === 0 || order >= 9) && this.totalAvailPages <= this.midsizeAllocZonePages && tmem.freeablePages() > 0) {
      const mfn = tmem.relinquishPages(order, memflags);
      if (mfn < 0) return 'tmem';
      // The frame never was on the heap: total_avail_pages is not decremented.
      this.consumeClaimAtAlloc(d, request, memflags, mfn);
      return mfn;
    }

    const list = this.getFreeBuddy(order, memflags, d);
    if (list < 0) return 'buddy';
    let mfn = this.lists.firstOf(list);
    let j = list % (MAX_ORDER + 1);
    const node = Math.floor(list / ((MAX_ORDER + 1) * this.nrZones));
    this.removeFree(mfn, j, node);
    // Split: the lower half goes back on the order-(j-1) list, allocation continues in the upper.
    while (j > order) {
      j--;
      this.insertFree(mfn, j, node);
      mfn += pow2(j);
    }
    this.frames.setRange(mfn, request, OWNER_ANON);
    this.anonPages += request;
    this.consumeClaimAtAlloc(d, request, memflags, mfn);
    return mfn;
  }

  /**
   * E4 (75d29d9b5e): the claim is consumed in the same heap_lock region as total_avail_pages.
   * Claim sets (v7 alloc_heap_pages): min(claim, request) is redeemed from the allocation node's
   * claim first, then from the host-wide claim, then recalled from d's other node claims in node
   * order — so outstanding_claims <= total_avail_pages and each node's claims <= its free pages
   * still hold once the allocation is deducted.
   */
  private consumeClaimAtAlloc(d: Domain | null, request: number, memflags: number, mfn: number): void {
    if (!this.feat.claimConsumedAtAlloc || d === null || d.outstandingPages === 0) return;
    if (memflags & MEMF.no_refcount) return;
    let redeem = Math.min(d.outstandingPages, request);
    assert(redeem <= this.outstandingClaims, 'BUG_ON: claim consumption exceeds outstanding_claims');
    if (this.feat.claimSets) {
      redeem -= this.releaseNodeClaims(d, this.nodeOf(mfn), redeem);
      if (redeem > 0) {
        redeem -= this.releaseHostClaims(d, redeem);
        this.recallNodeClaims(d, redeem);
      }
      return;
    }
    d.outstandingPages -= redeem;
    this.outstandingClaims -= redeem;
  }

  /** Σ of d's node claims (d->node_claims in the claim-set series). */
  static nodeClaimsOf(d: Domain): number {
    let n = 0;
    for (const c of d.nodeClaims ?? []) n += c;
    return n;
  }

  /** domain_release_host_claims(d, release): at most d's host-wide part. @returns pages released. */
  releaseHostClaims(d: Domain, release: number): number {
    const host = d.outstandingPages - PageAllocator.nodeClaimsOf(d);
    assert(host >= 0, 'ASSERT: outstanding_pages >= node_claims');
    const r = Math.min(release, host);
    this.outstandingClaims -= r;
    d.outstandingPages -= r;
    return r;
  }

  /** domain_release_node_claims(d, node, release): at most d's claim on node. @returns pages released. */
  releaseNodeClaims(d: Domain, node: number, release: number): number {
    const own = d.nodeClaims?.[node] ?? 0;
    if (own === 0) return 0;
    const r = Math.min(release, own);
    this.nodeOutstanding[node] -= r;
    d.nodeClaims![node] -= r;
    d.outstandingPages -= r;
    this.outstandingClaims -= r;
    return r;
  }

  /** domain_recall_node_claims(d, recall): releases node claims in node order until recall is met. */
  recallNodeClaims(d: Domain, recall: number): void {
    for (let node = 0; node < this.nodes; node++) {
      if (recall === 0 || PageAllocator.nodeClaimsOf(d) === 0) break;
      recall -= this.releaseNodeClaims(d, node, recall);
    }
  }

  /** get_free_buddy(): the free list whose first block is the one to take, or -1. */
  private getFreeBuddy(order: number, memflags: number, d: Domain | null): number {
    const request = pow2(order);
    const bits = memfGetBits(memflags);
    // bits_to_zone(bits) in this module's numbering (zone = fls(mfn) - 1): bits - PAGE_SHIFT - 1;
    // below PAGE_SHIFT + 1 bits it is 0 (4.3) or flsl's zone 1, this module's 0 (4.13+).
    const zoneHi = bits === 0 ? this.nrZones - 1 : Math.min(this.nrZones - 1, Math.max(bits - PAGE_SHIFT - 1, this.feat.lowestZoneIsXen ? -1 : 0));
    const zoneLo = this.domheapZoneLo;
    if (zoneHi < zoneLo) return -1; // alloc_domheap_pages: zone_hi <= MEMZONE_XEN gives NULL
    const reqNode = memfGetNode(memflags);
    const exact = (memflags & MEMF.exact_node) !== 0 && reqNode >= 0;
    // An offline node has no heap (avail[node] == NULL): exact requests fail, others fall back.
    if (exact && reqNode >= this.nodes) return -1;
    const start = reqNode >= 0 && reqNode < this.nodes ? reqNode : d !== null ? (d.lastAllocNode + 1) % this.nodes : 0;
    for (let k = 0; k < (exact ? 1 : this.nodes); k++) {
      const node = (start + k) % this.nodes;
      if (this.feat.claimSets && !this.nodeGateAllows(node, request, memflags, d)) continue;
      for (let zone = zoneHi; zone >= zoneLo; zone--) {
        const nz = node * this.nrZones + zone;
        if (this.avail[nz] < request) continue;
        // The lowest order >= `order` whose list is non-empty (the scan j = order ..= MAX_ORDER).
        const orders = this.nonEmpty[nz] & ~((1 << order) - 1);
        if (orders === 0) continue;
        const j = 31 - Math.clz32(orders & -orders);
        if (d !== null && reqNode < 0) d.lastAllocNode = node;
        return nz * (MAX_ORDER + 1) + j;
      }
    }
    return -1;
  }

  /** Free frames of one node (node_avail_pages, 44adbac3c7). */
  nodeAvailPages(node: number): number {
    let n = 0;
    for (let z = 0; z < this.nrZones; z++) n += this.avail[node * this.nrZones + z];
    return n;
  }

  /**
   * Claim sets, get_free_buddy: a node whose unclaimed memory is short of the request is skipped,
   * unless the request's own claim on that node makes up the difference.
   */
  private nodeGateAllows(node: number, request: number, memflags: number, d: Domain | null): boolean {
    const own = d !== null && d.nodeClaims !== null && !(memflags & MEMF.no_refcount) ? d.nodeClaims[node] : 0;
    return this.nodeAvailPages(node) - this.nodeOutstanding[node] + own >= request;
  }

  /** Drops d's per-node claims (the counters only; outstandingPages is the caller's). */
  clearNodeClaims(d: Domain): void {
    if (d.nodeClaims === null) return;
    for (let n = 0; n < d.nodeClaims.length; n++) this.nodeOutstanding[n] -= d.nodeClaims[n];
    d.nodeClaims = null;
  }

  /**
   * free_heap_pages(pg, order): merge with free buddies of equal order on the same node, then put
   * the block on its list. The frames must be anonymous (removed from their domain already).
   */
  freeHeapPages(mfn: number, order: number): void {
    const n = pow2(order);
    if (!(mfn > 0 && mfn % n === 0 && mfn + n <= this.nrPages)) assertFail(`freeHeapPages: bad block ${mfn}/${order}`);
    if (!this.frames.isRange(mfn, n, OWNER_ANON)) assertFail(`freeHeapPages: block ${mfn}/${order} not all anonymous`);
    this.anonPages -= n;
    this.frames.setRange(mfn, n, OWNER_FREE);
    const node = this.nodeOf(mfn);
    while (order < MAX_ORDER) {
      const size = pow2(order);
      const buddy = Math.floor(mfn / size) % 2 === 1 ? mfn - size : mfn + size;
      if (buddy <= 0 || buddy >= this.nrPages || this.nodeOf(buddy) !== node || !this.isFreeHead(buddy, order)) break;
      this.removeFree(buddy, order, node);
      mfn = Math.min(mfn, buddy);
      order++;
    }
    this.insertFree(mfn, order, node);
    // free_heap_pages: a frame marked offlining is offlined now (reserve_offlined_page).
    if (this.offlining.size > 0) {
      const end = mfn + pow2(order);
      for (const f of [...this.offlining].filter((x) => x >= mfn && x < end).sort((x, y) => x - y)) {
        this.offlining.delete(f);
        this.reserveOfflinedFrame(f);
      }
    }
    if (this.tmem !== null) {
      this.midsizeAllocZonePages = Math.max(this.midsizeAllocZonePages, Math.floor(this.totalAvailPages / 128));
    }
  }

  /** The free block holding a free frame: [head, order], or null when the frame is not free. */
  freeBlockOf(mfn: number): [number, number] | null {
    for (let order = 0; order <= MAX_ORDER; order++) {
      const head = mfn - (mfn % pow2(order));
      if (head > 0 && this.isFreeHead(head, order)) return [head, order];
    }
    return null;
  }

  /**
   * reserve_offlined_page for one free frame: its block leaves the free lists, the rest of the
   * block goes back as maximal aligned buddies, the frame goes to the offlined list (avail and
   * total_avail_pages one less). Claim sets (v7): then claims are recalled until each node's
   * claims fit its free pages and outstanding_claims fits total_avail_pages.
   */
  reserveOfflinedFrame(mfn: number): void {
    const found = this.freeBlockOf(mfn);
    if (found === null) assertFail(`reserveOfflinedFrame: frame ${mfn} is on no free list`);
    let [head, order] = found;
    const node = this.nodeOf(head);
    this.removeFree(head, order, node);
    while (order > 0) {
      order--;
      const half = pow2(order);
      const upper = mfn >= head + half;
      this.insertFree(upper ? head : head + half, order, node);
      if (upper) head += half;
    }
    this.frames.setRange(mfn, 1, OWNER_OFFLINED);
    this.offlinedPages++;
    if (this.feat.claimSets) this.recallAfterOfflining(node);
  }

  /** v7 reserve_offlined_page: "Offlining pages may violate claim invariants; restore them if needed." */
  private recallAfterOfflining(node: number): void {
    let over = this.nodeOutstanding[node] - this.nodeAvailPages(node);
    if (over > 0) {
      for (const d of this.domainList()) {
        over -= this.releaseNodeClaims(d, node, over);
        if (over === 0) break;
      }
    }
    over = this.outstandingClaims - this.totalAvailPages;
    if (over > 0) {
      for (const d of this.domainList()) {
        over -= this.releaseHostClaims(d, over);
        if (over === 0) break;
      }
    }
  }

  /** online_page of an offlined frame: back to the heap through free_heap_pages(pg, 0). */
  onlineOfflinedFrame(mfn: number): void {
    assert(this.ownerOf(mfn) === OWNER_OFFLINED, 'onlineOfflinedFrame: not offlined');
    this.frames.setRange(mfn, 1, OWNER_ANON);
    this.offlinedPages--;
    this.anonPages++;
    this.freeHeapPages(mfn, 0);
  }

  /** PFN_ORDER(mfn) == order on a free block: mfn heads a free block of that order. */
  isFreeHead(mfn: number, order: number): boolean {
    return mfn > 0 && mfn < this.nrPages && this.lists.orderOf(mfn) === order;
  }

  /**
   * Frees a set of anonymous frames, given as disjoint runs, as maximal aligned blocks in
   * ascending frame order. Sorts and merges `runs` in place.
   */
  freeRuns(runs: FrameRuns): void {
    runs.sortAndMerge();
    for (let i = 0; i < runs.count; i++) this.freeRun(runs.start(i), runs.start(i) + runs.len(i));
  }

  /** Frees the anonymous frames [lo, hi) as maximal aligned blocks, none spanning two nodes. */
  freeRun(lo: number, hi: number): void {
    let mfn = lo;
    while (mfn < hi) {
      let order = Math.min(MAX_ORDER, 31 - Math.clz32(mfn & -mfn));
      while (mfn + pow2(order) > hi || this.nodeOf(mfn + pow2(order) - 1) !== this.nodeOf(mfn)) order--;
      this.freeHeapPages(mfn, order);
      mfn += pow2(order);
    }
  }

  /**
   * domain_set_outstanding_pages(d, pages): every rule in Xen's order (§1.3). Both locks held.
   * @returns 0, or -EINVAL / -ENOMEM.
   */
  setOutstandingPages(d: Domain, pages: number): number {
    if (pages === 0) {
      this.outstandingClaims -= d.outstandingPages;
      d.outstandingPages = 0;
      this.clearNodeClaims(d);
      return 0;
    }
    if (d.outstandingPages !== 0) return -22; // only one active claim per domain please
    // "Current pages": tot_pages to 4.13, domain_tot_pages() = tot - extra from 4.14. Extra
    // (MEMF_no_refcount) pages are counted apart from totPages here, so both read totPages.
    const current = d.totPages;
    if (pages <= current || pages > d.maxPages) return -22;
    const claim = pages - current;
    if (claim > this.unclaimedAvail()) return -12;
    d.outstandingPages = claim;
    this.outstandingClaims += claim;
    return 0;
  }

  /**
   * domain_adjust_tot_pages(d, pages), per version: E1/E2 consume on growth and re-grow on frees
   * (B2); E3 only consumes; E4 only counts (consumption moved into allocHeapPages).
   */
  domainAdjustTotPages(d: Domain, pages: number): void {
    d.totPages += pages;
    assert(d.totPages >= 0, 'domain_adjust_tot_pages: tot_pages underflow');
    if (d.outstandingPages === 0) return;
    if (pages > 0 && !this.feat.claimConsumedAtAlloc) {
      const consumed = Math.min(d.outstandingPages, pages);
      d.outstandingPages -= consumed;
      this.outstandingClaims -= consumed;
    } else if (pages < 0 && this.feat.freesRegrowClaim) {
      d.outstandingPages += -pages;
      this.outstandingClaims += -pages;
    }
  }

  /**
   * assign_pages(d, pg, order, memflags): charges 2^order anonymous frames to d. Fails (returns
   * false) when d is dying or the extent would take tot_pages above max_pages ("Over-allocation").
   * One page_alloc_lock region (with heap_lock nested for claims in E1–E3).
   */
  assignPages(d: Domain, mfn: number, order: number, memflags: number): boolean {
    const n = pow2(order);
    if (d.isDying !== 0) return false;
    const refcounted = !(memflags & MEMF.no_refcount);
    if (refcounted && d.totPages + n > d.maxPages) return false;
    this.takeFrames(mfn, n, d.domid);
    if (refcounted) this.domainAdjustTotPages(d, n);
    else d.extraPages += n;
    return true;
  }

  /** Moves anonymous frames to a domain owner (no accounting beyond anonPages). */
  takeFrames(mfn: number, n: number, domid: number): void {
    if (!this.frames.isRange(mfn, n, OWNER_ANON)) assertFail(`assign: frames [${mfn}, +${n}) not all anonymous`);
    this.frames.setRange(mfn, n, domid);
    this.anonPages -= n;
  }

  /** Moves a domain's frames [mfn, mfn + n) back to anonymous (steal_page / the first half of a free). */
  dropRange(mfn: number, n: number, domid: number): void {
    if (!this.frames.isRange(mfn, n, domid)) assertFail(`drop: frames [${mfn}, +${n}) not all owned by d${domid}`);
    this.frames.setRange(mfn, n, OWNER_ANON);
    this.anonPages += n;
  }

  /** dropRange for every run of `runs`. */
  dropRuns(runs: FrameRuns, domid: number): void {
    for (let i = 0; i < runs.count; i++) this.dropRange(runs.start(i), runs.len(i), domid);
  }

  /** The free lists' links and head tables, walked whole: a description of the first fault, or null (invariant checker). */
  checkFreeLists(): string | null {
    return this.lists.checkStructure((list) => list % (MAX_ORDER + 1));
  }

  /** Every free block as [mfn, order, node, zone] (invariant checker, small hosts). */
  *freeBlocks(): IterableIterator<[number, number, number, number]> {
    for (let i = 0; i < this.lists.nrLists; i++) {
      const order = i % (MAX_ORDER + 1);
      const zone = Math.floor(i / (MAX_ORDER + 1)) % this.nrZones;
      const node = Math.floor(i / ((MAX_ORDER + 1) * this.nrZones));
      for (let mfn = this.lists.firstOf(i); mfn !== 0; mfn = this.lists.nextOf(mfn)) yield [mfn, order, node, zone];
    }
  }
}

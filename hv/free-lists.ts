// The heap's free lists (≈ page_alloc.c's heap(node, zone, order) page_list_heads): one FIFO list
// of free blocks per list index, linked through the blocks' head frames as Xen links their struct
// page_info, so insertion, removal and the first block are O(1) and allocate nothing. A head's
// links and order (PFN_ORDER of a free head) live in a table laid out like the frame table:
// 1 GiB-aligned heads in one flat array sized at boot, other 2 MiB-aligned heads (orders 9-17)
// in one table per 1 GiB chunk, all other heads in per-2 MiB tables; those are made on first use
// and recycled when their last head leaves, so a 16 TiB host boots in ~1 MiB, the order-0 path
// (a table gaining and losing its only head) allocates nothing, and an order-9 split costs no
// 2 MiB table per head.
// Invariant: a frame is a head (order field non-zero) iff it is on exactly one list, and the
// head count of every table equals the heads it holds (checkStructure proves both).

import { assert, assertFail } from './assert.ts';
import { TypedSlab } from './typed-slab.ts';

/** Frames per 2 MiB region and regions per 1 GiB chunk. */
const REGION = 512;
const REGION_SHIFT = 9;
/** Frames per 1 GiB chunk. */
const CHUNK_SHIFT = 18;
const CHUNK_MASK = 2 ** CHUNK_SHIFT - 1;
/** Each slot holds [next head, previous head, order + 1]; mfn 0 is never free, so 0 means none. */
const NEXT = 0;
const PREV = 1;
const ORDER1 = 2;
const STRIDE = 3;
/** Where a region table keeps its number of heads (after its REGION slots). */
const HEADS = REGION * STRIDE;
/** Emptied chunk arrays kept for reuse (bounds both the churn and the memory they hold). */
const SPARE_TABLES_MAX = 64;

export class FreeLists {
  /** First and last head of each list, 0 when the list is empty. */
  private readonly first: Uint32Array;
  private readonly last: Uint32Array;
  /** Slots of the 1 GiB-aligned heads, indexed by mfn >>> CHUNK_SHIFT. */
  private readonly top: Uint32Array;
  /** Per chunk, the table of its 2 MiB-aligned heads (REGION slots + a head count), or null. */
  private readonly mids: Array<Uint32Array | null>;
  /** Per chunk, its region tables (REGION slots + a head count), or null when it has none. */
  private readonly regions: Array<Array<Uint32Array | null> | null>;
  /** Per chunk, how many of its region tables exist. */
  private readonly regionTables: Uint16Array;
  /**
   * Region and 2 MiB-head tables: fresh ones are all 0, and only emptied ones (every order field
   * and the head count 0) go back, so a table taken needs no clearing.
   */
  private readonly slab = new TypedSlab(Uint32Array, HEADS + 1);
  /** Emptied chunk arrays (every entry null), for reuse. */
  private readonly spareChunks: Array<Array<Uint32Array | null>> = [];

  constructor(
    /** Frames [0, nrFrames) may head blocks. */
    readonly nrFrames: number,
    /** Number of lists. */
    readonly nrLists: number,
  ) {
    assert(Number.isSafeInteger(nrFrames) && nrFrames > 0 && nrFrames <= 2 ** 32, 'FreeLists: nrFrames');
    assert(Number.isSafeInteger(nrLists) && nrLists > 0, 'FreeLists: nrLists');
    const chunks = Math.ceil(nrFrames / 2 ** CHUNK_SHIFT);
    this.first = new Uint32Array(nrLists);
    this.last = new Uint32Array(nrLists);
    this.top = new Uint32Array(chunks * STRIDE);
    this.mids = new Array<Uint32Array | null>(chunks).fill(null);
    this.regions = new Array<Array<Uint32Array | null> | null>(chunks).fill(null);
    this.regionTables = new Uint16Array(chunks);
  }

  /** The order of the free block headed by mfn, or -1 when mfn heads none (PFN_ORDER on a free head). */
  orderOf(mfn: number): number {
    const t = this.tableOf(mfn);
    return t === null ? -1 : t[slotOf(mfn) + ORDER1] - 1;
  }

  /** The first (oldest) block of a list, or 0 when it is empty. */
  firstOf(list: number): number {
    return this.first[list];
  }

  /** The block after mfn on its list, or 0. mfn must be a head. */
  nextOf(mfn: number): number {
    return this.tableOf(mfn)![slotOf(mfn) + NEXT];
  }

  /** Appends the block [mfn, +2^order) to `list`; mfn must not head a block already. */
  append(list: number, mfn: number, order: number): void {
    if (!(mfn > 0 && mfn < this.nrFrames)) assertFail(`FreeLists.append: bad mfn ${mfn}`);
    const t = this.tableFor(mfn);
    const s = slotOf(mfn);
    if (t[s + ORDER1] !== 0) assertFail(`heap: block ${mfn}/${order} already heads a free block of order ${t[s + ORDER1] - 1}`);
    const tail = this.last[list];
    t[s + NEXT] = 0;
    t[s + PREV] = tail;
    t[s + ORDER1] = order + 1;
    if (t !== this.top) t[HEADS]++;
    if (tail === 0) this.first[list] = mfn;
    else this.tableOf(tail)![slotOf(tail) + NEXT] = mfn;
    this.last[list] = mfn;
  }

  /** Removes the block headed by mfn, of `order`, from `list`. */
  remove(list: number, mfn: number, order: number): void {
    const t = this.tableOf(mfn);
    const s = slotOf(mfn);
    if (t === null || t[s + ORDER1] !== order + 1) assertFail(`heap: block ${mfn}/${order} not on its free list`);
    const next = t[s + NEXT];
    const prev = t[s + PREV];
    if (prev === 0) {
      if (this.first[list] !== mfn) assertFail(`heap: block ${mfn}/${order} not on list ${list}`);
      this.first[list] = next;
    } else {
      this.tableOf(prev)![slotOf(prev) + NEXT] = next;
    }
    if (next === 0) this.last[list] = prev;
    else this.tableOf(next)![slotOf(next) + PREV] = prev;
    t[s + ORDER1] = 0;
    if (t !== this.top && --t[HEADS] === 0) this.dropTable(mfn);
  }

  /**
   * Walks every list and every table: each list's links run both ways, its blocks have `orderOf`
   * the list's order (by `orderOfList`), and the heads the tables count are exactly the listed
   * ones. @returns a description of the first inconsistency, or null (invariant checker).
   */
  checkStructure(orderOfList: (list: number) => number): string | null {
    let listed = 0;
    for (let list = 0; list < this.nrLists; list++) {
      let prev = 0;
      for (let mfn = this.first[list]; mfn !== 0; mfn = this.nextOf(mfn)) {
        const t = this.tableOf(mfn);
        if (t === null || t[slotOf(mfn) + ORDER1] === 0) return `list ${list}: ${mfn} is not a head`;
        if (t[slotOf(mfn) + PREV] !== prev) return `list ${list}: ${mfn}'s previous link is ${t[slotOf(mfn) + PREV]}, not ${prev}`;
        if (this.orderOf(mfn) !== orderOfList(list)) return `list ${list}: ${mfn} has order ${this.orderOf(mfn)}`;
        if (++listed > this.nrFrames) return `list ${list}: cycle`;
        prev = mfn;
      }
      if (this.last[list] !== prev) return `list ${list}: last is ${this.last[list]}, not ${prev}`;
    }
    let heads = 0;
    for (let c = 0; c < this.regionTables.length; c++) {
      if (this.top[c * STRIDE + ORDER1] !== 0) heads++;
      const mid = this.mids[c];
      if (mid !== null) {
        let inMid = 0;
        for (let i = 0; i < REGION; i++) if (mid[i * STRIDE + ORDER1] !== 0) inMid++;
        if (inMid !== mid[HEADS] || inMid === 0) return `chunk ${c}: its 2 MiB-head table holds ${inMid} heads, counts ${mid[HEADS]}`;
        heads += inMid;
      }
      const rs = this.regions[c];
      let tables = 0;
      for (const t of rs ?? []) {
        if (t === null) continue;
        tables++;
        let inTable = 0;
        for (let i = 0; i < REGION; i++) if (t[i * STRIDE + ORDER1] !== 0) inTable++;
        if (inTable !== t[HEADS] || inTable === 0) return `chunk ${c}: a region table holds ${inTable} heads, counts ${t[HEADS]}`;
        heads += inTable;
      }
      if (tables !== this.regionTables[c]) return `chunk ${c}: ${tables} region tables, counted ${this.regionTables[c]}`;
    }
    return heads === listed ? null : `${heads} heads in the tables, ${listed} on the lists`;
  }

  /** The table holding mfn's slot, or null when it has not been made. */
  private tableOf(mfn: number): Uint32Array | null {
    if ((mfn & CHUNK_MASK) === 0) return this.top;
    if ((mfn & (REGION - 1)) === 0) return this.mids[mfn >>> CHUNK_SHIFT];
    const rs = this.regions[mfn >>> CHUNK_SHIFT];
    return rs === null ? null : rs[(mfn >>> REGION_SHIFT) & (REGION - 1)];
  }

  /** The table holding mfn's slot, made (or taken from the spares) if needed. */
  private tableFor(mfn: number): Uint32Array {
    if ((mfn & CHUNK_MASK) === 0) return this.top;
    const c = mfn >>> CHUNK_SHIFT;
    if ((mfn & (REGION - 1)) === 0) {
      let mid = this.mids[c];
      if (mid === null) {
        mid = this.slab.take();
        this.mids[c] = mid;
      }
      return mid;
    }
    let rs = this.regions[c];
    if (rs === null) {
      rs = this.spareChunks.pop() ?? new Array<Uint32Array | null>(REGION).fill(null);
      this.regions[c] = rs;
    }
    const r = (mfn >>> REGION_SHIFT) & (REGION - 1);
    let t = rs[r];
    if (t === null) {
      t = this.slab.take();
      rs[r] = t;
      this.regionTables[c]++;
    }
    return t;
  }

  /** Recycles the (now empty) region table holding mfn's slot. */
  private dropTable(mfn: number): void {
    const c = mfn >>> CHUNK_SHIFT;
    if ((mfn & (REGION - 1)) === 0) {
      this.slab.give(this.mids[c]!);
      this.mids[c] = null;
      return;
    }
    const rs = this.regions[c]!;
    const r = (mfn >>> REGION_SHIFT) & (REGION - 1);
    this.slab.give(rs[r]!);
    rs[r] = null;
    if (--this.regionTables[c] > 0) return;
    if (this.spareChunks.length < SPARE_TABLES_MAX) this.spareChunks.push(rs);
    this.regions[c] = null;
  }
}

/** Offset of mfn's slot in its table. */
function slotOf(mfn: number): number {
  if ((mfn & CHUNK_MASK) === 0) return (mfn >>> CHUNK_SHIFT) * STRIDE;
  if ((mfn & (REGION - 1)) === 0) return ((mfn >>> REGION_SHIFT) & (REGION - 1)) * STRIDE;
  return (mfn & (REGION - 1)) * STRIDE;
}

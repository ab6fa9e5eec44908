// A domain's physical-to-machine map (≈ xen/arch/x86/mm/p2m-pt.c, reduced to a lookup table):
// gpfn → mfn for every frame the domain has mapped, held as Xen's p2m holds it: per 1 GiB of gpfn
// space either one 1 GiB superpage entry or a table of 512 entries of 2 MiB, each either one 2 MiB
// superpage entry or a table of 512 4 KiB entries. Mapping an aligned order-18 (order-9) extent
// is one entry; unmapping part of a superpage splits it, as p2m_set_entry splits superpages.
// Exact over every gpfn a double holds exactly (memops accept gpfns up to 2^40).
//
// Leaves out: p2m types, access rights, PoD entries.

import { assert, assertFail } from './assert.ts';
import { FrameRuns } from './frame-runs.ts';
import { TypedSlab } from './typed-slab.ts';

/** Frames per 2 MiB entry, and 2 MiB entries per 1 GiB entry. */
const L1 = 512;
/** Frames per 1 GiB entry. */
const L2 = 2 ** 18;
/**
 * Relinquish order: gpfns grouped by 16 MiB in the order each group was first mapped, ascending
 * within a group (the order of the emulator's earlier p2m, kept so that relinquish batches free
 * the same frames as before and recorded runs replay unchanged).
 * DIVERGENCE: relinquish_memory walks d->page_list (assignment order); this is close for builders
 * that populate upwards and keeps existing traces exact.
 */
const GROUP = 4096;

/** The 2 MiB entries of one 1 GiB region. MFN 0 is never handed to a domain: 0 means unmapped. */
interface L2Table {
  /** Base mfn of each 2 MiB superpage entry, else 0. */
  readonly base: Float64Array;
  /** 4 KiB entries of each 2 MiB region that is not a superpage, else null. */
  readonly leaf: Array<Uint32Array | null>;
  /** Frames mapped in each 2 MiB region. */
  readonly count: Uint16Array;
  /** Frames mapped in the whole table. */
  mapped: number;
}

const l2Index = (gpfn: number): number => Math.floor(gpfn / L1) % L1;

/** A table with nothing mapped (every base 0, every leaf null, every count 0). */
function emptyL2Table(): L2Table {
  return { base: new Float64Array(L1), leaf: new Array<Uint32Array | null>(L1).fill(null), count: new Uint16Array(L1), mapped: 0 };
}
/** Emptied 2 MiB tables kept for reuse (a destroy splits each 1 GiB entry it drains in part). */
const SPARE_TABLES_MAX = 8;
/** Given-back 4 KiB tables the shared pool keeps for reuse. */
const SPARE_LEAVES_MAX = 4096;

export class P2m {
  /** Where unmapOne's run goes (it reports the mfn itself); never holds runs across calls. */
  private static readonly scratch = new FrameRuns();
  /** 1 GiB region index → base mfn of a 1 GiB superpage, or its 2 MiB table. */
  private readonly top = new Map<number, number | L2Table>();
  /** The top entry looked up last and its index (-1: none): an order-0 populate asks twice per extent. */
  private lastTopKey = -1;
  private lastTop: number | L2Table | undefined = undefined;
  /** Emptied tables (as emptyL2Table makes them), for reuse. */
  private readonly spareTables: L2Table[] = [];
  /**
   * Where the 4 KiB tables (leaves) come from and go back to: one pool for every p2m of the
   * thread, so a new guest maps into the leaves a destroyed one gave back instead of allocating
   * fresh backing stores (a new 64 KiB ArrayBuffer per 32 leaves was 5% of an order-0 populate).
   * Leaves are zeroed when taken; the pool keeps at most SPARE_LEAVES_MAX (8 MiB).
   */
  private static readonly leafPool = new TypedSlab(Uint32Array, L1, SPARE_LEAVES_MAX);
  private readonly leaves = P2m.leafPool;
  /**
   * Groups (gpfn / GROUP) mapped since last drained, in first-mapping order: groupOrder from
   * groupHead on, and the same groups as a set. drain() only ever takes groups off the front, so
   * it resumes at groupHead instead of walking the deleted entries at the front of a Set (that
   * walk made a 1 TiB destroy quadratic in its 65,536 groups).
   * Invariant: groupSet holds exactly groupOrder[groupHead ..], each once.
   */
  private groupOrder: number[] = [];
  private groupHead = 0;
  private readonly groupSet = new GroupSet();
  /** The group mapped last (skips the Set look-up on consecutive order-0 maps); -1 after a drain. */
  private lastGroup = -1;
  /** Number of mapped gpfns. */
  private mappedCount = 0;
  /**
   * Bumped by every map and every unmap that removes a mapping: equal values at two moments mean
   * no mapping changed between them (populate skips re-checking what it checked an extent ago).
   */
  mutations = 0;

  get size(): number {
    return this.mappedCount;
  }

  /** The mfn mapped at gpfn, or -1. */
  lookup(gpfn: number): number {
    const e = this.topEntry(Math.floor(gpfn / L2));
    if (e === undefined) return -1;
    if (typeof e === 'number') return e + (gpfn % L2);
    const i = l2Index(gpfn);
    if (e.base[i] !== 0) return e.base[i] + (gpfn % L1);
    const leaf = e.leaf[i];
    const mfn = leaf === null ? 0 : leaf[gpfn % L1];
    return mfn === 0 ? -1 : mfn;
  }

  /** True when any gpfn of [gpfn, gpfn + n) is mapped. */
  anyMapped(gpfn: number, n: number): boolean {
    if (n === 1) return this.lookup(gpfn) >= 0;
    return this.mappedPrefixOrAny(gpfn, n, false) > 0;
  }

  /** How many gpfns from `gpfn` on, up to n, are mapped before the first unmapped one. */
  mappedPrefix(gpfn: number, n: number): number {
    return this.mappedPrefixOrAny(gpfn, n, true);
  }

  /**
   * Maps [gpfn, gpfn + n) to [mfn, mfn + n): superpage entries wherever gpfn and mfn are both
   * aligned over a whole 1 GiB / 2 MiB region. The gpfns must be unmapped.
   */
  map(gpfn: number, mfn: number, n: number): void {
    if (!(Number.isSafeInteger(gpfn) && gpfn >= 0 && mfn > 0 && mfn + n <= 2 ** 32 && n > 0)) assertFail(`p2m: bad mapping ${gpfn}→${mfn}+${n}`);
    this.noteGroups(gpfn, n);
    this.mappedCount += n;
    this.mutations++;
    if (n === 1 && this.mapOneInPlace(gpfn, mfn)) return;
    const hi = gpfn + n;
    let p = gpfn;
    while (p < hi) {
      const k = Math.floor(p / L2);
      const kEnd = Math.min((k + 1) * L2, hi);
      const m = mfn + (p - gpfn);
      let e = this.topEntry(k);
      if (typeof e === 'number') assertFail(`p2m: gpfn ${p} already mapped`);
      if (p % L2 === 0 && kEnd - p === L2 && m % L2 === 0 && (e === undefined || e.mapped === 0)) {
        this.setTop(k, m);
      } else {
        if (e === undefined) {
          e = this.spareTables.pop() ?? emptyL2Table();
          this.setTop(k, e);
        }
        this.mapInL2(e, p, kEnd, m - p);
      }
      p = kEnd;
    }
  }

  /**
   * Unmaps up to `limit` mapped gpfns of [lo, hi), lowest first, skipping unmapped ones, and
   * appends their mfns to `out` in gpfn order. Splits superpage entries it unmaps in part.
   * @returns the number of gpfns unmapped.
   */
  unmapFirst(lo: number, hi: number, limit: number, out: FrameRuns): number {
    let taken = 0;
    let p = lo;
    while (p < hi && taken < limit) {
      const k = Math.floor(p / L2);
      const kEnd = Math.min((k + 1) * L2, hi);
      let e = this.topEntry(k);
      if (e === undefined) {
        p = kEnd;
        continue;
      }
      if (typeof e === 'number') {
        if (p % L2 === 0 && kEnd - p === L2 && limit - taken >= L2) {
          this.deleteTop(k);
          out.push(e, L2);
          taken += L2;
          p = kEnd;
          continue;
        }
        e = this.split1G(k, e);
      }
      const t = this.unmapInL2(e, p, kEnd, limit - taken, out);
      taken += t;
      if (e.mapped === 0) {
        this.deleteTop(k);
        if (this.spareTables.length < SPARE_TABLES_MAX) this.spareTables.push(e);
      }
      if (taken >= limit) break;
      p = kEnd;
    }
    this.mappedCount -= taken;
    if (taken > 0) this.mutations++;
    return taken;
  }

  /** Unmaps the mapped gpfns [gpfn, gpfn + n) (all must be mapped); their mfns go to `out`. */
  unmapRange(gpfn: number, n: number, out: FrameRuns): void {
    const done = this.unmapFirst(gpfn, gpfn + n, n, out);
    if (done !== n) assertFail(`p2m: [${gpfn}, +${n}) not all mapped`);
  }

  /** Unmaps one mapped gpfn; @returns its mfn. */
  unmapOne(gpfn: number): number {
    const mfn = this.lookup(gpfn);
    if (mfn <= 0) assertFail(`p2m: gpfn ${gpfn} not mapped`);
    this.unmapFirst(gpfn, gpfn + 1, 1, P2m.scratch);
    P2m.scratch.clear();
    return mfn;
  }

  /**
   * Removes up to `max` mappings in relinquish order (GROUP) and appends their mfns to `out`
   * (relinquish_memory's batches). @returns the number removed.
   */
  drain(max: number, out: FrameRuns): number {
    let taken = 0;
    this.lastGroup = -1;
    while (this.groupHead < this.groupOrder.length) {
      const g = this.groupOrder[this.groupHead];
      const lo = g * GROUP;
      taken += this.unmapFirst(lo, lo + GROUP, max - taken, out);
      if (taken >= max && this.mappedPrefixOrAny(lo, GROUP, false) > 0) break;
      this.groupSet.delete(g);
      this.groupHead++;
      if (taken >= max) break;
    }
    // Drop the drained front once it is most of the array (amortised O(1) per group).
    if (this.groupHead > 1024 && this.groupHead * 2 > this.groupOrder.length) {
      this.groupOrder = this.groupOrder.slice(this.groupHead);
      this.groupHead = 0;
    }
    return taken;
  }

  /** Every (gpfn, mfn) pair in relinquish order (tests and reports; allocates). */
  *entries(): IterableIterator<[number, number]> {
    for (let k = this.groupHead; k < this.groupOrder.length; k++) {
      const g = this.groupOrder[k];
      for (let gpfn = g * GROUP; gpfn < (g + 1) * GROUP; gpfn++) {
        const mfn = this.lookup(gpfn);
        if (mfn >= 0) yield [gpfn, mfn];
      }
    }
  }

  /** Calls `f` for each run of mapped gpfns with consecutive mfns, per entry (checkers only). */
  forEachRun(f: (gpfn: number, mfn: number, n: number) => void): void {
    for (const [k, e] of this.top) {
      if (typeof e === 'number') {
        f(k * L2, e, L2);
        continue;
      }
      for (let i = 0; i < L1; i++) {
        const base = k * L2 + i * L1;
        if (e.base[i] !== 0) f(base, e.base[i], L1);
        const leaf = e.leaf[i];
        if (leaf === null) continue;
        for (let j = 0; j < L1; j++) if (leaf[j] !== 0) f(base + j, leaf[j], 1);
      }
    }
  }

  /** top.get(k), remembering the last answer (every write to top goes through setTop/deleteTop). */
  private topEntry(k: number): number | L2Table | undefined {
    if (k === this.lastTopKey) return this.lastTop;
    const e = this.top.get(k);
    this.lastTopKey = k;
    this.lastTop = e;
    return e;
  }

  private setTop(k: number, e: number | L2Table): void {
    this.top.set(k, e);
    this.lastTopKey = -1;
  }

  private deleteTop(k: number): void {
    this.top.delete(k);
    this.lastTopKey = -1;
  }

  /** The order-0 fast path: maps one gpfn where its 4 KiB table exists. */
  private mapOneInPlace(gpfn: number, mfn: number): boolean {
    const e = this.topEntry(Math.floor(gpfn / L2));
    if (e === undefined) return false;
    if (typeof e === 'number') assertFail(`p2m: gpfn ${gpfn} already mapped`);
    const i = l2Index(gpfn);
    const leaf = e.leaf[i];
    if (leaf === null) return false;
    const j = gpfn % L1;
    if (leaf[j] !== 0) assertFail(`p2m: gpfn ${gpfn} already mapped`);
    leaf[j] = mfn;
    e.count[i]++;
    e.mapped++;
    return true;
  }

  /** Records the relinquish groups of a new mapping. */
  private noteGroups(gpfn: number, n: number): void {
    const first = Math.floor(gpfn / GROUP);
    const last = Math.floor((gpfn + n - 1) / GROUP);
    if (first === last && first === this.lastGroup) return;
    for (let g = first; g <= last; g++) if (this.groupSet.add(g)) this.groupOrder.push(g);
    this.lastGroup = last;
  }

  private mapInL2(e: L2Table, lo: number, hi: number, delta: number): void {
    let p = lo;
    while (p < hi) {
      const i = l2Index(p);
      const sEnd = Math.min((Math.floor(p / L1) + 1) * L1, hi);
      if (e.base[i] !== 0) assertFail(`p2m: gpfn ${p} already mapped`);
      const m = p + delta;
      if (p % L1 === 0 && sEnd - p === L1 && m % L1 === 0 && e.count[i] === 0) {
        e.base[i] = m;
        const empty = e.leaf[i];
        if (empty !== null) this.leaves.give(empty);
        e.leaf[i] = null;
      } else {
        let leaf = e.leaf[i];
        if (leaf === null) {
          leaf = this.leaves.take().fill(0);
          e.leaf[i] = leaf;
        }
        for (let q = p; q < sEnd; q++) {
          const j = q % L1;
          if (leaf[j] !== 0) assertFail(`p2m: gpfn ${q} already mapped`);
          leaf[j] = q + delta;
        }
      }
      e.count[i] += sEnd - p;
      e.mapped += sEnd - p;
      p = sEnd;
    }
  }

  private unmapInL2(e: L2Table, lo: number, hi: number, limit: number, out: FrameRuns): number {
    let taken = 0;
    let p = lo;
    while (p < hi && taken < limit) {
      const i = l2Index(p);
      const sEnd = Math.min((Math.floor(p / L1) + 1) * L1, hi);
      if (e.count[i] === 0) {
        p = sEnd;
        continue;
      }
      if (e.base[i] !== 0) {
        if (p % L1 === 0 && sEnd - p === L1 && limit - taken >= L1) {
          out.push(e.base[i], L1);
          e.base[i] = 0;
          e.count[i] = 0;
          e.mapped -= L1;
          taken += L1;
          p = sEnd;
          continue;
        }
        this.split2M(e, i);
      }
      const leaf = e.leaf[i]!;
      for (; p < sEnd && taken < limit; p++) {
        const j = p % L1;
        const mfn = leaf[j];
        if (mfn === 0) continue;
        out.push(mfn, 1);
        leaf[j] = 0;
        e.count[i]--;
        e.mapped--;
        taken++;
      }
      if (e.count[i] === 0) {
        this.leaves.give(leaf);
        e.leaf[i] = null;
      }
    }
    return taken;
  }

  /** Splits a 1 GiB superpage entry into 512 2 MiB superpage entries. */
  private split1G(k: number, base: number): L2Table {
    const e = this.spareTables.pop() ?? emptyL2Table();
    e.count.fill(L1);
    e.mapped = L2;
    for (let i = 0; i < L1; i++) e.base[i] = base + i * L1;
    this.setTop(k, e);
    return e;
  }

  /** Splits a 2 MiB superpage entry into 512 4 KiB entries. */
  private split2M(e: L2Table, i: number): void {
    const leaf = this.leaves.take();
    for (let j = 0; j < L1; j++) leaf[j] = e.base[i] + j;
    e.leaf[i] = leaf;
    e.base[i] = 0;
  }

  /** prefix: the mapped prefix length of [gpfn, gpfn + n); else non-zero iff any is mapped. */
  private mappedPrefixOrAny(gpfn: number, n: number, prefix: boolean): number {
    let found = 0;
    const hi = gpfn + n;
    let p = gpfn;
    while (p < hi) {
      const k = Math.floor(p / L2);
      const kEnd = Math.min((k + 1) * L2, hi);
      const e = this.topEntry(k);
      if (e === undefined) {
        if (prefix) return found;
        p = kEnd;
        continue;
      }
      if (typeof e === 'number') {
        found += kEnd - p;
        if (!prefix) return found;
        p = kEnd;
        continue;
      }
      while (p < kEnd) {
        const i = l2Index(p);
        const sEnd = Math.min((Math.floor(p / L1) + 1) * L1, kEnd);
        if (e.base[i] !== 0 || e.count[i] === L1) {
          found += sEnd - p;
          if (!prefix) return found;
        } else if (e.count[i] === 0) {
          if (prefix) return found;
        } else {
          const leaf = e.leaf[i]!;
          for (let q = p; q < sEnd; q++) {
            if (leaf[q % L1] !== 0) {
              found++;
              if (!prefix) return found;
            } else if (prefix) return found;
          }
        }
        p = sEnd;
      }
    }
    return found;
  }
}

/** Group indexes per bit map (2^16 groups: 1 TiB of gpfns in 8 KiB). */
const GROUPS_PER_MAP = 2 ** 16;

/**
 * A set of relinquish groups (gpfn / GROUP: any safe integer / 4096) as one bit map per 2^16 groups: add and delete
 * are a bit operation (a Set<number> hashed and rehashed each of a 1 TiB guest's 65,536 groups).
 * Invariant: size is the number of set bits; a map with no bit set is dropped.
 */
class GroupSet {
  private readonly maps = new Map<number, { bits: Uint32Array; size: number }>();
  /** The map used last, and its key (-1: none): populate notes groups of one map in a row. */
  private last: { bits: Uint32Array; size: number } | undefined = undefined;
  private lastKey = -1;

  /** Adds g. @returns false when g was in the set already. */
  add(g: number): boolean {
    const k = Math.floor(g / GROUPS_PER_MAP);
    const m = this.mapOf(k, true)!;
    const i = g - k * GROUPS_PER_MAP;
    const bit = 1 << (i & 31);
    if (m.bits[i >>> 5] & bit) return false;
    m.bits[i >>> 5] |= bit;
    m.size++;
    return true;
  }

  /** Removes g, which must be in the set. */
  delete(g: number): void {
    const k = Math.floor(g / GROUPS_PER_MAP);
    const m = this.mapOf(k, false);
    const i = g - k * GROUPS_PER_MAP;
    const bit = 1 << (i & 31);
    if (m === undefined || !(m.bits[i >>> 5] & bit)) assertFail(`p2m: group ${g} not held`);
    m.bits[i >>> 5] &= ~bit;
    if (--m.size > 0) return;
    this.maps.delete(k);
    this.last = undefined;
    this.lastKey = -1;
  }

  private mapOf(k: number, make: boolean): { bits: Uint32Array; size: number } | undefined {
    if (k === this.lastKey) return this.last;
    let m = this.maps.get(k);
    if (m === undefined && make) {
      m = { bits: new Uint32Array(GROUPS_PER_MAP / 32), size: 0 };
      this.maps.set(k, m);
    }
    if (m !== undefined) {
      this.last = m;
      this.lastKey = k;
    }
    return m;
  }
}

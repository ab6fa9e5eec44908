// PGC_need_scrub (≈ the scrub bookkeeping of xen/common/page_alloc.c, 4.10+): which free or
// just-allocated frames still hold a dead domain's data. Only versions with the deferred
// populate scrub (4.22: 83a784a15b, 3652268543, 009401506e) keep it; elsewhere every free is
// scrubbed on the spot and nothing is ever dirty.
//
// DIVERGENCE: Xen's idle loop scrubs free pages in the background (scrub_free_pages); no idle
// vCPU is modelled, so a dirty frame stays dirty until an allocation scrubs it.
//
// Held as Xen's per-page flag would be, but laid out like the frame table (hv/frame-table.ts):
// per 1 GiB chunk a count of dirty frames, and only for a chunk that is neither all clean nor all
// dirty a table of 512 2 MiB regions, each with its count and, only when it is neither all clean
// nor all dirty, a 512-bit map. Marking or scrubbing an aligned 1 GiB (2 MiB) range is one store;
// every operation costs O(chunks + regions + 32-bit words it touches), however scattered the
// dirty frames are.
// Invariant: chunkDirty[c] is the number of dirty frames of chunk c; tables[c] is null iff that
// number is 0 or a whole chunk; within a table, count[i] is region i's dirty frames and bits[i]
// is null iff count[i] is 0 or REGION, else its popcount is count[i]; frames is Σ chunkDirty.

/** Frames per 2 MiB region, 2 MiB regions per 1 GiB chunk; 32-bit words per region's bit map. */
const REGION = 512;
const REGION_SHIFT = 9;
const WORDS = REGION / 32;
/** Frames per 1 GiB chunk. */
const CHUNK = 2 ** 18;
const CHUNK_SHIFT = 18;
/** What a walk does to the range it visits; each returns the frames that were dirty there. */
const COUNT = 0;
const MARK = 1;
const CLEAR = 2;
type WalkOp = typeof COUNT | typeof MARK | typeof CLEAR;
/** Spare region maps and chunk tables kept for reuse, of each kind. */
const SPARE_MAX = 64;

/** The 2 MiB regions of a chunk that is neither all clean nor all dirty. */
interface ChunkTable {
  /** Dirty frames of each region (0 ..= REGION). */
  readonly count: Uint16Array;
  /** Bit map of each region whose count is neither 0 nor REGION, else null. */
  readonly bits: Array<Uint32Array | null>;
}

export class DirtyFrames {
  /** Frames marked dirty. */
  frames = 0;
  /** Dirty frames per chunk; chunks at or beyond its length are clean. */
  private chunkDirty = new Uint32Array(0);
  private tables: Array<ChunkTable | null> = [];
  /**
   * Dropped region maps and chunk tables, for reuse (a populate scrubbing 256 pages at a time
   * makes and drops one map per 2 MiB it scrubs); at most SPARE_MAX of each.
   */
  private readonly spareBits: Uint32Array[] = [];
  private readonly spareTables: ChunkTable[] = [];

  /** Marks [start, start + len) dirty (free_heap_pages with need_scrub). */
  mark(start: number, len: number): void {
    if (len <= 0) return;
    this.reserve(Math.floor((start + len - 1) / CHUNK) + 1);
    this.frames += len - this.walk(start, start + len, MARK);
  }

  /** Clears [start, start + len) (scrubbed). @returns how many of those frames were dirty. */
  clear(start: number, len: number): number {
    if (len <= 0 || this.frames === 0) return 0;
    const cleared = this.walk(start, start + len, CLEAR);
    this.frames -= cleared;
    return cleared;
  }

  /** Dirty frames in [start, start + len). */
  count(start: number, len: number): number {
    if (len <= 0 || this.frames === 0) return 0;
    return this.walk(start, start + len, COUNT);
  }

  /**
   * The frame just after the k-th dirty frame (k >= 1) of [start, end), or -1 when there are
   * fewer than k: where a scrub loop that stops after k dirty pages resumes.
   */
  afterKth(start: number, end: number, k: number): number {
    if (this.frames === 0) return -1;
    let left = k;
    const hi = Math.min(end, this.chunkDirty.length * CHUNK);
    for (let p = start; p < hi; ) {
      const c = Math.floor(p / CHUNK);
      const cEnd = Math.min((c + 1) * CHUNK, hi);
      const dirty = this.chunkDirty[c];
      const table = this.tables[c];
      if (table === null || (p === c * CHUNK && cEnd - p === CHUNK && dirty < left)) {
        const here = table === null ? (dirty === 0 ? 0 : cEnd - p) : dirty;
        if (here >= left) return p + left;
        left -= here;
        p = cEnd;
        continue;
      }
      for (; p < cEnd; ) {
        const i = (p >>> REGION_SHIFT) & (REGION - 1);
        const rEnd = Math.min((Math.floor(p / REGION) + 1) * REGION, cEnd);
        const rc = table.count[i];
        const bits = table.bits[i];
        if (bits === null || (p % REGION === 0 && rEnd - p === REGION && rc < left)) {
          const here = bits === null ? (rc === 0 ? 0 : rEnd - p) : rc;
          if (here >= left) return p + left;
          left -= here;
          p = rEnd;
          continue;
        }
        const at = kthInBits(bits, p & (REGION - 1), ((rEnd - 1) & (REGION - 1)) + 1, left);
        if (at >= 0) return p - (p & (REGION - 1)) + at + 1;
        left -= bitsWalk(bits, p & (REGION - 1), ((rEnd - 1) & (REGION - 1)) + 1, COUNT);
        p = rEnd;
      }
    }
    return -1;
  }

  /** Dirty frames the last scrubBatch cleared. */
  batchCleared = 0;

  /**
   * One batch of a scrub loop (Xen's `if ( !(++dirty_cnt & 0xff) )` over test_and_clear_bit of
   * PGC_need_scrub): clears the first k dirty frames of [start, end), or all of them when fewer,
   * and sets batchCleared to how many it cleared.
   * @returns where the next batch begins: just after the k-th dirty frame, or end when the range
   * held at most k (the last batch).
   */
  scrubBatch(start: number, end: number, k: number): number {
    if (this.frames === 0) {
      this.batchCleared = 0;
      return end;
    }
    if (end - start === 1 && k >= 1) {
      this.batchCleared = this.clearOne(start);
      return end;
    }
    const stop = this.afterKth(start, end, k);
    const upTo = stop < 0 ? end : stop;
    this.batchCleared = this.clear(start, upTo - start);
    return upTo;
  }

  /** clear(mfn, 1) without a walk where the frame's region keeps a bit map (or is all clean). */
  private clearOne(mfn: number): number {
    const c = Math.floor(mfn / CHUNK);
    if (c >= this.chunkDirty.length) return 0;
    const dirty = this.chunkDirty[c];
    if (dirty === 0) return 0;
    const table = this.tables[c];
    if (table === null) return this.clear(mfn, 1); // the chunk is all dirty: it gets a table
    const i = (mfn >>> REGION_SHIFT) & (REGION - 1);
    const bits = table.bits[i];
    if (bits === null) return table.count[i] === 0 ? 0 : this.clear(mfn, 1); // all dirty: it gets a map
    const w = (mfn & (REGION - 1)) >>> 5;
    const bit = 1 << (mfn & 31);
    if ((bits[w] & bit) === 0) return 0;
    bits[w] &= ~bit;
    this.frames--;
    this.chunkDirty[c] = dirty - 1;
    if (--table.count[i] === 0) {
      if (this.spareBits.length < SPARE_MAX) this.spareBits.push(bits);
      table.bits[i] = null;
    }
    if (dirty - 1 === 0) {
      if (this.spareTables.length < SPARE_MAX) this.spareTables.push(table);
      this.tables[c] = null;
    }
    return 1;
  }

  /** Makes room for chunks [0, n). */
  private reserve(n: number): void {
    if (n <= this.chunkDirty.length) return;
    const grown = new Uint32Array(Math.max(n, 2 * this.chunkDirty.length));
    grown.set(this.chunkDirty);
    this.chunkDirty = grown;
    while (this.tables.length < grown.length) this.tables.push(null);
  }

  /** Applies `op` to [lo, hi). @returns the frames of [lo, hi) that were dirty before. */
  private walk(lo: number, hi: number, op: WalkOp): number {
    let found = 0;
    const end = Math.min(hi, this.chunkDirty.length * CHUNK); // beyond: clean (and reserved for MARK)
    for (let p = lo; p < end; ) {
      const c = Math.floor(p / CHUNK);
      const cEnd = Math.min((c + 1) * CHUNK, end);
      const dirty = this.chunkDirty[c];
      let table = this.tables[c];
      if (table === null) {
        const allDirty = dirty === CHUNK;
        const here = allDirty ? cEnd - p : 0;
        found += here;
        if (op === COUNT || (op === MARK) === allDirty) {
          p = cEnd;
          continue;
        }
        if (p === c * CHUNK && cEnd - p === CHUNK) {
          this.chunkDirty[c] = op === MARK ? CHUNK : 0;
          p = cEnd;
          continue;
        }
        table = this.spareTables.pop() ?? { count: new Uint16Array(REGION), bits: new Array<Uint32Array | null>(REGION).fill(null) };
        table.count.fill(allDirty ? REGION : 0);
        this.tables[c] = table;
        found -= here;
      }
      const n = this.walkChunk(table, p, cEnd, op);
      found += n;
      if (op !== COUNT) {
        const now = op === MARK ? dirty + (cEnd - p) - n : dirty - n;
        this.chunkDirty[c] = now;
        if (now === 0 || now === CHUNK) {
          // Every region is now all clean or all dirty: the table holds no map.
          if (this.spareTables.length < SPARE_MAX) this.spareTables.push(table);
          this.tables[c] = null;
        }
      }
      p = cEnd;
    }
    return found;
  }

  /** walk() within one chunk's table, [lo, hi) inside the chunk. */
  private walkChunk(table: ChunkTable, lo: number, hi: number, op: WalkOp): number {
    let found = 0;
    for (let p = lo; p < hi; ) {
      const i = (p >>> REGION_SHIFT) & (REGION - 1);
      const rEnd = Math.min((Math.floor(p / REGION) + 1) * REGION, hi);
      const rc = table.count[i];
      let bits = table.bits[i];
      if (bits === null) {
        const allDirty = rc === REGION;
        const here = allDirty ? rEnd - p : 0;
        if (op === COUNT || (op === MARK) === allDirty) {
          found += here;
          p = rEnd;
          continue;
        }
        if (p % REGION === 0 && rEnd - p === REGION) {
          found += here;
          table.count[i] = op === MARK ? REGION : 0;
          p = rEnd;
          continue;
        }
        bits = this.spareBits.pop() ?? new Uint32Array(WORDS);
        bits.fill(allDirty ? 0xffffffff : 0);
        table.bits[i] = bits;
      }
      const n = bitsWalk(bits, p & (REGION - 1), ((rEnd - 1) & (REGION - 1)) + 1, op);
      found += n;
      if (op !== COUNT) {
        const now = op === MARK ? rc + (rEnd - p) - n : rc - n;
        table.count[i] = now;
        if (now === 0 || now === REGION) {
          if (this.spareBits.length < SPARE_MAX) this.spareBits.push(bits);
          table.bits[i] = null;
        }
      }
      p = rEnd;
    }
    return found;
  }
}

/** Bits [a, b) of a word-aligned range as a mask of word w. */
function maskOf(w: number, a: number, b: number): number {
  const lo = Math.max(a - w * 32, 0);
  const hi = Math.min(b - w * 32, 32);
  return hi - lo === 32 ? -1 : ((1 << (hi - lo)) - 1) << lo;
}

/** Applies `op` to bits [a, b) of a region's map. @returns how many were set before. */
function bitsWalk(bits: Uint32Array, a: number, b: number, op: WalkOp): number {
  let found = 0;
  for (let w = a >>> 5; w <= (b - 1) >>> 5; w++) {
    const mask = maskOf(w, a, b);
    const v = bits[w];
    found += popcount(v & mask);
    if (op === MARK) bits[w] = v | mask;
    else if (op === CLEAR) bits[w] = v & ~mask;
  }
  return found;
}

/** The position of the k-th set bit (k >= 1) among bits [a, b), or -1 when fewer are set. */
function kthInBits(bits: Uint32Array, a: number, b: number, k: number): number {
  let left = k;
  for (let w = a >>> 5; w <= (b - 1) >>> 5; w++) {
    let v = bits[w] & maskOf(w, a, b);
    const n = popcount(v);
    if (n < left) {
      left -= n;
      continue;
    }
    if (n === left) return w * 32 + 31 - Math.clz32(v); // the word's highest set bit (a batch ending a region)
    for (;;) {
      const low = v & -v;
      if (--left === 0) return w * 32 + 31 - Math.clz32(low);
      v ^= low;
    }
  }
  return -1;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

// The frame table's owner field (≈ struct page_info's owner and PGC_state), held the way Xen's p2m
// holds mappings: per 1 GiB chunk either one owner for all its frames or a table of 512 entries of
// 2 MiB, each either one owner or a table of 512 per-frame owners. Memory nobody has touched at a
// finer grain than 2 MiB costs nothing per frame, so a 16 TiB host boots in ~40 KiB of tables, and
// writing the owner of an aligned 2^18 (2^9) block is one store (one 2^(order-9) fill).
// Invariant: a chunk or entry whose owner is MIXED has the finer table below it; no other has.

import { assert } from './assert.ts';
import { TypedSlab } from './typed-slab.ts';

/** Frames per 2 MiB entry and entries per 1 GiB chunk. */
const FINE = 512;
const FINE_SHIFT = 9;
/** Frames per 1 GiB chunk (2^18, MAX_ORDER's block). */
const CHUNK = 2 ** 18;
const CHUNK_SHIFT = 18;
/** Uniform chunk tables kept for reuse. */
const SPARE_TABLES_MAX = 16;
/** Owner value meaning "look one level down"; never a domid, OWNER_FREE or OWNER_ANON. */
export const OWNER_MIXED = 0xfffd;

/** The 2 MiB entries of one chunk. */
interface ChunkTable {
  /** Owner of each 2 MiB entry, or OWNER_MIXED. */
  readonly owner: Uint16Array;
  /** Per-frame owners of each MIXED entry, else null. */
  readonly frames: Array<Uint16Array | null>;
}

export class FrameTable {
  /** Owner of each 1 GiB chunk, or OWNER_MIXED. */
  private readonly top: Uint16Array;
  /** The 2 MiB entries of each MIXED chunk, else null. */
  private readonly tables: Array<ChunkTable | null>;
  /** Chunk tables made uniform again, every `frames` entry null, for reuse. */
  private readonly spare: ChunkTable[] = [];
  /** Where the per-frame tables of MIXED 2 MiB entries come from and go back to. */
  private readonly fine = new TypedSlab(Uint16Array, FINE);

  constructor(
    /** Frames [0, nrFrames) exist. */
    readonly nrFrames: number,
    initialOwner: number,
  ) {
    assert(Number.isSafeInteger(nrFrames) && nrFrames > 0 && nrFrames <= 2 ** 32, 'FrameTable: nrFrames');
    const chunks = Math.ceil(nrFrames / CHUNK);
    this.top = new Uint16Array(chunks).fill(initialOwner);
    this.tables = new Array<ChunkTable | null>(chunks).fill(null);
  }

  ownerOf(mfn: number): number {
    const c = mfn >>> CHUNK_SHIFT;
    const t = this.top[c];
    if (t !== OWNER_MIXED) return t;
    const table = this.tables[c]!;
    const i = (mfn >>> FINE_SHIFT) & (FINE - 1);
    const o = table.owner[i];
    return o !== OWNER_MIXED ? o : table.frames[i]![mfn & (FINE - 1)];
  }

  /** Sets the owner of frames [lo, lo + n). */
  setRange(lo: number, n: number, owner: number): void {
    assert(lo >= 0 && n >= 0 && lo + n <= this.nrFrames && owner !== OWNER_MIXED, 'FrameTable.setRange: bad range');
    if (n === 1 && this.setOneInPlace(lo, owner)) return;
    const hi = lo + n;
    let p = lo;
    while (p < hi) {
      const c = p >>> CHUNK_SHIFT;
      const cEnd = Math.min((c + 1) * CHUNK, hi);
      if (p % CHUNK === 0 && cEnd - p === CHUNK) {
        const old = this.tables[c];
        this.top[c] = owner;
        this.tables[c] = null;
        if (old !== null) this.releaseTable(old);
      } else if (this.top[c] !== owner) {
        const table = this.chunkTable(c);
        this.setInChunk(table, p, cEnd, owner);
        // A large write may have left the chunk uniform (a destroy frees a chunk 256 MiB at a
        // time): then it is one entry again. Checked only after writes of 1/8 chunk or more.
        if (cEnd - p >= CHUNK / 8 && isUniform(table, owner)) {
          this.top[c] = owner;
          this.tables[c] = null;
          this.releaseTable(table);
        }
      }
      p = cEnd;
    }
  }

  /** True when every frame of [lo, lo + n) has `owner`. */
  isRange(lo: number, n: number, owner: number): boolean {
    if (lo < 0 || n < 0 || lo + n > this.nrFrames) return false;
    if (n === 1) return this.ownerOf(lo) === owner;
    const hi = lo + n;
    let p = lo;
    while (p < hi) {
      const c = p >>> CHUNK_SHIFT;
      const cEnd = Math.min((c + 1) * CHUNK, hi);
      const t = this.top[c];
      if (t === OWNER_MIXED) {
        if (!this.isInChunk(this.tables[c]!, p, cEnd, owner)) return false;
      } else if (t !== owner) return false;
      p = cEnd;
    }
    return true;
  }

  /** Calls `f` for each maximal run of frames with one owner, in frame order (checkers only). */
  forEachRun(f: (lo: number, hi: number, owner: number) => void): void {
    let runLo = 0;
    let runOwner = -1;
    const emit = (p: number, owner: number): void => {
      if (owner === runOwner) return;
      if (runOwner >= 0) f(runLo, p, runOwner);
      runLo = p;
      runOwner = owner;
    };
    for (let c = 0; c < this.top.length; c++) {
      const t = this.top[c];
      if (t !== OWNER_MIXED) {
        emit(c * CHUNK, t);
        continue;
      }
      const table = this.tables[c]!;
      for (let i = 0; i < FINE; i++) {
        const base = c * CHUNK + i * FINE;
        if (base >= this.nrFrames) break;
        const o = table.owner[i];
        if (o !== OWNER_MIXED) {
          emit(base, o);
          continue;
        }
        const frames = table.frames[i]!;
        for (let j = 0; j < FINE && base + j < this.nrFrames; j++) emit(base + j, frames[j]);
      }
    }
    if (runOwner >= 0) f(runLo, this.nrFrames, runOwner);
  }

  /** Bytes held in finer tables (the part of the frame table that grows with use). */
  tableBytes(): number {
    let bytes = 0;
    for (const t of this.tables) {
      if (t === null) continue;
      bytes += 2 * FINE;
      for (const f of t.frames) if (f !== null) bytes += 2 * FINE;
    }
    return bytes;
  }

  /** The order-0 fast path: sets one frame's owner where no table must be created. */
  private setOneInPlace(mfn: number, owner: number): boolean {
    const c = mfn >>> CHUNK_SHIFT;
    const t = this.top[c];
    if (t === owner) return true;
    if (t !== OWNER_MIXED) return false;
    const table = this.tables[c]!;
    const i = (mfn >>> FINE_SHIFT) & (FINE - 1);
    const o = table.owner[i];
    if (o === owner) return true;
    if (o !== OWNER_MIXED) return false;
    table.frames[i]![mfn & (FINE - 1)] = owner;
    return true;
  }

  /** Gives a chunk table no longer used, and its per-frame tables, back for reuse. */
  private releaseTable(table: ChunkTable): void {
    for (let i = 0; i < FINE; i++) {
      const f = table.frames[i];
      if (f === null) continue;
      this.fine.give(f);
      table.frames[i] = null;
    }
    if (this.spare.length < SPARE_TABLES_MAX) this.spare.push(table);
  }

  /** The 2 MiB table of chunk c, created from its uniform owner if needed. */
  private chunkTable(c: number): ChunkTable {
    const t = this.top[c];
    if (t === OWNER_MIXED) return this.tables[c]!;
    const table = this.spare.pop() ?? { owner: new Uint16Array(FINE), frames: new Array<Uint16Array | null>(FINE).fill(null) };
    table.owner.fill(t);
    this.top[c] = OWNER_MIXED;
    this.tables[c] = table;
    return table;
  }

  private setInChunk(table: ChunkTable, lo: number, hi: number, owner: number): void {
    let p = lo;
    while (p < hi) {
      const i = (p >>> FINE_SHIFT) & (FINE - 1);
      const eEnd = Math.min(p - (p & (FINE - 1)) + FINE, hi);
      if ((p & (FINE - 1)) === 0 && eEnd - p === FINE) {
        table.owner[i] = owner;
        const dropped = table.frames[i];
        if (dropped !== null) this.fine.give(dropped);
        table.frames[i] = null;
      } else if (table.owner[i] !== owner) {
        let frames = table.frames[i];
        if (frames === null) {
          frames = this.fine.take().fill(table.owner[i]);
          table.owner[i] = OWNER_MIXED;
          table.frames[i] = frames;
        }
        frames.fill(owner, p & (FINE - 1), ((eEnd - 1) & (FINE - 1)) + 1);
      }
      p = eEnd;
    }
  }

  private isInChunk(table: ChunkTable, lo: number, hi: number, owner: number): boolean {
    let p = lo;
    while (p < hi) {
      const i = (p >>> FINE_SHIFT) & (FINE - 1);
      const eEnd = Math.min(p - (p & (FINE - 1)) + FINE, hi);
      const o = table.owner[i];
      if (o === OWNER_MIXED) {
        const frames = table.frames[i]!;
        const end = ((eEnd - 1) & (FINE - 1)) + 1;
        for (let j = p & (FINE - 1); j < end; j++) if (frames[j] !== owner) return false;
      } else if (o !== owner) return false;
      p = eEnd;
    }
    return true;
  }
}

/** True when every 2 MiB entry of a chunk table has `owner` (none is MIXED). */
function isUniform(table: ChunkTable, owner: number): boolean {
  const o = table.owner;
  for (let i = 0; i < FINE; i++) if (o[i] !== owner) return false;
  return true;
}

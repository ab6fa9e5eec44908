// A domain's physical-to-machine map (≈ xen/arch/x86/mm/p2m.c, reduced to a lookup table):
// gpfn → mfn for every frame the domain has mapped. Stored as lazily allocated chunks so a
// sparse guest costs nothing and a 1 TiB guest costs 4 bytes per mapped frame.
//
// Leaves out: p2m types, access rights, PoD entries, superpage entries (every frame is an entry).

import { assert } from './assert.ts';

const CHUNK_SHIFT = 12;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
/** INVALID_MFN in a 32-bit slot. Frames above 2^32 - 2 are not supported (16 TiB hosts). */
const INVALID = 0xffffffff;

export class P2m {
  /** chunk index → gpfn-indexed mfns (INVALID = unmapped). */
  private readonly chunks = new Map<number, Uint32Array>();
  /** Number of mapped gpfns; equals the count of non-INVALID slots. */
  private mappedCount = 0;

  get size(): number {
    return this.mappedCount;
  }

  /** The mfn mapped at gpfn, or -1. */
  lookup(gpfn: number): number {
    const chunk = this.chunks.get(gpfn >>> CHUNK_SHIFT);
    if (chunk === undefined) return -1;
    const mfn = chunk[gpfn & (CHUNK_SIZE - 1)];
    return mfn === INVALID ? -1 : mfn;
  }

  set(gpfn: number, mfn: number): void {
    assert(mfn >= 0 && mfn < INVALID, 'p2m: mfn out of range');
    let chunk = this.chunks.get(gpfn >>> CHUNK_SHIFT);
    if (chunk === undefined) {
      chunk = new Uint32Array(CHUNK_SIZE).fill(INVALID);
      this.chunks.set(gpfn >>> CHUNK_SHIFT, chunk);
    }
    const i = gpfn & (CHUNK_SIZE - 1);
    assert(chunk[i] === INVALID, () => `p2m: gpfn ${gpfn} already mapped`);
    chunk[i] = mfn;
    this.mappedCount++;
  }

  /** Removes the mapping at gpfn and returns its mfn (the caller checked it is mapped). */
  clear(gpfn: number): number {
    const chunk = this.chunks.get(gpfn >>> CHUNK_SHIFT);
    assert(chunk !== undefined, () => `p2m: gpfn ${gpfn} not mapped`);
    const i = gpfn & (CHUNK_SIZE - 1);
    const mfn = chunk[i];
    assert(mfn !== INVALID, () => `p2m: gpfn ${gpfn} not mapped`);
    chunk[i] = INVALID;
    this.mappedCount--;
    return mfn;
  }

  /** Every (gpfn, mfn) pair, in gpfn order within chunks. */
  *entries(): IterableIterator<[number, number]> {
    for (const [c, chunk] of this.chunks) {
      for (let i = 0; i < CHUNK_SIZE; i++) {
        if (chunk[i] !== INVALID) yield [(c << CHUNK_SHIFT) + i, chunk[i]];
      }
    }
  }

  /** Removes and returns up to `max` mappings as [gpfn, mfn] (relinquish_memory batches). */
  drain(max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const [c, chunk] of this.chunks) {
      for (let i = 0; i < CHUNK_SIZE && out.length < max; i++) {
        if (chunk[i] === INVALID) continue;
        out.push([(c << CHUNK_SHIFT) + i, chunk[i]]);
        chunk[i] = INVALID;
      }
      if (out.length >= max && chunk.some((m) => m !== INVALID)) break;
      this.chunks.delete(c);
      if (out.length >= max) break;
    }
    this.mappedCount -= out.length;
    return out;
  }
}

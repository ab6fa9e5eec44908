// Fixed-length typed arrays carved out of shared ArrayBuffers, with a free list: the tables that
// the p2m, the frame table and the free lists make per 2 MiB of memory touched at 4 KiB grain.
// A typed array longer than 64 bytes gets its own off-heap backing store, whose allocation (and
// the external-memory accounting that schedules GCs) cost ~10 µs each: an order-0 populate made
// three per 2 MiB. Here one backing store of up to 64 KiB serves several.
// Invariant: an array is either handed out or on `spare` (or dropped), never both; contents of a taken array
// are unspecified (callers fill it).

import { assert } from './assert.ts';

/**
 * Arrays per backing store: the first slab holds SLAB_MIN, each next one twice as many, up to
 * SLAB_BYTES_MAX bytes (below glibc's 128 KiB mmap threshold, so a slab reuses heap memory freed
 * by earlier GCs instead of faulting fresh pages in).
 */
const SLAB_MIN = 4;
const SLAB_BYTES_MAX = 64 * 1024;

type TypedArrayOf<T> = T extends Uint16ArrayConstructor ? Uint16Array : Uint32Array;

export class TypedSlab<C extends Uint16ArrayConstructor | Uint32ArrayConstructor> {
  /** Arrays given back, for reuse. */
  private readonly spare: Array<TypedArrayOf<C>> = [];
  /** The slab being carved, and how many of its arrays are handed out. */
  private slab: ArrayBuffer | null = null;
  private slabArrays = 0;
  private carved = 0;
  /** Arrays per slab at most. */
  private readonly slabMax: number;

  constructor(
    private readonly ctor: C,
    /** Elements per array. */
    readonly length: number,
    /** Arrays kept on `spare` at most (one given back beyond it is left to the GC). */
    private readonly spareMax = Infinity,
  ) {
    assert(Number.isSafeInteger(length) && length > 0, 'TypedSlab: length');
    this.slabMax = Math.max(SLAB_MIN, Math.floor(SLAB_BYTES_MAX / (length * ctor.BYTES_PER_ELEMENT)));
  }

  /** An array of `length` elements, contents unspecified. */
  take(): TypedArrayOf<C> {
    const a = this.spare.pop();
    if (a !== undefined) return a;
    if (this.slab === null || this.carved === this.slabArrays) {
      this.slabArrays = this.slab === null ? SLAB_MIN : Math.min(this.slabMax, this.slabArrays * 2);
      this.slab = new ArrayBuffer(this.slabArrays * this.length * this.ctor.BYTES_PER_ELEMENT);
      this.carved = 0;
    }
    const view = new this.ctor(this.slab, this.carved * this.length * this.ctor.BYTES_PER_ELEMENT, this.length) as TypedArrayOf<C>;
    this.carved++;
    return view;
  }

  /** Gives an array taken from this slab back. */
  give(a: TypedArrayOf<C>): void {
    if (this.spare.length < this.spareMax) this.spare.push(a);
  }
}

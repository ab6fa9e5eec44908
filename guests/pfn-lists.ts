// The guest kernel's lists of frame numbers as typed arrays: the free list and the balloon list
// (stacks) and the resident anonymous pages (a FIFO, oldest first). A guest holds up to 2^22
// pfns (maxmem ≤ 16 GiB, docs/limits.md) and walks them page by page every tick: a JS array or a
// Set per list spent most of a guest's work growing and rehashing (a Set entry per anonymous page
// was ~7 % of the demo's world). Elements are below 2^32 (a pfn is below maxPfn).
// Invariant (both): the live elements are a[head … tail) (a stack's head is 0), tail ≤ a.length.

import { assert } from '../hv/assert.ts';

const INITIAL = 16;

function grown(a: Uint32Array, live: number, head: number, need: number): Uint32Array {
  let n = a.length;
  while (n < need) n *= 2;
  const b = new Uint32Array(n);
  b.set(a.subarray(head, head + live));
  return b;
}

/** A stack of pfns: push, pop, and a look from the top down. */
export class PfnStack {
  private a: Uint32Array;
  private n = 0;

  constructor(capacity = INITIAL) {
    this.a = new Uint32Array(Math.max(INITIAL, capacity));
  }

  get length(): number {
    return this.n;
  }

  push(pfn: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n, 0, this.n + 1);
    this.a[this.n++] = pfn;
  }

  /** The top pfn, removed; undefined when empty. */
  pop(): number | undefined {
    return this.n === 0 ? undefined : this.a[--this.n];
  }

  /** The i-th pfn from the top (0 is the top), i < length. */
  fromTop(i: number): number {
    assert(i >= 0 && i < this.n, 'PfnStack.fromTop: index');
    return this.a[this.n - 1 - i];
  }
}

/** A FIFO of pfns: append at the tail, take from the head (the oldest). */
export class PfnFifo {
  private a: Uint32Array = new Uint32Array(INITIAL);
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(pfn: number): void {
    if (this.tail === this.a.length) {
      const live = this.tail - this.head;
      // Half empty at the front: slide down instead of growing.
      this.a = live * 2 <= this.a.length ? (this.a.copyWithin(0, this.head, this.tail), this.a) : grown(this.a, live, this.head, live * 2);
      this.head = 0;
      this.tail = live;
    }
    this.a[this.tail++] = pfn;
  }

  /** The oldest pfn, removed; undefined when empty. */
  shift(): number | undefined {
    if (this.head === this.tail) return undefined;
    const pfn = this.a[this.head++];
    if (this.head === this.tail) this.head = this.tail = 0;
    return pfn;
  }
}

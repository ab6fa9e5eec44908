// The guest's own view of its pseudo-physical frame space (Linux's mem_map + P2M validity):
// which pfns are backed by Xen memory and which are ballooned out. The guest never hands Xen a
// pfn it does not hold: every decrease goes through takeFree(), every populate through the
// ballooned stack, and both are asserted here.

import { assert } from '../hv/assert.ts';
import { PfnStack } from './pfn-lists.ts';

/** Per-pfn state. */
export const PfnState = {
  /** Not backed by Xen memory: on the balloon list (or never populated). */
  ballooned: 0,
  /** Backed, on the kernel's free list. */
  free: 1,
  /** Backed, allocated by the kernel (kernel image, anon memory, page cache). */
  used: 2,
} as const;
export type PfnState = (typeof PfnState)[keyof typeof PfnState];

/**
 * Frames 0 … maxPfn-1. Invariants: `free.length + usedCount + ballooned.length === maxPfn`;
 * a pfn is in `free` iff its state is free, in `ballooned` iff its state is ballooned.
 */
export class PfnSpace {
  /** Number of guest frames (max_pfn): static-max of the domain. Fixed at boot. */
  readonly maxPfn: number;
  /** State of each pfn; written only through the methods below. */
  private readonly state: Uint8Array;
  /** Kernel free list as a stack: the allocator hands out the most recently freed pfn first. */
  private readonly free: PfnStack;
  /** Linux's ballooned_pages list; index length-1 is the list head (list_add / list_first_entry). */
  private readonly ballooned: PfnStack;
  /** Number of pfns in state used. */
  private usedCount = 0;

  /**
   * Boot layout: pfns [0, reservedPages) are kernel-owned forever, [reservedPages, initialPages)
   * free, [initialPages, maxPfn) ballooned (Linux appends the extra region to the balloon at
   * init, lowest pfn at the head so it is repopulated first).
   */
  constructor(maxPfn: number, initialPages: number, reservedPages: number) {
    assert(Number.isSafeInteger(maxPfn) && maxPfn > 0, 'PfnSpace: maxPfn must be a positive integer');
    assert(Number.isSafeInteger(initialPages) && initialPages > 0 && initialPages <= maxPfn, 'PfnSpace: 0 < initialPages <= maxPfn');
    assert(Number.isSafeInteger(reservedPages) && reservedPages >= 0 && reservedPages < initialPages, 'PfnSpace: 0 <= reservedPages < initialPages');
    this.maxPfn = maxPfn;
    this.state = new Uint8Array(maxPfn);
    this.state.fill(PfnState.used, 0, reservedPages);
    this.usedCount = reservedPages;
    this.free = new PfnStack(initialPages);
    this.ballooned = new PfnStack(maxPfn - initialPages);
    for (let pfn = initialPages - 1; pfn >= reservedPages; pfn--) {
      this.state[pfn] = PfnState.free;
      this.free.push(pfn);
    }
    for (let pfn = maxPfn - 1; pfn >= initialPages; pfn--) this.ballooned.push(pfn);
  }

  /** Backed frames: what the guest believes Xen counts in its tot_pages (tmem aside). */
  get populatedPages(): number {
    return this.maxPfn - this.ballooned.length;
  }
  get freePages(): number {
    return this.free.length;
  }
  get usedPages(): number {
    return this.usedCount;
  }
  get balloonedPages(): number {
    return this.ballooned.length;
  }

  stateOf(pfn: number): PfnState {
    return this.state[pfn] as PfnState;
  }

  /** alloc_page(): a free pfn becomes used; undefined when the free list is empty. */
  allocPage(): number | undefined {
    const pfn = this.free.pop();
    if (pfn === undefined) return undefined;
    this.state[pfn] = PfnState.used;
    this.usedCount++;
    return pfn;
  }

  /** __free_page(): a used pfn returns to the free list. */
  freePage(pfn: number): void {
    assert(this.state[pfn] === PfnState.used, () => `freePage: pfn ${pfn} is not used`);
    this.state[pfn] = PfnState.free;
    this.usedCount--;
    this.free.push(pfn);
  }

  /** balloon_append() after a successful decrease: the page, already allocated, leaves the guest. */
  balloonAppend(pfn: number): void {
    assert(this.state[pfn] === PfnState.used, () => `balloonAppend: pfn ${pfn} is not held by the kernel`);
    this.state[pfn] = PfnState.ballooned;
    this.usedCount--;
    this.ballooned.push(pfn);
  }

  /** The first n pfns of the balloon list from its head (increase_reservation's frame_list). */
  peekBallooned(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ballooned.length && out.length < n; i++) out.push(this.ballooned.fromTop(i));
    return out;
  }

  /** balloon_retrieve() + free_reserved_page(): the head pfn is backed again and freed. */
  balloonRetrieve(expectedPfn: number): void {
    const pfn = this.ballooned.pop();
    assert(pfn === expectedPfn, () => `balloonRetrieve: head ${pfn} is not the populated pfn ${expectedPfn}`);
    this.state[pfn] = PfnState.free;
    this.free.push(pfn);
  }
}

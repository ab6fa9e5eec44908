// A reusable list of frame runs [start, start + len): what a p2m unmap or a relinquish batch hands
// to the heap, so that freeing 2^18 contiguous frames is one run, not 2^18 numbers. Adjacent runs
// pushed one after the other coalesce. Owned by one hypercall in flight (it survives its yields).

import { assert } from './assert.ts';

/** Runs are split at this length so that start and length pack into one double for sorting. */
const RUN_LEN_LIMIT = 2 ** 20;
/** start * RUN_PACK + len < 2^53 for every start < 2^32 and len <= RUN_LEN_LIMIT. */
const RUN_PACK = 2 ** 21;

export class FrameRuns {
  /** Start frame of each run; the first `count` entries are valid. */
  private starts = new Float64Array(16);
  /** Length of each run, in frames (1 ..= RUN_LEN_LIMIT). */
  private lens = new Float64Array(16);
  /** Number of runs held. */
  count = 0;
  /** Σ lens: frames held. */
  frames = 0;

  clear(): void {
    this.count = 0;
    this.frames = 0;
  }

  start(i: number): number {
    return this.starts[i];
  }

  len(i: number): number {
    return this.lens[i];
  }

  /** Appends [start, start + len); merges with the last run when contiguous. */
  push(start: number, len: number): void {
    assert(Number.isSafeInteger(start) && start >= 0 && start < 2 ** 32 && Number.isSafeInteger(len) && len > 0, 'FrameRuns.push: bad run');
    this.frames += len;
    const last = this.count - 1;
    if (last >= 0 && this.starts[last] + this.lens[last] === start && this.lens[last] + len <= RUN_LEN_LIMIT) {
      this.lens[last] += len;
      return;
    }
    while (len > 0) {
      const l = Math.min(len, RUN_LEN_LIMIT);
      if (this.count === this.starts.length) this.grow();
      this.starts[this.count] = start;
      this.lens[this.count] = l;
      this.count++;
      start += l;
      len -= l;
    }
  }

  /** Sorts the runs by start and merges adjacent ones (the runs must be disjoint). */
  sortAndMerge(): void {
    if (this.count < 2) return;
    const packed = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) packed[i] = this.starts[i] * RUN_PACK + this.lens[i];
    packed.sort();
    this.count = 0;
    this.frames = 0;
    for (let i = 0; i < packed.length; i++) {
      const len = packed[i] % RUN_PACK;
      const start = (packed[i] - len) / RUN_PACK;
      if (this.count > 0) {
        const last = this.count - 1;
        assert(this.starts[last] + this.lens[last] <= start, 'FrameRuns.sortAndMerge: overlapping runs');
      }
      this.pushMerged(start, len);
    }
  }

  /** push() without the length limit on merging (sortAndMerge's runs need not be repacked). */
  private pushMerged(start: number, len: number): void {
    this.frames += len;
    const last = this.count - 1;
    if (last >= 0 && this.starts[last] + this.lens[last] === start) {
      this.lens[last] += len;
      return;
    }
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = start;
    this.lens[this.count] = len;
    this.count++;
  }

  private grow(): void {
    const s = new Float64Array(this.starts.length * 2);
    s.set(this.starts);
    const l = new Float64Array(this.lens.length * 2);
    l.set(this.lens);
    this.starts = s;
    this.lens = l;
  }
}

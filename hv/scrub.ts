// PGC_need_scrub, as runs of frames (≈ the scrub bookkeeping of xen/common/page_alloc.c, 4.10+):
// which free or just-allocated frames still hold a dead domain's data. Only versions with the
// deferred populate scrub (4.22: 83a784a15b, 3652268543, 009401506e) keep it; elsewhere every
// free is scrubbed on the spot and nothing is ever dirty.
//
// DIVERGENCE: Xen's idle loop scrubs free pages in the background (scrub_free_pages); no idle
// vCPU is modelled, so a dirty frame stays dirty until an allocation scrubs it.
//
// Invariant: `starts`/`ends` are sorted, disjoint, non-adjacent half-open runs; `frames` is Σ lengths.

export class DirtyFrames {
  private starts: number[] = [];
  private ends: number[] = [];
  /** Frames marked dirty. */
  frames = 0;

  /** Index of the first run whose end is > mfn. */
  private firstEndingAfter(mfn: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] <= mfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Marks [start, start + len) dirty (free_heap_pages with need_scrub). */
  mark(start: number, len: number): void {
    if (len <= 0) return;
    this.clear(start, len); // no overlap left: every run is wholly before or after
    let s = start;
    let end = start + len;
    let i = this.firstEndingAfter(start);
    if (i > 0 && this.ends[i - 1] === s) {
      i--;
      s = this.starts[i];
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    }
    if (i < this.starts.length && this.starts[i] === end) {
      end = this.ends[i];
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    }
    this.starts.splice(i, 0, s);
    this.ends.splice(i, 0, end);
    this.frames += len;
  }

  /** Clears [start, start + len) (scrubbed). @returns how many of those frames were dirty. */
  clear(start: number, len: number): number {
    const end = start + len;
    let i = this.firstEndingAfter(start);
    let cleared = 0;
    while (i < this.starts.length && this.starts[i] < end) {
      const s = this.starts[i];
      const e = this.ends[i];
      const lo = Math.max(s, start);
      const hi = Math.min(e, end);
      cleared += hi - lo;
      if (s < lo && e > hi) {
        this.ends[i] = lo;
        this.starts.splice(i + 1, 0, hi);
        this.ends.splice(i + 1, 0, e);
        i += 2;
      } else if (s < lo) {
        this.ends[i] = lo;
        i++;
      } else if (e > hi) {
        this.starts[i] = hi;
        i++;
      } else {
        this.starts.splice(i, 1);
        this.ends.splice(i, 1);
      }
    }
    this.frames -= cleared;
    return cleared;
  }

  /** Dirty frames in [start, start + len). */
  count(start: number, len: number): number {
    const end = start + len;
    let n = 0;
    for (let i = this.firstEndingAfter(start); i < this.starts.length && this.starts[i] < end; i++) {
      n += Math.min(this.ends[i], end) - Math.max(this.starts[i], start);
    }
    return n;
  }

  /**
   * The frame just after the k-th dirty frame (k >= 1) of [start, end), or -1 when there are
   * fewer than k: where a scrub loop that stops after k dirty pages resumes.
   */
  afterKth(start: number, end: number, k: number): number {
    let left = k;
    for (let i = this.firstEndingAfter(start); i < this.starts.length && this.starts[i] < end; i++) {
      const lo = Math.max(this.starts[i], start);
      const hi = Math.min(this.ends[i], end);
      if (hi - lo >= left) return lo + left;
      left -= hi - lo;
    }
    return -1;
  }
}

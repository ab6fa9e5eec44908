import { describe, expect, it } from 'vitest';
import { SpinOutcome, spinWhileEqual } from './mailbox-spin.ts';

describe('spinWhileEqual', () => {
  const words = (): Int32Array => new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));

  it('reports Changed when the word differs from the value, whatever the budget', () => {
    const w = words();
    Atomics.store(w, 1, 7);
    expect(spinWhileEqual(w, 1, 6, 1, 0)).toBe(SpinOutcome.Changed);
    expect(spinWhileEqual(w, 1, 6, 1_000, 1)).toBe(SpinOutcome.Changed);
  });

  it('never reports Changed for a word nobody writes, and ends within its polls', () => {
    const w = words();
    for (const polls of [0, 1, 31, 32, 33, 1_000]) {
      // Exhausted, or Preempted if this (shared) machine descheduled the test mid-spin.
      expect(spinWhileEqual(w, 0, 0, polls, 10)).not.toBe(SpinOutcome.Changed);
    }
  });

  it('reads the word it is given, not a neighbour', () => {
    const w = words();
    Atomics.store(w, 0, 5);
    expect(spinWhileEqual(w, 1, 0, 100, 1)).not.toBe(SpinOutcome.Changed);
    expect(spinWhileEqual(w, 0, 0, 100, 1)).toBe(SpinOutcome.Changed);
  });
});

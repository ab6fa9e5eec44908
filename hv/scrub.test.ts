import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DirtyFrames } from './scrub.ts';

/** Frames the model covers: four 1 GiB chunks. */
const SPAN = 4 * 2 ** 18;

/** Range ends near the structure's edges (chunk, 2 MiB region, 32-bit word) or anywhere. */
const edge = fc.oneof(
  fc.integer({ min: 0, max: SPAN }),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: -2, max: 2 })).map(([c, d]) => c * 2 ** 18 + d),
  fc.tuple(fc.integer({ min: 0, max: 2048 }), fc.integer({ min: -2, max: 2 })).map(([r, d]) => r * 512 + d),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -1, max: 1 })).map(([w, d]) => 2 ** 18 + w * 32 + d),
  // Within the first two 2 MiB regions, so that ranges and single frames meet partly dirty maps.
  fc.integer({ min: 0, max: 1100 }),
).map((x) => Math.min(SPAN, Math.max(0, x)));
const range = fc.tuple(edge, edge).map(([a, b]): readonly [number, number] => (a <= b ? [a, b] : [b, a]));
const command = fc.oneof(
  fc.record({ op: fc.constant('mark' as const), range }),
  fc.record({ op: fc.constant('clear' as const), range }),
  fc.record({ op: fc.constant('count' as const), range }),
  fc.record({ op: fc.constant('afterKth' as const), range, k: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: SPAN })) }),
  fc.record({
    op: fc.constant('scrubBatch' as const),
    // One frame (an order-0 extent's scrub) as often as a longer range.
    range: fc.oneof(range, edge.map((x): readonly [number, number] => [Math.min(x, SPAN - 1), Math.min(x, SPAN - 1) + 1])),
    k: fc.oneof(fc.constant(256), fc.integer({ min: 1, max: 600 })),
  }),
);

describe('DirtyFrames', () => {
  test('agrees with a frame-by-frame model on every mark, clear, count, afterKth and scrub batch', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (cmds) => {
        const model = new Uint8Array(SPAN);
        let frames = 0;
        const dirty = new DirtyFrames();
        for (const c of cmds) {
          const [lo, hi] = c.range;
          let before = 0;
          for (let f = lo; f < hi; f++) before += model[f];
          if (c.op === 'mark') {
            dirty.mark(lo, hi - lo);
            model.fill(1, lo, hi);
            frames += hi - lo - before;
          } else if (c.op === 'clear') {
            expect(dirty.clear(lo, hi - lo)).toBe(before);
            model.fill(0, lo, hi);
            frames -= before;
          } else if (c.op === 'count') {
            expect(dirty.count(lo, hi - lo)).toBe(before);
          } else if (c.op === 'scrubBatch') {
            // The scrub loop's batch: the first k dirty frames from lo are cleared.
            let stop = hi;
            let cleared = 0;
            for (let f = lo; f < hi; f++) {
              if (model[f] === 0) continue;
              model[f] = 0;
              if (++cleared === c.k) {
                stop = f + 1;
                break;
              }
            }
            expect(dirty.scrubBatch(lo, hi, c.k)).toBe(stop);
            expect(dirty.batchCleared).toBe(cleared);
            frames -= cleared;
          } else {
            let want = -1;
            let seen = 0;
            for (let f = lo; f < hi && want < 0; f++) if (model[f] === 1 && ++seen === c.k) want = f + 1;
            expect(dirty.afterKth(lo, hi, c.k)).toBe(want);
          }
          expect(dirty.frames).toBe(frames);
        }
      }),
      { numRuns: 60 },
    );
  });

  test('a whole 1 TiB range is marked and scrubbed by chunks, and frames beyond are clean', () => {
    const dirty = new DirtyFrames();
    dirty.mark(2 ** 18, 2 ** 28);
    expect(dirty.frames).toBe(2 ** 28);
    expect(dirty.count(0, 2 ** 32)).toBe(2 ** 28);
    expect(dirty.afterKth(0, 2 ** 32, 256)).toBe(2 ** 18 + 256);
    expect(dirty.clear(2 ** 18 + 5, 1)).toBe(1);
    expect(dirty.afterKth(2 ** 18, 2 ** 18 + 10, 5)).toBe(2 ** 18 + 5);
    expect(dirty.afterKth(2 ** 18, 2 ** 18 + 10, 6)).toBe(2 ** 18 + 7);
    expect(dirty.clear(0, 2 ** 32)).toBe(2 ** 28 - 1);
    expect(dirty.frames).toBe(0);
    expect(dirty.afterKth(0, 2 ** 32, 1)).toBe(-1);
  });
});

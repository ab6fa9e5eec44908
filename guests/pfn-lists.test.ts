// The typed pfn lists (pfn-lists.ts) against plain arrays: any sequence of operations gives the
// same answers, across growth and the FIFO's slide to the front.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinnedSeed } from '../prop-tests/setup.ts';
import { PfnFifo, PfnStack } from './pfn-lists.ts';

const pfn = fc.integer({ min: 0, max: 2 ** 32 - 1 });
// Runs of pushes then takes, long enough to grow past the initial 16 and to slide.
const ops = fc.array(fc.oneof(fc.tuple(fc.constant('push' as const), fc.array(pfn, { maxLength: 40 })), fc.tuple(fc.constant('take' as const), fc.nat(40))), { maxLength: 30 });

describe(`typed pfn lists (seed: ${pinnedSeed})`, () => {
  it('PfnStack pushes, pops and reads from the top as an array does', () => {
    fc.assert(
      fc.property(fc.nat(40), ops, (capacity, script) => {
        const s = new PfnStack(capacity);
        const model: number[] = [];
        for (const [op, arg] of script) {
          if (op === 'push') for (const p of arg) (s.push(p), model.push(p));
          else for (let i = 0; i < arg; i++) expect(s.pop()).toBe(model.pop());
          expect(s.length).toBe(model.length);
          for (let i = 0; i < model.length; i++) expect(s.fromTop(i)).toBe(model[model.length - 1 - i]);
        }
        expect(() => s.fromTop(model.length)).toThrow(/fromTop/);
      }),
    );
  });

  it('PfnFifo appends and takes the oldest as an array does', () => {
    fc.assert(
      fc.property(ops, (script) => {
        const q = new PfnFifo();
        const model: number[] = [];
        for (const [op, arg] of script) {
          if (op === 'push') for (const p of arg) (q.push(p), model.push(p));
          else for (let i = 0; i < arg; i++) expect(q.shift()).toBe(model.shift());
          expect(q.size).toBe(model.length);
        }
        // Drained in order.
        while (model.length > 0) expect(q.shift()).toBe(model.shift());
        expect(q.shift()).toBeUndefined();
      }),
    );
  });
});

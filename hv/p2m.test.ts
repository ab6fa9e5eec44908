// The superpage p2m against a plain Map model: exact over every gpfn a memop accepts (up to 2^40
// and beyond, where the old `gpfn >>> 12` chunks aliased gpfn mod 2^32), superpage entries split
// on partial unmaps, and drains in relinquish order.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FrameRuns } from './frame-runs.ts';
import { P2m } from './p2m.ts';
import { pinnedSeed } from '../prop-tests/setup.ts';

/** Regions where aliasing and boundary bugs live: around 0, 2^32 and 2^40. */
const BASES = [0, 2 ** 32 - 2 ** 18, 2 ** 32, 2 ** 32 + 2 ** 20, 2 ** 40 - 2 ** 18, 2 ** 40 - 2 ** 12, 2 ** 52];

type Cmd =
  | { kind: 'map'; base: number; off: number; order: number; mfnBlock: number }
  | { kind: 'unmap'; base: number; off: number; n: number }
  | { kind: 'drain'; max: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), base: fc.constantFrom(...BASES), off: fc.nat({ max: 2 ** 13 }), order: fc.constantFrom(0, 0, 1, 3, 9, 9), mfnBlock: fc.nat({ max: 2 ** 13 }) }),
  fc.record({ kind: fc.constant('unmap' as const), base: fc.constantFrom(...BASES), off: fc.nat({ max: 2 ** 13 }), n: fc.constantFrom(1, 2, 7, 512, 513, 4096) }),
  fc.record({ kind: fc.constant('drain' as const), max: fc.constantFrom(1, 100, 700, 4096, 65_536) }),
);

function expand(runs: FrameRuns): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs.count; i++) for (let j = 0; j < runs.len(i); j++) out.push(runs.start(i) + j);
  return out;
}

describe(`P2m (seed: ${pinnedSeed})`, () => {
  test('agrees with a Map model on every lookup, size and unmapped frame, gpfns up to 2^52', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 25 }), (cmds) => {
        const p2m = new P2m();
        const model = new Map<number, number>();
        const usedMfn = new Set<number>();
        const touched = new Set<number>();
        for (const c of cmds) {
          if (c.kind === 'map') {
            const n = 2 ** c.order;
            const g = c.base + c.off - ((c.base + c.off) % n);
            const mfn = (c.mfnBlock * 2 ** 18 + n) - ((c.mfnBlock * 2 ** 18 + n) % n) + n;
            let free = mfn + n <= 2 ** 32;
            for (let j = 0; j < n && free; j++) free = !model.has(g + j) && !usedMfn.has(mfn + j);
            if (!free) continue;
            p2m.map(g, mfn, n);
            for (let j = 0; j < n; j++) {
              model.set(g + j, mfn + j);
              usedMfn.add(mfn + j);
              touched.add(g + j);
            }
          } else if (c.kind === 'unmap') {
            const g = c.base + c.off;
            let prefix = 0;
            while (prefix < c.n && model.has(g + prefix)) prefix++;
            expect(p2m.mappedPrefix(g, c.n)).toBe(prefix);
            const runs = new FrameRuns();
            if (prefix > 0) p2m.unmapRange(g, prefix, runs);
            const want: number[] = [];
            for (let j = 0; j < prefix; j++) {
              want.push(model.get(g + j)!);
              usedMfn.delete(model.get(g + j)!);
              model.delete(g + j);
            }
            expect(expand(runs)).toEqual(want);
          } else {
            const runs = new FrameRuns();
            const n = p2m.drain(c.max, runs);
            const freed = expand(runs);
            expect(freed.length).toBe(n);
            expect(n).toBe(Math.min(c.max, model.size));
            for (const mfn of freed) usedMfn.delete(mfn);
            const freedSet = new Set(freed);
            for (const [g, m] of [...model]) if (freedSet.has(m)) model.delete(g);
          }
          expect(p2m.size).toBe(model.size);
        }
        for (const g of touched) if (p2m.lookup(g) !== (model.get(g) ?? -1)) expect(p2m.lookup(g)).toBe(model.get(g) ?? -1);
        // The aliases of every mapped gpfn modulo 2^32 and 2^40 are unmapped unless the model says so.
        for (const g of model.keys()) {
          for (const alias of [g % 2 ** 32, g + 2 ** 32, g % 2 ** 40]) expect(p2m.lookup(alias)).toBe(model.get(alias) ?? -1);
        }
      }),
    );
  });

  test('unmapping one frame inside a 1 GiB superpage splits it: its neighbours stay mapped', () => {
    const p2m = new P2m();
    p2m.map(2 ** 40 - 2 ** 18, 2 ** 18, 2 ** 18);
    expect(p2m.unmapOne(2 ** 40 - 2 ** 18 + 1000)).toBe(2 ** 18 + 1000);
    expect(p2m.lookup(2 ** 40 - 2 ** 18 + 999)).toBe(2 ** 18 + 999);
    expect(p2m.lookup(2 ** 40 - 2 ** 18 + 1000)).toBe(-1);
    expect(p2m.lookup(2 ** 40 - 1)).toBe(2 ** 19 - 1);
    expect(p2m.size).toBe(2 ** 18 - 1);
  });

  test('drain takes the 16 MiB groups in first-mapping order, ascending within each', () => {
    const p2m = new P2m();
    p2m.map(8192, 1000, 2);
    p2m.map(5, 2000, 1);
    p2m.map(4, 3000, 1);
    const runs = new FrameRuns();
    expect(p2m.drain(3, runs)).toBe(3);
    expect(expand(runs)).toEqual([1000, 1001, 3000]);
  });

  test('a group drained and mapped again goes to the back of the relinquish order, across many batches', () => {
    const p2m = new P2m();
    const GROUP = 4096;
    // 3000 groups of one frame each, mapped in descending group order.
    for (let g = 2999; g >= 0; g--) p2m.map(g * GROUP, 1 + g, 1);
    const runs = new FrameRuns();
    const first: number[] = [];
    for (let k = 0; k < 2500; k++) {
      runs.clear();
      expect(p2m.drain(1, runs)).toBe(1);
      first.push(...expand(runs));
    }
    expect(first).toEqual(Array.from({ length: 2500 }, (_, k) => 3000 - k));
    // Group 2999 (drained first) is mapped again: it comes after the 500 groups still held.
    p2m.map(2999 * GROUP + 7, 9000, 1);
    runs.clear();
    expect(p2m.drain(10_000, runs)).toBe(501);
    expect(expand(runs)).toEqual([...Array.from({ length: 500 }, (_, k) => 500 - k), 9000]);
    expect(p2m.size).toBe(0);
    runs.clear();
    expect(p2m.drain(10, runs)).toBe(0);
  });
});

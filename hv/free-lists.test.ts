import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FreeLists } from './free-lists.ts';

/** Three 1 GiB chunks; heads near 1 GiB, 2 MiB and other boundaries, so every table kind is used. */
const FRAMES = 3 * 2 ** 18;
const head = fc.oneof(
  fc.integer({ min: 1, max: 2 }).map((c) => c * 2 ** 18),
  fc.integer({ min: 1, max: 3 * 512 - 1 }).map((r) => r * 512),
  fc.integer({ min: 1, max: FRAMES - 1 }),
  fc.integer({ min: 1, max: 40 }),
);
/** Each list's order (the heap keeps one order per list). */
const ORDERS = [0, 9, 17, 18];
const LISTS = ORDERS.length;

describe('FreeLists', () => {
  test('agrees with arrays of heads on every append, remove, first, next and order; its structure check holds', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(head, fc.integer({ min: 0, max: LISTS - 1 })), { minLength: 1, maxLength: 200 }), (ops) => {
        const lists = new FreeLists(FRAMES, LISTS);
        const model: number[][] = Array.from({ length: LISTS }, () => []);
        const orderOf = new Map<number, number>();
        const listOf = new Map<number, number>();
        for (const [mfn, list] of ops) {
          const on = listOf.get(mfn);
          const order = ORDERS[list];
          if (on === undefined) {
            lists.append(list, mfn, order);
            model[list].push(mfn);
            listOf.set(mfn, list);
            orderOf.set(mfn, order);
          } else {
            expect(() => lists.remove(on, mfn, (orderOf.get(mfn)! + 1) % 19)).toThrow(/not on its free list/);
            lists.remove(on, mfn, orderOf.get(mfn)!);
            model[on].splice(model[on].indexOf(mfn), 1);
            listOf.delete(mfn);
            orderOf.delete(mfn);
          }
          expect(lists.orderOf(mfn)).toBe(orderOf.get(mfn) ?? -1);
        }
        for (let l = 0; l < LISTS; l++) {
          const walked: number[] = [];
          for (let m = lists.firstOf(l); m !== 0; m = lists.nextOf(m)) walked.push(m);
          expect(walked).toEqual(model[l]);
        }
        expect(lists.checkStructure((l) => ORDERS[l])).toBeNull();
      }),
      { numRuns: 80 },
    );
  });

  test('appending a frame that already heads a block is refused', () => {
    const lists = new FreeLists(FRAMES, 1);
    lists.append(0, 512, 9);
    expect(() => lists.append(0, 512, 9)).toThrow(/already heads a free block/);
    lists.remove(0, 512, 9);
    expect(lists.firstOf(0)).toBe(0);
    expect(lists.orderOf(512)).toBe(-1);
  });
});

import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { pinnedSeed } from '../prop-tests/setup.ts';
import { copyValue } from './copy-value.ts';

/** Values requests hold, and the awkward ones: holes, own "__proto__" keys, -0, typed arrays, Dates. */
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    fc.constantFrom(-0, undefined, NaN, Infinity, 2 ** 53),
    fc.sparseArray(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', '0', '10')), tie('value'), { maxKeys: 4 }),
    fc.uint32Array({ maxLength: 4 }),
    fc.date({ noInvalidDate: true }),
  ),
})).value;

describe(`copyValue makes what structuredClone makes (seed: ${pinnedSeed})`, () => {
  test('same structure, same key order, holes and own __proto__ keys kept, no shared objects', () => {
    fc.assert(fc.property(valueArb, (v) => {
      const a = copyValue(v);
      const b = structuredClone(v);
      // node's deep-strict equality (vitest's reads an own "constructor" key as the type).
      expect(isDeepStrictEqual(a, b)).toBe(true);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      if (typeof v === 'object' && v !== null) {
        expect(a).not.toBe(v);
        if (!Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Date)) expect(Object.keys(a as object)).toEqual(Object.keys(b as object));
      }
    }));
  });

  test('a later change to the original does not reach the copy', () => {
    const args = { domid: 1, extent_start: [1, 2, 3], nested: { list: [{ x: 1 }] } };
    const c = copyValue(args);
    args.extent_start.push(4);
    args.nested.list[0].x = 2;
    expect(c).toEqual({ domid: 1, extent_start: [1, 2, 3], nested: { list: [{ x: 1 }] } });
  });

  test('what structuredClone refuses is refused the same way', () => {
    expect(() => copyValue({ f: () => 1 })).toThrow(/could not be cloned/);
    expect(() => copyValue([Symbol('s')])).toThrow(/could not be cloned/);
  });
});

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeCallerToOwner, encodeCallerToOwner, isDecodeError, isEncodeError, type CallerToOwner } from './codec.ts';
import { RUNS_EXPANDED_MAX, toRuns } from './number-runs.ts';

const SLOT = 64 * 1024;

function roundTrip(msg: CallerToOwner, capacity = SLOT): unknown {
  const buf = new Uint8Array(capacity);
  const enc = encodeCallerToOwner(msg, buf);
  if (isEncodeError(enc)) return enc;
  return decodeCallerToOwner(enc.opcode, enc.length, buf);
}

function rawDecode(json: string): unknown {
  const bytes = new TextEncoder().encode(json);
  return decodeCallerToOwner(0x101, bytes.length, bytes);
}

describe('frame lists on the wire', () => {
  test('a builder populating 1M consecutive gpfns fits one 64 KiB slot and comes back intact', () => {
    const extent_start = Array.from({ length: 1 << 20 }, (_, i) => 0x100 + i);
    const msg: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_populate_physmap', args: { domid: 1, nr_extents: 1 << 20, extent_start } };
    expect(roundTrip(msg)).toEqual(msg);
  });

  test('any list of frame numbers round-trips exactly (runs or not)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat({ max: 2 ** 40 }), fc.integer({ min: -5, max: 5 })), { maxLength: 300 }), (list) => {
        const msg: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_decrease_reservation', args: { domid: 0x7ff0, nr_extents: list.length, extent_start: list } };
        expect(roundTrip(msg, 1 << 20)).toEqual(msg);
      }),
    );
  });

  test('runs expand to exactly their list, also where a step between extreme frames would round', () => {
    const expand = (runs: ReturnType<typeof toRuns>): number[] => runs.flatMap(([start, step, count]) => Array.from({ length: count }, (_, k) => start + k * step));
    const extreme = fc.oneof(fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 - 2, 0, 2 ** 40), fc.maxSafeInteger(), fc.integer({ min: -3, max: 3 }));
    fc.assert(fc.property(fc.array(extreme, { maxLength: 60 }), (list) => {
      expect(expand(toRuns(list))).toEqual(list);
    }));
    // |(2^53 - 2) - (-(2^53 - 1))| = 2^54 - 3 is not a double: such a pair must not become a run.
    const list = [...Array.from({ length: 100 }, (_, i) => i), -(2 ** 53 - 1), 2 ** 53 - 2];
    const msg: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_decrease_reservation', args: { domid: 1, nr_extents: list.length, extent_start: list } };
    expect(roundTrip(msg)).toEqual(msg);
  });

  test('malformed or oversized run lists are decode errors, never a throw or an allocation bomb', () => {
    const bad = [
      '{"kind":"hypercall","op":"x","args":{"a":{"$runs":5}}}',
      '{"kind":"hypercall","op":"x","args":{"a":{"$runs":[[1,2]]}}}',
      '{"kind":"hypercall","op":"x","args":{"a":{"$runs":[[1,2,0]]}}}',
      '{"kind":"hypercall","op":"x","args":{"a":{"$runs":[[1,"2",3]]}}}',
      `{"kind":"hypercall","op":"x","args":{"a":{"$runs":[[0,1,${RUNS_EXPANDED_MAX + 1}]]}}}`,
      `{"kind":"hypercall","op":"x","args":{"a":{"$runs":[[0,1,${RUNS_EXPANDED_MAX}]]},"b":{"$runs":[[0,1,1]]}}}`,
    ];
    for (const json of bad) expect(isDecodeError(rawDecode(json))).toBe(true);
  });
});

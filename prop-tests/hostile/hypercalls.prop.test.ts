// Hostile arguments for every hypercall (the contract is in hypercall-targets.ts). Complements
// prop-tests/memop-rejects.prop.test.ts, which pins the exact errno of each reject branch; here
// the inputs are wilder (BigInt, nested junk, frame lists with duplicates and overlaps, dying and
// unknown callers, sequences of calls on one host) and the oracle is weaker: an integer rc, no
// throw, invariants green after every section.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkInvariants, DOMID_SELF, EINVAL } from '../../hv/index.ts';
import { pinnedSeed } from '../setup.ts';
import { checkHostileRun, D_GUEST, hostileHost, hostileRun } from './hypercall-targets.ts';

describe(`hostile hypercall arguments (seed: ${pinnedSeed})`, () => {
  test('every op, caller and argument: an errno or extents done, never a throw, invariants green', () => {
    fc.assert(fc.property(hostileRun, (run) => checkHostileRun(run)));
  });

  test('memory ops on gpfns at and above 2^32 never touch the mappings below (no aliasing modulo 2^32)', () => {
    const high = fc.constantFrom(2 ** 32, 2 ** 32 + 3, 2 ** 32 + 63, 2 ** 33 + 5, 2 ** 36 + 2, 2 ** 40 - 64, 2 ** 40 - 1);
    const op = fc.record({
      op: fc.constantFrom('XENMEM_populate_physmap', 'XENMEM_decrease_reservation', 'XENMEM_increase_reservation'),
      gpfns: fc.array(high, { minLength: 1, maxLength: 4 }),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 6 }), (ops) => {
      const { hv } = hostileHost('4.22', false);
      const p2m = hv.domain(D_GUEST)!.p2m;
      const low = Array.from({ length: 64 }, (_, g) => p2m.lookup(g));
      for (const o of ops) {
        hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid: D_GUEST, max_memkb: 4 * 1024 });
        const rc = hv.hypercall(D_GUEST, o.op, { domid: DOMID_SELF, nr_extents: o.gpfns.length, extent_order: 0, extent_start: o.gpfns }).rc;
        expect(Number.isInteger(rc)).toBe(true);
        checkInvariants(hv, true);
      }
      expect(Array.from({ length: 64 }, (_, g) => p2m.lookup(g))).toEqual(low);
    }));
  });

  test('exchange with a duplicated input frame is refused without losing the frame', () => {
    // Stealing gpfn 3 twice would free one frame twice (or strand its twin).
    const { hv } = hostileHost('4.22', false);
    const r = hv.hypercall(D_GUEST, 'XENMEM_exchange', {
      in: { domid: DOMID_SELF, nr_extents: 2, extent_order: 0, extent_start: [3, 3] },
      out: { domid: DOMID_SELF, nr_extents: 1, extent_order: 1, extent_start: [100] },
    });
    expect(r.rc).toBe(-EINVAL);
    expect(hv.domain(D_GUEST)!.p2m.lookup(3)).toBeGreaterThanOrEqual(0);
    expect(hv.domain(D_GUEST)!.totPages).toBe(64);
  });
});

test('exchange with two outputs of one chunk at the same gpfn is refused without stranding a frame', () => {
  const { hv } = hostileHost('4.22', false);
  const r = hv.hypercall(D_GUEST, 'XENMEM_exchange', {
    in: { domid: DOMID_SELF, nr_extents: 1, extent_order: 1, extent_start: [4] },
    out: { domid: DOMID_SELF, nr_extents: 2, extent_order: 0, extent_start: [50, 50] },
  });
  expect(r.rc).toBe(-EINVAL);
  checkInvariants(hv, true);
  expect(hv.domain(D_GUEST)!.p2m.lookup(4)).toBeGreaterThanOrEqual(0);
});

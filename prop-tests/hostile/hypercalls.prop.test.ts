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

// The ledger's snapshots: a fresh snapshot and one built from the previous agree field for field;
// the previous one (or a domain's part of it) is kept exactly when nothing in it changed; snapDiff
// names every field that changed and nothing else.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Hypervisor } from '../../hv/index.ts';
import { createDomain, hypercallChecked, populateArgs } from '../drive.ts';
import { pinnedSeed } from '../setup.ts';
import { snapDiff, snapshot, type Snap } from './ledger.ts';

const plain = (s: Snap) => ({ ...s, doms: Object.fromEntries(s.doms) });

type Op = { k: 'populate' | 'decrease'; dom: 1 | 2; nr: number } | { k: 'max'; dom: 1 | 2; pages: number } | { k: 'nothing' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constantFrom('populate' as const, 'decrease' as const), dom: fc.constantFrom(1 as const, 2 as const), nr: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ k: fc.constant('max' as const), dom: fc.constantFrom(1 as const, 2 as const), pages: fc.integer({ min: 0, max: 4096 }) }),
  fc.constant({ k: 'nothing' as const }),
);

function apply(hv: Hypervisor, o: Op, gpfn: number): void {
  if (o.k === 'populate') hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(o.dom, o.nr, 0, gpfn));
  else if (o.k === 'decrease') hypercallChecked(hv, 0, 'XENMEM_decrease_reservation', { domid: o.dom, nr_extents: o.nr, extent_order: 0, extent_start: Array.from({ length: o.nr }, (_, i) => i) });
  else if (o.k === 'max') hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: o.dom, max_memkb: o.pages * 4 });
}

describe(`ledger snapshots (fast-check seed ${pinnedSeed})`, () => {
  test('built from the previous snapshot they equal a fresh one, share what did not change, and snapDiff names exactly what did', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      const hv = new Hypervisor({ memoryMiB: 16, xen: '4.22' });
      createDomain(hv, 2048);
      createDomain(hv, 2048);
      let prev = snapshot(hv);
      ops.forEach((o, i) => {
        apply(hv, o, 100 + 8 * i);
        const fresh = snapshot(hv);
        const next = snapshot(hv, prev);
        expect(plain(next)).toEqual(plain(fresh));
        const changed = snapDiff(prev, fresh);
        expect(snapDiff(prev, next)).toEqual(changed);
        expect(next === prev).toBe(changed.length === 0);
        for (const [domid, d] of next.doms) expect(d === prev.doms.get(domid)).toBe(!changed.some((c) => c.startsWith(`d${domid}.`)));
        // Every field snapDiff names differs, with its values before and after.
        for (const c of changed) {
          const m = /^(?:d(\d+)\.)?(\w+) (\S+)→(\S+)$/.exec(c)!;
          const [a, b] = m[1] === undefined ? [prev, fresh] : [prev.doms.get(Number(m[1])), fresh.doms.get(Number(m[1]))];
          expect(String((a as unknown as Record<string, unknown>)[m[2]])).toBe(m[3]);
          expect(String((b as unknown as Record<string, unknown>)[m[2]])).toBe(m[4]);
        }
        expect(snapDiff(prev, fresh, 1).length).toBe(Math.min(1, changed.length));
        prev = next;
      });
    }));
  });
});

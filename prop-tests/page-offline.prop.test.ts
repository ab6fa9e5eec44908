// Properties aimed at the reject paths of XEN_SYSCTL_page_offline_op (xen/common/sysctl.c,
// page_alloc.c offline_page / online_page / query_page_offline) in every version: arbitrary
// commands and ranges (garbage, reversed, past the last frame, huge) from arbitrary callers give
// the errno of the first failing check and one status word per frame (PG_OFFLINE_INVALID where
// the loop stopped); the structural invariants hold after every call; offlining then onlining a
// range gives every frame back; and on the claim-set version no call leaves claims above the
// free memory they stand on. The oracle restates sysctl.c's checks, not hv/page-offline.ts.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkInvariants, XEN_DOMCTL_CLAIM_MEMORY_HOST as HOST, EFAULT, EINVAL, ENOMEM, EPERM, ESRCH, Hypervisor, XEN_VERSIONS, type XenVersion } from '../hv/index.ts';
import { MAX_STATUS, PG_OFFLINE_INVALID } from '../hv/page-offline.ts';
import { createDomain, hypercallChecked, populateArgs } from './drive.ts';
import { pinnedSeed } from './setup.ts';

const u32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const garbage = fc.constantFrom<unknown>(-1, 0.5, Number.NaN, 2 ** 32, 'x', null, undefined);

/**
 * 8 MiB (2048 frames), dom0 1 MiB, d1 with 300 pages claiming all but 5 free pages: host-wide
 * (legacy) on the released versions; on the claim-set version all but 5 of node 1 on node 1 and
 * the rest but 5 host-wide — so a few offlined frames already over-claim.
 */
function host(v: XenVersion): Hypervisor {
  const hv = new Hypervisor({ memoryMiB: 8, xen: v, nodes: v === '4.22+claim-sets' ? 2 : 1, dom0MiB: 1 });
  const d = createDomain(hv, 4000);
  hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 300, 0));
  const free = hv.heap.totalAvailPages;
  if (v !== '4.22+claim-sets') hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: 300 + free - 5 });
  else {
    const node1 = hv.heap.nodeAvailPages(1);
    const rc = hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: d, claim_set: [{ pages: node1 - 5, target: 1 }, { pages: free - node1 - 5, target: HOST }] }).rc;
    expect(rc).toBe(0);
  }
  return hv;
}

function oracle(hv: Hypervisor, caller: number, a: { cmd: unknown; start: unknown; end: unknown }): { rc: number; status?: number[] } | null {
  if (!hv.domains.has(caller)) return { rc: -ESRCH };
  if (caller !== 0) return { rc: -EPERM };
  if (!u32(a.cmd) || !u32(a.start) || !u32(a.end)) return { rc: -EFAULT };
  if (a.end < a.start) return { rc: -EINVAL };
  if (a.end - a.start + 1 > MAX_STATUS) return { rc: -ENOMEM };
  if (a.cmd < 1 || a.cmd > 3) return { rc: -EINVAL, status: new Array<number>(a.end - a.start + 1).fill(PG_OFFLINE_INVALID) };
  return null; // a valid call: its per-frame answers are checked below
}

const frame = fc.oneof(fc.nat({ max: 2100 }), fc.constantFrom(0, 2047, 2048, 2 ** 32 - 1));
const args = fc.record({
  cmd: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 99) }, { weight: 1, arbitrary: garbage }),
  start: fc.oneof({ weight: 6, arbitrary: frame }, { weight: 1, arbitrary: garbage }),
  span: fc.oneof({ weight: 6, arbitrary: fc.nat({ max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, MAX_STATUS, 2 ** 31) }),
});

describe(`XEN_SYSCTL_page_offline_op reject paths (seed: ${pinnedSeed})`, () => {
  test('first failing check, one status word per frame, invariants kept, claims within memory on 4.22+claim-sets', () => {
    fc.assert(
      fc.property(fc.constantFrom(...XEN_VERSIONS), fc.constantFrom(0, 0, 0, 1, 9), fc.array(args, { minLength: 1, maxLength: 4 }), (v, caller, calls) => {
        const hv = host(v);
        for (const c of calls) {
          const a = { cmd: c.cmd, start: c.start, end: typeof c.start === 'number' ? c.start + c.span : c.start };
          const expected = oracle(hv, caller, a);
          const r = hypercallChecked(hv, caller, 'XEN_SYSCTL_page_offline_op', a);
          if (expected !== null) expect(r).toEqual(expected);
          else {
            const status = r.status as number[];
            const end = a.end as number;
            const start = a.start as number;
            expect(status).toHaveLength(end - start + 1);
            // Frames past the host stop the loop with -EINVAL; every frame before it has an answer.
            const stop = Math.max(0, Math.min(end + 1, hv.heap.nrPages) - start);
            expect(r.rc).toBe(end >= hv.heap.nrPages ? -EINVAL : 0);
            expect(status.slice(stop).every((s) => s === PG_OFFLINE_INVALID)).toBe(true);
            expect(status.slice(0, stop).every((s) => s !== PG_OFFLINE_INVALID)).toBe(true);
          }
          checkInvariants(hv, true);
          if (v === '4.22+claim-sets') {
            expect(hv.heap.outstandingClaims).toBeLessThanOrEqual(hv.heap.totalAvailPages);
            for (let n = 0; n < hv.heap.nodes; n++) expect(hv.heap.nodeOutstanding[n]).toBeLessThanOrEqual(hv.heap.nodeAvailPages(n));
          }
        }
      }),
    );
  });

  test('offlining a range and onlining it again gives back every free frame and clears every mark', () => {
    fc.assert(
      fc.property(fc.constantFrom(...XEN_VERSIONS), fc.nat({ max: 2047 }), fc.nat({ max: 64 }), (v, start, span) => {
        const hv = host(v);
        const end = Math.min(start + span, hv.heap.nrPages - 1);
        const free = hv.heap.totalAvailPages;
        expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_page_offline_op', { cmd: 1, start, end }).rc).toBe(0);
        expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_page_offline_op', { cmd: 2, start, end }).rc).toBe(0);
        expect([hv.heap.totalAvailPages, hv.heap.offlinedPages, hv.heap.offlining.size]).toEqual([free, 0, 0]);
        const q = hypercallChecked(hv, 0, 'XEN_SYSCTL_page_offline_op', { cmd: 3, start, end });
        expect((q.status as number[]).every((s) => s === 0)).toBe(true);
        checkInvariants(hv, true);
      }),
    );
  });
});

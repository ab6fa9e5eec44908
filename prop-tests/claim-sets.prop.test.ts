// Properties aimed at every reject branch of XEN_DOMCTL_claim_memory on '4.22+claim-sets'
// ("[PATCH v7 2/3] xen/mm: Introduce NUMA-aware memory claim sets": domctl.c claim_memory,
// page_alloc.c domain_set_claim_entries / domain_get_claim_entries). Arbitrary modes, counts and
// entries (garbage included) against hosts of 1–4 nodes whose domain may already hold a claim set:
// the answer is the errno of the first failing check in the series' order, a refused call leaves
// every counter as it was, and an accepted set is exactly what GET reads back. The oracle below
// restates the patch's checks, not hv/claim-sets.ts.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  checkInvariants, E2BIG, EFAULT, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, EPERM, ERANGE, ESRCH, Hypervisor, XENMEMF, xenmemfNode,
  XEN_DOMCTL_CLAIM_MEMORY_HOST as HOST, XEN_DOMCTL_CLAIM_MEMORY_LEGACY as LEGACY,
} from '../hv/index.ts';
import { createDomain, hypercallChecked, populateArgs } from './drive.ts';
import { pinnedSeed } from './setup.ts';

const u32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const u64 = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: -1 }), fc.double({ noInteger: true }), fc.constantFrom(Number.NaN, 2 ** 64, 'x', null, true),
);
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: garbage }, { weight: 1, arbitrary: fc.constant(undefined) });
const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A host of `nodes` nodes, 8 MiB each; d1 (max 6000) with 50 pages on node 0, maybe a claim set. */
function host(nodes: number, prior: Array<{ pages: number; target: number }>): Hypervisor {
  const hv = new Hypervisor({ memoryMiB: 8 * nodes, xen: '4.22+claim-sets', nodes, dom0MiB: 1 });
  createDomain(hv, 6000);
  createDomain(hv, 6000);
  hypercallChecked(hv, 0, 'XENMEM_populate_physmap', { ...populateArgs(1, 50, 0), mem_flags: XENMEMF.exact_node_request | xenmemfNode(0) });
  if (prior.length > 0) hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: 1, claim_set: prior });
  return hv;
}

function claims(hv: Hypervisor): string {
  return JSON.stringify({
    total: hv.heap.outstandingClaims, perNode: [...hv.heap.nodeOutstanding],
    doms: [...hv.domains.values()].map((d) => [d.domid, d.outstandingPages, d.nodeClaims, d.totPages]),
    free: hv.heap.totalAvailPages,
  });
}

/** The series' claim_memory + domain_set_claim_entries, restated. */
function oracle(hv: Hypervisor, caller: number, a: Record<string, unknown>): number {
  const d = hv.domain(a.domid as number);
  if (d === undefined) return caller === 0 ? -ESRCH : -EPERM;
  if (caller !== 0) return -EPERM;
  const list = a.claim_set;
  // Only an absent field takes its default; null is a value no C field holds.
  const mode = a.mode === undefined ? 0 : a.mode;
  const nr = a.nr_entries === undefined ? (Array.isArray(list) ? list.length : 0) : a.nr_entries;
  if (!u32(mode) || !u32(nr)) return -EFAULT;
  if (mode === 1) return nr >= 1 + (d.nodeClaims ?? []).filter((c) => c > 0).length ? 0 : -ERANGE;
  if (mode !== 0) return -EOPNOTSUPP;
  if (nr === 0) return -EINVAL;
  if (nr > 65) return -E2BIG;
  if (!Array.isArray(list) || list.length < nr) return -EFAULT;
  const entries = list.slice(0, nr);
  if (!entries.every((e) => rec(e) && u64(e.pages) && u32(e.target) && u32(e.cmd === undefined ? 0 : e.cmd))) return -EFAULT;
  const seen = new Set<number>();
  let hostSeen = false;
  let legacy = false;
  let host = 0;
  let nodeSum = 0;
  for (const e of entries as Array<{ pages: number; target: number; cmd?: number }>) {
    if ((e.cmd ?? 0) !== 0) return -EINVAL;
    if (e.target === HOST || e.target === LEGACY) {
      if (hostSeen) return -EINVAL;
      hostSeen = true;
      legacy ||= e.target === LEGACY;
      host = e.pages;
    } else if (e.target >= hv.heap.nodes) return -ENOENT;
    else if (seen.has(e.target)) return -EINVAL;
    else {
      seen.add(e.target);
      const unclaimedOnNode = hv.heap.nodeAvailPages(e.target) - hv.heap.nodeOutstanding[e.target];
      if (e.pages > unclaimedOnNode + (d.nodeClaims?.[e.target] ?? 0)) return -ENOMEM;
      nodeSum += e.pages;
    }
  }
  if (legacy) {
    if (nodeSum > 0) return -EINVAL;
    if (host === 0) return 0;
    if (d.outstandingPages > 0 || host <= d.totPages) return -EINVAL;
    host -= d.totPages;
  } else if (host + nodeSum === 0) return 0;
  if (d.totPages + host + nodeSum > d.maxPages) return -EINVAL;
  if (host + nodeSum > hv.heap.totalAvailPages - hv.heap.outstandingClaims + d.outstandingPages) return -ENOMEM;
  return 0;
}

const target = (nodes: number) => fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: nodes + 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(HOST, LEGACY) },
  { weight: 1, arbitrary: fc.constantFrom(64, 0x20000000, 0xffffffff) },
);
/** Page counts around the edges: a node holds 2048 frames, a host 2048–8192, d1's max_pages is 6000. */
const pages = fc.oneof(
  fc.constant(0), fc.nat({ max: 40 }), fc.integer({ min: 1500, max: 2100 }), fc.integer({ min: 1500, max: 4100 }), fc.constantFrom(5950, 6001, 2 ** 40),
);
/** A well-formed entry (cmd mostly absent), and one that may carry garbage in any field. */
/** `{ near: k }`: k pages from what the target has available to d (resolved against the host). */
const edgePages = fc.oneof({ weight: 2, arbitrary: pages }, { weight: 2, arbitrary: fc.record({ near: fc.integer({ min: -2, max: 2 }) }) });
const cleanEntry = (nodes: number) => fc.record({ pages: edgePages, target: target(nodes), cmd: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(0, 1) }) });
const dirtyEntry = (nodes: number) => fc.oneof(
  { weight: 4, arbitrary: fc.record({ pages: field(pages), target: field(target(nodes)), cmd: field(fc.constantFrom(0, 1)) }) },
  { weight: 1, arbitrary: garbage },
);
const claimSet = (nodes: number) => fc.oneof(
  { weight: 6, arbitrary: fc.array(cleanEntry(nodes), { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.integer({ min: -2, max: 2 }).map((near) => [{ pages: { near }, target: HOST }]) },
  { weight: 2, arbitrary: fc.array(dirtyEntry(nodes), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constant({ pages: 0, target: HOST }), { minLength: 66, maxLength: 67 }) },
  { weight: 1, arbitrary: garbage },
);
/** Turns `{ near: k }` into the pages the entry's target has for d1, plus k (at least 0). */
function resolve(hv: Hypervisor, e: Record<string, unknown>): Record<string, unknown> {
  if (!rec(e.pages)) return e;
  const d = hv.domain(1)!;
  const k = e.pages.near as number;
  const t = e.target as number;
  const avail = t < hv.heap.nodes
    ? hv.heap.nodeAvailPages(t) - hv.heap.nodeOutstanding[t] + (d.nodeClaims?.[t] ?? 0)
    : hv.heap.totalAvailPages - hv.heap.outstandingClaims + d.outstandingPages;
  return { ...e, pages: Math.max(0, avail + k) };
}

const scenario = fc.integer({ min: 1, max: 4 }).chain((nodes) => fc.record({
  nodes: fc.constant(nodes),
  prior: fc.array(fc.record({ pages: fc.nat({ max: 1500 }), target: fc.nat({ max: nodes - 1 }) }), { maxLength: nodes })
    .map((es) => es.filter((e, i) => es.findIndex((f) => f.target === e.target) === i)),
  caller: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1),
  args: fc.record({
    domid: fc.constantFrom(1, 1, 1, 1, 1, 1, 2, 2, 77),
    mode: fc.oneof({ weight: 16, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: garbage }),
    nr_entries: fc.oneof({ weight: 16, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.nat({ max: 70 }) }, { weight: 1, arbitrary: garbage }),
    claim_set: claimSet(nodes),
  }),
}));

describe(`XEN_DOMCTL_claim_memory reject paths on 4.22+claim-sets (seed: ${pinnedSeed})`, () => {
  test('the first failing check in the series\' order; a refused set changes nothing; an accepted one is what GET reads', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(scenario, ({ nodes, prior, caller, args }) => {
        const hv = host(nodes, prior);
        const a = strip({ ...args, claim_set: Array.isArray(args.claim_set) ? args.claim_set.map((e) => (rec(e) ? strip(resolve(hv, e)) : e)) : args.claim_set });
        const expected = oracle(hv, caller, a);
        const before = claims(hv);
        const r = hypercallChecked(hv, caller, 'XEN_DOMCTL_claim_memory', a);
        expect(r.rc).toBe(expected);
        seen.add(r.rc);
        checkInvariants(hv, true);
        if (r.rc !== 0 || a.mode === 1) {
          expect(claims(hv)).toBe(before);
          return;
        }
        // Accepted SET on d1 (d2 likewise): GET's node entries are the set's non-zero node entries.
        const got = hypercallChecked(hv, 0, 'XEN_DOMCTL_claim_memory', { domid: a.domid, mode: 1, nr_entries: 65 });
        expect(got.rc).toBe(0);
        const set = (a.claim_set as Array<{ pages: number; target: number }>).slice(0, (a.nr_entries as number | undefined) ?? Infinity);
        const want = set.filter((e) => e.target < nodes && e.pages > 0).sort((x, y) => x.target - y.target).map((e) => ({ pages: e.pages, target: e.target, cmd: 0 }));
        expect((got.claim_set as unknown[]).slice(1)).toEqual(want);
        const nodeSum = want.reduce((s, e) => s + e.pages, 0);
        const dom = hv.domain(a.domid as number)!;
        expect(dom.outstandingPages).toBeGreaterThanOrEqual(nodeSum);
        expect(hv.heap.outstandingClaims).toBe([...hv.domains.values()].reduce((s, x) => s + x.outstandingPages, 0));
      }),
      { numRuns: 300 },
    );
    // The runs reach every answer the call has (so no reject path goes untested).
    expect([...seen].sort((x, y) => x - y)).toEqual([0, -EPERM, -ENOENT, -ESRCH, -E2BIG, -ENOMEM, -EFAULT, -EINVAL, -ERANGE, -EOPNOTSUPP].sort((x, y) => x - y));
  });

  test('XENMEM_claim_pages on the claim-set version keeps the legacy rules and its cancel drops a claim set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat({ max: 7000 }), fc.boolean(), (nodes, want, withSet) => {
        const hv = host(nodes, withSet ? [{ pages: 20, target: nodes - 1 }] : []);
        const d = hv.domain(1)!;
        const expected = want === 0 ? 0
          : d.outstandingPages !== 0 || want <= d.totPages || want > d.maxPages ? -EINVAL
            : want - d.totPages > hv.heap.totalAvailPages - hv.heap.outstandingClaims ? -ENOMEM : 0;
        const before = claims(hv);
        const rc = hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: 1, nr_extents: want }).rc;
        expect(rc).toBe(expected);
        if (rc !== 0) expect(claims(hv)).toBe(before);
        else if (want === 0) expect([d.outstandingPages, d.nodeClaims, hv.heap.outstandingClaims]).toEqual([0, null, 0]);
        else expect([d.outstandingPages, d.nodeClaims]).toEqual([want - d.totPages, null]);
        checkInvariants(hv, true);
      }),
    );
  });
});

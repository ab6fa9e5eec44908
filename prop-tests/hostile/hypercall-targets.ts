// Hostile hypercall arguments: arbitraries and the check each input must pass, shared by the
// default-suite properties (hypercalls.prop.test.ts) and scripts/reliability.ts (which counts the
// inputs). The check: every call — any op, any caller (live, dying, unknown, not a number), any
// argument (negative, fractional, NaN, ±Infinity, beyond 2^32/2^53/2^64, strings, BigInt, nested
// junk, duplicate/overlapping/short frame lists) — is answered with an integer rc (an errno or
// extents done), never a throw, and the invariant checker is green after every section.

import fc from 'fast-check';
import { checkInvariants, DOMID_SELF, EPERM, Hypervisor, XEN_VERSIONS, type Call, type XenVersion } from '../../hv/index.ts';
import { ALL_OPS } from '../../hv/ops.ts';

/** Values no C field can hold, and values of the wrong type, nested junk included. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 2 ** 64 + 4096, Number.MAX_VALUE, -(2 ** 63)),
  fc.constantFrom(2n ** 64n, -1n, 5n),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('0', '12', '0x10', '', '$domid', '__proto__'),
  fc.boolean(),
  fc.constant(null),
  fc.anything({ maxDepth: 2, maxKeys: 3 }),
);

/** A plausible value, junk, or absent (its C default applies). */
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 2, arbitrary: junk }, { weight: 1, arbitrary: fc.constant(undefined) });

/** Domains of the hostile host: see hostileHost. */
export const D_GUEST = 1;
export const D_EMPTY = 2;
export const D_DM = 3;
export const D_DYING = 4;
const domidLike = fc.constantFrom(0, D_GUEST, D_EMPTY, D_DM, D_DYING, 77, DOMID_SELF, 0x7ff1, 0x7fef, 0xffff);

/** Frame lists: duplicates, overlaps with mapped frames, junk entries; often shorter than nr_extents. */
const frameList = fc.oneof(
  fc.array(fc.nat({ max: 40 }), { maxLength: 8 }),
  fc.array(fc.constantFrom(0, 1, 2, 2, 3, 3, 512), { maxLength: 8 }),
  fc.array(fc.oneof(fc.nat({ max: 40 }), junk), { maxLength: 6 }),
  // Aliases of the mapped gpfns modulo 2^32 (the old p2m's chunk index) and the 2^40 edge.
  fc.array(fc.constantFrom(2 ** 32, 2 ** 32 + 3, 2 ** 32 + 512, 2 ** 33 + 1, 2 ** 40 - 512, 2 ** 40 - 1, 2 ** 40, 2 ** 52 + 3), { maxLength: 6 }),
  fc.constant(null),
);

const reservation = fc.record(
  {
    domid: field(domidLike),
    nr_extents: field(fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(2 ** 26 - 1, 2 ** 26, 2 ** 32, 2 ** 53 - 1))),
    extent_order: field(fc.oneof(fc.constantFrom(0, 0, 1, 9), fc.nat({ max: 64 }), fc.constantFrom(18, 19, 2 ** 31, 2 ** 32 - 1))),
    mem_flags: field(fc.oneof(fc.constant(0), fc.nat({ max: 0x7ffff }), fc.constantFrom(0x10000, 0x20000 | 0x200, 0x40000, 0xff00))),
    extent_start: field(frameList),
    start_extent: field(fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(2 ** 58, 2 ** 58 + 1))),
  },
  { requiredKeys: [] },
);

const tmemFields = fc.record(
  {
    pool_id: field(fc.oneof(fc.nat({ max: 17 }), fc.constantFrom(-1, 2 ** 31, 2 ** 32 - 1))),
    oid: field(fc.oneof(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 })), fc.array(junk, { maxLength: 4 }))),
    index: field(fc.nat({ max: 8 })),
    cmfn: field(fc.nat({ max: 70 })),
    flags: field(fc.oneof(fc.constantFrom(1 << 24, (1 << 24) | 1, (1 << 24) | 2, (1 << 24) | 3, 0, 1, 0x1ff), fc.nat())),
    uuid: field(fc.oneof(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })), fc.array(junk, { maxLength: 3 }))),
    subop: field(fc.nat({ max: 20 })),
    cli_id: field(domidLike),
    arg1: field(fc.oneof(fc.nat({ max: 100 }), fc.constant(0xffffffff))),
    arg2: field(fc.nat({ max: 2 })),
  },
  { requiredKeys: [] },
);

const domctlFields = fc.record(
  {
    domid: field(domidLike),
    max_memkb: field(fc.oneof(fc.nat({ max: 20000 }), fc.constantFrom(2 ** 34, 2 ** 53 - 1))),
    size: field(fc.oneof(fc.nat({ max: 16 }).map((k) => k * 4096), fc.nat({ max: 70000 }), fc.constantFrom(2 ** 40))),
    type: field(fc.constantFrom('pv', 'pvh', 'hvm', 'arm', 'constructor')),
    name: field(fc.string({ maxLength: 4 })),
    max_vcpus: field(fc.nat({ max: 4 })),
    target: field(domidLike),
  },
  { requiredKeys: [] },
);

const exchange = fc.record(
  {
    in: field(reservation),
    out: field(reservation),
    nr_exchanged: field(fc.nat({ max: 4 })),
  },
  { requiredKeys: [] },
);

/** Overlapping exchange: the same (possibly duplicated) frames in and out, on one domain. */
const overlappingExchange = fc
  .tuple(fc.constantFrom(D_GUEST, DOMID_SELF, 0), fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 3 }), fc.constantFrom(0, 1), fc.array(fc.nat({ max: 70 }), { minLength: 6, maxLength: 6 }))
  .map(([domid, half, order, outs]) => {
    const frames = [...half, ...half.map((f) => f + 1)]; // 2k input pages; duplicates likely
    const nrOut = frames.length >> order;
    return {
      in: { domid, nr_extents: frames.length, extent_order: 0, extent_start: frames },
      out: { domid, nr_extents: nrOut, extent_order: order, extent_start: outs.slice(0, nrOut).map((f) => f - (f % 2 ** order)) },
    };
  });

export interface HostileCall {
  caller: unknown;
  op: string;
  args: unknown;
}

const caller = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(0, D_GUEST, D_EMPTY, D_DM) },
  { weight: 2, arbitrary: fc.constantFrom(D_DYING, 77, DOMID_SELF) },
  { weight: 1, arbitrary: junk },
);
const opName = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...ALL_OPS) }, { weight: 1, arbitrary: fc.constantFrom('XENMEM_bogus', '__proto__', 'constructor', 'toString', '') });
const argsFor = (op: string): fc.Arbitrary<unknown> => {
  const body =
    op === 'XENMEM_exchange' ? fc.oneof(exchange, overlappingExchange)
    : op.startsWith('XENMEM_') ? reservation
    : op.startsWith('TMEM_') ? tmemFields
    : domctlFields;
  return fc.oneof({ weight: 9, arbitrary: body }, { weight: 1, arbitrary: junk });
};

export const hostileCall: fc.Arbitrary<HostileCall> = fc
  .tuple(caller, opName)
  .chain(([c, op]) => argsFor(op).map((args) => ({ caller: c, op, args })));

export interface HostileRun {
  version: XenVersion;
  tmem: boolean;
  calls: HostileCall[];
}

export const hostileRun: fc.Arbitrary<HostileRun> = fc.record({
  version: fc.constantFrom(...XEN_VERSIONS),
  tmem: fc.boolean(),
  calls: fc.array(hostileCall, { minLength: 1, maxLength: 8 }),
});

/**
 * dom0; d1 a guest with 64 pages at gpfn 0..63; d2 empty; d3 device model of d1; d4 (16 pages)
 * caught dying: its destroy has run its first section (domain_kill) and is left in flight.
 * @returns the host and the destroy call still in flight.
 */
export function hostileHost(version: XenVersion, tmem: boolean): { hv: Hypervisor; destroy: Call } {
  const hv = new Hypervisor({ memoryMiB: 16, xen: version, dom0MiB: 2, tmem: tmem && version === '4.3' });
  const must = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`hostileHost: ${what}`);
  };
  for (const [domid, target] of [[D_GUEST, undefined], [D_EMPTY, undefined], [D_DM, D_GUEST], [D_DYING, undefined]] as const) {
    must(hv.hypercall(0, 'XEN_DOMCTL_createdomain', { domid, target }).rc === 0, `create d${domid}`);
    must(hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: 2048 * 4 }).rc === 0, `max_mem d${domid}`);
  }
  const populate = (domid: number, n: number): boolean =>
    hv.hypercall(0, 'XENMEM_populate_physmap', { domid, nr_extents: n, extent_start: Array.from({ length: n }, (_, i) => i) }).rc === n;
  must(populate(D_GUEST, 64) && populate(D_DYING, 16), 'populate');
  const destroy = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: D_DYING });
  hv.step(destroy); // domain_kill: d4 is dying from here on
  return { hv, destroy };
}

/** Counts of inputs tried, per op (reliability figures). */
export type InputCounts = Map<string, number>;

const RESERVATION_OPS = new Set(['XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation']);

/**
 * Runs every call section by section with the invariant checker after each section, then finishes
 * d4's destruction and checks again. Throws (an assertion) on any violation of the contract.
 */
export function checkHostileRun(run: HostileRun, counts?: InputCounts): void {
  const { hv, destroy } = hostileHost(run.version, run.tmem);
  for (const c of run.calls) {
    counts?.set(c.op, (counts.get(c.op) ?? 0) + 1);
    const call = hv.begin(c.caller as number, c.op, c.args);
    for (let sections = 0; !call.done; sections++) {
      if (sections > 1e6) throw new Error(`${c.op}: more than 1e6 sections`);
      hv.step(call);
      checkInvariants(hv, false);
    }
    checkInvariants(hv, true);
    const rc = call.result!.rc;
    if (typeof rc !== 'number' || !Number.isSafeInteger(rc)) throw new Error(`${c.op}: rc ${String(rc)} is not an integer`);
    if (RESERVATION_OPS.has(c.op) && rc < 0 && !(hv.version === '4.3' && rc === -EPERM) && rc !== -3 /* ESRCH: no such caller */) {
      throw new Error(`${c.op}: reservation op answered errno ${rc} (only extents done, or -EPERM on 4.3)`);
    }
  }
  while (!destroy.done) {
    hv.step(destroy);
    checkInvariants(hv, false);
  }
  checkInvariants(hv, true);
  if (hv.domains.has(D_DYING)) throw new Error('the dying domain was never destroyed');
}

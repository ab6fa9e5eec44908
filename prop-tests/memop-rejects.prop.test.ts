// Properties aimed at every reject branch of hv/memop.ts and hv/domctl.ts: arbitrary garbage
// arguments (negative, fractional, NaN, huge, strings, wrong types) from arbitrary callers must
// give exactly Xen's answer — the errno of the first failing check in Xen's order, or, for the
// reservation ops, the extents done — and a rejected call must leave the state untouched.
// The oracles below restate the check order from the reference (§1.2, §5.2, §5.3), not the code.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  atLeast, domainInfo, EFAULT, EINVAL, EPERM, ESRCH, EEXIST, Hypervisor, physinfo, XEN_VERSIONS, type XenVersion,
} from '../hv/index.ts';
import { DOMID_SELF } from '../hv/ops.ts';
import { checkInvariants } from '../hv/index.ts';
import { createDomain, hypercallChecked, populateArgs } from './drive.ts';
import { pinnedSeed } from './setup.ts';

// --- the copy_from_guest convention (hv/guest-args.ts): what a C struct field can hold ---------
const u16 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff;
const u32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const u64 = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** A field's value with its C default when absent (only `undefined` is absent; null is a value). */
const or = (x: unknown, dflt: unknown): unknown => (x === undefined ? dflt : x);

/** Values no C field can hold, and values of the wrong type. */
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 64, 2 ** 53, Number.MAX_VALUE, -0.5),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.nat(), { maxKeys: 2 }),
  fc.array(fc.nat({ max: 100 }), { maxLength: 3 }),
);
/** Either a plausible value or garbage; `undefined` leaves the field out (its default applies). */
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: garbage }, { weight: 1, arbitrary: fc.constant(undefined) });

const version = fc.constantFrom(...XEN_VERSIONS);

/** Host with dom0, d1 (max 2048, 100 pages at gpfn 0..99) and d2 (max 2048, empty). */
function host(v: XenVersion): Hypervisor {
  const hv = new Hypervisor({ memoryMiB: 16, xen: v });
  createDomain(hv, 2048);
  createDomain(hv, 2048);
  hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(1, 100, 0));
  return hv;
}

/** Everything a rejected call must leave as it was. */
function snapshot(hv: Hypervisor): string {
  return JSON.stringify({
    phys: physinfo(hv),
    // cpu_time left out: a rejected call still ran on its caller's vCPU (Xen bills it too).
    doms: [...hv.domains.values()].map((d) => ({ ...domainInfo(d), cpu_time: undefined, p2m: d.p2m.size, pool: d.pagingPool.length })),
    rover: hv.domidRover,
    leaked: hv.heap.leakedClaimPages,
  });
}

function strip(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

/** The continuation index as do_memory_op sees it, or undefined when unrepresentable. */
function startOf(args: Record<string, unknown>): number | undefined {
  const s = args.start_extent ?? 0;
  return u64(s) && s <= 2 ** 58 ? s : undefined;
}

/** Whether copy_from_guest of a xen_memory_reservation succeeds. */
function copies(a: Record<string, unknown>): boolean {
  const es = a.extent_start;
  return u16(a.domid) && u64(a.nr_extents) && u32(or(a.extent_order, 0)) && u32(or(a.mem_flags, 0)) &&
    (es === undefined || es === null || Array.isArray(es));
}

/** XENMEM_claim_pages per §1.2 then §1.3. */
function claimOracle(hv: Hypervisor, caller: number, a: Record<string, unknown>): number {
  if (!hv.domains.has(caller)) return -ESRCH; // no vCPU of a dead domain issues hypercalls
  const start = startOf(a);
  if (start === undefined) return -EFAULT;
  if (start !== 0 && hv.version !== '4.3') return -EINVAL;
  if (!copies(a)) return -EFAULT;
  if ((a.extent_start !== undefined && a.extent_start !== null) || or(a.extent_order, 0) !== 0 || or(a.mem_flags, 0) !== 0) return -EINVAL;
  const d = hv.domain(a.domid as number);
  if (d === undefined) return -EINVAL;
  if (caller !== 0) return -EPERM;
  const pages = a.nr_extents as number;
  if (pages === 0) return 0;
  if (d.outstandingPages !== 0 || pages <= d.totPages || pages > d.maxPages) return -EINVAL;
  if (pages - d.totPages > hv.heap.totalAvailPages - hv.heap.outstandingClaims) return -12;
  return 0;
}

describe(`memop and domctl reject paths (seed: ${pinnedSeed})`, () => {
  test('XENMEM_claim_pages answers the first failing check in Xen order and leaves state untouched', () => {
    const args = fc.record({
      domid: field(fc.constantFrom(0, 1, 2, 77, DOMID_SELF)),
      nr_extents: field(fc.oneof(fc.constant(0), fc.nat({ max: 5000 }))),
      extent_order: field(fc.oneof(fc.constant(0), fc.nat({ max: 20 }))),
      mem_flags: field(fc.oneof(fc.constant(0), fc.nat({ max: 0x7ffff }))),
      extent_start: field(fc.oneof(fc.constant(null), fc.array(fc.nat({ max: 10 }), { maxLength: 2 }))),
      start_extent: field(fc.oneof(fc.constant(0), fc.nat({ max: 10 }))),
    });
    fc.assert(
      fc.property(version, fc.constantFrom(0, 1, 2, 9), args, (v, caller, raw) => {
        const hv = host(v);
        const a = strip(raw);
        const expected = claimOracle(hv, caller, a);
        const before = snapshot(hv);
        const outstandingBefore = hv.heap.outstandingClaims;
        const rc = hypercallChecked(hv, caller, 'XENMEM_claim_pages', a).rc;
        expect(rc).toBe(expected);
        if (rc !== 0) expect(snapshot(hv)).toBe(before);
        else if ((a.nr_extents as number) > 0) expect(hv.heap.outstandingClaims).toBeGreaterThan(outstandingBefore);
      }),
    );
  });

  test('reservation ops return extents done (start_extent on any argument problem), never an errno, and reject without side effects', () => {
    const args = fc.record({
      domid: field(fc.constantFrom(0, 1, 2, 77, DOMID_SELF)),
      nr_extents: field(fc.oneof(fc.nat({ max: 6 }), fc.constant(2 ** 26))),
      extent_order: field(fc.oneof(fc.constant(0), fc.nat({ max: 20 }))),
      mem_flags: field(fc.oneof(fc.constant(0), fc.nat({ max: 0x7ffff }))),
      extent_start: field(fc.oneof(fc.constant(null), fc.array(fc.oneof(fc.nat({ max: 120 }), garbage), { maxLength: 6 }))),
      start_extent: field(fc.oneof(fc.constant(0), fc.nat({ max: 8 }))),
    });
    const op = fc.constantFrom('XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation');
    fc.assert(
      fc.property(version, op, fc.constantFrom(0, 1, 2, 9), args, (v, o, caller, raw) => {
        const hv = host(v);
        const a = strip(raw);
        const before = snapshot(hv);
        const rc = hypercallChecked(hv, caller, o, a).rc;
        if (!hv.domains.has(caller)) {
          expect(rc).toBe(-ESRCH);
          expect(snapshot(hv)).toBe(before);
          return;
        }
        const start = startOf(a) ?? 0;
        if (startOf(a) === undefined || !copies(a) || start >= (a.nr_extents as number)) {
          expect(rc).toBe(start);
          expect(snapshot(hv)).toBe(before);
          return;
        }
        const target = a.domid === DOMID_SELF ? caller : (a.domid as number);
        const xsmDenied = hv.domains.has(target) && caller !== 0 && caller !== target;
        if (rc < 0) {
          // B12: only 4.3 returns the XSM errno.
          expect([v, rc, xsmDenied]).toEqual(['4.3', -EPERM, true]);
          expect(snapshot(hv)).toBe(before);
          return;
        }
        expect(Number.isInteger(rc) && rc >= start && rc <= (a.nr_extents as number)).toBe(true);
        if (rc === start && o !== 'XENMEM_decrease_reservation') expect(snapshot(hv)).toBe(before);
        if (xsmDenied) expect(snapshot(hv)).toBe(before);
        if (o !== 'XENMEM_decrease_reservation' && hv.domains.has(target)) {
          const grew = hv.domain(target)!.totPages - JSON.parse(before).doms.find((d: { domid: number }) => d.domid === target).tot_pages;
          expect(grew).toBe((rc - start) * 2 ** (or(a.extent_order, 0) as number));
        }
        checkInvariants(hv);
      }),
    );
  });

  test('domctls and sysctls answer EFAULT / EPERM / ESRCH / EINVAL / EEXIST in Xen order and reject without side effects', () => {
    const op = fc.constantFrom(
      'XEN_DOMCTL_max_mem', 'XEN_DOMCTL_destroydomain', 'XEN_DOMCTL_getdomaininfo', 'XEN_DOMCTL_set_paging_mempool_size',
      'XEN_DOMCTL_createdomain', 'XEN_DOMCTL_pausedomain', 'XEN_SYSCTL_physinfo',
    );
    const args = fc.oneof(
      { weight: 1, arbitrary: garbage },
      {
        weight: 6,
        arbitrary: fc.record({
          domid: field(fc.constantFrom(0, 1, 2, 3, 77)),
          max_memkb: field(fc.nat({ max: 20000 })),
          size: field(fc.oneof(fc.nat({ max: 16 }).map((k) => k * 4096), fc.nat({ max: 70000 }))),
          type: field(fc.constantFrom('pv', 'pvh', 'hvm', 'arm')),
          name: field(fc.string({ maxLength: 4 })),
          max_vcpus: field(fc.nat({ max: 4 })),
          target: field(fc.constantFrom(0, 1, 42)),
        }).map(strip),
      },
    );
    fc.assert(
      fc.property(version, op, fc.constantFrom(0, 1), args, (v, o, caller, a) => {
        const hv = host(v);
        const before = snapshot(hv);
        const expected = domctlOracle(hv, caller, o, a);
        const rc = hypercallChecked(hv, caller, o, a as object).rc;
        if (expected !== 'ok') {
          expect(rc).toBe(expected);
          expect(snapshot(hv)).toBe(before);
        } else {
          expect(rc).toBe(0);
        }
      }),
    );
  });
});

/** do_domctl / do_sysctl then the op's own checks, for the ops the reject property calls. */
function domctlOracle(hv: Hypervisor, caller: number, op: string, a: unknown): number | 'ok' {
  if (!rec(a)) return -EFAULT;
  const v = hv.version;
  const lookupFirst = op !== 'XEN_SYSCTL_physinfo' && op !== 'XEN_DOMCTL_getdomaininfo' && op !== 'XEN_DOMCTL_createdomain';
  // do_domctl: rcu_lock_domain_by_id (-ESRCH; -EPERM for guests from 4.22, a89ca78901) before
  // xsm_domctl (-EPERM); sysctls: XSM first.
  const unknown = caller !== 0 && atLeast(v, '4.22') ? -EPERM : -ESRCH;
  if (lookupFirst && !u16(a.domid)) return -EFAULT;
  if (lookupFirst && !hv.domains.has(a.domid as number)) return unknown;
  if (op === 'XEN_DOMCTL_getdomaininfo') {
    if (!u16(a.domid)) return -EFAULT;
    const d = hv.domains.get(a.domid as number);
    // XSM_XS_PRIV from 4.13: control or d's device model; 4.18+ exact id only (31c6554974).
    if (v !== '4.3' && d !== undefined) return caller === 0 || hv.domains.get(caller)?.target === d.domid ? 'ok' : -EPERM;
    if (atLeast(v, '4.18')) return unknown;
    if (caller !== 0) return -EPERM;
    if (v === '4.13' && (a.domid as number) >= 0x7ff0) return -EINVAL;
    return [...hv.domains.keys()].some((id) => id >= (a.domid as number)) ? 'ok' : -ESRCH;
  }
  if (caller !== 0) return -EPERM;
  if (op === 'XEN_SYSCTL_physinfo') return 'ok';
  if (op === 'XEN_DOMCTL_createdomain') {
    const domid = a.domid;
    const vcpus = or(a.max_vcpus, 1);
    if ((domid !== undefined && !u16(domid)) || !u16(vcpus) || vcpus === 0) return -EINVAL;
    if (!['pv', 'pvh', 'hvm'].includes(or(a.type, 'pv') as string)) return -EINVAL;
    if (a.name !== undefined && typeof a.name !== 'string') return -EFAULT;
    if (a.target !== undefined && !(u16(a.target) && hv.domains.has(a.target))) return -ESRCH;
    if (domid === undefined) return 'ok';
    const id = domid as number;
    if (atLeast(v, '4.22')) return (id >= 0x7ff0 && id !== 0x7ff5) || (id < 0x7ff0 && hv.domains.has(id)) ? -EEXIST : 'ok';
    if (id !== 0 && id < 0x7ff0 && hv.domains.has(id)) return atLeast(v, '4.21') ? -EEXIST : -EINVAL;
    return 'ok';
  }
  if (!u16(a.domid)) return -EFAULT;
  if (!hv.domains.has(a.domid)) return -ESRCH;
  switch (op) {
    case 'XEN_DOMCTL_max_mem':
      return u64(a.max_memkb) ? 'ok' : -EFAULT;
    case 'XEN_DOMCTL_destroydomain':
    case 'XEN_DOMCTL_pausedomain':
      return a.domid === caller ? -EINVAL : 'ok'; // no domain_pause() on yourself
    case 'XEN_DOMCTL_set_paging_mempool_size':
      return u64(a.size) && a.size % 4096 === 0 ? 'ok' : -EINVAL;
    default:
      return 'ok';
  }
}

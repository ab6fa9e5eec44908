// Domctl behaviour per Xen version, each case citing the source it follows:
// xen/common/domctl.c (do_domctl), domain.c (the controller pause count), domid.c (domid_alloc),
// sysctl.c (XEN_SYSCTL_getdomaininfolist) and include/xsm/dummy.h (xsm_default_action).

import { describe, expect, test } from 'vitest';
import {
  DOMID_ANY, DOMID_SELF, EEXIST, EFAULT, EINVAL, EOVERFLOW, EPERM, ESRCH, Hypervisor, XEN_VERSIONS, XEN_DOMINF, type XenVersion,
} from './index.ts';
import { checkInvariants, InvariantViolation } from './invariants.ts';
import { createDomain, hypercallChecked, populateArgs } from '../prop-tests/drive.ts';

const boot = (xen: XenVersion): Hypervisor => new Hypervisor({ memoryMiB: 16, xen });
const create = (hv: Hypervisor, args: object = {}) => hypercallChecked(hv, 0, 'XEN_DOMCTL_createdomain', args);
const getinfo = (hv: Hypervisor, domid: number, caller = 0) => hypercallChecked(hv, caller, 'XEN_DOMCTL_getdomaininfo', { domid });
const versions = XEN_VERSIONS.map((v) => [v] as const);

describe('XEN_DOMCTL_getdomaininfo (domctl.c, dummy.h)', () => {
  // 4.13 domctl.c: `if ( op->domain >= DOMID_FIRST_RESERVED ) break;` with ret = -EINVAL, only on
  // the search path (the exact lookup failed); 4.3 just searches (none >= 0x7ff0: -ESRCH);
  // 4.18+ (31c6554974) have no search: -ESRCH.
  test.each([['4.3', -ESRCH], ['4.13', -EINVAL], ['4.21', -ESRCH], ['4.21.2', -ESRCH], ['4.22', -ESRCH]] as const)(
    'on %s the control domain asking for DOMID_SELF (0x7ff0) gets %i', (v, rc) => {
      expect(getinfo(boot(v), DOMID_SELF).rc).toBe(rc);
    });

  // dummy.h xsm_domctl: XEN_DOMCTL_getdomaininfo is XSM_XS_PRIV from 4.13 (4.3: XSM_PRIV), which
  // falls through to XSM_DM_PRIV: `if ( target && src->target == target ) return 0`.
  test.each([['4.3', -EPERM], ['4.13', 0], ['4.21', 0], ['4.21.2', 0], ['4.22', 0]] as const)(
    'on %s a device model reading its target\'s info gets rc %i; reading another domain or itself -EPERM', (v, rc) => {
      const hv = boot(v);
      const guest = create(hv).domid as number;
      const other = create(hv).domid as number;
      const dm = create(hv, { target: guest }).domid as number;
      const r = getinfo(hv, guest, dm);
      expect(r.rc).toBe(rc);
      if (rc === 0) expect(r.domid).toBe(guest);
      expect(getinfo(hv, other, dm).rc).toBe(-EPERM);
      expect(getinfo(hv, dm, dm).rc).toBe(-EPERM); // XSM_XS_PRIV sits past XSM_TARGET's self check
    });

  // 4.22 domctl.c do_domctl (a89ca78901): `return is_control_domain(current->domain) ? -ESRCH : -EPERM;`
  test.each([['4.3', -EPERM], ['4.13', -EPERM], ['4.21', -ESRCH], ['4.21.2', -ESRCH], ['4.22', -EPERM], ['4.22+claim-sets', -EPERM]] as const)(
    'on %s a guest naming an unknown domain in getdomaininfo gets %i', (v, rc) => {
      const hv = boot(v);
      const guest = create(hv).domid as number;
      expect(getinfo(hv, 77, guest).rc).toBe(rc);
    });

  test.each([['4.3', -ESRCH], ['4.21', -ESRCH], ['4.22', -EPERM]] as const)(
    'on %s a guest naming an unknown domain in max_mem / pausedomain / destroydomain gets %i (a89ca78901)', (v, rc) => {
      const hv = boot(v);
      const guest = create(hv).domid as number;
      for (const op of ['XEN_DOMCTL_max_mem', 'XEN_DOMCTL_pausedomain', 'XEN_DOMCTL_destroydomain']) {
        expect(hypercallChecked(hv, guest, op, { domid: 77, max_memkb: 4 }).rc).toBe(rc);
      }
      expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: 77, max_memkb: 4 }).rc).toBe(-ESRCH);
    });
});

describe('XEN_DOMCTL_getdomaininfo: the lookup rule of each version, on domains created out of id order (domctl.c)', () => {
  // 4.3: the first domain with an id >= the one asked; 4.13: the exact one, -EINVAL from
  // DOMID_FIRST_RESERVED (0x7ff0; DOMID_MAX 0x7fef is an id like any other), else the next;
  // 4.18+ (31c6554974): the exact one only. (Stryker survivors of hv/domctl.ts, docs/mutation.md.)
  test.each([
    ['4.3', [3, 7, 7, 12, -ESRCH, -ESRCH]],
    ['4.13', [3, 7, 7, 12, -ESRCH, -EINVAL]],
    ['4.22', [-ESRCH, 7, -ESRCH, 12, -ESRCH, -ESRCH]],
  ] as const)('on %s ids 1, 7, 4, 12, DOMID_MAX, DOMID_MAX + 1 answer %j', (v, want) => {
    const hv = boot(v);
    for (const domid of [12, 7, 3]) create(hv, { domid });
    const got = [1, 7, 4, 12, 0x7fef, 0x7ff0].map((id) => {
      const r = getinfo(hv, id);
      return r.rc === 0 ? r.domid : r.rc;
    });
    expect(got).toEqual(want);
  });

  test.each(versions)('on %s a domid that is not a 16-bit number gets -EFAULT', (v) => {
    const hv = boot(v);
    for (const domid of [-1, 0x10000, 1.5, '1', null]) expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_getdomaininfo', { domid }).rc).toBe(-EFAULT);
  });

  test.each(versions)('on %s flags carry hvm_guest for HVM and PVH domains, not PV; max_vcpu_id is max_vcpus - 1', (v) => {
    const hv = boot(v);
    const info = (type: string) => getinfo(hv, create(hv, { type, max_vcpus: 3 }).domid as number);
    const [pv, hvm, pvh] = [info('pv'), info('hvm'), info('pvh')];
    expect([pv, hvm, pvh].map((r) => ((r.flags as number) & XEN_DOMINF.hvm_guest) !== 0)).toEqual([false, true, true]);
    expect([pv.max_vcpu_id, pv.nr_online_vcpus]).toEqual([2, 3]);
  });
});

describe('XEN_SYSCTL_getdomaininfolist (sysctl.c)', () => {
  test.each(versions)('on %s max_domains bounds the answer; a bad first_domain or max_domains alone gets -EFAULT', (v) => {
    const hv = boot(v);
    for (const domid of [7, 3]) create(hv, { domid });
    const one = hypercallChecked(hv, 0, 'XEN_SYSCTL_getdomaininfolist', { first_domain: 0, max_domains: 1 });
    expect((one.domains as Array<{ domid: number }>).map((d) => d.domid)).toEqual([0]);
    expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_getdomaininfolist', { first_domain: 0x10000, max_domains: 4 }).rc).toBe(-EFAULT);
    expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_getdomaininfolist', { first_domain: 0, max_domains: -1 }).rc).toBe(-EFAULT);
  });

  test.each(versions)('on %s it lists domains from first_domain in domid order, at most max_domains', (v) => {
    const hv = boot(v);
    for (const domid of [7, 3, 12]) create(hv, { domid });
    const all = hypercallChecked(hv, 0, 'XEN_SYSCTL_getdomaininfolist', { first_domain: 0, max_domains: 1024 });
    expect(all.rc).toBe(0);
    expect((all.domains as Array<{ domid: number }>).map((d) => d.domid)).toEqual([0, 3, 7, 12]);
    const some = hypercallChecked(hv, 0, 'XEN_SYSCTL_getdomaininfolist', { first_domain: 4, max_domains: 2 });
    expect(some).toMatchObject({ rc: 0, num_domains: 2 });
    expect((some.domains as Array<{ domid: number }>).map((d) => d.domid)).toEqual([7, 12]);
    expect(hypercallChecked(hv, 3, 'XEN_SYSCTL_getdomaininfolist', {}).rc).toBe(-EPERM); // xsm_sysctl XSM_PRIV
  });
});

describe('XEN_DOMCTL_createdomain domids (domctl.c, domid.c)', () => {
  // 4.3/4.13: `if ( (dom > 0) && (dom < DOMID_FIRST_RESERVED) )` exact (in use: -EINVAL), else
  // the rover; 4.21 domid_alloc(op->domain ?: DOMID_INVALID): reserved ids search too, in use
  // -EEXIST; 4.22 (23e2479ff9): `if ( domid >= DOMID_FIRST_RESERVED && domid != DOMID_ANY )
  // return DOMID_INVALID;`, and 0 is an exact request for dom0's id.
  const CASES: ReadonlyArray<readonly [XenVersion, number | 'auto' | 'EINVAL' | 'EEXIST', number | 'auto' | 'EEXIST', number | 'auto' | 'EEXIST', 'EINVAL' | 'EEXIST']> = [
    // version   domid 0    0x7ff0     DOMID_ANY   in use
    ['4.3',      'auto',    'auto',    'auto',     'EINVAL'],
    ['4.13',     'auto',    'auto',    'auto',     'EINVAL'],
    ['4.21',     'auto',    'auto',    'auto',     'EEXIST'],
    ['4.21.2',   'auto',    'auto',    'auto',     'EEXIST'],
    ['4.22',     'EEXIST',  'EEXIST',  'auto',     'EEXIST'],
    ['4.22+claim-sets', 'EEXIST', 'EEXIST', 'auto', 'EEXIST'],
  ];
  const ERR = { EINVAL: -EINVAL, EEXIST: -EEXIST } as const;
  test.each(CASES)('on %s: domid 0 → %s, 0x7ff0 → %s, DOMID_ANY → %s, an id in use → %s', (v, zero, reserved, any, inUse) => {
    const hv = boot(v);
    const expectCreate = (domid: number, want: number | 'auto' | 'EINVAL' | 'EEXIST') => {
      const r = create(hv, { domid });
      if (want === 'auto') {
        expect(r.rc).toBe(0);
        expect(r.domid as number).toBeGreaterThan(0);
        expect(r.domid as number).toBeLessThan(0x7ff0);
      } else expect(r.rc).toBe(ERR[want as 'EINVAL' | 'EEXIST']);
    };
    expectCreate(0, zero);
    expectCreate(DOMID_SELF, reserved);
    expectCreate(DOMID_ANY, any);
    expect(create(hv, { domid: 40 }).rc).toBe(0);
    expectCreate(40, inUse);
    expect(create(hv).rc).toBe(0); // an absent domid: the toolstack's "any" in every version
  });
});

describe('XEN_DOMCTL_max_mem (domctl.c)', () => {
  // 4.3: `unsigned long new_max = max_memkb >> 2; d->max_pages = new_max;` (unsigned int);
  // 4.13+: `d->max_pages = min(new_max, (uint64_t)(typeof(d->max_pages))-1);`
  test.each([['4.3', 5], ['4.13', 0xffffffff], ['4.22', 0xffffffff]] as const)('on %s max_memkb of (2^32 + 5) pages stores %i', (v, pages) => {
    const hv = boot(v);
    const d = create(hv).domid as number;
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: (2 ** 32 + 5) * 4 }).rc).toBe(0);
    expect(getinfo(hv, d).max_pages).toBe(pages);
  });

  // max_memkb is a uint64_aligned_t in struct xen_domctl_max_mem: a value no uint64 can hold is
  // a failed copy_from_guest of the domctl (-EFAULT), and max_pages is left as it was.
  test.each(versions)('on %s a max_memkb that is not a uint64 gets -EFAULT and leaves max_pages', (v) => {
    const hv = boot(v);
    const d = create(hv).domid as number;
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 400 }).rc).toBe(0);
    for (const bad of [-4, 1.5, 2 ** 64, '400', Number.NaN]) {
      expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: bad }).rc).toBe(-EFAULT);
      expect(getinfo(hv, d).max_pages).toBe(100);
    }
  });

  // "We removed a check that new_max >= current tot_pages": only a max_mem that really goes below
  // tot_pages may leave tot_pages > max_pages; otherwise the tot-within-max invariant stays armed
  // (a tot_pages that then passes max_pages is an allocator bug, assign_pages refuses it).
  test.each(versions)('on %s tot-within-max is relaxed only for a domain whose max_mem went below its tot_pages', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 50, 0)).rc).toBe(50);
    const dom = hv.domains.get(d)!;
    const violated = (): string | undefined => {
      dom.totPages += 1; // a tot_pages one page above what is held and allowed: a broken tree's state
      try {
        checkInvariants(hv);
        return undefined;
      } catch (e) {
        return e instanceof InvariantViolation ? e.invariant : String(e);
      } finally {
        dom.totPages -= 1;
      }
    };
    for (const pages of [200, 50]) { // raised, then lowered to exactly tot_pages: not below it
      expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 4 * pages }).rc).toBe(0);
      expect(violated()).toBe(pages === 50 ? 'tot-within-max' : 'owned-equals-charged');
    }
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 4 * 49 }).rc).toBe(0);
    expect(violated()).toBe('owned-equals-charged'); // tot 51 > max 49 is allowed now; the frames do not add up
  });
});

describe('XEN_DOMCTL_pausedomain / unpausedomain (domctl.c, domain.c)', () => {
  test.each(versions)('on %s pausing yourself is -EINVAL (`if ( d != current->domain )`)', (v) => {
    expect(hypercallChecked(boot(v), 0, 'XEN_DOMCTL_pausedomain', { domid: 0 }).rc).toBe(-EINVAL);
  });

  // 4.3 domain.c: is_paused_by_controller is a flag (unpause always 0); 4.5+ (3eb1c708ab)
  // domain_unpause_by_systemcontroller: `if ( new < 0 ) return -EINVAL;`, pauses counted to 255.
  test.each(versions)('on %s pauses are counted from 4.5: two pauses need two unpauses; one unpause too many', (v) => {
    const hv = boot(v);
    const d = create(hv).domid as number; // created paused (controller_pause_count = 1)
    const paused = () => ((getinfo(hv, d).flags as number) & XEN_DOMINF.paused) !== 0;
    const op = (name: string) => hypercallChecked(hv, 0, name, { domid: d }).rc;
    expect(op('XEN_DOMCTL_unpausedomain')).toBe(0);
    expect(paused()).toBe(false);
    expect(op('XEN_DOMCTL_pausedomain')).toBe(0);
    expect(op('XEN_DOMCTL_pausedomain')).toBe(0);
    expect(op('XEN_DOMCTL_unpausedomain')).toBe(0);
    expect(paused()).toBe(v !== '4.3');
    expect(op('XEN_DOMCTL_unpausedomain')).toBe(0);
    expect(paused()).toBe(false);
    expect(op('XEN_DOMCTL_unpausedomain')).toBe(v === '4.3' ? 0 : -EINVAL);
  });

  test.each([['4.3', 0], ['4.13', -EOVERFLOW], ['4.22', -EOVERFLOW]] as const)('on %s the 256th controller pause answers %i', (v, rc) => {
    const hv = boot(v);
    const d = create(hv).domid as number; // count 1
    for (let i = 0; i < 254; i++) expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_pausedomain', { domid: d }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_pausedomain', { domid: d }).rc).toBe(rc);
  });
});

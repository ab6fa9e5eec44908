// XENMEM_claim_pages: the §1.2 check order of do_memory_op and the §1.3 rules of
// domain_set_outstanding_pages, per Xen version (reference: xen-hypervisor.md §1).

import { describe, expect, test } from 'vitest';
import { EFAULT, EINVAL, ENOMEM, EPERM, Hypervisor, XEN_VERSIONS, type HvEvent, type XenVersion } from './index.ts';
import { DOMID_SELF } from './ops.ts';
import { availPages, createDomain, freePages, hypercallChecked, info, outstanding, populateArgs, stepUntil } from '../prop-tests/drive.ts';

const CLAIM = 'XENMEM_claim_pages';
/** 16 MiB host: 4096 frames, dom0 2 MiB, 3583 free after boot. */
const boot = (xen: XenVersion, inject: string[] = []): Hypervisor => new Hypervisor({ memoryMiB: 16, xen, inject });
const claim = (hv: Hypervisor, domid: number, pages: number, extra: object = {}, caller = 0): number =>
  hypercallChecked(hv, caller, CLAIM, { domid, nr_extents: pages, ...extra }).rc;
const versions = XEN_VERSIONS.map((v) => [v] as const);

/** Starts destroying `domid` and runs only domain_kill's first section: the domain is dying. */
function makeDying(hv: Hypervisor, domid: number): void {
  stepUntil(hv, hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid }), 'domain_kill');
}

describe('XENMEM_claim_pages check order (do_memory_op, §1.2)', () => {
  test.each([
    ['4.3', 0],
    ['4.13', -EINVAL],
    ['4.21', -EINVAL],
    ['4.22', -EINVAL],
  ] as const)('on %s a non-zero start_extent answers %i (4.3 ignores the continuation bits)', (v, rc) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(claim(hv, d, 100, { start_extent: 1 })).toBe(rc);
    expect(info(hv, d).outstanding_pages).toBe(rc === 0 ? 100 : 0);
  });

  test.each([
    ['4.3', -EFAULT],
    ['4.22', -EINVAL],
  ] as const)('on %s start_extent is checked before the copy: a bad copy with a start index answers %i', (v, rc) => {
    const hv = boot(v);
    expect(claim(hv, 1, -1, { start_extent: 2 })).toBe(rc);
  });

  // start_extent is cmd >> MEMOP_EXTENT_SHIFT (6): a 64-bit cmd carries an index below 2^58. One
  // that no cmd can carry (negative, fractional, 2^58 or more, not a number) is a bad argument:
  // -EFAULT before any other check, on every version (4.3 too, which ignores a valid index).
  test.each(versions)('on %s a start_extent no cmd can carry answers -EFAULT and claims nothing', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    for (const start_extent of [-1, 1.5, 2 ** 58, 2 ** 64, '1', Number.NaN]) {
      expect(claim(hv, d, 100, { start_extent })).toBe(-EFAULT);
    }
    expect(info(hv, d).outstanding_pages).toBe(0);
    expect(claim(hv, d, 100, { start_extent: 0 })).toBe(0);
  });

  test.each(versions)('on %s a failed copy (unrepresentable field) answers -EFAULT before field checks', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(claim(hv, d, -1, { extent_order: 3 })).toBe(-EFAULT);
    expect(claim(hv, d, 1.5, { mem_flags: 1 })).toBe(-EFAULT);
    expect(claim(hv, d, 10, { domid: 'one' })).toBe(-EFAULT);
    expect(claim(hv, d, Number.NaN)).toBe(-EFAULT);
  });

  test.each(versions)('on %s a non-NULL extent_start, a non-zero order or non-zero mem_flags answer -EINVAL', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(claim(hv, d, 100, { extent_start: [] })).toBe(-EINVAL);
    expect(claim(hv, d, 100, { extent_order: 1 })).toBe(-EINVAL);
    expect(claim(hv, d, 100, { mem_flags: 0x100 })).toBe(-EINVAL);
    expect(claim(hv, d, 100, { extent_start: null })).toBe(0);
  });

  test.each(versions)('on %s field errors come before the privilege check: a guest caller gets -EINVAL', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 1024);
    const d = createDomain(hv, 1024);
    expect(claim(hv, d, 100, { extent_order: 1 }, guest)).toBe(-EINVAL);
    expect(claim(hv, d, 100, {}, guest)).toBe(-EPERM);
  });

  test.each(versions)('on %s an unknown domid answers -EINVAL (not -ESRCH), even to a guest caller', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 1024);
    expect(claim(hv, 77, 100)).toBe(-EINVAL);
    expect(claim(hv, 77, 100, {}, guest)).toBe(-EINVAL);
  });

  test.each(versions)('on %s DOMID_SELF is rejected with -EINVAL (lookup by id, not by any id)', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 1024);
    expect(claim(hv, DOMID_SELF, 100)).toBe(-EINVAL);
    expect(claim(hv, DOMID_SELF, 600, {}, guest)).toBe(-EINVAL);
    expect(outstanding(hv)).toBe(0);
  });

  test.each(versions)('on %s a non-control caller gets -EPERM, even for its own domain or a cancel', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 1024);
    expect(claim(hv, guest, 100, {}, guest)).toBe(-EPERM);
    expect(claim(hv, guest, 0, {}, guest)).toBe(-EPERM);
    expect(info(hv, guest).outstanding_pages).toBe(0);
  });

  test.each([
    ['4.3', 0],
    ['4.13', 0],
    ['4.21', 0],
    ['4.22', -EINVAL],
  ] as const)('on %s a claim on a dying domain answers %i (refused from 4.22)', (v, rc) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    makeDying(hv, d);
    expect(claim(hv, d, 100)).toBe(rc);
  });

  test('on 4.22 a cancel (0 pages) on a dying domain is also refused with -EINVAL', () => {
    const hv = boot('4.22');
    const d = createDomain(hv, 1024);
    makeDying(hv, d);
    expect(claim(hv, d, 0)).toBe(-EINVAL);
  });

  test('on 4.22 the privilege check comes before the dying check: a guest gets -EPERM', () => {
    const hv = boot('4.22');
    const guest = createDomain(hv, 1024);
    const d = createDomain(hv, 1024);
    makeDying(hv, d);
    expect(claim(hv, d, 100, {}, guest)).toBe(-EPERM);
  });
});

describe('XENMEM_claim_pages as a section and an event', () => {
  test.each(versions)("on %s the whole op is one non-preemptible section labelled 'claim', then the return", (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    const call = hv.begin(0, CLAIM, { domid: d, nr_extents: 100 });
    expect(hv.step(call)).toBe('claim');
    expect(hv.domains.get(d)!.outstandingPages).toBe(100); // staked inside that section
    expect(hv.step(call)).toBe('return');
    expect(call.done).toBe(true);
    expect(call.result).toEqual({ rc: 0 });
  });

  // The claim event (read by the campaign's claim-backed monitor) reports every call that reached
  // domain_set_outstanding_pages, with its rc; calls refused before it report nothing.
  test.each(versions)('on %s each claim that reaches domain_set_outstanding_pages is one claim event with its rc', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 1024);
    const d = createDomain(hv, 1024);
    const seen: HvEvent[] = [];
    hv.listeners.push((e) => {
      if (e.kind === 'claim') seen.push(e);
    });
    expect(claim(hv, d, 100)).toBe(0);
    expect(claim(hv, d, 50)).toBe(-EINVAL); // a second claim (rule 1)
    expect(claim(hv, d, 0)).toBe(0);
    expect(claim(hv, d, 100, { extent_order: 1 })).toBe(-EINVAL); // a field: before the rules
    expect(claim(hv, 77, 100)).toBe(-EINVAL); // no such domain
    expect(claim(hv, d, 100, {}, guest)).toBe(-EPERM);
    expect(seen).toEqual([
      { kind: 'claim', domid: d, pages: 100, rc: 0 },
      { kind: 'claim', domid: d, pages: 50, rc: -EINVAL },
      { kind: 'claim', domid: d, pages: 0, rc: 0 },
    ]);
  });
});

describe('domain_set_outstanding_pages rules (§1.3)', () => {
  test.each(versions)('on %s claiming 0 cancels, succeeds without a claim, and releases the global count', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 0)).toBe(0);
    expect(claim(hv, d, 1000)).toBe(0);
    expect(outstanding(hv)).toBe(1000);
    expect(claim(hv, d, 0)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(0);
    expect(outstanding(hv)).toBe(0);
  });

  test.each(versions)('on %s a second claim is -EINVAL, even a smaller or impossible one; cancel then re-claim works', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 1000)).toBe(0);
    expect(claim(hv, d, 500)).toBe(-EINVAL);
    expect(claim(hv, d, 1000)).toBe(-EINVAL);
    expect(claim(hv, d, 1_000_000)).toBe(-EINVAL); // rule 2 before rules 3 and 4
    expect(info(hv, d).outstanding_pages).toBe(1000);
    expect(claim(hv, d, 0)).toBe(0);
    expect(claim(hv, d, 500)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(500);
  });

  test.each(versions)('on %s a fully consumed claim no longer counts: a fresh claim may be staked', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 512)).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9)).rc).toBe(1);
    expect(info(hv, d).outstanding_pages).toBe(0);
    expect(claim(hv, d, 1024)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(512);
  });

  test.each(versions)('on %s pages <= tot_pages or > max_pages answer -EINVAL; pages == max_pages fits', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1024);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 100, 0)).rc).toBe(100);
    expect(claim(hv, d, 99)).toBe(-EINVAL);
    expect(claim(hv, d, 100)).toBe(-EINVAL);
    expect(claim(hv, d, 1025)).toBe(-EINVAL);
    expect(claim(hv, d, 1024)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(924);
  });

  test.each(versions)('on %s a fresh domain (max_pages 0) cannot claim anything', (v) => {
    const hv = boot(v);
    const r = hv.hypercall(0, 'XEN_DOMCTL_createdomain', {});
    expect(claim(hv, r.domid as number, 1)).toBe(-EINVAL);
  });

  test.each(versions)('on %s rule 3 (-EINVAL) comes before the memory check (-ENOMEM)', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(claim(hv, d, 1_000_000)).toBe(-EINVAL);
    const big = createDomain(hv, 2_000_000);
    expect(claim(hv, big, 1_000_000)).toBe(-ENOMEM);
  });

  test.each(versions)('on %s a claim of exactly the unclaimed free memory fits and one page more is -ENOMEM', (v) => {
    const hv = boot(v);
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    const free = availPages(hv); // total_avail_pages (4.3: MFN 1 of MEMZONE_XEN too)
    expect(claim(hv, a, 1000)).toBe(0);
    expect(claim(hv, b, free - 1000 + 1)).toBe(-ENOMEM);
    expect(info(hv, b).outstanding_pages).toBe(0);
    expect(claim(hv, b, free - 1000)).toBe(0);
    expect(outstanding(hv)).toBe(free);
  });

  // domain_set_outstanding_pages: avail_pages = total_avail_pages - outstanding_claims is 0 once
  // every free page is claimed (no wrap at exactly 0), so `claim > avail_pages` refuses even 1 page.
  test.each(versions)('on %s once every free page is claimed, a claim of one page more is -ENOMEM', (v) => {
    const hv = boot(v);
    const a = createDomain(hv, 1 << 20);
    const b = createDomain(hv, 1 << 20);
    expect(claim(hv, a, availPages(hv))).toBe(0);
    expect(outstanding(hv)).toBe(availPages(hv));
    expect(claim(hv, b, 1)).toBe(-ENOMEM);
    expect(info(hv, b).outstanding_pages).toBe(0);
    expect(claim(hv, a, 0)).toBe(0);
    expect(claim(hv, b, 1)).toBe(0);
  });

  test.each(versions)('on %s the claim is an absolute target: the stored claim is pages - tot_pages', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 300, 0)).rc).toBe(300);
    expect(claim(hv, d, 1000)).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(700);
    expect(outstanding(hv)).toBe(700);
  });

  test.each(versions)('on %s the memory check uses pages - tot_pages, so a domain can claim past free memory by what it owns', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1 << 20);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1000, 0)).rc).toBe(1000);
    const free = availPages(hv);
    expect(claim(hv, d, free + 1000)).toBe(0);
    expect(claim(hv, d, 0)).toBe(0);
    expect(claim(hv, d, free + 1001)).toBe(-ENOMEM);
  });

  test.each(versions)('on %s lowering max_pages later does not shrink the claim', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(claim(hv, d, 2000)).toBe(0);
    expect(hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 4 * 100 }).rc).toBe(0);
    expect(info(hv, d).outstanding_pages).toBe(2000);
    expect(outstanding(hv)).toBe(2000);
  });
});

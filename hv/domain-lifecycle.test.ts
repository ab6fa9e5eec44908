// Domain lifecycle and the claim read paths: createdomain, max_mem, destroydomain (domain_kill,
// relinquish, complete_domain_destroy), getdomaininfo, physinfo; and Xen's own claim regression
// test (tools/tests/mem-claim, 4.22) as a test per version.

import { describe, expect, test } from 'vitest';
import { EEXIST, EINVAL, EPERM, ESRCH, Hypervisor, XEN_DOMINF, XEN_VERSIONS, type XenVersion } from './index.ts';
import { createDomain, finishChecked, freePages, hypercallChecked, info, MIB, outstanding, populateArgs, stepChecked } from '../prop-tests/drive.ts';

const versions = XEN_VERSIONS.map((v) => [v] as const);
const boot = (xen: XenVersion, memoryMiB = 16): Hypervisor => new Hypervisor({ memoryMiB, xen });
const create = (hv: Hypervisor, args: object = {}, caller = 0) => hypercallChecked(hv, caller, 'XEN_DOMCTL_createdomain', args);
const destroy = (hv: Hypervisor, domid: number, caller = 0) => hypercallChecked(hv, caller, 'XEN_DOMCTL_destroydomain', { domid });

describe("Xen's mem-claim regression test (tools/tests/mem-claim, f34c965281)", () => {
  test.each(versions)('on %s: claim 4 MiB, populate one 2 MiB extent, 2 MiB still claimed, destroy, nothing claimed', (v) => {
    const hv = boot(v, 64);
    expect(outstanding(hv)).toBe(0); // quiescent host
    const d = createDomain(hv, 4 * MIB);
    expect(hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: 4 * MIB }).rc).toBe(0);
    expect(outstanding(hv)).toBe(1024);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9)).rc).toBe(1);
    expect(info(hv, d).outstanding_pages).toBe(512);
    expect(outstanding(hv)).toBe(512);
    expect(destroy(hv, d).rc).toBe(0);
    expect(outstanding(hv)).toBe(0);
  });
});

describe('XEN_DOMCTL_createdomain', () => {
  test.each(versions)('on %s domids come from a rover: 1, 2, 3, and a destroyed id is not reused at once', (v) => {
    const hv = boot(v);
    expect([create(hv).domid, create(hv).domid, create(hv).domid]).toEqual([1, 2, 3]);
    expect(destroy(hv, 2).rc).toBe(0);
    expect(create(hv).domid).toBe(4);
  });

  // domctl.c XEN_DOMCTL_createdomain: !is_free_domid → -EINVAL (4.3, 4.13); domid.c domid_alloc
  // → DOMID_INVALID → -EEXIST (2d50650607, 4.21). More per version: domctl-versions.test.ts.
  test.each(versions)('on %s a requested domid is used; asking for a live one is refused; the rover skips taken ids', (v) => {
    const hv = boot(v);
    expect(create(hv, { domid: 2 })).toEqual({ rc: 0, domid: 2 });
    expect(create(hv, { domid: 2 }).rc).toBe(v === '4.3' || v === '4.13' ? -EINVAL : -EEXIST);
    expect(create(hv).domid).toBe(1);
    expect(create(hv).domid).toBe(3);
  });

  test.each(versions)('on %s a guest cannot create domains (-EPERM)', (v) => {
    const hv = boot(v);
    const guest = createDomain(hv, 10);
    expect(create(hv, {}, guest).rc).toBe(-EPERM);
    expect(hv.domains.size).toBe(2);
  });

  test.each(versions)('on %s a new domain has no pages, max_pages 0 and no claim', (v) => {
    const hv = boot(v);
    const d = create(hv).domid as number;
    expect(info(hv, d)).toMatchObject({ tot_pages: 0, max_pages: 0, outstanding_pages: 0 });
  });
});

describe('XEN_DOMCTL_max_mem', () => {
  test.each(versions)('on %s max_memkb is stored as pages (kb / 4, rounded down) and may go below tot_pages', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 50, 0)).rc).toBe(50);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 4 * 10 + 3 }).rc).toBe(0);
    expect(info(hv, d)).toMatchObject({ tot_pages: 50, max_pages: 10 });
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0, 100)).rc).toBe(0);
  });

  test.each(versions)('on %s max_mem of an unknown domain is -ESRCH and of a guest caller -EPERM', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 100);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: 42, max_memkb: 4 }).rc).toBe(-ESRCH);
    expect(hypercallChecked(hv, d, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 4000 }).rc).toBe(-EPERM);
    expect(info(hv, d).max_pages).toBe(100);
  });
});

describe('XEN_DOMCTL_destroydomain', () => {
  test.each(versions)('on %s the claim is cancelled in the first section, before any page is freed', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: 2000 }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 100, 0)).rc).toBe(100);
    const call = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
    expect(stepChecked(hv, call)).toBe('domain_kill');
    expect(outstanding(hv)).toBe(0);
    const i = info(hv, d);
    expect(i.outstanding_pages).toBe(0);
    expect(i.tot_pages).toBe(100);
    expect((hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: d }).flags as number) & XEN_DOMINF.dying).toBe(XEN_DOMINF.dying);
    expect(finishChecked(hv, call).rc).toBe(0);
  });

  test.each(versions)('on %s destruction frees every page and removes the domain', (v) => {
    const hv = boot(v);
    const before = freePages(hv);
    const d = createDomain(hv, 2048);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 3, 9)).rc).toBe(3);
    expect(hypercallChecked(hv, 0, 'XEN_DOMCTL_set_paging_mempool_size', { domid: d, size: 8 * 4096 }).rc).toBe(0);
    expect(freePages(hv)).toBe(before - 3 * 512 - 8);
    expect(destroy(hv, d).rc).toBe(0);
    expect(freePages(hv)).toBe(before);
    expect(hv.domain(d)).toBeUndefined();
    expect(hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: d }).rc).toBe(-ESRCH);
  });

  test.each(versions)('on %s a big domain is relinquished in several preemptible batches', (v) => {
    const hv = new Hypervisor({ memoryMiB: 64, xen: v, costs: { relinquishBatchPages: 1000 } });
    const d = createDomain(hv, 1 << 20);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 8, 9)).rc).toBe(8);
    const call = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
    const labels: string[] = [];
    while (!call.done) labels.push(stepChecked(hv, call));
    expect(labels.filter((l) => l === 'relinquish_memory').length).toBe(5);
    expect(hv.domain(d)).toBeUndefined();
  });

  test.each(versions)('on %s a domain cannot destroy itself (-EINVAL); an unknown domain is -ESRCH', (v) => {
    const hv = boot(v);
    expect(destroy(hv, 0).rc).toBe(-EINVAL);
    expect(destroy(hv, 9).rc).toBe(-ESRCH);
    expect(hv.domain(0)).toBeDefined();
  });

  test.each(versions)('on %s a guest cannot destroy another domain (-EPERM)', (v) => {
    const hv = boot(v);
    const a = createDomain(hv, 10);
    const b = createDomain(hv, 10);
    expect(destroy(hv, b, a).rc).toBe(-EPERM);
    expect(hv.domain(b)).toBeDefined();
  });
});

describe('XEN_DOMCTL_getdomaininfo and XEN_SYSCTL_physinfo (§4)', () => {
  // domctl.c XEN_DOMCTL_getdomaininfo: `for_each_domain ( d ) if ( d->domain_id >= dom )` up to
  // 4.17; removed by 31c6554974 (4.18): exact id or -ESRCH.
  test.each(versions)('on %s getdomaininfo answers for the first domain whose id is >= the one asked (to 4.17) or the exact one', (v) => {
    const hv = boot(v);
    create(hv, { domid: 5 });
    create(hv, { domid: 9 });
    const search = v === '4.3' || v === '4.13';
    expect(hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: 1 })).toMatchObject(search ? { rc: 0, domid: 5 } : { rc: -ESRCH });
    expect(hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: 6 })).toMatchObject(search ? { rc: 0, domid: 9 } : { rc: -ESRCH });
    expect(hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: 9 })).toMatchObject({ rc: 0, domid: 9 });
    expect(hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: 10 }).rc).toBe(-ESRCH);
  });

  test.each(versions)('on %s getdomaininfo reports tot_pages, max_pages and outstanding_pages', (v) => {
    const hv = boot(v);
    const d = createDomain(hv, 1000);
    hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: d, nr_extents: 900 });
    hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 40, 0));
    expect(info(hv, d)).toMatchObject({ tot_pages: 40, max_pages: 1000, outstanding_pages: 860 });
  });

  test.each(versions)('on %s physinfo: total, free not minus claims, scrub 0, outstanding = Σ claims', (v) => {
    const hv = boot(v);
    const a = createDomain(hv, 1000);
    const b = createDomain(hv, 1000);
    const p0 = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {});
    // 4.3: MFN 1, MEMZONE_XEN's frame (fls(mfn) - 1 = 0), is not in the heap (x86 Xen keeps the
    // first MiB out of it): neither free nor counted in total_avail_pages.
    const xenZone = v === '4.3' ? 1 : 0;
    expect(p0).toMatchObject({ rc: 0, total_pages: 16 * MIB, free_pages: 16 * MIB - 1 - 2 * MIB - xenZone, scrub_pages: 0, outstanding_pages: 0 });
    hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: a, nr_extents: 300 });
    hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: b, nr_extents: 200 });
    hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(b, 50, 0));
    const p1 = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {});
    expect(p1.free_pages).toBe((p0.free_pages as number) - 50);
    expect(p1.outstanding_pages).toBe(300 + 150);
    expect(p1.free_pages).toBe(hv.heap.totalAvailPages);
  });

  test.each(versions)('on %s physinfo is one section: free and outstanding are read together', (v) => {
    const hv = boot(v);
    const call = hv.begin(0, 'XEN_SYSCTL_physinfo', {});
    expect(stepChecked(hv, call)).toBe('physinfo');
    stepChecked(hv, call);
    expect(call.done).toBe(true);
  });
});

describe('Call.id', () => {
  test('numbers calls in the order their first section ran, not the order they were begun (arrival order is thread timing)', () => {
    const hv = new Hypervisor({ memoryMiB: 16, xen: '4.22', dom0MiB: 4 });
    const first = hv.begin(0, 'XEN_SYSCTL_physinfo', {});
    const second = hv.begin(0, 'XEN_SYSCTL_physinfo', {});
    expect([first.id, second.id]).toEqual([0, 0]);
    stepChecked(hv, second);
    stepChecked(hv, first);
    expect(second.id).toBeGreaterThan(0);
    expect(first.id).toBe(second.id + 1);
    stepChecked(hv, first);
    expect(first.id).toBe(second.id + 1); // later sections keep it
  });
});

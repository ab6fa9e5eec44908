// libxenctrl's memory wrappers as libxenguest sees them (tools/libs/ctrl/xc_domain.c at
// RELEASE-4.22.0): xc_domain_claim_pages, xc_domain_populate_physmap(_exact) return 0 or the
// extents done, or -1 with errno; _exact turns a short count into -1 with errno EBUSY.

import { describe, expect, it } from 'vitest';
import { EBUSY, EINVAL, ENOMEM, EPERM } from '../../hv/errno.ts';
import { toolstackBugs } from '../bugs.ts';
import { DirectPort } from '../test-support/direct-port.ts';
import { gpfnList, Xc } from './xc.ts';

function setup() {
  const port = new DirectPort({ memoryMiB: 256, xen: '4.22', dom0MiB: 64 });
  const domid = port.hv.hypercall(0, 'XEN_DOMCTL_createdomain', { name: 'x' }).domid as number;
  port.hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: 64 * 1024 });
  return { port, domid, xc: new Xc(port, toolstackBugs('4.22'), []) };
}

describe('xc_domain_claim_pages / xc_domain_claim_memory', () => {
  it('a refused claim is -1 with errno, a granted one 0', async () => {
    const { xc, domid } = setup();
    expect(await xc.claimPages(domid, 1 << 30)).toBe(-1);
    expect(xc.errno).toBe(EINVAL); // above max_pages
    expect(await xc.claimPages(domid, 1024)).toBe(0);
    expect(xc.claims).toEqual([{ pages: 1 << 30, rc: -EINVAL }, { pages: 1024, rc: 0 }]);
  });

  it('a refused claim set is -1 with errno', async () => {
    const { xc, port, domid } = setup();
    port.intercept = (op) => (op === 'XEN_DOMCTL_claim_memory' ? { rc: -ENOMEM } : undefined);
    expect(await xc.claimMemory(domid, [{ pages: 10, node: 0 }])).toBe(-1);
    expect(xc.errno).toBe(ENOMEM);
  });
});

describe('xc_domain_populate_physmap(_exact)', () => {
  it('returns the extents done and counts the pages per extent size', async () => {
    const { xc, domid } = setup();
    expect(await xc.populatePhysmap(domid, 2, 9, 0, gpfnList(0, 2, 512))).toBe(2);
    expect(await xc.populatePhysmap(domid, 3, 0, 0, gpfnList(1024, 3))).toBe(3);
    expect(xc.stats).toEqual({ pages4k: 3, pages2m: 1024, pages1g: 0 });
  });

  it('an errno from Xen is -1 with errno set, and counts nothing', async () => {
    const { xc, port, domid } = setup();
    port.intercept = (op) => (op === 'XENMEM_populate_physmap' ? { rc: -EPERM } : undefined);
    expect(await xc.populatePhysmap(domid, 1, 9, 0, [0])).toBe(-1);
    expect(xc.errno).toBe(EPERM);
    expect(xc.stats).toEqual({ pages4k: 0, pages2m: 0, pages1g: 0 });
  });

  it('_exact: all done is 0; a short count, even of none, is -1 with EBUSY; an errno keeps its errno', async () => {
    const { xc, port, domid } = setup();
    expect(await xc.populatePhysmapExact(domid, 2, 0, 0, [0, 1])).toBe(0);
    expect(xc.errno).toBe(0);
    port.intercept = (op) => (op === 'XENMEM_populate_physmap' ? { rc: 0 } : undefined);
    expect(await xc.populatePhysmapExact(domid, 2, 0, 0, [2, 3])).toBe(-1);
    expect(xc.errno).toBe(EBUSY);
    port.intercept = (op) => (op === 'XENMEM_populate_physmap' ? { rc: -EPERM } : undefined);
    expect(await xc.populatePhysmapExact(domid, 2, 0, 0, [2, 3])).toBe(-1);
    expect(xc.errno).toBe(EPERM);
  });
});

describe('gpfnList', () => {
  it('is exactly n gpfns from start in steps', () => {
    expect(gpfnList(5, 3, 2)).toEqual([5, 7, 9]);
    expect(gpfnList(0, 0)).toEqual([]);
    expect(gpfnList(7, 2)).toEqual([7, 8]);
  });
});

import { describe, expect, it } from 'vitest';
import { EEMPTY, ENOMEM, EPERM } from '../../hv/errno.ts';
import { DOMID_SELF } from '../../hv/ops.ts';
import { tmemNewPoolFlags, TMEM_POOL } from '../tmem-client.ts';
import { FakeXen } from './fake-xen.ts';

const res = (extent_start: number[]) => ({ domid: DOMID_SELF, nr_extents: extent_start.length, extent_order: 0, extent_start });

describe('FakeXen (test helper)', () => {
  it('populate stops at max_pages and decrease returns pages to the free pool', async () => {
    const x = new FakeXen(100);
    x.createDomain(1, 10, 12);
    const p = x.port(1);
    expect((await p.hypercall('XENMEM_populate_physmap', res([10, 11, 12, 13]))).rc).toBe(2);
    expect(x.totPages(1)).toBe(12);
    expect((await p.hypercall('XENMEM_decrease_reservation', res([0, 1]))).rc).toBe(2);
    expect(x.freePages).toBe(90);
    expect(x.accountedPages()).toBe(100);
  });

  it('records a decrease of a gfn the domain does not hold', async () => {
    const x = new FakeXen(100);
    x.createDomain(1, 10, 20);
    expect((await x.port(1).hypercall('XENMEM_decrease_reservation', res([50]))).rc).toBe(0);
    expect(x.violations).toHaveLength(1);
  });

  it('tmem: bad flags -EPERM; ephemeral get is destructive; persistent pages count in tot_pages', async () => {
    const x = new FakeXen(14);
    x.createDomain(1, 10, 11);
    const p = x.port(1);
    expect((await p.hypercall('TMEM_NEW_POOL', { flags: 0 })).rc).toBe(-EPERM);
    const eph = (await p.hypercall('TMEM_NEW_POOL', { flags: tmemNewPoolFlags(0) })).rc;
    const per = (await p.hypercall('TMEM_NEW_POOL', { flags: tmemNewPoolFlags(TMEM_POOL.PERSIST) })).rc;
    expect([eph, per]).toEqual([0, 1]);
    const page = { oid: [1, 0, 0] as [number, number, number], index: 3, cmfn: 0 };
    expect((await p.hypercall('TMEM_GET_PAGE', { pool_id: eph, ...page })).rc).toBe(-EEMPTY);
    expect((await p.hypercall('TMEM_PUT_PAGE', { pool_id: eph, ...page })).rc).toBe(1);
    expect((await p.hypercall('TMEM_GET_PAGE', { pool_id: eph, ...page })).rc).toBe(1);
    expect(x.ephemeralPages()).toBe(0);
    expect((await p.hypercall('TMEM_PUT_PAGE', { pool_id: per, ...page })).rc).toBe(1);
    expect(x.totPages(1)).toBe(11);
    expect((await p.hypercall('TMEM_PUT_PAGE', { pool_id: per, ...page, index: 4 })).rc).toBe(-ENOMEM);
    expect((await p.hypercall('TMEM_GET_PAGE', { pool_id: per, ...page })).rc).toBe(1);
    expect((await p.hypercall('TMEM_FLUSH_PAGE', { pool_id: per, ...page })).rc).toBe(1);
    expect(x.totPages(1)).toBe(10);
    expect(x.accountedPages()).toBe(14);
  });

  it('populate evicts the oldest ephemeral page when the host is full', async () => {
    const x = new FakeXen(11);
    x.createDomain(1, 10, 20);
    const p = x.port(1);
    const eph = (await p.hypercall('TMEM_NEW_POOL', { flags: tmemNewPoolFlags(0) })).rc;
    await p.hypercall('TMEM_PUT_PAGE', { pool_id: eph, oid: [1, 0, 0], index: 0, cmfn: 0 });
    expect(x.freePages).toBe(0);
    expect((await p.hypercall('XENMEM_populate_physmap', res([10]))).rc).toBe(1);
    expect(x.ephemeralPages()).toBe(0);
    expect(x.accountedPages()).toBe(11);
  });
});

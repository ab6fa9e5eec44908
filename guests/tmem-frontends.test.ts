import { describe, expect, it } from 'vitest';
import { Cleancache } from './cleancache.ts';
import { Frontswap, frontswapIndex, frontswapOid } from './frontswap.ts';
import { TMEM_POOL, tmemNewPoolFlags } from './tmem-client.ts';
import { FakeXen } from './test-support/fake-xen.ts';

function setup(maxPages = 200) {
  const xen = new FakeXen(1_000);
  xen.createDomain(1, 100, maxPages);
  return { xen, port: xen.port(1) };
}

describe('tmem client flags (Linux tmem.c xen_tmem_new_pool)', () => {
  it('carries page size 4 KiB (0 in bits 4..7) and spec version 1 in bits 24..31', () => {
    expect(tmemNewPoolFlags(0)).toBe(0x0100_0000);
    expect(tmemNewPoolFlags(TMEM_POOL.PERSIST)).toBe(0x0100_0001);
    expect(tmemNewPoolFlags(TMEM_POOL.SHARED)).toBe(0x0100_0002);
  });
});

describe('cleancache', () => {
  it('creates a private ephemeral pool; put then get hits once (destructive), flush clears', async () => {
    const { xen, port } = setup();
    const cc = new Cleancache(port);
    expect(await cc.initFs()).toBe(0);
    expect(xen.calls[0].args).toMatchObject({ flags: 0x0100_0000 });
    const key = { inode: 7, index: 3 };
    await cc.putPage(key, 10);
    expect(await cc.getPage(key, 11)).toBe(true);
    expect(await cc.getPage(key, 11)).toBe(false);
    await cc.putPage(key, 12);
    await cc.invalidatePage(key);
    expect(await cc.getPage(key, 13)).toBe(false);
    expect(cc.stats).toEqual({ succGets: 1, failedGets: 2, puts: 2, invalidates: 1 });
    expect(xen.calls.find((c) => c.op === 'TMEM_PUT_PAGE')?.args).toMatchObject({ pool_id: 0, oid: [7, 0, 0], index: 3, cmfn: 10 });
  });

  it('does nothing when the pool could not be created', async () => {
    const { xen, port } = setup();
    const cc = new Cleancache(port);
    await cc.putPage({ inode: 1, index: 1 }, 1);
    expect(xen.calls).toEqual([]);
  });
});

describe('frontswap', () => {
  it('swizzles the swap offset into oid (low 4 bits) and index (the rest)', () => {
    expect(frontswapOid(37)).toEqual([5, 0, 0]);
    expect(frontswapIndex(37)).toBe(2);
  });

  it('store into the persistent pool counts; a refused store goes to disk (false)', async () => {
    const { xen, port } = setup(101);
    const fs = new Frontswap(port);
    expect(await fs.init()).toBe(0);
    expect(xen.calls[0].args).toMatchObject({ flags: 0x0100_0001 });
    expect(await fs.store(1, 50)).toBe(true);
    // Persistent pages count against max_pages (101 = 100 populated + 1 stored).
    expect(await fs.store(2, 51)).toBe(false);
    expect(fs.currPages()).toBe(1);
    expect(await fs.load(1, 60)).toBe(true);
    expect(fs.currPages()).toBe(1);
    await fs.invalidate(1);
    expect(fs.currPages()).toBe(0);
    expect(xen.totPages(1)).toBe(100);
  });

  it('frontswap_shrink picks the lowest offsets down to the target', async () => {
    const { port } = setup();
    const fs = new Frontswap(port);
    await fs.init();
    for (const off of [9, 3, 7, 1]) await fs.store(off, off);
    expect(fs.slotsToUnuse(1)).toEqual([1, 3, 7]);
    expect(fs.slotsToUnuse(4)).toEqual([]);
  });
});

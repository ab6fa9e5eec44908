// tmem's memory side on a 4.3 host: freeable accounting, tmem's free list, eviction order
// (global LRU, shared gets, client weights), relinquish for the allocator, the 1 MiB reserve
// before puts, domain death, and the claim holes of bug B11. Invariants are checked after every
// section of every hypercall.

import { describe, expect, test } from 'vitest';
import { ENOMEM, type HvEvent } from './index.ts';
import { CLI_ID_NULL, TMEMC } from './tmem.ts';
import {
  EPHEMERAL, PERSISTENT, SHARED_EPHEMERAL, checkAll, control, createDomain, guest, populateArgs, putMany, rc, tmemHost, tmemOps,
} from './tmem/test-support.ts';

const O: [number, number, number] = [7, 0, 0];

describe('freeable accounting', () => {
  test('an ephemeral put moves a page from the heap to freeable: AVAIL for claims is unchanged', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    t.newPool(EPHEMERAL);
    const [free, avail] = [hv.heap.totalAvailPages, hv.heap.availForClaims()];
    for (let i = 0; i < 10; i++) expect(t.put(0, O, i, 1)).toBe(1);
    expect(hv.heap.totalAvailPages).toBe(free - 10);
    expect(hv.tmem!.freeablePages()).toBe(10);
    expect(hv.heap.availForClaims()).toBe(avail);
    // Flushed pages stay with tmem, on its free list: still freeable, still not on the heap.
    expect(t.flush(0, O, 0)).toBe(1);
    expect(hv.tmem!.pageList.length).toBe(1);
    expect(hv.tmem!.freeablePageCount).toBe(9);
    expect(hv.heap.totalAvailPages).toBe(free - 10);
    // The next put takes its frame off the free list, not the heap.
    expect(t.put(0, O, 10, 1)).toBe(1);
    expect(hv.tmem!.pageList.length).toBe(0);
    expect(hv.heap.totalAvailPages).toBe(free - 10);
  });

  test('TMEMC_FLUSH: evicts oldest-first until N KiB sit on the free list, then returns the whole list to the heap', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    t.newPool(EPHEMERAL);
    for (let i = 0; i < 6; i++) expect(t.put(0, O, i, 1)).toBe(1);
    expect(t.flush(0, O, 5)).toBe(1); // one page already on the free list
    const free = hv.heap.totalAvailPages;
    expect(control(hv, TMEMC.FLUSH, { cli_id: CLI_ID_NULL, arg1: 9 }).rc).toBe(12); // 9 KiB → 3 pages
    expect(hv.heap.totalAvailPages).toBe(free + 3);
    expect(hv.tmem!.freeablePages()).toBe(3);
    expect([0, 1, 2, 3, 4].map((i) => t.get(0, O, i, 2))).toEqual([0, 0, 1, 1, 1]);
    expect(hv.tmem!.stats.evictedPgs).toBe(2);
  });

  test('persistent pages are not freeable; their frames come from the free list first (donated)', () => {
    const hv = tmemHost();
    const d = guest(hv, 100, 8);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    t.newPool(PERSISTENT);
    expect(t.put(0, O, 0, 1)).toBe(1);
    expect(t.flush(0, O, 0)).toBe(1);
    const listed = hv.tmem!.pageList[0];
    const free = hv.heap.totalAvailPages;
    expect(t.put(1, O, 0, 1)).toBe(1);
    expect(hv.heap.ownerOf(listed)).toBe(d);
    expect(hv.heap.totalAvailPages).toBe(free);
    expect(hv.tmem!.freeablePages()).toBe(0);
    expect(hv.domain(d)!.totPages).toBe(9);
  });
});

describe('eviction', () => {
  test('the global LRU evicts the oldest page first; a shared get moves its page to the tail', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    expect(t1.newPool(SHARED_EPHEMERAL, [5, 5])).toBe(0);
    expect(t2.newPool(EPHEMERAL)).toBe(0);
    expect(t1.put(0, O, 0, 1)).toBe(1);
    expect(t2.put(0, O, 0, 1)).toBe(1);
    expect(t1.put(0, O, 1, 1)).toBe(1);
    expect(t1.get(0, O, 0, 2)).toBe(1); // shared: not destructive, now most recently used
    expect(control(hv, TMEMC.FLUSH, { arg1: 4 }).rc).toBe(4);
    expect(t2.get(0, O, 0, 2)).toBe(-1001 /* -EEMPTY: d2's page was the oldest */);
    expect(control(hv, TMEMC.FLUSH, { arg1: 4 }).rc).toBe(4);
    expect(t1.get(0, O, 1, 2)).toBe(0);
    expect(t1.get(0, O, 0, 2)).toBe(1);
  });

  test('client_over_quota as 4.3 writes it: true when the client holds less than its weight share', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    t1.newPool(EPHEMERAL);
    t2.newPool(EPHEMERAL);
    expect(t1.put(0, O, 0, 1)).toBe(1); // d1's single page is the oldest
    for (let i = 0; i < 9; i++) expect(t2.put(0, O, i, 1)).toBe(1);
    const tmem = hv.tmem!;
    const c1 = tmem.clients.get(d1)!;
    const c2 = tmem.clients.get(d2)!;
    expect(tmem.clientOverQuota(c1)).toBe(false); // weight 0: never
    expect(control(hv, TMEMC.SET_WEIGHT, { arg1: 1 }).rc).toBe(0);
    // d1 holds 1 of 10 pages for half the weight: 1000 > 200 → "over quota".
    expect(tmem.clientOverQuota(c1)).toBe(true);
    expect(tmem.clientOverQuota(c2)).toBe(false);
    // Evicting on d2's behalf takes the global head (d1's page)…
    tmem.current = c2;
    expect(tmem.evict()).toBe(true);
    expect(c1.ephemeralPageList.size).toBe(0);
    expect(t1.put(0, O, 1, 1)).toBe(1);
    // …on d1's behalf, d1's own list, although d2's pages are older.
    tmem.current = c1;
    expect(tmem.evict()).toBe(true);
    tmem.current = null;
    expect(c1.ephemeralPageList.size).toBe(0);
    expect(c2.ephemeralPageList.size).toBe(9);
    checkAll(hv);
  });

  test('relinquish (the allocator detour): order > 0 refused; order 0 from the free list, else by evicting', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    const tmem = hv.tmem!;
    expect(tmem.relinquishPages(0, 0)).toBe(-1); // nothing freeable
    t.newPool(EPHEMERAL);
    for (let i = 0; i < 3; i++) expect(t.put(0, O, i, 1)).toBe(1);
    expect(tmem.relinquishPages(9, 0)).toBe(-1);
    const anon = hv.heap.anonPages;
    const mfn = tmem.relinquishPages(0, 0);
    expect(mfn).toBeGreaterThan(0);
    expect(t.get(0, O, 0, 2)).toBe(0); // evicted: the oldest
    expect(tmem.freeablePages()).toBe(2);
    // The frame is the caller's now (still anonymous, as alloc_heap_pages hands it out).
    expect(hv.heap.anonPages).toBe(anon);
    hv.heap.freeHeapPages(mfn, 0);
    checkAll(hv);
  });
});

describe('memory pressure', () => {
  test('puts keep >= 1 MiB free by evicting: tmem fills the host but never the last MiB', () => {
    const hv = tmemHost(16, 2);
    const d = guest(hv, 4096, 4);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    const total = hv.heap.totalAvailPages;
    expect(putMany(hv, d, 0, total + 100)).toBe(total + 100);
    expect(hv.tmem!.stats.evictedPgs).toBeGreaterThan(0);
    const m = hv.heap.midsizeAllocZonePages;
    expect(hv.tmem!.pageList.length + hv.heap.totalAvailPages - m).toBeGreaterThanOrEqual(255);
    expect(hv.tmem!.freeablePages() + hv.heap.totalAvailPages).toBe(total);
  });

  test('without anything evictable an ephemeral put is refused once the heap is empty: -ENOMEM', () => {
    const hv = tmemHost(16, 2);
    const d = guest(hv, 8192, 4);
    const free = hv.heap.totalAvailPages;
    const big = createDomain(hv, free);
    // Every free frame (4.3's MEMZONE_XEN frame, MFN 1, is not in the heap).
    expect(hv.hypercall(0, 'XENMEM_populate_physmap', populateArgs(big, free, 0)).rc).toBe(free);
    checkAll(hv);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    expect(t.put(0, O, 0, 1)).toBe(-ENOMEM);
  });
});

describe('domain death', () => {
  test('destroydomain flushes the client: persistent pages leave tot_pages, ephemeral ones go to the free list', () => {
    const hv = tmemHost();
    const d = guest(hv, 200, 8);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    t.newPool(PERSISTENT);
    for (let i = 0; i < 5; i++) expect(t.put(0, O, i, 1)).toBe(1);
    for (let i = 0; i < 7; i++) expect(t.put(1, O, i, 2)).toBe(1);
    expect(hv.domain(d)!.totPages).toBe(15);
    const free = hv.heap.totalAvailPages;
    const kill = hv.begin(0, 'XEN_DOMCTL_destroydomain', { domid: d });
    expect(hv.step(kill)).toBe('domain_kill');
    checkAll(hv);
    expect(hv.tmem!.clients.has(d)).toBe(false);
    expect(hv.tmem!.clientPages(d)).toBe(0);
    expect(hv.domain(d)!.totPages).toBe(8);
    expect(hv.tmem!.pageList.length).toBe(12);
    expect(hv.tmem!.freeablePageCount).toBe(0);
    while (!kill.done) {
      hv.step(kill);
      checkAll(hv);
    }
    expect(kill.result!.rc).toBe(0);
    expect(hv.domain(d)).toBeUndefined();
    expect(hv.heap.totalAvailPages).toBe(free + 8);
    // A new domain with the same id starts with a fresh client.
    const again = guest(hv, 200, 8);
    expect(tmemOps(hv, again).get(0, O, 0, 1)).toBe(-19 /* -ENODEV: no pool */);
  });

  test('a dying owner of a shared pool hands it to the next sharer', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    expect(t1.newPool(SHARED_EPHEMERAL, [9, 9])).toBe(0);
    expect(t2.newPool(SHARED_EPHEMERAL, [9, 9])).toBe(0);
    expect(t2.put(0, O, 0, 1)).toBe(1);
    expect(t1.put(0, O, 1, 1)).toBe(1);
    expect(t2.put(0, [1, 1, 1], 0, 1)).toBe(1);
    // A put records the pool's owner (d1) as last client, a get the caller: only d2's get saves it.
    expect(t2.put(0, [2, 2, 2], 0, 1)).toBe(1);
    expect(t2.get(0, [1, 1, 1], 0, 2)).toBe(1);
    expect(rc(hv, 0, 'XEN_DOMCTL_destroydomain', { domid: d1 })).toBe(0);
    expect(t2.get(0, [2, 2, 2], 0, 2)).toBe(0);
    expect(t2.get(0, [1, 1, 1], 0, 2)).toBe(1);
    expect(t2.get(0, O, 1, 2)).toBe(0); // d1 touched object O last: flushed with it
    expect(hv.tmem!.globalSharedPools[0]!.client.cliId).toBe(d2);
  });
});

describe('claims with tmem (4.3, bug B11)', () => {
  /** A host whose memory is mostly ephemeral tmem data, with the mid-size mark raised. */
  function filled() {
    const hv = tmemHost(16, 2);
    const d1 = guest(hv, 8192, 8);
    // One free raises midsize_alloc_zone_pages (free_heap_pages keeps its high-water mark).
    expect(rc(hv, d1, 'XENMEM_decrease_reservation', { domid: d1, nr_extents: 1, extent_order: 0, extent_start: [7] })).toBe(1);
    expect(hv.heap.midsizeAllocZonePages).toBeGreaterThan(0);
    const t = tmemOps(hv, d1);
    t.newPool(EPHEMERAL);
    t.newPool(PERSISTENT);
    putMany(hv, d1, 0, 4000);
    return { hv, d1, t };
  }

  test('a claim that fits only thanks to freeable pages succeeds; the claimer\'s order-0 allocations evict tmem pages; its 2 MiB ones fail', () => {
    const { hv } = filled();
    const events: HvEvent[] = [];
    hv.listeners.push((e) => events.push(e));
    const free = hv.heap.totalAvailPages;
    const freeable = hv.tmem!.freeablePages();
    expect(freeable).toBeGreaterThan(free);
    const pages = 2000;
    expect(pages).toBeGreaterThan(free);
    const d2 = createDomain(hv, pages);
    expect(rc(hv, 0, 'XENMEM_claim_pages', { domid: d2, nr_extents: pages })).toBe(0);
    expect(hv.domain(d2)!.outstandingPages).toBe(pages);
    // Order-0 population beyond the free heap: the tmem detour hands over evicted tmem frames.
    const evictedBefore = hv.tmem!.stats.evictedPgs;
    expect(rc(hv, 0, 'XENMEM_populate_physmap', populateArgs(d2, 600, 0), false)).toBe(600);
    expect(hv.tmem!.stats.relinqPgs).toBeGreaterThan(0);
    expect(hv.tmem!.stats.evictedPgs).toBeGreaterThan(evictedBefore);
    expect(hv.heap.totalAvailPages).toBeLessThanOrEqual(hv.heap.midsizeAllocZonePages);
    const left = hv.domain(d2)!.outstandingPages;
    expect(left).toBe(pages - 600);
    // The claim still "fits" (claimed <= AVAIL) and covers a 2 MiB extent, yet order 9 fails:
    // tmem_relinquish_pages refuses order > 0 and the detour never searches the buddy lists.
    expect(hv.heap.outstandingClaims).toBeLessThanOrEqual(hv.heap.availForClaims());
    expect(left).toBeGreaterThanOrEqual(512);
    expect(rc(hv, 0, 'XENMEM_populate_physmap', populateArgs(d2, 1, 9, 1024))).toBe(0);
    expect(events).toContainEqual({ kind: 'alloc_failed', domid: d2, order: 9, outstanding: left, reason: 'tmem' });
  });

  test('persistent pages donated from tmem\'s free list skip the claim gate and push claims above AVAIL', () => {
    const hv = tmemHost();
    const d1 = guest(hv, 8192, 8);
    const t = tmemOps(hv, d1);
    t.newPool(EPHEMERAL);
    t.newPool(PERSISTENT);
    for (let i = 0; i < 4; i++) expect(t.put(0, O, i, 1)).toBe(1);
    // Claim everything that is available: no unclaimed memory is left.
    const unclaimed = hv.heap.unclaimedAvail();
    const d2 = createDomain(hv, unclaimed);
    expect(rc(hv, 0, 'XENMEM_claim_pages', { domid: d2, nr_extents: unclaimed })).toBe(0);
    expect(hv.heap.outstandingClaims).toBe(hv.heap.availForClaims());
    // With tmem's free list empty, d1's puts go to the heap and the gate refuses them.
    expect(t.put(1, O, 0, 1)).toBe(-ENOMEM);
    expect(t.put(0, O, 9, 1)).toBe(-ENOMEM);
    // A flushed frame on the free list is donated to d1: no gate, AVAIL drops below the claims.
    expect(t.flush(0, O, 0)).toBe(1);
    expect(t.put(1, O, 0, 1)).toBe(1);
    expect(hv.domain(d1)!.totPages).toBe(9);
    expect(hv.heap.outstandingClaims).toBe(hv.heap.availForClaims() + 1);
    expect(hv.heap.unclaimedAvail()).toBeGreaterThan(2 ** 63); // the unsigned subtraction wraps
  });
});

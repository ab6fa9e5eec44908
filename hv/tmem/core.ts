// ≈ the memory side of xen/common/tmem.c + tmem_xen.h (4.3): tmem's page allocation (ephemeral
// pages anonymous from the heap, persistent pages charged to the client domain), its private free
// list (tmh_page_list), the global and per-client ephemeral LRU with weight-based eviction,
// tmem_relinquish_pages / tmem_relinquish_npages, and object/pool/client teardown.
// Leaves out: compression, dedup, metadata memory (radix-tree nodes, pgp/obj structs: xmalloc),
// save/restore, tmh_lock_all (the model is the default rwlock mode: an op's own object is the only
// one its evictions must skip — every section is atomic).

import { assert } from '../assert.ts';
import type { Domain } from '../domain.ts';
import { MEMF } from '../flags.ts';
import type { HypercallContext, TmemDomainHooks } from '../hypercall-context.ts';
import type { TmemHooks } from '../page-allocator.ts';
import {
  MAX_GLOBAL_SHARED_POOLS, PAGES_PER_MB, newClient,
  type Pgp, type TmemClient, type TmemObject, type TmemPool,
} from './defs.ts';

/** tmem_relinquish_pages: ephemeral pages it may evict to produce one free-list page. */
const MAX_EVICTS_PER_RELINQ = 10;
/** tmem_ensure_avail_pages: failed evictions tolerated (post-decremented from 10: 11 attempts). */
const ENSURE_AVAIL_FAILED_EVICTS = 10;
/** 2^64 as a double: what total_free_pages()'s `unsigned long` wraps around. */
const ULONG_WRAP = 2 ** 64;

/** Global statistics (tmemc_list's G= line). */
export interface TmemStats {
  totalTmemOps: number;
  erroredTmemOps: number;
  failedCopies: number;
  allocPageFailed: number;
  evictedPgs: number;
  evictAttempts: number;
  relinqPgs: number;
  relinqAttempts: number;
  maxEvictsPerRelinq: number;
  totalFlushPool: number;
}

/**
 * tmem's state. Written only by the hv worker, inside a tmem op's section, inside
 * alloc_heap_pages (relinquish) or inside domain_kill (destroyClient). Invariants between sections
 * (checkInvariants): freeablePageCount === Σ ephemeral pages === globalEphemeralPageList.size
 * === Σ client.ephemeralPageList.size; every free-list and ephemeral frame is OWNER_ANON (so in
 * heap.anonPages); every persistent frame is owned by a live-or-dying domain and counted in its
 * tot_pages; no object is empty; pool.pgpCount === Σ its objects' pages.
 */
export class Tmem implements TmemHooks, TmemDomainHooks {
  /** tmh_page_list: frames tmem freed, kept rather than returned to the heap; LIFO (page_list_add). */
  readonly pageList: number[] = [];
  /** freeable_page_count: heap frames holding ephemeral data. */
  freeablePageCount = 0;
  /** global_ephemeral_page_list, least recently used first; its size is global_eph_count. */
  readonly globalEphemeralPageList = new Set<Pgp>();
  globalEphCountMax = 0;
  /** domid → client (d->tmem). */
  readonly clients = new Map<number, TmemClient>();
  /** global_pool_list: every live pool. */
  readonly pools = new Set<TmemPool>();
  /** global_shared_pools[]. */
  readonly globalSharedPools: Array<TmemPool | null> = new Array<TmemPool | null>(MAX_GLOBAL_SHARED_POOLS).fill(null);
  /** global_shared_auth: TMEM_AUTH with CLI_ID_NULL lifts the per-client UUID check for everyone. */
  globalSharedAuth = false;
  /** client_weight_total: Σ weights set; 4.3 never subtracts a destroyed client's weight. */
  clientWeightTotal = 0;
  /** Boot option tmem_shared_auth (default off, as opt_tmem_shared_auth): read at client creation. */
  optSharedAuth = false;
  /** domid → frames of persistent pages charged to it (what invariants.ts asks clientPages for). */
  private readonly persistentByDomid = new Map<number, number>();
  /** The per-domain persistent counts, for hv/tmem/check.ts. @internal */
  get persistentCounts(): ReadonlyMap<number, number> {
    return this.persistentByDomid;
  }
  /**
   * Content tokens of frames written by a get (a frame never written holds its own mfn).
   * DIVERGENCE: guest memory has no contents in this emulator; this map is only what tmem copied.
   */
  private readonly frameContent = new Map<number, number>();
  /** The caller's client while a tmem op runs (tmh_client_from_current), else null. */
  current: TmemClient | null = null;
  /** The object the running op holds locked: evictions skip it (obj_spinlock trylock fails). */
  busyObj: TmemObject | null = null;
  readonly stats: TmemStats = {
    totalTmemOps: 0, erroredTmemOps: 0, failedCopies: 0, allocPageFailed: 0, evictedPgs: 0,
    evictAttempts: 0, relinqPgs: 0, relinqAttempts: 0, maxEvictsPerRelinq: 0, totalFlushPool: 0,
  };

  constructor(readonly hv: HypercallContext) {}

  // ---- the allocator seam ------------------------------------------------------------------

  /** tmh_freeable_pages(): free-list pages + heap frames holding ephemeral data. */
  freeablePages(): number {
    return this.pageList.length + this.freeablePageCount;
  }

  /**
   * tmem_relinquish_pages(order, memflags): one frame off tmem's free list, evicting up to 10
   * ephemeral pages to produce it; refuses every order > 0. The frame stays OWNER_ANON (it was
   * never on the heap, so total_avail_pages is untouched). @returns the mfn, or -1.
   */
  relinquishPages(order: number, _memflags: number): number {
    if (this.freeablePages() === 0) return -1;
    this.stats.relinqAttempts++;
    if (order > 0) return -1; // "tmem_relinquish_page: failing order=%d"
    let evicts = 0;
    let maxEvictions = MAX_EVICTS_PER_RELINQ;
    let mfn = this.pageList.pop();
    while (mfn === undefined) {
      if (maxEvictions-- <= 0 || !this.evict()) break;
      evicts++;
      mfn = this.pageList.pop();
    }
    this.stats.maxEvictsPerRelinq = Math.max(this.stats.maxEvictsPerRelinq, evicts);
    if (mfn === undefined) return -1;
    this.stats.relinqPgs++;
    this.hv.charge(this.hv.costs.pageScrubNs); // tmh_scrub_page
    return mfn;
  }

  /** Frames owned by `domid` that tmem holds (persistent pages charged to the client). */
  clientPages(domid: number): number {
    return this.persistentByDomid.get(domid) ?? 0;
  }

  /** tmem_destroy(d->tmem) from domain_kill: flushes and frees every pool of the client. */
  destroyClient(domid: number): void {
    const client = this.clients.get(domid);
    if (client === undefined) return;
    assert(this.hv.domains.get(domid)?.isDying !== 0, 'tmem_destroy can only destroy dying client');
    this.clientFlush(client, true);
  }

  /** Client of a live domain, created on first use (client_create). */
  clientFor(domid: number): TmemClient {
    let c = this.clients.get(domid);
    if (c === undefined) {
      c = newClient(domid, this.optSharedAuth);
      this.clients.set(domid, c);
    }
    return c;
  }

  /** tmh_client_from_cli_id: the client of an existing domain (dying included), or undefined. */
  clientFromCliId(cliId: number): TmemClient | undefined {
    return this.hv.domains.has(cliId) ? this.clients.get(cliId) : undefined;
  }

  // ---- frames ------------------------------------------------------------------------------

  /** The content token of a frame (what a put would copy from it). */
  contentOf(mfn: number): number {
    return this.frameContent.get(mfn) ?? mfn;
  }

  /** A get's copy into a guest frame. */
  writeContent(mfn: number, token: number): void {
    this.frameContent.set(mfn, token);
  }

  /**
   * tmem_page_alloc(pool): tmh_alloc_page for ephemeral pools (free list first, else the heap
   * anonymously with MEMF_tmem: the claim gate treats tmem as anybody), tmh_alloc_page_thispool
   * for persistent ones. @returns the mfn or -1.
   */
  pageAlloc(pool: TmemPool): number {
    const mfn = pool.persistent ? this.allocPageThispool(pool.client.cliId) : this.allocPageEphemeral();
    if (mfn < 0) this.stats.allocPageFailed++;
    return mfn;
  }

  private allocPageEphemeral(): number {
    let mfn = this.pageList.pop();
    if (mfn === undefined) {
      const r = this.hv.heap.allocHeapPages(0, MEMF.tmem, null);
      if (typeof r !== 'number') return -1;
      mfn = r;
    }
    this.freeablePageCount++;
    return mfn;
  }

  /**
   * _tmh_alloc_page_thispool(d): refused once tot_pages >= max_pages; a free-list page is donated
   * to d (donate_page: tot_pages + 1, claim consumed — but no claim gate: bug B11), else
   * alloc_domheap_pages(d, 0, MEMF_tmem) through the gate and assign_pages.
   */
  private allocPageThispool(domid: number): number {
    const d = this.hv.domains.get(domid);
    assert(d !== undefined, 'tmem: persistent pool of a vanished domain');
    if (d.totPages >= d.maxPages) return -1;
    const listed = this.pageList.pop();
    if (listed !== undefined) {
      if (this.donatePage(d, listed)) return listed;
      this.pageList.push(listed);
    }
    const mfn = this.hv.heap.allocHeapPages(0, MEMF.tmem, d);
    if (typeof mfn !== 'number') return -1;
    if (!this.hv.heap.assignPages(d, mfn, 0, MEMF.tmem)) {
      this.hv.heap.freeHeapPages(mfn, 0);
      return -1;
    }
    this.persistentByDomid.set(domid, this.clientPages(domid) + 1);
    return mfn;
  }

  /** donate_page(d, page, 0) (x86 mm.c): fails on a dying domain or at max_pages. */
  private donatePage(d: Domain, mfn: number): boolean {
    if (d.isDying !== 0 || d.totPages >= d.maxPages) return false;
    this.hv.heap.takeFrames(mfn, 1, d.domid);
    this.hv.heap.domainAdjustTotPages(d, 1);
    this.persistentByDomid.set(d.domid, this.clientPages(d.domid) + 1);
    return true;
  }

  /** tmem_page_free(pool, pfp): the frame goes to tmem's free list, not to the heap. */
  pageFree(pool: TmemPool, mfn: number): void {
    if (pool.persistent) {
      // _tmh_free_page_thispool: steal_page from its owner (tot_pages - 1; B2 re-grows a claim).
      const owner = this.hv.heap.ownerOf(mfn);
      const d = this.hv.domains.get(owner);
      assert(d !== undefined, () => `tmem: persistent frame ${mfn} owned by unknown ${owner}`);
      this.hv.heap.dropRange(mfn, 1, owner);
      this.hv.heap.domainAdjustTotPages(d, -1);
      const left = this.clientPages(owner) - 1;
      assert(left >= 0, 'tmem: persistent page count underflow');
      if (left === 0) this.persistentByDomid.delete(owner);
      else this.persistentByDomid.set(owner, left);
    } else {
      this.freeablePageCount--;
      assert(this.freeablePageCount >= 0, 'tmem: freeable_page_count underflow');
    }
    this.pageList.push(mfn);
  }

  /** tmh_release_avail_pages_to_host: every free-list page back to the heap (scrubbed). */
  releaseAvailPagesToHost(): void {
    for (let mfn = this.pageList.pop(); mfn !== undefined; mfn = this.pageList.pop()) {
      this.frameContent.delete(mfn);
      this.hv.charge(this.hv.costs.pageScrubNs);
      this.hv.heap.freeHeapPages(mfn, 0);
    }
  }

  // ---- LRU and eviction --------------------------------------------------------------------

  /** insert_page for an ephemeral pool: tail of the global list and of the owner's list. */
  listEphemeral(pgp: Pgp): void {
    const client = pgp.obj.pool.client;
    this.globalEphemeralPageList.add(pgp);
    this.globalEphCountMax = Math.max(this.globalEphCountMax, this.globalEphemeralPageList.size);
    client.ephemeralPageList.add(pgp);
    client.ephCountMax = Math.max(client.ephCountMax, client.ephemeralPageList.size);
  }

  /** A shared ephemeral get: the page moves to the tail of both lists. */
  touchEphemeral(pgp: Pgp): void {
    this.globalEphemeralPageList.delete(pgp);
    pgp.obj.pool.client.ephemeralPageList.delete(pgp);
    this.listEphemeral(pgp);
  }

  /**
   * client_over_quota, as 4.3 writes it: `global_eph_count*100 / eph_count > total*100 / weight`.
   * NOTE: these are the inverse shares, so it is true when the client holds *less* than its
   * weight share (the reference paraphrases the intent, "over its share"); reproduced as written.
   */
  clientOverQuota(client: TmemClient): boolean {
    const total = this.clientWeightTotal;
    const eph = client.ephemeralPageList.size;
    if (total === 0 || client.weight === 0 || eph === 0) return false;
    return Math.floor((this.globalEphemeralPageList.size * 100) / eph) > Math.floor((total * 100) / client.weight);
  }

  /**
   * tmem_evict(): from the current client's own list if it is "over quota", else from the global
   * list, oldest first, skipping pages of dying pools and of the object the running op holds.
   * The page's frame goes to the free list. @returns whether a page was evicted.
   */
  evict(): boolean {
    this.stats.evictAttempts++;
    const client = this.current;
    let list: Set<Pgp>;
    if (client !== null && this.clientOverQuota(client) && client.ephemeralPageList.size > 0) list = client.ephemeralPageList;
    else if (this.globalEphemeralPageList.size === 0) return false;
    else list = this.globalEphemeralPageList;
    for (const pgp of list) {
      if (pgp.obj.pool.isDying || pgp.obj === this.busyObj) continue; // tmem_try_to_evict_pgp
      this.pgpDeleteFromObj(pgp);
      this.stats.evictedPgs++;
      return true;
    }
    return false;
  }

  /**
   * tmem_ensure_avail_pages(): before a put, evict while tmh_free_mb() is 0, i.e. while free-list
   * + (total_avail_pages - midsize_alloc_zone_pages) < 1 MiB. That difference is an unsigned long
   * in Xen: below the mid-size mark it wraps, "free memory" looks huge and nothing is evicted.
   */
  ensureAvailPages(): void {
    let failedEvict = ENSURE_AVAIL_FAILED_EVICTS;
    while (this.freeMb() === 0) {
      if (this.evict()) continue;
      if (failedEvict-- <= 0) break;
    }
  }

  /** tmh_free_mb(). */
  freeMb(): number {
    const free = this.hv.heap.totalAvailPages - this.hv.heap.midsizeAllocZonePages;
    return Math.floor((this.pageList.length + (free >= 0 ? free : ULONG_WRAP + free)) / PAGES_PER_MB);
  }

  /**
   * tmem_relinquish_npages(n): evict until the free list holds n pages (or nothing is evictable),
   * then give the whole free list back to the heap. @returns the pages released.
   */
  relinquishNpages(n: number): number {
    while (this.pageList.length < n) if (!this.evict()) break;
    const released = this.pageList.length;
    if (released > 0) this.releaseAvailPagesToHost();
    return released;
  }

  // ---- objects, pools, clients -------------------------------------------------------------

  /** pgp_delete_from_obj + pgp_delete (+ obj_free when the object empties). */
  pgpDeleteFromObj(pgp: Pgp): void {
    const obj = pgp.obj;
    const removed = obj.pages.delete(pgp.index);
    assert(removed, 'tmem: page not in its object');
    this.pgpDelete(pgp);
    if (obj.pages.size === 0) this.objFree(obj);
  }

  /** pgp_delete: off the LRU lists, data frame freed to the free list. */
  private pgpDelete(pgp: Pgp): void {
    const pool = pgp.obj.pool;
    if (!pool.persistent) {
      this.globalEphemeralPageList.delete(pgp);
      pool.client.ephemeralPageList.delete(pgp);
    }
    if (pgp.mfn >= 0) this.pageFree(pool, pgp.mfn); // pgp_free_data: nothing if already freed
    pgp.mfn = -1;
    pool.pgpCount--;
    assert(pool.pgpCount >= 0, 'tmem: pool pgp_count underflow');
  }

  /** obj_free. */
  objFree(obj: TmemObject): void {
    assert(obj.pages.size === 0, 'tmem: freeing a non-empty object');
    obj.pool.objects.delete(obj.key);
  }

  /** obj_destroy: every page of the object, then the object. */
  objDestroy(obj: TmemObject): void {
    for (const pgp of [...obj.pages.values()]) {
      obj.pages.delete(pgp.index);
      this.pgpDelete(pgp);
    }
    this.objFree(obj);
  }

  /**
   * pool_destroy_objs(pool, selective, cli_id): all objects, or only those last used by cli_id.
   * Marks the pool dying for good, even when it survives (its pages become unevictable).
   * DIVERGENCE: a selective destroy also drops persistent pages charged to cli_id's domain, so a
   * dying domain's tot_pages can reach 0 (Xen would leave them charged to the zombie domain).
   */
  poolDestroyObjs(pool: TmemPool, selective: boolean, cliId: number): void {
    pool.isDying = true;
    for (const obj of [...pool.objects.values()]) {
      if (!selective || obj.lastClient === cliId) {
        this.objDestroy(obj);
        continue;
      }
      if (!pool.persistent) continue;
      for (const pgp of [...obj.pages.values()]) if (this.hv.heap.ownerOf(pgp.mfn) === cliId) this.pgpDeleteFromObj(pgp);
    }
  }

  /**
   * shared_pool_quit: drops cli_id's objects and its share; hands the pool to the next sharer if
   * cli_id owned it. @returns sharers left, 0 when the pool is now unshared (and unlisted), -1.
   */
  private sharedPoolQuit(pool: TmemPool, cliId: number): number {
    this.poolDestroyObjs(pool, true, cliId);
    const i = pool.shareList.findIndex((c) => c.cliId === cliId);
    if (i < 0) return -1;
    pool.shareList.splice(i, 1);
    if (pool.client.cliId === cliId) this.sharedPoolReassign(pool);
    if (pool.shareList.length > 0) return pool.shareList.length;
    const s = this.globalSharedPools.indexOf(pool);
    if (s >= 0) this.globalSharedPools[s] = null;
    return 0;
  }

  /**
   * shared_pool_reassign: the first remaining sharer becomes the owner; the pool's ephemeral
   * pages move to the head (oldest end) of its LRU list.
   * DIVERGENCE: Xen splices the old owner's *whole* list (pages of its other pools too); those
   * pages are flushed in the same destroy, so the end state is the same.
   */
  private sharedPoolReassign(pool: TmemPool): void {
    if (pool.shareList.length === 0) return;
    const old = pool.client;
    old.pools[pool.poolId] = null;
    const next = pool.shareList[0];
    pool.client = next;
    pool.poolId = next.pools.indexOf(pool);
    assert(pool.poolId >= 0, 'tmem: sharer without the pool');
    const moved = [...old.ephemeralPageList].filter((p) => p.obj.pool === pool);
    const rest = [...next.ephemeralPageList];
    for (const p of moved) old.ephemeralPageList.delete(p);
    next.ephemeralPageList.clear();
    for (const p of [...moved, ...rest]) next.ephemeralPageList.add(p);
  }

  /** pool_flush(pool, cli_id, destroy). */
  poolFlush(pool: TmemPool, cliId: number, destroy: boolean): void {
    if (pool.shared && this.sharedPoolQuit(pool, cliId) > 0) return;
    this.stats.totalFlushPool++;
    this.poolDestroyObjs(pool, false, cliId);
    if (destroy) {
      pool.client.pools[pool.poolId] = null;
      this.pools.delete(pool);
    }
  }

  /** client_flush(client, destroy); client_free leaves client_weight_total alone, as 4.3 does. */
  clientFlush(client: TmemClient, destroy: boolean): void {
    for (let i = 0; i < client.pools.length; i++) {
      const pool = client.pools[i];
      if (pool === null) continue;
      this.poolFlush(pool, client.cliId, destroy);
      if (destroy) client.pools[i] = null;
    }
    if (destroy) this.clients.delete(client.cliId);
  }
}

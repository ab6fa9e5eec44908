// ≈ the core operations of xen/common/tmem.c (4.3): do_tmem_new_pool, do_tmem_destroy_pool,
// do_tmem_put (+ do_tmem_dup_put), do_tmem_get, do_tmem_flush_page, do_tmem_flush_object. Each
// runs inside one section chosen by hv/tmem.ts; return values are Xen's.

import { EEMPTY, EFAULT, EFROZEN, ENOMEM, ENOSPC, EPERM } from '../errno.ts';
import {
  CLI_ID_NULL, TMEM_POOL, TMEM_SPEC_VERSION, UUID_NONE, newPoolStats, oidKey, uuidEq,
  type Oid, type Pgp, type TmemClient, type TmemObject, type TmemPool, type Uuid,
} from './defs.ts';
import type { Tmem } from './core.ts';

/** cli_get_page: the frame behind the caller's gfn, or -1 when the copy would fault. */
function callerFrame(tmem: Tmem, caller: number, cmfn: number): number {
  return tmem.hv.domains.get(caller)?.p2m.lookup(cmfn) ?? -1;
}

/**
 * do_tmem_new_pool(CLI_ID_NULL, 0, flags, uuid): a pool in the caller's first free slot.
 * A shared request degrades silently to a private pool when the UUID is all-ones or, with
 * tmem_shared_auth, not authorised for the client; a matching shared pool is joined instead.
 * @returns the pool id, or -EPERM (spec version, page size, precompressed/reserved bits, no slot).
 */
export function doTmemNewPool(tmem: Tmem, client: TmemClient, flags: number, uuid: Uuid): number {
  const persistent = (flags & TMEM_POOL.PERSIST) !== 0;
  let shared = (flags & TMEM_POOL.SHARED) !== 0;
  const pagebits = (flags >>> TMEM_POOL.PAGESIZE_SHIFT) & TMEM_POOL.PAGESIZE_MASK;
  const specversion = (flags >>> TMEM_POOL.VERSION_SHIFT) & TMEM_POOL.VERSION_MASK;
  if (specversion !== TMEM_SPEC_VERSION) return -EPERM;
  if (pagebits !== 0) return -EPERM; // PAGE_SHIFT - 12
  if (flags & TMEM_POOL.PRECOMPRESSED) return -EPERM;
  if (flags & TMEM_POOL.RESERVED_BITS) return -EPERM;
  const dPoolid = client.pools.indexOf(null);
  if (dPoolid < 0) return -EPERM; // "no more pool slots available"
  if (shared) {
    if (uuid[0] === UUID_NONE && uuid[1] === UUID_NONE) shared = false;
    if (client.sharedAuthRequired && !tmem.globalSharedAuth && !client.sharedAuthUuid.some((u) => u !== null && uuidEq(u, uuid))) {
      shared = false;
    }
  }
  if (shared) {
    const match = tmem.globalSharedPools.find((p) => p !== null && uuidEq(p.uuid, uuid));
    if (match) {
      client.pools[dPoolid] = match;
      match.shareList.push(client); // shared_pool_join
      return dPoolid;
    }
    if (!tmem.globalSharedPools.includes(null)) return -EPERM; // no global shared pool slot
  }
  const pool: TmemPool = {
    persistent, shared, isDying: false, client, uuid: [uuid[0], uuid[1]], poolId: dPoolid,
    objects: new Map(), shareList: [], pgpCount: 0, stats: newPoolStats(),
  };
  if (shared) {
    tmem.globalSharedPools[tmem.globalSharedPools.indexOf(null)] = pool;
    pool.shareList.push(client);
  }
  client.pools[dPoolid] = pool;
  tmem.pools.add(pool);
  return dPoolid;
}

/** do_tmem_destroy_pool: the caller's pool. @returns 1 destroyed, 0 no such pool. */
export function doTmemDestroyPool(tmem: Tmem, client: TmemClient, poolId: number): number {
  if (poolId >= client.pools.length) return 0;
  const pool = client.pools[poolId];
  if (pool === null) return 0;
  client.pools[poolId] = null;
  tmem.poolFlush(pool, client.cliId, true);
  return 1;
}

/**
 * do_tmem_put: stores a copy of the caller's frame `cmfn` at (oid, index). A put to an existing
 * page replaces its data (dup put, allowed even when frozen; if that fails the old copy is
 * flushed and the answer is -ENOSPC). The data frame is allocated before the copy, as in Xen, so a
 * faulting copy still moves a frame onto tmem's free list.
 * @returns 1 stored, -EFROZEN (owner frozen), -ENOMEM, -ENOSPC (failed dup put), -EFAULT (cmfn
 * not mapped by the caller).
 */
export function doTmemPut(tmem: Tmem, caller: number, pool: TmemPool, oid: Oid, index: number, cmfn: number): number {
  const client = pool.client;
  pool.stats.puts++;
  const found = pool.objects.get(oidKey(oid));
  const dup = found?.pages.get(index);
  if (found !== undefined && dup !== undefined) return doTmemDupPut(tmem, caller, dup, cmfn);
  if (client.frozen) {
    pool.stats.noMemPuts++;
    return -EFROZEN;
  }
  const obj: TmemObject = found ?? { oid, key: oidKey(oid), pool, pages: new Map(), lastClient: CLI_ID_NULL };
  if (found === undefined) pool.objects.set(obj.key, obj);
  tmem.busyObj = obj;
  const mfn = tmem.pageAlloc(pool);
  tmem.busyObj = null;
  const src = mfn < 0 ? -1 : callerFrame(tmem, caller, cmfn);
  if (mfn < 0 || src < 0) {
    if (mfn >= 0) {
      tmem.stats.failedCopies++;
      tmem.pageFree(pool, mfn);
    }
    if (obj.pages.size === 0) tmem.objFree(obj);
    pool.stats.noMemPuts++;
    return mfn < 0 ? -ENOMEM : -EFAULT;
  }
  const pgp: Pgp = { obj, index, mfn, content: tmem.contentOf(src) };
  tmem.hv.charge(tmem.hv.costs.tmemCopyNs);
  obj.pages.set(index, pgp);
  pool.pgpCount++;
  if (!pool.persistent) tmem.listEphemeral(pgp);
  if (pool.shared) obj.lastClient = client.cliId;
  pool.stats.goodPuts++;
  if (pool.persistent) client.succPersPuts++;
  return 1;
}

/** do_tmem_dup_put: new data for an existing page; its LRU position does not change. */
function doTmemDupPut(tmem: Tmem, caller: number, pgp: Pgp, cmfn: number): number {
  const obj = pgp.obj;
  const pool = obj.pool;
  // pgp_free_data, then tmem_page_alloc: the old frame is usually the one reused (LIFO list).
  tmem.pageFree(pool, pgp.mfn);
  pgp.mfn = -1;
  tmem.busyObj = obj;
  const mfn = tmem.pageAlloc(pool);
  tmem.busyObj = null;
  const src = mfn < 0 ? -1 : callerFrame(tmem, caller, cmfn);
  if (mfn >= 0 && src >= 0) {
    pgp.mfn = mfn;
    pgp.content = tmem.contentOf(src);
    tmem.hv.charge(tmem.hv.costs.tmemCopyNs);
    if (pool.shared) obj.lastClient = pool.client.cliId;
    pool.stats.dupPutsReplaced++;
    pool.stats.goodPuts++;
    if (pool.persistent) pool.client.succPersPuts++;
    return 1;
  }
  // failed_dup / bad_copy: the old copy is flushed (with the new frame, if one was allocated).
  if (mfn >= 0) tmem.stats.failedCopies++;
  pgp.mfn = mfn;
  tmem.pgpDeleteFromObj(pgp);
  pool.stats.dupPutsFlushed++;
  return mfn < 0 ? -ENOSPC : -EFAULT;
}

/**
 * do_tmem_get: copies (oid, index) into the caller's frame `cmfn`. Private ephemeral gets are
 * destructive; shared ephemeral gets move the page to the LRU tails; persistent gets leave it.
 * @returns 1 found, 0 not found, -EEMPTY (pool holds no page), -EFAULT (cmfn not mapped).
 */
export function doTmemGet(tmem: Tmem, caller: number, pool: TmemPool, oid: Oid, index: number, cmfn: number): number {
  if (pool.pgpCount === 0) return -EEMPTY;
  pool.stats.gets++;
  const pgp = pool.objects.get(oidKey(oid))?.pages.get(index);
  if (pgp === undefined) return 0;
  const dst = callerFrame(tmem, caller, cmfn);
  const destructive = !pool.shared && !pool.persistent;
  if (dst < 0) {
    // DIVERGENCE: Xen has already taken a private ephemeral page out of its object and leaks it
    // on a faulting copy; here it is deleted (the guest sees the same: the page is gone).
    if (destructive) tmem.pgpDeleteFromObj(pgp);
    tmem.stats.failedCopies++;
    return -EFAULT;
  }
  tmem.writeContent(dst, pgp.content);
  tmem.hv.charge(tmem.hv.costs.tmemCopyNs);
  if (destructive) tmem.pgpDeleteFromObj(pgp);
  else if (!pool.persistent) {
    tmem.touchEphemeral(pgp);
    pgp.obj.lastClient = caller;
  }
  pool.stats.foundGets++;
  if (pool.persistent) pool.client.succPersGets++;
  else pool.client.succEphGets++;
  return 1;
}

/** do_tmem_flush_page. @returns 1, or -EFROZEN when the pool's owner is frozen (flushed anyway). */
export function doTmemFlushPage(tmem: Tmem, pool: TmemPool, oid: Oid, index: number): number {
  pool.stats.flushs++;
  const pgp = pool.objects.get(oidKey(oid))?.pages.get(index);
  if (pgp !== undefined) {
    tmem.pgpDeleteFromObj(pgp);
    pool.stats.flushsFound++;
  }
  return pool.client.frozen ? -EFROZEN : 1;
}

/** do_tmem_flush_object. @returns 1, or -EFROZEN when the pool's owner is frozen (flushed anyway). */
export function doTmemFlushObject(tmem: Tmem, pool: TmemPool, oid: Oid): number {
  pool.stats.flushObjs++;
  const obj = pool.objects.get(oidKey(oid));
  if (obj !== undefined) {
    tmem.objDestroy(obj);
    pool.stats.flushObjsFound++;
  }
  return pool.client.frozen ? -EFROZEN : 1;
}

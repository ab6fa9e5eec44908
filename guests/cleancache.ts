// Cleancache over tmem (Linux drivers/xen/tmem.c tmem_cleancache_*, mm/cleancache.c): a private
// ephemeral pool holding clean page-cache pages the guest evicted. Put on eviction, get on a
// page-cache miss (destructive in a private ephemeral pool), flush on invalidation. Best effort
// throughout: Xen may drop any page, and a failed put is simply forgotten.
// Left out: shared pools (cluster filesystems), one pool per mounted filesystem (we model one fs).

import { TmemPool, type TmemOid } from './tmem-client.ts';
import type { HypercallPort } from '../sim/port.ts';

/** mm/cleancache.c's debugfs counters. */
export interface CleancacheStats {
  succGets: number;
  failedGets: number;
  puts: number;
  invalidates: number;
}

/** A page-cache page's identity: the cleancache_filekey (inode) and page index. */
export interface FileKey {
  inode: number;
  index: number;
}

function oidOf(key: FileKey): TmemOid {
  // cleancache_filekey is the inode number padded into the 3-word oid.
  return [key.inode, 0, 0];
}

/** The cleancache frontend for one filesystem. Invariant: all ops are no-ops while poolId < 0. */
export class Cleancache {
  /** The tmem pool, or undefined when init_fs failed (then every op is skipped, as pool < 0). */
  private pool: TmemPool | undefined;
  readonly stats: CleancacheStats = { succGets: 0, failedGets: 0, puts: 0, invalidates: 0 };

  constructor(private readonly port: HypercallPort) {}

  /** tmem_cleancache_init_fs(): a private ephemeral pool. @returns the pool id or Xen's errno. */
  async initFs(): Promise<number> {
    // No TMEM_POOL.PERSIST, no TMEM_POOL.SHARED: private ephemeral.
    const r = await TmemPool.create(this.port, 0);
    if (typeof r === 'number') return r;
    this.pool = r;
    return r.poolId;
  }

  get enabled(): boolean {
    return this.pool !== undefined;
  }

  /** cleancache_put_page(): a clean page in gfn `pfn` is being evicted. */
  async putPage(key: FileKey, pfn: number): Promise<void> {
    if (!this.pool) return;
    this.stats.puts++;
    await this.pool.put(oidOf(key), key.index, pfn);
  }

  /** cleancache_get_page(): on a miss, try to fill gfn `pfn` from tmem. @returns true on a hit. */
  async getPage(key: FileKey, pfn: number): Promise<boolean> {
    if (!this.pool) return false;
    const hit = (await this.pool.get(oidOf(key), key.index, pfn)) === 1;
    if (hit) this.stats.succGets++;
    else this.stats.failedGets++;
    return hit;
  }

  /** cleancache_invalidate_page(): the file page changed or went away. */
  async invalidatePage(key: FileKey): Promise<void> {
    if (!this.pool) return;
    this.stats.invalidates++;
    await this.pool.flush(oidOf(key), key.index);
  }
}

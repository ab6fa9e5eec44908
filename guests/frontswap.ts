// Frontswap over tmem (Linux drivers/xen/tmem.c tmem_frontswap_*, mm/frontswap.c): one private
// persistent pool for all swap devices. A store that Xen refuses sends the page to the swap disk;
// a load is non-destructive (persistent pool), the slot is flushed when the swap entry is freed;
// frontswap_shrink() is a partial swapoff that pulls pages back from tmem into guest RAM.
// Left out: several swap types (we model one swap device, type 0), exclusive gets.

import { TMEM_POOL, TmemPool, type TmemOid } from './tmem-client.ts';
import type { HypercallPort } from '../sim/port.ts';

/** "Swizzling increases objects per swaptype": low SWIZ_BITS of the offset go into the oid. */
export const SWIZ_BITS = 4;
const SWIZ_MASK = (1 << SWIZ_BITS) - 1;
const SWAP_TYPE = 0;

/** oswiz(type, ind): the oid of swap slot `offset`. */
export function frontswapOid(offset: number): TmemOid {
  return [(SWAP_TYPE << SWIZ_BITS) | (offset & SWIZ_MASK), 0, 0];
}

/** iswiz(ind): the tmem index of swap slot `offset`. */
export function frontswapIndex(offset: number): number {
  return Math.floor(offset / (1 << SWIZ_BITS));
}

/** mm/frontswap.c's debugfs counters. */
export interface FrontswapStats {
  loads: number;
  succStores: number;
  failedStores: number;
  invalidates: number;
}

/**
 * The frontswap frontend. Invariant: `stored` holds exactly the swap offsets whose last store
 * succeeded and that were not invalidated since (frontswap_map); its size is frontswap_curr_pages().
 */
export class Frontswap {
  private pool: TmemPool | undefined;
  /** frontswap_map for swap type 0. */
  private readonly stored = new Set<number>();
  readonly stats: FrontswapStats = { loads: 0, succStores: 0, failedStores: 0, invalidates: 0 };

  constructor(private readonly port: HypercallPort) {}

  /** tmem_frontswap_init(): the private persistent pool. @returns the pool id or Xen's errno. */
  async init(): Promise<number> {
    const r = await TmemPool.create(this.port, TMEM_POOL.PERSIST);
    if (typeof r === 'number') return r;
    this.pool = r;
    return r.poolId;
  }

  get enabled(): boolean {
    return this.pool !== undefined;
  }

  /** frontswap_curr_pages(). */
  currPages(): number {
    return this.stored.size;
  }

  has(offset: number): boolean {
    return this.stored.has(offset);
  }

  /** __frontswap_store(): @returns true if tmem took the page, false → write it to the swap disk. */
  async store(offset: number, pfn: number): Promise<boolean> {
    if (!this.pool) return false;
    const ok = (await this.pool.put(frontswapOid(offset), frontswapIndex(offset), pfn)) === 1;
    if (ok) {
      this.stored.add(offset);
      this.stats.succStores++;
    } else this.stats.failedStores++;
    return ok;
  }

  /** __frontswap_load(): @returns true if the page came back from tmem into gfn `pfn`. */
  async load(offset: number, pfn: number): Promise<boolean> {
    if (!this.pool || !this.stored.has(offset)) return false;
    const ok = (await this.pool.get(frontswapOid(offset), frontswapIndex(offset), pfn)) === 1;
    if (ok) this.stats.loads++;
    return ok;
  }

  /** __frontswap_invalidate_page(): the swap entry was freed. */
  async invalidate(offset: number): Promise<void> {
    if (!this.pool || !this.stored.delete(offset)) return;
    this.stats.invalidates++;
    await this.pool.flush(frontswapOid(offset), frontswapIndex(offset));
  }

  /**
   * __frontswap_unuse_pages() for frontswap_shrink(target): the slots try_to_unuse() would bring
   * back, lowest offset first (find_next_to_unuse scans upwards). The caller swaps them in.
   */
  slotsToUnuse(targetPages: number): number[] {
    const n = this.stored.size - targetPages;
    if (n <= 0) return [];
    return [...this.stored].sort((a, b) => a - b).slice(0, n);
  }
}

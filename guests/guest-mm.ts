// The guest kernel's memory manager, reduced to what drives ballooning and tmem traffic:
// resident and swapped anonymous memory, an LRU page cache backed by cleancache, a swap device
// fronted by frontswap, and reclaim (drop clean cache first, then swap anon out). Each page is a
// real pfn of the guest's PfnSpace, so the balloon can only take pages the kernel has free.
// Left out: dirty page writeback, slab, zones and watermarks, the OOM killer (we only count OOMs).

import type { Cleancache, FileKey } from './cleancache.ts';
import type { Frontswap } from './frontswap.ts';
import { PfnFifo } from './pfn-lists.ts';
import type { PfnSpace } from './pfn-space.ts';
import type { WorkloadSample } from './workload.ts';

/** Counters for reports and tests. */
export interface GuestMmStats {
  cacheHits: number;
  cacheMisses: number;
  cacheEvictions: number;
  swapOuts: number;
  swapIns: number;
  diskSwapOuts: number;
  /** Allocations that found nothing to reclaim (Linux would invoke the OOM killer). */
  ooms: number;
  /** tmem calls skipped because the per-tick budget ran out. */
  tmemSkipped: number;
}

const FILE_PAGES_PER_INODE = 1024;

/** A page-cache key as one string (Map key). */
function cacheKey(k: FileKey): string {
  return `${k.inode}:${k.index}`;
}

/**
 * Invariants: every pfn in `anonResident` and `pageCache` is `used` in the PfnSpace and appears
 * once; `swapped` and the free slot list are disjoint; frontswap only holds offsets in `swapped`.
 */
export class GuestMm {
  /** Resident anonymous pages, oldest first (LRU order: pages only leave from the oldest end). */
  private readonly anonResident = new PfnFifo();
  /** Swapped-out anonymous pages by swap offset, oldest first. */
  private readonly swapped = new Set<number>();
  /** Page cache: key → {pfn, key}, least recently used first. */
  private readonly pageCache = new Map<string, { pfn: number; key: FileKey }>();
  /** Freed swap offsets (reused first) and the next never-used offset. */
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  /** tmem calls left in this tick. */
  private tmemBudget = 0;
  readonly stats: GuestMmStats = { cacheHits: 0, cacheMisses: 0, cacheEvictions: 0, swapOuts: 0, swapIns: 0, diskSwapOuts: 0, ooms: 0, tmemSkipped: 0 };

  constructor(
    private readonly pfns: PfnSpace,
    private readonly cleancache: Cleancache | undefined,
    private readonly frontswap: Frontswap | undefined,
    /** Upper bound on tmem hypercalls per tick (see startTick). */
    private readonly tmemOpsPerTickMax: number,
  ) {}

  get anonResidentPages(): number {
    return this.anonResident.size;
  }
  get swappedPages(): number {
    return this.swapped.size;
  }
  get cachePages(): number {
    return this.pageCache.size;
  }

  /**
   * Resets the tmem budget. DIVERGENCE: Linux issues one tmem call per page however many there
   * are; we cap calls per virtual second so a huge burst cannot flood the scheduler. Beyond the
   * cap a cleancache put is dropped, a get misses and a frontswap store goes to disk — all
   * outcomes Linux itself sees whenever tmem refuses.
   */
  startTick(): void {
    this.tmemBudget = this.tmemOpsPerTickMax;
  }

  private spendTmem(): boolean {
    if (this.tmemBudget <= 0) {
      this.stats.tmemSkipped++;
      return false;
    }
    this.tmemBudget--;
    return true;
  }

  /** si_mem_available(), roughly: free pages plus half the page cache, less the reserve. */
  memAvailable(totalreservePages: number): number {
    return Math.max(0, this.pfns.freePages + Math.floor(this.pageCache.size / 2) - totalreservePages);
  }

  /** Applies one second of workload demand. */
  async applyWorkload(w: WorkloadSample, fileKeyOf: (i: number, channel: number) => FileKey): Promise<void> {
    await this.adjustAnon(w.anonPages);
    await this.swapIn(w.swapTouch);
    for (let i = 0; i < w.cacheInvalidations; i++) await this.invalidateFile(fileKeyOf(i, 1));
    for (let i = 0; i < w.cacheReads; i++) await this.readFile(fileKeyOf(i, 0));
  }

  /** Evicts up to n clean page-cache pages (LRU first) into cleancache. @returns pages freed. */
  async reclaimCache(n: number): Promise<number> {
    let freed = 0;
    for (const [k, { pfn, key }] of this.pageCache) {
      if (freed >= n) break;
      this.pageCache.delete(k);
      if (this.cleancache?.enabled && this.spendTmem()) await this.cleancache.putPage(key, pfn);
      this.pfns.freePage(pfn);
      this.stats.cacheEvictions++;
      freed++;
    }
    return freed;
  }

  /** Swaps the oldest resident anon page out: frontswap first, else the swap disk. */
  private async swapOutOne(): Promise<boolean> {
    const pfn = this.anonResident.shift();
    if (pfn === undefined) return false;
    const offset = this.freeSlots.pop() ?? this.nextSlot++;
    const inTmem = this.frontswap?.enabled && this.spendTmem() ? await this.frontswap.store(offset, pfn) : false;
    if (!inTmem) this.stats.diskSwapOuts++;
    this.swapped.add(offset);
    this.pfns.freePage(pfn);
    this.stats.swapOuts++;
    return true;
  }

  /** A page for the kernel: free list, else drop clean cache, else swap the oldest anon page out. */
  private async allocPage(): Promise<number | undefined> {
    let pfn = this.pfns.allocPage();
    if (pfn !== undefined) return pfn;
    if ((await this.reclaimCache(1)) === 0 && !(await this.swapOutOne())) {
      this.stats.ooms++;
      return undefined;
    }
    pfn = this.pfns.allocPage();
    return pfn;
  }

  private async adjustAnon(targetAnon: number): Promise<void> {
    let total = this.anonResident.size + this.swapped.size;
    while (total < targetAnon) {
      // The free list first, synchronously: an async call per page was most of a guest's work.
      const pfn = this.pfns.allocPage() ?? (await this.allocPage());
      if (pfn === undefined) return;
      this.anonResident.push(pfn);
      total++;
    }
    if (total > targetAnon) {
      // Processes exit or unmap: free resident and swapped pages in proportion.
      const drop = total - targetAnon;
      const dropSwapped = Math.floor((drop * this.swapped.size) / total);
      for (const offset of firstOf(this.swapped, dropSwapped)) await this.freeSwapSlot(offset);
      for (let k = drop - dropSwapped; k > 0; k--) {
        const pfn = this.anonResident.shift();
        if (pfn === undefined) break;
        this.pfns.freePage(pfn);
      }
    }
  }

  private async freeSwapSlot(offset: number): Promise<void> {
    this.swapped.delete(offset);
    if (this.frontswap?.has(offset)) await this.frontswap.invalidate(offset);
    this.freeSlots.push(offset);
  }

  /** Brings up to n swapped pages (oldest first) back into RAM. */
  async swapIn(n: number, which?: readonly number[]): Promise<number> {
    const slots = which ?? firstOf(this.swapped, n);
    let done = 0;
    for (const offset of slots) {
      if (!this.swapped.has(offset)) continue;
      const pfn = await this.allocPage();
      if (pfn === undefined) break;
      // A frontswap load that misses (or is skipped) reads the slot from disk instead.
      if (this.frontswap?.has(offset) && this.spendTmem()) await this.frontswap.load(offset, pfn);
      await this.freeSwapSlot(offset);
      this.anonResident.push(pfn);
      this.stats.swapIns++;
      done++;
    }
    return done;
  }

  /** frontswap_shrink(target): a partial swapoff of the slots held in frontswap. */
  async frontswapShrink(targetPages: number): Promise<number> {
    if (!this.frontswap) return 0;
    const slots = this.frontswap.slotsToUnuse(targetPages);
    return this.swapIn(slots.length, slots);
  }

  private async readFile(key: FileKey): Promise<void> {
    const k = cacheKey(key);
    const hit = this.pageCache.get(k);
    if (hit) {
      this.pageCache.delete(k);
      this.pageCache.set(k, hit); // mark_page_accessed(): move to the LRU tail
      this.stats.cacheHits++;
      return;
    }
    this.stats.cacheMisses++;
    const pfn = await this.allocPage();
    if (pfn === undefined) return;
    if (this.cleancache?.enabled && this.spendTmem()) await this.cleancache.getPage(key, pfn);
    this.pageCache.set(k, { pfn, key });
  }

  private async invalidateFile(key: FileKey): Promise<void> {
    const k = cacheKey(key);
    const page = this.pageCache.get(k);
    if (page) {
      this.pageCache.delete(k);
      this.pfns.freePage(page.pfn);
      return;
    }
    // Not in the page cache: a copy may sit in cleancache (puts and gets are exclusive).
    if (this.cleancache?.enabled && this.spendTmem()) await this.cleancache.invalidatePage(key);
  }
}

/** Maps a file-page number in [0, fileSetPages) to a (inode, index) key. */
export function fileKeyOfPage(page: number): FileKey {
  return { inode: 1 + Math.floor(page / FILE_PAGES_PER_INODE), index: page % FILE_PAGES_PER_INODE };
}

/** The first `k` (k ≥ 0) members of a set in insertion order, as `[...set].slice(0, k)` without copying the set. */
function firstOf<T>(set: ReadonlySet<T>, k: number): T[] {
  const out: T[] = [];
  const n = Math.trunc(k);
  if (!(n > 0)) return out;
  for (const x of set) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

// A tiny in-memory stand-in for the hypervisor, just enough to drive guest actors in unit tests
// before hv/ exists: reservation ops with a max_pages limit and a free-page pool, tmem pools
// keyed by id (ephemeral pages evicted oldest-first, persistent pages charged to the domain),
// a per-domain xenstore, and one virtual clock. Not a model of Xen: hv/ is. One actor at a time.

import { EEMPTY, ENOMEM, ENOSYS, EPERM } from '../../hv/errno.ts';
import { DOMID_SELF, type HypercallResult, type OpArgs, type OpName, type ReservationArgs, type TmemArgs } from '../../hv/ops.ts';
import type { HypercallPort } from '../../sim/port.ts';

/** TMEM_NEW_POOL flags the fake accepts: page-size bits 0 (4 KiB), spec version 1. */
const TMEM_POOL_PERSIST = 1;
const TMEM_POOL_PAGESIZE_MASK = 0xf << 4;
const TMEM_POOL_VERSION_SHIFT = 24;

interface FakePool {
  persist: boolean;
  /** `${oid}/${index}` → stored. */
  pages: Set<string>;
}

interface FakeDomain {
  maxPages: number;
  /** Populated gfns. */
  populated: Set<number>;
  /** Persistent tmem pages charged to this domain (count in tot_pages). */
  persistentPages: number;
  pools: Map<number, FakePool>;
  xenstore: Map<string, string>;
}

/** One recorded call, for assertions on batch sizes and ordering. */
export interface FakeCall {
  domid: number;
  op: OpName;
  args: unknown;
  rc: number;
  atNs: number;
}

/** Fault injection for the guest's error paths. */
export interface FakeFaults {
  /** decrease_reservation completes this many fewer extents than asked (a Xen broken promise). */
  decreaseShortBy?: number;
  /** populate_physmap completes at most this many extents per call. */
  populateCap?: number;
}

/**
 * Invariants: `freePages + Σ tot_pages + ephemeral.size === totalPages`; every key in
 * `ephemeral` names a page in an ephemeral pool.
 */
export class FakeXen {
  /** Host pages not owned by anyone. */
  freePages: number;
  /** Fixed host size. */
  readonly totalPages: number;
  /** Virtual time, ns; advanced only by sleep(). */
  nowNs = 0;
  readonly domains = new Map<number, FakeDomain>();
  readonly calls: FakeCall[] = [];
  /** Things a correct guest never does (decrease of an unowned gfn, double populate). */
  readonly violations: string[] = [];
  faults: FakeFaults = {};
  /** Global ephemeral LRU, oldest first (Map keeps insertion order): `${domid}#${poolId}#${key}` → parts. */
  private readonly ephemeral = new Map<string, [number, number, string]>();

  constructor(totalPages: number) {
    this.totalPages = totalPages;
    this.freePages = totalPages;
  }

  /** Creates a domain already holding gfns [0, initialPages). */
  createDomain(domid: number, initialPages: number, maxPages: number): void {
    if (initialPages > this.freePages) throw new Error('FakeXen.createDomain: host too small');
    const populated = new Set<number>();
    for (let gfn = 0; gfn < initialPages; gfn++) populated.add(gfn);
    this.freePages -= initialPages;
    this.domains.set(domid, { maxPages, populated, persistentPages: 0, pools: new Map(), xenstore: new Map() });
  }

  totPages(domid: number): number {
    const d = this.dom(domid);
    return d.populated.size + d.persistentPages;
  }

  ephemeralPages(): number {
    return this.ephemeral.size;
  }

  setMaxPages(domid: number, maxPages: number): void {
    this.dom(domid).maxPages = maxPages;
  }

  /** Conservation check, for tests of the fake itself. */
  accountedPages(): number {
    let sum = this.freePages + this.ephemeral.size;
    for (const id of this.domains.keys()) sum += this.totPages(id);
    return sum;
  }

  port(domid: number, actor = `guest-${domid}`): HypercallPort {
    return {
      caller: domid,
      actor,
      hypercall: async <O extends OpName>(op: O, args: OpArgs[O]): Promise<HypercallResult> => {
        const rc = this.dispatch(domid, op, args);
        this.calls.push({ domid, op, args: structuredClone(args), rc, atNs: this.nowNs });
        return { rc };
      },
      now: () => this.nowNs,
      sleep: async (ns: number) => {
        this.nowNs += ns;
      },
      xsWrite: async (path, value) => {
        this.dom(domid).xenstore.set(path, value);
      },
      xsRead: async (path) => this.dom(domid).xenstore.get(path),
      note: () => {},
      spawn: async () => {
        throw new Error('FakeXen: spawn is not supported');
      },
    };
  }

  private dom(domid: number): FakeDomain {
    const d = this.domains.get(domid);
    if (!d) throw new Error(`FakeXen: no domain ${domid}`);
    return d;
  }

  private dispatch(caller: number, op: OpName, args: unknown): number {
    switch (op) {
      case 'XENMEM_populate_physmap':
        return this.populate(caller, args as ReservationArgs);
      case 'XENMEM_decrease_reservation':
        return this.decrease(caller, args as ReservationArgs);
      case 'TMEM_NEW_POOL':
        return this.newPool(caller, args as TmemArgs);
      case 'TMEM_PUT_PAGE':
        return this.put(caller, args as TmemArgs);
      case 'TMEM_GET_PAGE':
        return this.get(caller, args as TmemArgs);
      case 'TMEM_FLUSH_PAGE':
        return this.flush(caller, args as TmemArgs);
      default:
        return -ENOSYS;
    }
  }

  private target(caller: number, a: ReservationArgs): FakeDomain {
    return this.dom(a.domid === DOMID_SELF ? caller : a.domid);
  }

  /** A free page for an allocation, evicting the oldest ephemeral tmem page if needed. */
  private takePage(): boolean {
    if (this.freePages === 0) {
      const oldest = this.ephemeral.entries().next();
      if (oldest.done) return false;
      const [lruKey, [domid, poolId, key]] = oldest.value;
      this.ephemeral.delete(lruKey);
      this.dom(domid).pools.get(poolId)?.pages.delete(key);
      this.freePages++;
    }
    this.freePages--;
    return true;
  }

  private populate(caller: number, a: ReservationArgs): number {
    const d = this.target(caller, a);
    const gfns = a.extent_start ?? [];
    const limit = Math.min(a.nr_extents, this.faults.populateCap ?? Infinity);
    let done = 0;
    for (; done < limit; done++) {
      const gfn = gfns[done];
      if (d.populated.has(gfn)) {
        this.violations.push(`d${caller} populate of already-populated gfn ${gfn}`);
        break;
      }
      if (d.populated.size + d.persistentPages >= d.maxPages || !this.takePage()) break;
      d.populated.add(gfn);
    }
    return done;
  }

  private decrease(caller: number, a: ReservationArgs): number {
    const d = this.target(caller, a);
    const gfns = a.extent_start ?? [];
    const limit = Math.max(0, a.nr_extents - (this.faults.decreaseShortBy ?? 0));
    let done = 0;
    for (; done < limit; done++) {
      const gfn = gfns[done];
      if (!d.populated.delete(gfn)) {
        this.violations.push(`d${caller} decrease of gfn ${gfn} it does not hold`);
        break;
      }
      this.freePages++;
    }
    return done;
  }

  private newPool(caller: number, a: TmemArgs): number {
    const flags = a.flags ?? 0;
    if ((flags & TMEM_POOL_PAGESIZE_MASK) !== 0 || flags >>> TMEM_POOL_VERSION_SHIFT !== 1) return -EPERM;
    const d = this.dom(caller);
    for (let id = 0; id < 16; id++) {
      if (!d.pools.has(id)) {
        d.pools.set(id, { persist: (flags & TMEM_POOL_PERSIST) !== 0, pages: new Set() });
        return id;
      }
    }
    return -EPERM;
  }

  private key(a: TmemArgs): string {
    return `${(a.oid ?? [0, 0, 0]).join(':')}/${a.index ?? 0}`;
  }

  private put(caller: number, a: TmemArgs): number {
    const d = this.dom(caller);
    const pool = d.pools.get(a.pool_id ?? -1);
    if (!pool) return -EPERM;
    const key = this.key(a);
    if (pool.pages.has(key)) return 1; // dup put replaces the copy in place
    if (pool.persist) {
      if (d.populated.size + d.persistentPages >= d.maxPages || !this.takePage()) return -ENOMEM;
      d.persistentPages++;
    } else {
      if (!this.takePage()) return -ENOMEM;
      this.ephemeral.set(`${caller}#${a.pool_id}#${key}`, [caller, a.pool_id ?? -1, key]);
    }
    pool.pages.add(key);
    return 1;
  }

  private get(caller: number, a: TmemArgs): number {
    const pool = this.dom(caller).pools.get(a.pool_id ?? -1);
    if (!pool) return -EPERM;
    if (pool.pages.size === 0) return -EEMPTY;
    const key = this.key(a);
    if (!pool.pages.has(key)) return 0;
    // Private ephemeral gets are destructive; persistent gets leave the page until flushed.
    if (!pool.persist) this.dropEphemeral(caller, a.pool_id ?? -1, key, pool);
    return 1;
  }

  private flush(caller: number, a: TmemArgs): number {
    const d = this.dom(caller);
    const pool = d.pools.get(a.pool_id ?? -1);
    if (!pool) return -EPERM;
    const key = this.key(a);
    if (!pool.pages.has(key)) return 1;
    if (pool.persist) {
      pool.pages.delete(key);
      d.persistentPages--;
      this.freePages++;
    } else this.dropEphemeral(caller, a.pool_id ?? -1, key, pool);
    return 1;
  }

  private dropEphemeral(domid: number, poolId: number, key: string, pool: FakePool): void {
    pool.pages.delete(key);
    this.ephemeral.delete(`${domid}#${poolId}#${key}`);
    this.freePages++;
  }
}

// tmem's public constants (xen/include/public/tmem.h, 4.3) and its core data structures
// (struct client, struct tm_pool, struct tmem_object_root, struct tmem_page_descriptor in
// xen/common/tmem.c). Leaves out: compression, dedup/tze (pcd), the radix-tree node and subpage
// (xmem_pool) metadata memory, save/restore/live-migration lists.

/** MAX_POOLS_PER_DOMAIN. */
export const MAX_POOLS_PER_DOMAIN = 16;
/** MAX_GLOBAL_SHARED_POOLS. */
export const MAX_GLOBAL_SHARED_POOLS = 16;
/** TMEM_SPEC_VERSION. */
export const TMEM_SPEC_VERSION = 1;
/** TMH_CLI_ID_NULL = (domid_t)-1: "every client" in control ops. */
export const CLI_ID_NULL = 0xffff;
/** The C `-1L` of a uuid half or an empty auth slot (2^64 - 1 cannot be a safe integer here). */
export const UUID_NONE = -1;
/** Pages per MiB (PAGE_SHIFT 12): tmh_free_mb() and TMEMC_QUERY_FREEABLE_MB shift by 20 - 12. */
export const PAGES_PER_MB = 256;

/** TMEM_NEW_POOL flag bits. */
export const TMEM_POOL = {
  /** Persistent pool: data kept until flushed; else ephemeral. */
  PERSIST: 1 << 0,
  /** Shared pool identified by UUID; else private. */
  SHARED: 1 << 1,
  /** Pre-compressed data: never supported (-EPERM). */
  PRECOMPRESSED: 1 << 2,
  /** Page size field: PAGE_SHIFT - 12, in bits 4..7. */
  PAGESIZE_SHIFT: 4,
  PAGESIZE_MASK: 0xf,
  /** Spec version field, bits 24..31. */
  VERSION_SHIFT: 24,
  VERSION_MASK: 0xff,
  /** Bits 8..23 must be zero. */
  RESERVED_BITS: 0x00ffff00,
} as const;

/** TMEM_CONTROL subops (public/tmem.h). */
export const TMEMC = {
  THAW: 0,
  FREEZE: 1,
  FLUSH: 2,
  /** Despite its name, 4.3 treats it like THAW (tmemc_freeze_pools only tests for FREEZE). */
  DESTROY: 3,
  LIST: 4,
  SET_WEIGHT: 5,
  SET_CAP: 6,
  SET_COMPRESS: 7,
  QUERY_FREEABLE_MB: 8,
  SAVE_BEGIN: 10,
  SAVE_GET_VERSION: 11,
  SAVE_GET_MAXPOOLS: 12,
  SAVE_GET_CLIENT_WEIGHT: 13,
  SAVE_GET_CLIENT_CAP: 14,
  SAVE_GET_CLIENT_FLAGS: 15,
  SAVE_GET_POOL_FLAGS: 16,
  SAVE_GET_POOL_NPAGES: 17,
  SAVE_GET_POOL_UUID: 18,
  SAVE_GET_NEXT_PAGE: 19,
  SAVE_GET_NEXT_INV: 20,
  SAVE_END: 21,
  RESTORE_BEGIN: 30,
  RESTORE_PUT_PAGE: 32,
  RESTORE_FLUSH_PAGE: 33,
} as const;

/** A struct tmem_oid: three 64-bit words. */
export type Oid = readonly [number, number, number];
/** A 128-bit pool UUID as [lo, hi]; UUID_NONE stands for an all-ones half. */
export type Uuid = readonly [number, number];

export function oidKey(oid: Oid): string {
  return `${oid[0]}:${oid[1]}:${oid[2]}`;
}

/** struct tmem_page_descriptor (pgp): one stored page. */
export interface Pgp {
  readonly obj: TmemObject;
  readonly index: number;
  /** The frame holding the data (OWNER_ANON if ephemeral, owned by a domain if persistent). */
  mfn: number;
  /** The page's content, an opaque token copied from the guest frame (see Tmem.frameContent). */
  content: number;
}

/** struct tmem_object_root: the pages of one oid in one pool. Never empty between sections. */
export interface TmemObject {
  readonly oid: Oid;
  readonly key: string;
  readonly pool: TmemPool;
  /** index → page (the radix tree). */
  readonly pages: Map<number, Pgp>;
  /** Shared pools: the client that last put or got a page here (obj->last_client). */
  lastClient: number;
}

/** struct tm_pool. */
export interface TmemPool {
  readonly persistent: boolean;
  readonly shared: boolean;
  /** Set by pool_destroy_objs and never cleared (a shared pool that survives a quit keeps it). */
  isDying: boolean;
  /** The owner: pages of ephemeral pools sit on its LRU list, persistent pages are charged to it. */
  client: TmemClient;
  readonly uuid: Uuid;
  /** Slot in the owner's pools[] (changes when a shared pool is reassigned). */
  poolId: number;
  /** oid key → object (the per-bucket rb-trees). */
  readonly objects: Map<string, TmemObject>;
  /** Shared pools: clients using it, in join order (share_list); its length is shared_count. */
  readonly shareList: TmemClient[];
  /** pgp_count: pages stored in this pool. */
  pgpCount: number;
  /** Statistics of tmemc_list. */
  readonly stats: PoolStats;
}

export interface PoolStats {
  puts: number;
  goodPuts: number;
  noMemPuts: number;
  dupPutsFlushed: number;
  dupPutsReplaced: number;
  gets: number;
  foundGets: number;
  flushs: number;
  flushsFound: number;
  flushObjs: number;
  flushObjsFound: number;
}

export function newPoolStats(): PoolStats {
  return { puts: 0, goodPuts: 0, noMemPuts: 0, dupPutsFlushed: 0, dupPutsReplaced: 0, gets: 0, foundGets: 0, flushs: 0, flushsFound: 0, flushObjs: 0, flushObjsFound: 0 };
}

/** struct client: one per domain that used tmem (created on first use). */
export interface TmemClient {
  /** The domid. */
  readonly cliId: number;
  /** pools[pool_id]; shared pools appear in every sharer's array. */
  readonly pools: Array<TmemPool | null>;
  /** This client's ephemeral pages, least recently used first; its size is eph_count. */
  readonly ephemeralPageList: Set<Pgp>;
  ephCountMax: number;
  /** Eviction weight (TMEMC_SET_WEIGHT); 0 = never "over quota". */
  weight: number;
  /** Stored and listed, never enforced. */
  cap: number;
  /** Stored and listed; compression is not modelled. */
  compress: boolean;
  /** No new puts (dup puts still allowed); flushes answer -EFROZEN. */
  frozen: boolean;
  /** opt_tmem_shared_auth at creation: joining a shared pool needs an authorised UUID. */
  readonly sharedAuthRequired: boolean;
  /** Authorised shared-pool UUIDs (null = free slot). */
  readonly sharedAuthUuid: Array<Uuid | null>;
  succEphGets: number;
  succPersPuts: number;
  succPersGets: number;
}

export function newClient(cliId: number, sharedAuthRequired: boolean): TmemClient {
  return {
    cliId,
    pools: new Array<TmemPool | null>(MAX_POOLS_PER_DOMAIN).fill(null),
    ephemeralPageList: new Set(),
    ephCountMax: 0,
    weight: 0,
    cap: 0,
    compress: false,
    frozen: false,
    sharedAuthRequired,
    sharedAuthUuid: new Array<Uuid | null>(MAX_GLOBAL_SHARED_POOLS).fill(null),
    succEphGets: 0,
    succPersPuts: 0,
    succPersGets: 0,
  };
}

export function uuidEq(a: Uuid, b: Uuid): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

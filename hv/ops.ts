// The hypercall surface: Xen's constant names and public field names, as the public contract of
// Hypervisor.hypercall(caller, op, args) promises. Arguments arrive untrusted (they may come out
// of a mailbox slot or a fuzzer), so every field is typed `unknown`-tolerant at the memop boundary
// and validated there; these interfaces document what a well-formed call looks like.

/** DOMID_SELF (xen/include/public/xen.h): "the calling domain" for reservation ops. */
export const DOMID_SELF = 0x7ff0;
export const DOMID_IO = 0x7ff1;
export const DOMID_XEN = 0x7ff2;
export const DOMID_INVALID = 0x7ff4;
/** DOMID_ANY (23e2479ff9, 4.22): createdomain picks a free domid. */
export const DOMID_ANY = 0x7ff5;
/** Highest domid a real domain can have (DOMID_FIRST_RESERVED - 1). */
export const DOMID_MAX = 0x7fef;

/** struct xen_memory_reservation, plus the continuation index carried in cmd >> 6. */
export interface ReservationArgs {
  domid: number;
  nr_extents: number;
  extent_order?: number;
  mem_flags?: number;
  /** Guest frame numbers (populate/decrease) or output buffer (increase); null = NULL handle. */
  extent_start?: number[] | null;
  /** cmd >> MEMOP_EXTENT_SHIFT: where a continuation resumes. */
  start_extent?: number;
}

/** struct xen_memory_exchange (PV only). */
export interface ExchangeArgs {
  in: { domid: number; nr_extents: number; extent_order?: number; mem_flags?: number; extent_start: number[] };
  out: { domid: number; nr_extents: number; extent_order?: number; mem_flags?: number; extent_start: number[] };
  nr_exchanged?: number;
}

export interface CreateDomainArgs {
  /** Requested domid, or 0 / absent to let Xen choose (domid_policy="xen"). */
  domid?: number;
  /** 'pv' | 'pvh' | 'hvm' — recorded for reporting; memory rules do not depend on it. */
  type?: 'pv' | 'pvh' | 'hvm';
  name?: string;
  max_vcpus?: number;
  /** This domain acts as device model for `target` (XSM_DM_PRIV / XSM_TARGET checks). */
  target?: number;
}

export interface DomidArgs {
  domid: number;
}

export interface MaxMemArgs {
  domid: number;
  max_memkb: number;
}

/**
 * The claim-set series' public ABI (v7 2/3, xen/include/public/domctl.h): the special targets of
 * a claim entry (any other target is a NUMA node id) and the two modes of XEN_DOMCTL_claim_memory.
 */
export const XEN_DOMCTL_CLAIM_MEMORY_HOST = 0x80000000;
export const XEN_DOMCTL_CLAIM_MEMORY_LEGACY = 0x40000000;
export const XEN_DOMCTL_CLAIM_MEMORY_SET = 0;
export const XEN_DOMCTL_CLAIM_MEMORY_GET = 1;

/** struct xen_memory_claim: `cmd` is reserved and must be 0 (absent reads as 0). */
export interface MemoryClaim {
  pages: number;
  target: number;
  cmd?: number;
}

/**
 * struct xen_domctl_claim_memory. `mode` absent is SET (a zeroed struct); `nr_entries` absent is
 * claim_set's length. A GET answers nr_entries and, when rc is 0, claim_set.
 */
export interface ClaimMemoryArgs {
  domid: number;
  mode?: number;
  nr_entries?: number;
  claim_set?: MemoryClaim[];
}

/** struct xen_sysctl_page_offline_op: cmd 1 offline / 2 online / 3 query over [start, end]. */
export interface PageOfflineArgs {
  cmd: number;
  start: number;
  end: number;
}

/** struct xen_sysctl_getdomaininfolist: the answer carries num_domains and domains[]. */
export interface GetDomainInfoListArgs {
  first_domain?: number;
  max_domains?: number;
}

/**
 * struct xen_sysctl_readconsole: read up to `count` bytes of the console ring (from `index` when
 * `incremental`), consuming them when `clear`. The answer carries `buffer` (the text), `count`
 * (bytes read) and `index` (where the next incremental read starts).
 */
export interface ReadConsoleArgs {
  clear?: number;
  incremental?: number;
  index?: number;
  count: number;
}

export interface PagingMempoolArgs {
  domid: number;
  /** Bytes (XEN_DOMCTL_set_paging_mempool_size, 4.17+ name). */
  size: number;
}

/** Every op name Hypervisor.hypercall understands, with its argument shape. */
export interface OpArgs {
  XENMEM_claim_pages: ReservationArgs;
  XENMEM_populate_physmap: ReservationArgs;
  XENMEM_increase_reservation: ReservationArgs;
  XENMEM_decrease_reservation: ReservationArgs;
  XENMEM_exchange: ExchangeArgs;
  XEN_DOMCTL_createdomain: CreateDomainArgs;
  XEN_DOMCTL_max_mem: MaxMemArgs;
  XEN_DOMCTL_destroydomain: DomidArgs;
  XEN_DOMCTL_getdomaininfo: DomidArgs;
  XEN_DOMCTL_pausedomain: DomidArgs;
  XEN_DOMCTL_unpausedomain: DomidArgs;
  XEN_DOMCTL_set_paging_mempool_size: PagingMempoolArgs;
  XEN_SYSCTL_physinfo: Record<string, never>;
  XEN_SYSCTL_numainfo: Record<string, never>;
  XEN_SYSCTL_getdomaininfolist: GetDomainInfoListArgs;
  XEN_SYSCTL_readconsole: ReadConsoleArgs;
  /** Answers status[] (one word per frame, PG_OFFLINE_* | owner << 16). */
  XEN_SYSCTL_page_offline_op: PageOfflineArgs;
  /** The claim-set series (4.22+claim-sets only; -ENOSYS elsewhere). */
  XEN_DOMCTL_claim_memory: ClaimMemoryArgs;
  TMEM_CONTROL: TmemArgs;
  TMEM_NEW_POOL: TmemArgs;
  TMEM_DESTROY_POOL: TmemArgs;
  TMEM_PUT_PAGE: TmemArgs;
  TMEM_GET_PAGE: TmemArgs;
  TMEM_FLUSH_PAGE: TmemArgs;
  TMEM_FLUSH_OBJECT: TmemArgs;
  /** tmemc_shared_pool_auth: cli_id, uuid, flags (1 authorise, 0 revoke). */
  TMEM_AUTH: TmemArgs;
}
export type OpName = keyof OpArgs;

/** struct tmem_op fields, as the tmem contract names them. */
export interface TmemArgs {
  pool_id?: number;
  /** 192-bit object id as three 64-bit numbers. */
  oid?: [number, number, number];
  index?: number;
  /** The caller's own frame copied in (put) or out (get), given as its gfn. */
  cmfn?: number;
  flags?: number;
  /** 128-bit UUID as two 64-bit halves (shared pools). */
  uuid?: [number, number];
  subop?: number;
  /** TMEM_CONTROL argument words (cli_id, arg1, arg2 …). */
  cli_id?: number;
  arg1?: number;
  arg2?: number;
}

/** Every result carries Xen's return value in rc; some ops add output fields. */
export interface HypercallResult {
  rc: number;
  [field: string]: unknown;
}

export interface DomainInfo {
  domid: number;
  tot_pages: number;
  max_pages: number;
  outstanding_pages: number;
  shr_pages: number;
  paged_pages: number;
  nr_online_vcpus: number;
  max_vcpu_id: number;
  cpu_time: number;
  /** XEN_DOMINF_* bits: dying 1<<0, hvm_guest 1<<1, shutdown 1<<2, paused 1<<3, blocked 1<<4, running 1<<5. */
  flags: number;
  name: string;
  type: 'pv' | 'pvh' | 'hvm';
}

export interface PhysInfo {
  total_pages: number;
  free_pages: number;
  scrub_pages: number;
  outstanding_pages: number;
  nr_nodes: number;
  nr_cpus: number;
}

export const XEN_DOMINF = {
  dying: 1 << 0,
  hvm_guest: 1 << 1,
  shutdown: 1 << 2,
  paused: 1 << 3,
  blocked: 1 << 4,
  running: 1 << 5,
} as const;

/** The op families, each dispatched by one module (memop.ts, domctl.ts, tmem.ts). */
export const MEMOPS = [
  'XENMEM_claim_pages',
  'XENMEM_populate_physmap',
  'XENMEM_increase_reservation',
  'XENMEM_decrease_reservation',
  'XENMEM_exchange',
] as const satisfies readonly OpName[];

export const DOMCTL_OPS = [
  'XEN_DOMCTL_createdomain',
  'XEN_DOMCTL_max_mem',
  'XEN_DOMCTL_destroydomain',
  'XEN_DOMCTL_getdomaininfo',
  'XEN_DOMCTL_pausedomain',
  'XEN_DOMCTL_unpausedomain',
  'XEN_DOMCTL_set_paging_mempool_size',
  'XEN_SYSCTL_physinfo',
  'XEN_SYSCTL_numainfo',
  'XEN_SYSCTL_getdomaininfolist',
  'XEN_SYSCTL_page_offline_op',
  'XEN_DOMCTL_claim_memory',
  'XEN_SYSCTL_readconsole',
] as const satisfies readonly OpName[];

export const TMEM_OPS = [
  'TMEM_CONTROL',
  'TMEM_NEW_POOL',
  'TMEM_DESTROY_POOL',
  'TMEM_PUT_PAGE',
  'TMEM_GET_PAGE',
  'TMEM_FLUSH_PAGE',
  'TMEM_FLUSH_OBJECT',
  'TMEM_AUTH',
] as const satisfies readonly OpName[];

export const ALL_OPS: readonly OpName[] = [...MEMOPS, ...DOMCTL_OPS, ...TMEM_OPS];

export function isOpName(x: unknown): x is OpName {
  return typeof x === 'string' && (ALL_OPS as readonly string[]).includes(x);
}

// The guest half of the tmem ABI (Linux drivers/xen/tmem.c, Xen public/tmem.h): pool creation
// flags and the thin op wrappers cleancache and frontswap share. Return values are Xen's.

import type { HypercallPort } from '../sim/port.ts';

/** TMEM_NEW_POOL flag bits (public/tmem.h). */
export const TMEM_POOL = {
  /** Persistent pool (frontswap); else ephemeral (cleancache). */
  PERSIST: 1 << 0,
  /** Shared pool identified by UUID; else private. */
  SHARED: 1 << 1,
  /** Page size field: PAGE_SHIFT - 12, in bits 4..7. */
  PAGESIZE_SHIFT: 4,
  /** Spec version field, bits 24..31. */
  VERSION_SHIFT: 24,
} as const;
/** TMEM_SPEC_VERSION. */
export const TMEM_SPEC_VERSION = 1;
const PAGE_SHIFT = 12;

/** xen_tmem_new_pool()'s flags word: kind bits | page-size bits | spec version. */
export function tmemNewPoolFlags(kind: number): number {
  return (kind | ((PAGE_SHIFT - 12) << TMEM_POOL.PAGESIZE_SHIFT) | (TMEM_SPEC_VERSION << TMEM_POOL.VERSION_SHIFT)) >>> 0;
}

/** TMEM_POOL_PRIVATE_UUID: { 0, 0 }. */
const PRIVATE_UUID: [number, number] = [0, 0];

/** A struct tmem_oid. */
export type TmemOid = [number, number, number];

/** One private pool of this guest: the wrappers Linux's tmem.c calls xen_tmem_*. */
export class TmemPool {
  constructor(
    private readonly port: HypercallPort,
    /** Xen's pool id (≥ 0). */
    readonly poolId: number,
  ) {}

  /** xen_tmem_new_pool() with a private UUID. @returns the pool, or Xen's negative errno. */
  static async create(port: HypercallPort, kind: number): Promise<TmemPool | number> {
    const { rc } = await port.hypercall('TMEM_NEW_POOL', { flags: tmemNewPoolFlags(kind), uuid: PRIVATE_UUID });
    return rc < 0 ? rc : new TmemPool(port, rc);
  }

  /** TMEM_PUT_PAGE copying gfn `cmfn` in: 1 stored, else -ENOMEM / -EFROZEN. */
  async put(oid: TmemOid, index: number, cmfn: number): Promise<number> {
    return (await this.port.hypercall('TMEM_PUT_PAGE', { pool_id: this.poolId, oid, index, cmfn })).rc;
  }

  /** TMEM_GET_PAGE into gfn `cmfn`: 1 found, 0 not found, -EEMPTY. */
  async get(oid: TmemOid, index: number, cmfn: number): Promise<number> {
    return (await this.port.hypercall('TMEM_GET_PAGE', { pool_id: this.poolId, oid, index, cmfn })).rc;
  }

  /** TMEM_FLUSH_PAGE. */
  async flush(oid: TmemOid, index: number): Promise<number> {
    return (await this.port.hypercall('TMEM_FLUSH_PAGE', { pool_id: this.poolId, oid, index })).rc;
  }
}

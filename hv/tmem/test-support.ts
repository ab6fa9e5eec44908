// Test drivers for the tmem tests: a 4.3 host with tmem on, guests with mapped frames to copy
// from, and a hypercall runner that checks the hypervisor's and tmem's invariants after every
// section. Adds no behaviour to the hypervisor. Test-only: nothing in hv/ imports it.

import { checkInvariants, Hypervisor, type HypercallResult } from '../index.ts';
import { checkTmemInvariants } from './check.ts';
import { TMEM_POOL, TMEM_SPEC_VERSION } from './defs.ts';

/** TMEM_NEW_POOL flags as Linux builds them: kind bits | page size 0 | spec version 1. */
export function poolFlags(kind = 0): number {
  return (kind | (TMEM_SPEC_VERSION << TMEM_POOL.VERSION_SHIFT)) >>> 0;
}
export const EPHEMERAL = poolFlags(0);
export const PERSISTENT = poolFlags(TMEM_POOL.PERSIST);
export const SHARED_EPHEMERAL = poolFlags(TMEM_POOL.SHARED);

/** Both checkers: the hypervisor's structural invariants (deep) and tmem's own. */
export function checkAll(hv: Hypervisor): void {
  checkInvariants(hv, true);
  if (hv.tmem !== null) checkTmemInvariants(hv.tmem);
}

/**
 * Runs a hypercall section by section with the checkers after each (`deep` false: without the
 * frame-table scan, which then runs once at the end).
 */
export function call(hv: Hypervisor, caller: number, op: string, args: object = {}, deep = true): HypercallResult {
  const c = hv.begin(caller, op, args);
  while (!c.done) {
    hv.step(c);
    checkInvariants(hv, deep);
    if (hv.tmem !== null) checkTmemInvariants(hv.tmem);
  }
  if (!deep) checkAll(hv);
  return c.result!;
}

/** rc of `call`. */
export function rc(hv: Hypervisor, caller: number, op: string, args: object = {}, deep = true): number {
  return call(hv, caller, op, args, deep).rc;
}

/** A 4.3 host with tmem on (16 MiB, dom0 2 MiB unless told otherwise). */
export function tmemHost(memoryMiB = 16, dom0MiB = 2): Hypervisor {
  return new Hypervisor({ xen: '4.3', tmem: true, memoryMiB, dom0MiB });
}

/** XEN_DOMCTL_createdomain + max_mem from dom0. @returns the domid. */
export function createDomain(hv: Hypervisor, maxPages: number): number {
  const id = hv.hypercall(0, 'XEN_DOMCTL_createdomain', {}).domid as number;
  if (hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid: id, max_memkb: maxPages * 4 }).rc !== 0) throw new Error('max_mem failed');
  return id;
}

/** XENMEM_populate_physmap args: `nr` extents of `order` at consecutive gfns from `base`. */
export function populateArgs(domid: number, nr: number, order: number, base = 0): object {
  const extent_start = Array.from({ length: nr }, (_, i) => base + i * 2 ** order);
  return { domid, nr_extents: nr, extent_order: order, mem_flags: 0, extent_start };
}

/** A guest with max_pages `maxPages` and gfns [0, mapped) populated. @returns its domid. */
export function guest(hv: Hypervisor, maxPages = 4096, mapped = 8): number {
  const d = createDomain(hv, maxPages);
  if (mapped > 0 && hv.hypercall(0, 'XENMEM_populate_physmap', populateArgs(d, mapped, 0)).rc !== mapped) {
    throw new Error('guest: populate failed');
  }
  return d;
}

/**
 * `n` ephemeral puts (oid [7,0,0], indexes 0..n-1, copying gfns 0..3) as fast as checking allows:
 * counter invariants after every call, the deep and tmem checks every 256 calls and at the end.
 * @returns how many answered 1.
 */
export function putMany(hv: Hypervisor, domid: number, poolId: number, n: number): number {
  let stored = 0;
  for (let i = 0; i < n; i++) {
    if (hv.hypercall(domid, 'TMEM_PUT_PAGE', { pool_id: poolId, oid: [7, 0, 0], index: i, cmfn: i % 4 }).rc === 1) stored++;
    checkInvariants(hv, false);
    if (i % 256 === 255) checkAll(hv);
  }
  checkAll(hv);
  return stored;
}

/** Pool op helpers for one guest. */
export function tmemOps(hv: Hypervisor, domid: number) {
  return {
    newPool: (flags: number, uuid: [number, number] = [0, 0]): number => rc(hv, domid, 'TMEM_NEW_POOL', { flags, uuid }),
    put: (pool_id: number, oid: [number, number, number], index: number, cmfn: number): number =>
      rc(hv, domid, 'TMEM_PUT_PAGE', { pool_id, oid, index, cmfn }),
    get: (pool_id: number, oid: [number, number, number], index: number, cmfn: number): number =>
      rc(hv, domid, 'TMEM_GET_PAGE', { pool_id, oid, index, cmfn }),
    flush: (pool_id: number, oid: [number, number, number], index: number): number =>
      rc(hv, domid, 'TMEM_FLUSH_PAGE', { pool_id, oid, index }),
    flushObject: (pool_id: number, oid: [number, number, number]): number => rc(hv, domid, 'TMEM_FLUSH_OBJECT', { pool_id, oid }),
    destroyPool: (pool_id: number): number => rc(hv, domid, 'TMEM_DESTROY_POOL', { pool_id }),
  };
}

/** The content token of a guest frame (what a put copies, what a get wrote). */
export function content(hv: Hypervisor, domid: number, gfn: number): number {
  const mfn = hv.domain(domid)!.p2m.lookup(gfn);
  if (mfn < 0) throw new Error(`content: d${domid} gfn ${gfn} not mapped`);
  return hv.tmem!.contentOf(mfn);
}

/** TMEM_CONTROL from dom0. */
export function control(hv: Hypervisor, subop: number, args: { cli_id?: number; arg1?: number; arg2?: number; pool_id?: number } = {}): HypercallResult {
  return call(hv, 0, 'TMEM_CONTROL', { subop, ...args });
}

// ≈ xen/common/tmem.c do_tmem_op (Xen 4.3; the hypercall is gone from 4.13): decodes the
// struct tmem_op, creates the caller's client on first use, and runs exactly one core function
// per op as one critical section (4.3 holds tmem_rwlock, plus heap_lock inside allocations).
// The state and the memory side live in hv/tmem/core.ts, the ops in hv/tmem/ops.ts, the control
// ops in hv/tmem/control.ts. Leaves out: TMEM_NEW_PAGE, TMEM_READ/WRITE/XCHG, TMEM_RESTORE_NEW,
// compression and dedup, 32-bit compat translation.

import { EFAULT, ENODEV, ENOSYS, EPERM } from './errno.ts';
import { isRecord, isU16, isU32, isU64 } from './guest-args.ts';
import type { HypercallContext, Sections } from './hypercall-context.ts';
import { TMEM_OPS, type HypercallResult } from './ops.ts';

export { TMEM_OPS };
import { Tmem } from './tmem/core.ts';
import { doTmemControl, sharedPoolAuth } from './tmem/control.ts';
import { CLI_ID_NULL, MAX_POOLS_PER_DOMAIN, UUID_NONE, type Oid, type Uuid } from './tmem/defs.ts';
import { doTmemDestroyPool, doTmemFlushObject, doTmemFlushPage, doTmemGet, doTmemNewPool, doTmemPut } from './tmem/ops.ts';

export { Tmem };
export { CLI_ID_NULL, MAX_GLOBAL_SHARED_POOLS, MAX_POOLS_PER_DOMAIN, TMEMC, TMEM_POOL, TMEM_SPEC_VERSION, UUID_NONE } from './tmem/defs.ts';

export type TmemOp = (typeof TMEM_OPS)[number];

export function isTmemOp(op: string): op is TmemOp {
  return (TMEM_OPS as readonly string[]).includes(op);
}

/** The section label of each op. */
const LABEL: Readonly<Record<TmemOp, string>> = {
  TMEM_CONTROL: 'tmem_control',
  TMEM_NEW_POOL: 'tmem_new_pool',
  TMEM_DESTROY_POOL: 'tmem_destroy_pool',
  TMEM_PUT_PAGE: 'tmem_put',
  TMEM_GET_PAGE: 'tmem_get',
  TMEM_FLUSH_PAGE: 'tmem_flush_page',
  TMEM_FLUSH_OBJECT: 'tmem_flush_object',
  TMEM_AUTH: 'tmem_auth',
};

/** struct tmem_op after a successful copy_from_guest (missing fields read as 0). */
interface TmemOpArgs {
  /** (uint32_t)op.pool_id. */
  poolId: number;
  oid: Oid;
  index: number;
  cmfn: number;
  flags: number;
  uuid: Uuid;
  subop: number;
  /** Control and auth target; missing means CLI_ID_NULL (all clients), as xl's --all. */
  cliId: number;
  arg1: number;
  arg2: number;
}

const isUuidHalf = (x: unknown): x is number => x === UUID_NONE || isU64(x);

/** Copies the op in; undefined when the copy faults (a field no C struct could hold). */
function copyTmemOp(args: unknown): TmemOpArgs | undefined {
  if (!isRecord(args)) return undefined;
  const { pool_id = 0, oid = [0, 0, 0], index = 0, cmfn = 0, flags = 0, uuid = [0, 0], subop = 0, cli_id = CLI_ID_NULL, arg1 = 0, arg2 = 0 } = args;
  // int32_t pool_id: negative ids are read as large unsigned ones (no such pool).
  if (typeof pool_id !== 'number' || !Number.isInteger(pool_id) || pool_id < -(2 ** 31) || pool_id > 0xffffffff) return undefined;
  if (!Array.isArray(oid) || oid.length !== 3 || !oid.every(isU64)) return undefined;
  if (!Array.isArray(uuid) || uuid.length !== 2 || !uuid.every(isUuidHalf)) return undefined;
  if (!isU32(index) || !isU64(cmfn) || !isU32(flags) || !isU32(subop) || !isU16(cli_id) || !isU32(arg1) || !isU32(arg2)) return undefined;
  return {
    poolId: pool_id >>> 0, oid: [oid[0], oid[1], oid[2]], index, cmfn, flags, uuid: [uuid[0], uuid[1]], subop, cliId: cli_id, arg1, arg2,
  };
}

/**
 * HYPERVISOR_tmem_op: one section per op.
 * @returns rc: -ENOSYS from 4.13 (no such hypercall); -ENODEV on 4.3 without the tmem boot
 * option, or on a pool the caller has not created; -EFAULT on an unreadable op; else per op:
 * TMEM_NEW_POOL pool id / -EPERM; TMEM_DESTROY_POOL 1 / 0; TMEM_PUT_PAGE 1 / -ENOMEM / -EFROZEN /
 * -ENOSPC / -EFAULT; TMEM_GET_PAGE 1 / 0 / -EEMPTY / -EFAULT; TMEM_FLUSH_PAGE and
 * TMEM_FLUSH_OBJECT 1 / -EFROZEN; TMEM_CONTROL -EPERM unless the control domain, then per subop;
 * TMEM_AUTH 1 / 0 / -EINVAL / -ENOMEM.
 */
export function* dispatchTmem(hv: HypercallContext, tmem: Tmem | null, caller: number, op: TmemOp, args: unknown): Sections {
  if (!hv.feat.tmemHypercall) {
    yield 'tmem';
    return { rc: -ENOSYS };
  }
  if (tmem === null) {
    yield 'tmem'; // !tmem_initialized
    return { rc: -ENODEV };
  }
  const result = doTmemOp(tmem, caller, op, args);
  tmem.stats.totalTmemOps++;
  if (result.rc < 0) tmem.stats.erroredTmemOps++;
  yield LABEL[op];
  return result;
}

/** do_tmem_op's body, in Xen's order. */
function doTmemOp(tmem: Tmem, caller: number, op: TmemOp, args: unknown): HypercallResult {
  const a = copyTmemOp(args);
  if (a === undefined) return { rc: -EFAULT };
  if (op === 'TMEM_CONTROL') {
    if (!tmem.hv.isControl(caller)) return { rc: -EPERM }; // XSA-15
    return doTmemControl(tmem, { subop: a.subop, cliId: a.cliId, poolId: a.poolId, arg1: a.arg1, arg2: a.arg2 });
  }
  if (op === 'TMEM_AUTH') {
    // public/tmem.h files TMEM_AUTH under "privileged commands", but 4.3's do_tmem_op never
    // checks: any domain may authorise any client. Reproduced. auth is (bool_t)flags: a char.
    const auth = a.flags & 0xff;
    if (auth > 1) return { rc: -EPERM }; // DIVERGENCE: Xen would write auth slot -1 (out of bounds)
    return { rc: sharedPoolAuth(tmem, a.cliId, a.uuid, auth === 1) };
  }
  const client = tmem.clientFor(caller);
  if (op === 'TMEM_NEW_POOL') return { rc: doTmemNewPool(tmem, client, a.flags, a.uuid) };
  if (op === 'TMEM_DESTROY_POOL') return { rc: doTmemDestroyPool(tmem, client, a.poolId) };
  const pool = a.poolId < MAX_POOLS_PER_DOMAIN ? client.pools[a.poolId] : null;
  if (pool === null) return { rc: -ENODEV }; // "operation requested on uncreated pool"
  tmem.current = client;
  try {
    switch (op) {
      case 'TMEM_PUT_PAGE':
        tmem.ensureAvailPages();
        return { rc: doTmemPut(tmem, caller, pool, a.oid, a.index, a.cmfn) };
      case 'TMEM_GET_PAGE':
        return { rc: doTmemGet(tmem, caller, pool, a.oid, a.index, a.cmfn) };
      case 'TMEM_FLUSH_PAGE':
        return { rc: doTmemFlushPage(tmem, pool, a.oid, a.index) };
      case 'TMEM_FLUSH_OBJECT':
        return { rc: doTmemFlushObject(tmem, pool, a.oid) };
    }
  } finally {
    tmem.current = null;
  }
}

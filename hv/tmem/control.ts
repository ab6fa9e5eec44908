// ≈ tmem.c's control side (4.3): do_tmem_control (TMEM_CONTROL, privileged since XSA-15) and
// tmemc_shared_pool_auth (TMEM_AUTH). Xen's bare `return -1` is kept as -1 (= -EPERM by value).
// DIVERGENCE: the save/restore/migration subops are not modelled beyond the constant getters;
// the others answer -1 like an unknown subop.

import { EINVAL, ENOMEM } from '../errno.ts';
import type { HypercallResult } from '../ops.ts';
import {
  CLI_ID_NULL, MAX_POOLS_PER_DOMAIN, PAGES_PER_MB, TMEMC, TMEM_SPEC_VERSION, UUID_NONE, uuidEq,
  type TmemClient, type TmemPool, type Uuid,
} from './defs.ts';
import type { Tmem } from './core.ts';

/** Xen's literal -1 from the control paths. */
const FAIL = -1;

/** The TMEM_CONTROL words after a successful copy. */
export interface ControlArgs {
  subop: number;
  cliId: number;
  poolId: number;
  arg1: number;
  arg2: number;
}

/**
 * do_tmem_control for the control domain (the caller checks privilege: -EPERM otherwise).
 * @returns rc 0 / 1 / -1 per subop; FLUSH the KiB released; QUERY_FREEABLE_MB the MiB freeable;
 * LIST adds `buf` (the text Xen writes into the guest buffer).
 */
export function doTmemControl(tmem: Tmem, a: ControlArgs): HypercallResult {
  switch (a.subop) {
    case TMEMC.THAW:
    case TMEMC.FREEZE:
    case TMEMC.DESTROY:
      return { rc: freezePools(tmem, a.cliId, a.subop === TMEMC.FREEZE) };
    case TMEMC.FLUSH:
      return { rc: flushMem(tmem, a.cliId, a.arg1) };
    case TMEMC.LIST:
      return list(tmem, a.cliId, a.arg1, a.arg2 !== 0);
    case TMEMC.SET_WEIGHT:
    case TMEMC.SET_CAP:
    case TMEMC.SET_COMPRESS:
      return { rc: setVar(tmem, a.cliId, a.subop, a.arg1) };
    case TMEMC.QUERY_FREEABLE_MB:
      return { rc: Math.floor(tmem.freeablePages() / PAGES_PER_MB) };
    case TMEMC.SAVE_GET_VERSION:
      return { rc: TMEM_SPEC_VERSION };
    case TMEMC.SAVE_GET_MAXPOOLS:
      return { rc: MAX_POOLS_PER_DOMAIN };
    case TMEMC.SAVE_GET_CLIENT_WEIGHT: {
      const c = tmem.clientFromCliId(a.cliId);
      return { rc: c === undefined ? FAIL : c.weight };
    }
    case TMEMC.SAVE_GET_POOL_NPAGES: {
      const p = poolOf(tmem, a.cliId, a.poolId);
      return { rc: p === null ? FAIL : p.pgpCount };
    }
    default:
      return { rc: FAIL };
  }
}

function poolOf(tmem: Tmem, cliId: number, poolId: number): TmemPool | null {
  const c = tmem.clientFromCliId(cliId);
  return c === undefined || poolId >= MAX_POOLS_PER_DOMAIN ? null : c.pools[poolId];
}

/** Every client (CLI_ID_NULL) or one; -1 when the domain or its client does not exist. */
function forClients(tmem: Tmem, cliId: number, fn: (c: TmemClient) => void): number {
  if (cliId === CLI_ID_NULL) {
    for (const c of tmem.clients.values()) fn(c);
    return 0;
  }
  const c = tmem.clientFromCliId(cliId);
  if (c === undefined) return FAIL;
  fn(c);
  return 0;
}

/** tmemc_freeze_pools: FREEZE freezes; THAW and (as written in 4.3) DESTROY thaw. */
function freezePools(tmem: Tmem, cliId: number, freeze: boolean): number {
  return forClients(tmem, cliId, (c) => (c.frozen = freeze));
}

/**
 * tmemc_flush_mem: only for all clients; KiB rounded up to pages, tmem_relinquish_npages, and
 * the KiB released (the whole free list, which may exceed the request). Wraps like Xen's uint32.
 */
function flushMem(tmem: Tmem, cliId: number, kb: number): number {
  if (cliId !== CLI_ID_NULL) return FAIL; // "-specific flush not supported yet, use --all"
  const npages = Math.floor((kb + 3) / 4) >>> 0;
  const flushed = tmem.relinquishNpages(npages);
  return ((flushed * 4) >>> 0) | 0;
}

/** tmemc_set_var; unknown clients -1. Weight updates client_weight_total. */
function setVar(tmem: Tmem, cliId: number, subop: number, arg1: number): number {
  return forClients(tmem, cliId, (c) => {
    if (subop === TMEMC.SET_WEIGHT) {
      tmem.clientWeightTotal += arg1 - c.weight;
      c.weight = arg1;
    } else if (subop === TMEMC.SET_CAP) c.cap = arg1;
    else c.compress = arg1 !== 0;
  });
}

/** tmemc_list: the G=, S=, C= and P= lines (a subset of Xen's counters). @returns rc 0 or -1. */
function list(tmem: Tmem, cliId: number, len: number, useLong: boolean): HypercallResult {
  const lines: string[] = [];
  const clientLines = (c: TmemClient): void => {
    lines.push(`C=CI:${c.cliId},ww:${c.weight},ca:${c.cap},co:${c.compress ? 1 : 0},fr:${c.frozen ? 1 : 0},`
      + `Tc:0,Ge:${c.succEphGets},Pp:${c.succPersPuts},Gp:${c.succPersGets}`
      + (useLong ? `,Ec:${c.ephemeralPageList.size},Em:${c.ephCountMax}` : ''));
    c.pools.forEach((p, i) => {
      if (p === null) return;
      lines.push(`P=CI:${c.cliId},PI:${i},PT:${p.persistent ? 'P' : 'E'}${p.shared ? 'S' : 'P'},`
        + `U0:${p.shared ? hex(p.uuid[0]) : 0},U1:${p.shared ? hex(p.uuid[1]) : 0}`
        + (useLong ? `,Pc:${p.pgpCount},Oc:${p.objects.size},ps:${p.stats.goodPuts},pt:${p.stats.puts},`
          + `pd:${p.stats.dupPutsFlushed},pr:${p.stats.dupPutsReplaced},px:${p.stats.noMemPuts},`
          + `gs:${p.stats.foundGets},gt:${p.stats.gets},fs:${p.stats.flushsFound},ft:${p.stats.flushs},`
          + `os:${p.stats.flushObjsFound},ot:${p.stats.flushObjs}` : ''));
    });
  };
  if (cliId === CLI_ID_NULL) {
    const s = tmem.stats;
    lines.push(`G=Tt:${s.totalTmemOps},Te:${s.erroredTmemOps},Cf:${s.failedCopies},Af:0,Pf:${s.allocPageFailed},`
      + `Ta:${tmem.pageList.length},Lm:0,Et:${s.evictedPgs},Ea:${s.evictAttempts},Rt:${s.relinqPgs},`
      + `Ra:${s.relinqAttempts},Rx:${s.maxEvictsPerRelinq},Fp:${s.totalFlushPool}`
      + (useLong ? `,Ec:${tmem.globalEphemeralPageList.size},Em:${tmem.globalEphCountMax},Fc:${tmem.freeablePageCount}` : ''));
    tmem.globalSharedPools.forEach((p, i) => {
      if (p === null) return;
      lines.push(`S=SI:${i},PT:${p.persistent ? 'P' : 'E'}S,U0:${hex(p.uuid[0])},U1:${hex(p.uuid[1])}`
        + p.shareList.map((c) => `,SC:${c.cliId}`).join(''));
    });
    for (const c of tmem.clients.values()) clientLines(c);
  } else {
    const c = tmem.clientFromCliId(cliId);
    if (c === undefined) return { rc: FAIL };
    clientLines(c);
  }
  // DIVERGENCE: Xen truncates per line against the buffer length; here the text is cut at len.
  const text = lines.map((l) => `${l}\n`).join('');
  return { rc: 0, buf: len > 0 ? text.slice(0, len) : text };
}

function hex(x: number): string {
  return x === UUID_NONE ? 'ffffffffffffffff' : x.toString(16);
}

/**
 * tmemc_shared_pool_auth (TMEM_AUTH): CLI_ID_NULL sets global_shared_auth; else adds (auth 1) or
 * removes (auth 0) a UUID in the client's 16 authorisation slots.
 * @returns 1 done, 0 removal of an absent UUID, -EINVAL no such client, -ENOMEM no free slot.
 */
export function sharedPoolAuth(tmem: Tmem, cliId: number, uuid: Uuid, auth: boolean): number {
  if (cliId === CLI_ID_NULL) {
    tmem.globalSharedAuth = auth;
    return 1;
  }
  const c = tmem.clientFromCliId(cliId);
  if (c === undefined) return -EINVAL;
  const i = c.sharedAuthUuid.findIndex((u) => u !== null && uuidEq(u, uuid));
  if (i >= 0) {
    if (!auth) c.sharedAuthUuid[i] = null;
    return 1;
  }
  if (!auth) return 0;
  const free = c.sharedAuthUuid.indexOf(null);
  if (free < 0) return -ENOMEM;
  c.sharedAuthUuid[free] = [uuid[0], uuid[1]];
  return 1;
}

// XEN_SYSCTL_page_offline_op (xen/common/sysctl.c) over offline_page, online_page and
// query_page_offline (xen/common/page_alloc.c; the same code in every modelled version): a free
// frame is offlined at once (reserve_offlined_page: it leaves the heap and total_avail_pages), a
// frame in use is marked offlining and offlined when it is freed. Released Xen never recalls
// claims when it offlines free memory (bug B10 of the shared reference: outstanding_claims can
// exceed total_avail_pages); the claim-set series does (hv/page-allocator.ts recallAfterOfflining).
//
// DIVERGENCE: broken pages (the #MC path, PGC_broken), PoD and Xen-heap pages are not modelled, so
// PG_OFFLINE_BROKEN / AGAIN / XENPAGE never appear; a range of more than MAX_STATUS frames is
// -ENOMEM (Xen's xmalloc_array of the status array fails at some size of its own heap).

import { EFAULT, EINVAL, ENOMEM } from './errno.ts';
import { isU32 } from './guest-args.ts';
import type { HypercallContext, Sections } from './hypercall-context.ts';
import { DOMID_INVALID } from './ops.ts';
import { OWNER_ANON, OWNER_FREE, OWNER_OFFLINED } from './page-allocator.ts';

export const SYSCTL_PAGE_OFFLINE = 1;
export const SYSCTL_PAGE_ONLINE = 2;
export const SYSCTL_QUERY_PAGE_OFFLINE = 3;

/** public/sysctl.h result flags (bits 0..15) and the owner (bits 16..31). */
export const PG_OFFLINE_INVALID = 1 << 0;
export const PG_OFFLINE_OFFLINED = 1 << 1;
export const PG_OFFLINE_PENDING = 1 << 2;
export const PG_OFFLINE_FAILED = 1 << 3;
export const PG_OFFLINE_ANONYMOUS = 1 << 10;
export const PG_OFFLINE_OWNED = 1 << 12;
export const PG_OFFLINE_OWNER_SHIFT = 16;
export const PG_ONLINE_ONLINED = PG_OFFLINE_OFFLINED;
/** query_page_offline's answers. */
export const PG_OFFLINE_STATUS_OFFLINED = 1 << 1;
export const PG_OFFLINE_STATUS_OFFLINE_PENDING = 1 << 3;

/** The most frames one call handles (a 4 MiB status array). */
export const MAX_STATUS = 1 << 20;

/**
 * do_sysctl's XEN_SYSCTL_page_offline_op (the caller passed xsm_sysctl): one section per frame
 * under heap_lock; stops at the first frame whose operation fails. Frames not reached keep
 * PG_OFFLINE_INVALID. @returns rc and status[] (end - start + 1 words).
 */
export function* pageOfflineOp(hv: HypercallContext, args: Record<string, unknown>): Sections {
  const { cmd, start, end } = args;
  if (!isU32(cmd) || !isU32(start) || !isU32(end)) {
    yield 'page_offline_op';
    return { rc: -EFAULT };
  }
  if (end < start || end - start + 1 > MAX_STATUS) {
    yield 'page_offline_op';
    return { rc: end < start ? -EINVAL : -ENOMEM };
  }
  const status = new Array<number>(end - start + 1).fill(PG_OFFLINE_INVALID);
  let rc = 0;
  for (let i = 0; i < status.length; i++) {
    const r = pageOp(hv, cmd, start + i);
    if (r.status !== undefined) status[i] = r.status;
    rc = r.rc;
    yield cmd === SYSCTL_PAGE_OFFLINE ? 'offline_page' : cmd === SYSCTL_PAGE_ONLINE ? 'online_page' : 'query_page_offline';
    if (rc !== 0) break;
  }
  return { rc, status };
}

function pageOp(hv: HypercallContext, cmd: number, mfn: number): { rc: number; status?: number } {
  switch (cmd) {
    case SYSCTL_PAGE_OFFLINE:
      return offlinePage(hv, mfn);
    case SYSCTL_PAGE_ONLINE:
      return onlinePage(hv, mfn);
    case SYSCTL_QUERY_PAGE_OFFLINE:
      return queryPageOffline(hv, mfn);
    default:
      return { rc: -EINVAL };
  }
}

/** offline_page(mfn, broken = 0, &status). */
function offlinePage(hv: HypercallContext, mfn: number): { rc: number; status?: number } {
  const heap = hv.heap;
  if (mfn >= heap.nrPages) return { rc: -EINVAL }; // !mfn_valid: status left as it was
  const owner = heap.ownerOf(mfn);
  // mark_page_offline: free -> offlined, anything else -> offlining (offlined stays offlined).
  if (owner === OWNER_FREE) {
    heap.reserveOfflinedFrame(mfn);
    return { rc: 0, status: PG_OFFLINE_OFFLINED };
  }
  if (owner === OWNER_OFFLINED) return { rc: 0, status: PG_OFFLINE_OFFLINED };
  heap.offlining.add(mfn);
  if (owner !== OWNER_ANON && hv.domains.has(owner)) {
    return { rc: 0, status: PG_OFFLINE_OWNED | PG_OFFLINE_PENDING | (owner << PG_OFFLINE_OWNER_SHIFT) };
  }
  // In flight, tmem's or Xen's own: no owner to take a reference on.
  return { rc: 0, status: PG_OFFLINE_ANONYMOUS | PG_OFFLINE_FAILED | (DOMID_INVALID << PG_OFFLINE_OWNER_SHIFT) };
}

/** online_page(mfn, &status): an offlined frame goes back to the heap; a pending one is cleared. */
function onlinePage(hv: HypercallContext, mfn: number): { rc: number; status?: number } {
  const heap = hv.heap;
  if (mfn >= heap.nrPages) return { rc: -EINVAL };
  if (heap.ownerOf(mfn) === OWNER_OFFLINED) {
    heap.onlineOfflinedFrame(mfn);
    return { rc: 0, status: PG_ONLINE_ONLINED };
  }
  if (heap.offlining.delete(mfn)) return { rc: 0, status: PG_ONLINE_ONLINED };
  return { rc: 0, status: 0 };
}

/** query_page_offline(mfn, &status). */
function queryPageOffline(hv: HypercallContext, mfn: number): { rc: number; status?: number } {
  const heap = hv.heap;
  if (mfn >= heap.nrPages) return { rc: -EINVAL };
  let status = 0;
  if (heap.offlining.has(mfn)) status |= PG_OFFLINE_STATUS_OFFLINE_PENDING;
  if (heap.ownerOf(mfn) === OWNER_OFFLINED) status |= PG_OFFLINE_STATUS_OFFLINED;
  return { rc: 0, status };
}

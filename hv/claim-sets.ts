// XEN_DOMCTL_claim_memory and domain_{set,get}_claim_entries: NUMA-aware claim sets as posted in
// "[PATCH v7 2/3] xen/mm: Introduce NUMA-aware memory claim sets" (Bernhard Kaindl, xen-devel,
// 2026-05-08, on top of 1/3 = 44adbac3c7 "xen/mm: Introduce per-node free page counter"; not
// merged). Only the '4.22+claim-sets' version has it; there XENMEM_claim_pages goes through
// domain_set_claim_entries too, with one LEGACY entry.
//
// A claim set is an array of {pages, target, cmd}: a target is a node id, HOST (a host-wide claim)
// or LEGACY (the old absolute-target rules). Node and host entries are amounts on top of the
// current pages, not totals. The set is checked and installed in one section under both locks
// (d->page_alloc_lock, heap_lock), replacing the domain's previous claims, which count as
// available to the checks.
//
// DIVERGENCE: claim_memory's first check, LLC colouring -> -EOPNOTSUPP, never fires: no modelled
// host has LLC colouring. The xmalloc_array failure (-ENOMEM) is not modelled either.

import { DOMDYING, type Domain } from './domain.ts';
import { E2BIG, EFAULT, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, ERANGE, ESRCH } from './errno.ts';
import { isRecord, isU32, isU64 } from './guest-args.ts';
import type { HypercallContext } from './hypercall-context.ts';
import {
  XEN_DOMCTL_CLAIM_MEMORY_GET,
  XEN_DOMCTL_CLAIM_MEMORY_HOST,
  XEN_DOMCTL_CLAIM_MEMORY_LEGACY,
  XEN_DOMCTL_CLAIM_MEMORY_SET,
  type HypercallResult,
  type MemoryClaim,
} from './ops.ts';
import { PageAllocator } from './page-allocator.ts';

/** MAX_NUMNODES on x86: a claim set holds at most one entry per node plus one host-wide entry. */
export const MAX_NUMNODES = 64;
const MAX_ENTRIES = MAX_NUMNODES + 1;
/** `a - b` in an unsigned long (the series ASSERTs it never wraps; a release build would). */
const ulongSub = (a: number, b: number): number => (a >= b ? a - b : 2 ** 64 + a - b);

/**
 * claim_memory(d, uinfo) after do_domctl's lookup and xsm_claim_pages(XSM_PRIV, d).
 * SET: 0 or -EINVAL / -E2BIG / -ESRCH / -EFAULT / -ENOENT / -ENOMEM. GET: 0 with nr_entries and
 * claim_set, or -ESRCH / -ERANGE with nr_entries (the count needed). Another mode: -EOPNOTSUPP.
 */
export function claimMemory(hv: HypercallContext, d: Domain, args: Record<string, unknown>): HypercallResult {
  const { mode = XEN_DOMCTL_CLAIM_MEMORY_SET, claim_set: list } = args;
  const nrEntries = args.nr_entries === undefined ? (Array.isArray(list) ? list.length : 0) : args.nr_entries;
  if (!isU32(mode) || !isU32(nrEntries)) return { rc: -EFAULT };
  let nr = nrEntries;
  switch (mode) {
    case XEN_DOMCTL_CLAIM_MEMORY_SET:
      if (nr === 0) return { rc: -EINVAL };
      if (nr > MAX_ENTRIES) return { rc: -E2BIG };
      break;
    case XEN_DOMCTL_CLAIM_MEMORY_GET:
      nr = Math.min(nr, MAX_ENTRIES);
      break;
    default:
      return { rc: -EOPNOTSUPP };
  }
  if (d.isDying !== DOMDYING.alive) return { rc: -ESRCH };
  if (mode === XEN_DOMCTL_CLAIM_MEMORY_GET) return getClaimEntries(hv.heap, d, nr);
  const entries = copyClaimSet(list, nr);
  if (entries === undefined) return { rc: -EFAULT };
  const rc = setClaimEntries(hv.heap, d, entries);
  hv.emit({ kind: 'claim', domid: d.domid, pages: entries.reduce((a, e) => a + e.pages, 0), rc });
  return { rc };
}

/** copy_from_guest of nr entries; undefined when the copy faults (too few, or not a struct). */
function copyClaimSet(list: unknown, nr: number): Required<MemoryClaim>[] | undefined {
  if (!Array.isArray(list) || list.length < nr) return undefined;
  const out: Required<MemoryClaim>[] = [];
  for (const e of list.slice(0, nr)) {
    if (!isRecord(e)) return undefined;
    const { pages, target, cmd = 0 } = e;
    if (!isU64(pages) || !isU32(target) || !isU32(cmd)) return undefined;
    out.push({ pages, target, cmd });
  }
  return out;
}

/**
 * domain_set_claim_entries(d, nr_entries, claim_set): the series' five phases, both locks held.
 * The entries are checked one by one in array order (so the first bad entry decides the errno),
 * then the set as a whole; a set whose entries are all 0 pages only releases.
 * @returns 0, -EINVAL, -ENOENT or -ENOMEM; on an error d's claims are unchanged.
 */
export function setClaimEntries(heap: PageAllocator, d: Domain, claimSet: readonly Required<MemoryClaim>[]): number {
  // Phase 1: the entries one by one.
  const nodes = new Set<number>();
  let nodeRequests = 0;
  let hostRequests = 0;
  let hostSeen = false;
  let legacy = false;
  for (const { pages, target, cmd } of claimSet) {
    if (cmd !== 0) return -EINVAL; // reserved
    if (target === XEN_DOMCTL_CLAIM_MEMORY_LEGACY || target === XEN_DOMCTL_CLAIM_MEMORY_HOST) {
      if (target === XEN_DOMCTL_CLAIM_MEMORY_LEGACY) legacy = true;
      if (hostSeen) return -EINVAL; // only one host-wide (or legacy) entry
      hostSeen = true;
      hostRequests = pages;
      continue;
    }
    if (target >= MAX_NUMNODES || target >= heap.nodes) return -ENOENT; // not valid or not online
    if (nodes.has(target)) return -EINVAL; // one entry per node
    nodes.add(target);
    const unclaimed = ulongSub(heap.nodeAvailPages(target), heap.nodeOutstanding[target]);
    if (pages > unclaimed + (d.nodeClaims?.[target] ?? 0)) return -ENOMEM;
    nodeRequests += pages;
  }
  // Phase 2: the set as a whole.
  const tot = d.totPages; // domain_tot_pages(d): extra pages are counted apart here
  let release = false;
  if (legacy) {
    if (nodeRequests !== 0) return -EINVAL;
    if (hostRequests === 0) release = true;
    else {
      // The old rules: an absolute target above the current pages, no claim outstanding.
      if (d.outstandingPages !== 0 || hostRequests <= tot) return -EINVAL;
      hostRequests -= tot;
    }
  } else if (hostRequests === 0 && nodeRequests === 0) release = true;
  if (!release) {
    if (hostRequests > d.maxPages || nodeRequests > d.maxPages - hostRequests || nodeRequests + hostRequests + tot > d.maxPages) return -EINVAL;
    if (nodeRequests + hostRequests > heap.unclaimedAvail() + d.outstandingPages) return -ENOMEM;
  }
  // Phase 3: release the old claims; phases 4 and 5: install the new ones.
  heap.setOutstandingPages(d, 0);
  if (release) return 0;
  d.outstandingPages = hostRequests + nodeRequests;
  heap.outstandingClaims += d.outstandingPages;
  if (nodeRequests > 0) {
    d.nodeClaims = new Array<number>(heap.nodes).fill(0);
    for (const { pages, target } of claimSet) {
      if (target >= MAX_NUMNODES) continue; // HOST / LEGACY
      d.nodeClaims[target] = pages;
      heap.nodeOutstanding[target] += pages;
    }
  }
  return 0;
}

/**
 * domain_get_claim_entries(d, nr_entries, entries): entry 0 is always the host-wide part, then one
 * entry per node d has a claim on, in node order. -ERANGE (with the count needed, nothing copied)
 * when `max` entries are too few; max 0 asks only for the count.
 */
function getClaimEntries(heap: PageAllocator, d: Domain, max: number): HypercallResult {
  const entries: Required<MemoryClaim>[] = [
    { pages: d.outstandingPages - PageAllocator.nodeClaimsOf(d), target: XEN_DOMCTL_CLAIM_MEMORY_HOST, cmd: 0 },
  ];
  for (let node = 0; node < heap.nodes; node++) {
    const pages = d.nodeClaims?.[node] ?? 0;
    if (pages !== 0) entries.push({ pages, target: node, cmd: 0 });
  }
  if (entries.length > max) return { rc: -ERANGE, nr_entries: entries.length };
  return { rc: 0, nr_entries: entries.length, claim_set: entries };
}

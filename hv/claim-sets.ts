// XEN_DOMCTL_claim_memory: NUMA-aware claim sets, as posted in "[PATCH v7 0/3] xen/mm: Introduce
// NUMA-aware memory claim sets" (Bernhard Kaindl, xen-devel, 2026-05-08; not merged). Only the
// '4.22+claim-sets' version has it. The rules are the shared reference's (xen-hypervisor.md §8):
// a claim set is an array of {pages, target, pad}; a target is a node, the host-wide selector or
// LEGACY (one entry only: the old absolute-target XENMEM_claim_pages code). The set is checked
// and installed atomically under both locks, replacing the domain's previous claims (which are
// credited back before the checks). Entries are amounts on top of the current pages, not totals.
//
// DIVERGENCE: the series' numeric target selectors are not in any Xen tree read here; this
// module uses CLAIM_TARGET_HOST = 0xfffffffe and CLAIM_TARGET_LEGACY = 0xffffffff.

import { DOMDYING, type Domain } from './domain.ts';
import { E2BIG, EINVAL, ENOENT, ENOMEM, ESRCH } from './errno.ts';
import { isRecord, isU64 } from './guest-args.ts';
import type { HypercallContext } from './hypercall-context.ts';

/** MAX_NUMNODES on x86. */
const MAX_NUMNODES = 64;
/** The host-wide claim selector ("GLOBAL", "HOST" or "UNPINNED" in the series' revisions). */
export const CLAIM_TARGET_HOST = 0xfffffffe;
/** One entry routed to the legacy XENMEM_claim_pages rules. */
export const CLAIM_TARGET_LEGACY = 0xffffffff;

/** One entry of a claim set (struct xen_memory_claim in the series). */
export interface ClaimEntry {
  pages: number;
  target: number;
  pad?: number;
}

const isU32 = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

/**
 * The claim-set domctl on an existing domain `d` (the caller passed do_domctl's lookup and XSM).
 * @returns 0, or -EINVAL / -E2BIG / -ESRCH / -ENOENT / -ENOMEM in the series' order.
 */
export function claimMemory(hv: HypercallContext, d: Domain, args: Record<string, unknown>): number {
  const raw = args.claims;
  if (!Array.isArray(raw) || raw.length === 0) return -EINVAL; // nr_claims == 0
  if (raw.length > MAX_NUMNODES + 1) return -E2BIG;
  const claims: ClaimEntry[] = [];
  for (const e of raw) {
    if (!isRecord(e) || !isU64(e.pages) || !isU32(e.target) || (e.pad !== undefined && e.pad !== 0)) return -EINVAL;
    claims.push({ pages: e.pages, target: e.target });
  }
  if (d.isDying !== DOMDYING.alive) return -ESRCH;
  const heap = hv.heap;
  if (claims.some((c) => c.target === CLAIM_TARGET_LEGACY)) {
    if (claims.length !== 1) return -EINVAL;
    // The old code path; a legacy claim replaces a claim set only through a cancel first.
    return heap.setOutstandingPages(d, claims[0].pages);
  }
  const perNode = new Map<number, number>();
  let host = 0;
  let hostSeen = false;
  for (const c of claims) {
    if (c.target === CLAIM_TARGET_HOST) {
      if (hostSeen) return -EINVAL;
      hostSeen = true;
      host = c.pages;
      continue;
    }
    if (c.target >= MAX_NUMNODES || c.target >= heap.nodes) return -ENOENT; // bad or offline node
    if (perNode.has(c.target)) return -EINVAL;
    perNode.set(c.target, c.pages);
  }
  // Checked against the state with d's current claims credited back.
  for (const [node, pages] of perNode) {
    const own = d.nodeClaims?.[node] ?? 0;
    if (pages > heap.nodeAvailPages(node) - heap.nodeOutstanding[node] + own) return -ENOMEM;
  }
  let total = host;
  for (const pages of perNode.values()) total += pages;
  if (d.totPages + total > d.maxPages) return -EINVAL;
  if (total > heap.unclaimedAvail() + d.outstandingPages) return -ENOMEM;
  // Install: replace the old claims atomically.
  heap.setOutstandingPages(d, 0);
  if (total === 0) return 0;
  const nodeClaims = new Array<number>(heap.nodes).fill(0);
  for (const [node, pages] of perNode) {
    nodeClaims[node] = pages;
    heap.nodeOutstanding[node] += pages;
  }
  d.nodeClaims = nodeClaims;
  d.outstandingPages = total;
  heap.outstandingClaims += total;
  hv.emit({ kind: 'claim', domid: d.domid, pages: total, rc: 0 });
  return 0;
}

// Reusable property predicates over a running Hypervisor: the promises a *fixed* Xen makes that
// injected (or native) bugs break. They are properties, not invariants (hv/invariants.ts holds
// what every version keeps): each returns a description of the breach, or null when it holds,
// so a test can `expect(pred(hv)).toBeNull()` and a race hunter can collect them per step.

import type { Hypervisor, HvEvent } from '../hv/index.ts';

/**
 * Claims are backed by free memory: `outstanding_claims <= AVAIL` (free heap, plus tmem
 * freeable pages in 4.3). Holds at every lock-free point in 4.22 (invariant 8 of the reference);
 * broken by B2 (re-grow before the pages reach the heap), B3 (split-lock window) and B4.
 * @returns null when it holds, else a one-line description.
 */
export function claimsExceedAvailable(hv: Hypervisor): string | null {
  const avail = hv.heap.availForClaims();
  const claims = hv.heap.outstandingClaims;
  return claims <= avail ? null : `outstanding_claims ${claims} > available ${avail}`;
}

/**
 * No claim outlived its domain: a claim still held when the domain structure is freed can never
 * be released (B1). @returns null when nothing leaked, else the leaked amount.
 */
export function leakedClaims(hv: Hypervisor): string | null {
  const leaked = hv.heap.leakedClaimPages;
  return leaked === 0 ? null : `${leaked} claimed pages leaked by destroyed domains`;
}

/**
 * The claim guarantee for one event: an 'alloc_failed' of 2^order pages for a domain whose own
 * remaining claim covers it, at a moment when fewer than 2^order frames were free at all (its
 * claim was not backed by memory). Call it from a listener, inside the refusing section.
 * @returns the breach, or null when the event is not one (or the refusal was fragmentation,
 *   placement or an order limit, which Xen never promised against).
 */
export function claimGuaranteeBreach(hv: Hypervisor, e: HvEvent): ClaimGuaranteeBreach | null {
  if (e.kind !== 'alloc_failed' || e.reason === 'order') return null;
  const request = 2 ** e.order;
  // Frames a domain could be given: 4.3's MEMZONE_XEN frame (MFN 1) counts for claims but never
  // goes to a domain, so it backs no claim.
  const free = hv.heap.availForClaims() - (hv.heap.totalAvailPages - hv.heap.domheapAvailPages());
  return e.outstanding >= request && free < request ? { event: e, freeAtEvent: free, claimsAtEvent: hv.heap.outstandingClaims } : null;
}

/** An allocation refusal that a claim should have prevented, with the heap state at that moment. */
export interface ClaimGuaranteeBreach {
  event: Extract<HvEvent, { kind: 'alloc_failed' }>;
  freeAtEvent: number;
  claimsAtEvent: number;
}

/**
 * Watches a hypervisor's events for broken claim guarantees: a domain is refused an allocation
 * of 2^order pages although its own remaining claim covers it, at a moment when fewer than
 * 2^order frames were free at all — i.e. its claim was not backed by memory. Refusals caused by
 * fragmentation, placement constraints or `MEMF_no_refcount` (free memory still >= request) are
 * not counted: Xen never promised those.
 * The listener reads the heap synchronously at emission, which is inside the refusing section.
 * @returns the breaches seen so far (a live array) and a function that stops watching.
 */
export function watchClaimGuarantee(hv: Hypervisor): { breaches: ClaimGuaranteeBreach[]; stop: () => void } {
  const breaches: ClaimGuaranteeBreach[] = [];
  const listener = (e: HvEvent): void => {
    const breach = claimGuaranteeBreach(hv, e);
    if (breach !== null) breaches.push(breach);
  };
  hv.listeners.push(listener);
  return {
    breaches,
    stop: () => {
      const i = hv.listeners.indexOf(listener);
      if (i >= 0) hv.listeners.splice(i, 1);
    },
  };
}

/**
 * The version's promises, checked together: claims backed by memory and no leaked claims.
 * @returns every breach found (empty when all hold).
 */
export function versionPromises(hv: Hypervisor): string[] {
  return [claimsExceedAvailable(hv), leakedClaims(hv)].filter((s): s is string => s !== null);
}

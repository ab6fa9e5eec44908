// Test drivers over the stepping model: run hypercalls section by section with the invariant
// checker after every section, and build domains the way the toolstack does. Shared by
// hv/*.test.ts and the property tests; they add no behaviour to the hypervisor.

import { checkInvariants, PAGES_PER_MIB, type Call, type HypercallResult, type Hypervisor } from '../hv/index.ts';

/**
 * Runs one section of `call` and then the structural invariant checker.
 * @param deep also scan the frame table and free lists (O(frames); default false: the counter
 *   invariants only — finishChecked scans once the call is done).
 * @returns the section's label.
 */
export function stepChecked(hv: Hypervisor, call: Call, deep = false): string {
  const label = hv.step(call);
  checkInvariants(hv, deep);
  return label;
}

/**
 * Runs the rest of `call` with the checker after every section, then a deep check.
 * @returns Xen's result.
 */
export function finishChecked(hv: Hypervisor, call: Call, deep = false): HypercallResult {
  while (!call.done) stepChecked(hv, call, deep);
  checkInvariants(hv);
  return call.result!;
}

/** hv.hypercall with the checker after every section. */
export function hypercallChecked(hv: Hypervisor, caller: number, op: string, args: object, deep?: boolean): HypercallResult {
  return finishChecked(hv, hv.begin(caller, op, args), deep);
}

/** Steps `call` until the section labelled `label` has run. Throws if the call ends first. */
export function stepUntil(hv: Hypervisor, call: Call, label: string): void {
  for (;;) {
    if (call.done) throw new Error(`stepUntil: call ended before section '${label}'`);
    if (stepChecked(hv, call) === label) return;
  }
}

/** Creates a domain (caller dom0) with max_pages set; no domid: any free one. @returns its domid. */
export function createDomain(hv: Hypervisor, maxPages: number, domid?: number): number {
  const r = hv.hypercall(0, 'XEN_DOMCTL_createdomain', domid === undefined ? {} : { domid });
  if (r.rc !== 0) throw new Error(`createdomain failed: ${r.rc}`);
  const id = r.domid as number;
  const m = hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid: id, max_memkb: maxPages * 4 });
  if (m.rc !== 0) throw new Error(`max_mem failed: ${m.rc}`);
  return id;
}

/** Consecutive gpfns for `nr` extents of `order`, starting at `base` (must be aligned). */
export function gpfns(nr: number, order: number, base = 0): number[] {
  return Array.from({ length: nr }, (_, i) => base + i * 2 ** order);
}

/** XENMEM_populate_physmap args for `nr` extents of `order` at consecutive gpfns from `base`. */
export function populateArgs(domid: number, nr: number, order: number, base = 0): object {
  return { domid, nr_extents: nr, extent_order: order, mem_flags: 0, extent_start: gpfns(nr, order, base) };
}

/** Pages in a MiB (4 KiB pages). */
export const MIB = PAGES_PER_MIB;

/** Free pages as physinfo reports them. */
export function freePages(hv: Hypervisor): number {
  return hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).free_pages as number;
}

/**
 * AVAIL of the claim rules without tmem: total_avail_pages. Equal to physinfo's free_pages except
 * on 4.3, where MFN 1 (zone 0 = MEMZONE_XEN) counts for claims but not as free domheap memory.
 */
export function availPages(hv: Hypervisor): number {
  return hv.heap.totalAvailPages;
}

/** Global outstanding claims as physinfo reports them. */
export function outstanding(hv: Hypervisor): number {
  return hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).outstanding_pages as number;
}

/** A domain's getdomaininfo record (throws if the answer is another domain). */
export function info(hv: Hypervisor, domid: number): { tot_pages: number; max_pages: number; outstanding_pages: number } {
  const r = hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid });
  if (r.rc !== 0 || r.domid !== domid) throw new Error(`getdomaininfo d${domid}: rc ${r.rc}, got d${String(r.domid)}`);
  return r as unknown as { tot_pages: number; max_pages: number; outstanding_pages: number };
}

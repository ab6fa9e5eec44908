// The virtual-time cost model: what each critical section charges to the hypervisor clock.
// Figures are round numbers of the right magnitude for a 2013-era x86 host (a 4 KiB page is
// cleared/scrubbed at ~4 GB/s, a hypercall entry costs ~1 µs); they make "population took 83 s"
// a property of the run, identical on every machine and in every replay.
//
// DIVERGENCE: the clock is one global counter; sections of different pCPUs are charged one after
// the other rather than overlapping, so wall-parallel work appears serialised in virtual time.

export interface CostModel {
  /** Entering (or re-entering, after a continuation) a hypercall. */
  hypercallNs: number;
  /** Per extent allocated from or returned to the heap (buddy work, p2m update). */
  extentNs: number;
  /** Per 4 KiB page populated (clearing it for the guest). */
  pagePopulateNs: number;
  /** Per page scrubbed when a dying domain's memory is freed. */
  pageScrubNs: number;
  /** Per page freed by a live domain (no scrub). */
  pageFreeNs: number;
  /** A memory op is preempted (continuation) after running this long since (re-)entry. */
  preemptSliceNs: number;
  /** Pages one relinquish section frees before a preemption check. */
  relinquishBatchPages: number;
  /** A tmem page copy (put/get). */
  tmemCopyNs: number;
}

export const DEFAULT_COSTS: Readonly<CostModel> = {
  hypercallNs: 1_000,
  extentNs: 500,
  pagePopulateNs: 250,
  pageScrubNs: 1_000,
  pageFreeNs: 50,
  preemptSliceNs: 1_000_000,
  relinquishBatchPages: 65_536,
  tmemCopyNs: 500,
};

// Events the hypervisor reports to observers (properties, traces, reports). Emitting one never
// changes hypervisor state.

import type { AllocFailure } from './page-allocator.ts';

export type HvEvent =
  /** An allocation for a domain failed; `outstanding` is the domain's claim at that moment. */
  | { kind: 'alloc_failed'; domid: number; order: number; outstanding: number; reason: AllocFailure }
  /** A domain's structure was freed while it still held a claim (bug B1): the claim is leaked. */
  | { kind: 'claim_leaked'; domid: number; pages: number }
  /** A claim was staked, changed or cancelled. */
  | { kind: 'claim'; domid: number; pages: number; rc: number }
  /** A domain finished dying. */
  | { kind: 'domain_destroyed'; domid: number }
  /**
   * 4.22: a populate's stashed, still unscrubbed extent (d->pending_scrub) was freed — by a
   * concurrent populate of the same domain, a mismatched re-entry, destruction or an unpause —
   * and the claim share its allocation consumed is gone, as for a refused extent.
   */
  | { kind: 'scrub_stash_freed'; domid: number; order: number }
  /** A guest's NUMA node byte was used unchecked (bug B15, XSA-231). */
  | { kind: 'xsa231'; caller: number; node: number };

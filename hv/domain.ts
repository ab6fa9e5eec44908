// struct domain, reduced to what memory management reads and writes (≈ xen/include/xen/sched.h).
// Counters are unsigned int in Xen; here they are plain numbers kept in range by asserts.

import { P2m } from './p2m.ts';

/** d->is_dying (xen/include/xen/sched.h: DOMDYING_alive / _dying / _dead). */
export const DOMDYING = { alive: 0, dying: 1, dead: 2 } as const;
export type DomDying = (typeof DOMDYING)[keyof typeof DOMDYING];

export type GuestType = 'pv' | 'pvh' | 'hvm';

export class Domain {
  /** Pages charged to the domain: counted, limited by maxPages (except where Xen lets it slip). */
  totPages = 0;
  /** Upper bound for totPages set by XEN_DOMCTL_max_mem; 0 for a fresh domain. */
  maxPages = 0;
  /** max_mem was set below tot_pages (Xen allows it): tot <= max no longer holds for this domain. */
  maxLoweredBelowTot = false;
  /** Remaining claim; written only together with Hypervisor.outstandingClaims (heap_lock). */
  outstandingPages = 0;
  /**
   * Claim sets: the part of outstandingPages pinned to each node (index = node); the rest of
   * outstandingPages is the host-wide claim. null without a claim set. Written with
   * PageAllocator.nodeOutstanding (heap_lock).
   */
  nodeClaims: number[] | null = null;
  /** MEMF_no_refcount pages owned but not in totPages (PGC_extra in master). */
  extraPages = 0;
  isDying: DomDying = DOMDYING.alive;
  /** Paused by the controller: is_paused_by_controller (4.3) or controller_pause_count > 0. */
  paused = true;
  /** d->controller_pause_count (4.5+, 3eb1c708ab): 1 at creation, at most 255. */
  controllerPauseCount = 1;
  /** d->creation_finished: set when the controller first unpauses the domain. */
  creationFinished = false;
  /** gpfn → mfn of every mapped frame; every entry's frame is owned by this domain. */
  readonly p2m = new P2m();
  /** Extents owned but not mapped (increase_reservation, paging pool): head mfn → order. */
  readonly unmappedExtents = new Map<number, number>();
  /** Round-robin NUMA cursor (d->last_alloc_node). */
  lastAllocNode = -1;
  /** Paging-pool frames (XEN_DOMCTL_set_paging_mempool_size), allocated MEMF_no_refcount. */
  readonly pagingPool: number[] = [];
  /**
   * d->pending_scrub (4.22): an allocated extent, not yet assigned to d (its claim share already
   * consumed), whose scrub stopped at `index` for a continuation; null when none.
   */
  pendingScrub: { mfn: number; order: number; index: number } | null = null;
  /** Frames still counted in totPages but stolen by an XENMEM_exchange in progress. */
  stolenPages = 0;
  /**
   * Virtual ns this domain's vCPUs have run (getdomaininfo's cpu_time): the cost of every section
   * of every hypercall the domain itself issued (HypercallContext.charge), nothing else.
   * DIVERGENCE: the emulated guests do no CPU work besides their hypercalls, so an idle domain
   * stays at 0 and a toolstack's work (dom0 building a guest) is billed to dom0.
   */
  cpuTimeNs = 0;

  constructor(
    readonly domid: number,
    readonly type: GuestType,
    public name: string,
    readonly maxVcpus: number,
    /** The domain this one is device model for (XSM_DM_PRIV), or -1. */
    readonly target: number,
  ) {}
}

// The Linux Xen balloon driver (drivers/xen/balloon.c + xen-balloon.c's memory/target watch) as
// a state machine over a HypercallPort. Two kernel generations: '3.x' (workqueue, unlimited
// retries, target capped by the balloon size) and 'upstream' (xen-balloon kthread,
// max_retry_count 4, inflation clamped to si_mem_available(), no memory hotplug configured).
// Left out: highmem/lowmem split, scrubbing, PV page-table updates, hot-add of memory.

import { assert } from '../hv/assert.ts';
import { DOMID_SELF } from '../hv/ops.ts';
import { NS_PER_SEC, type HypercallPort } from '../sim/port.ts';
import { bugOn } from './guest-bug.ts';
import type { PfnSpace } from './pfn-space.ts';

/** frame_list is one page of xen_pfn_t: 4096 / 8 = 512 frames per hypercall on 64-bit. */
export const BALLOON_BATCH_PAGES = 512;
/** balloon_stats.max_schedule_delay, seconds. */
export const MAX_SCHEDULE_DELAY_S = 32;
/** include/xen/balloon.h: max_retry_count 0 means retry forever. */
export const RETRY_UNLIMITED = 0;
/** Upstream balloon_init(): max_retry_count = 4. */
export const UPSTREAM_MAX_RETRY_COUNT = 4;
/** Upstream balloon_thread(): wait timeout when DONE or CANCELLED (3600 * HZ). */
export const UPSTREAM_IDLE_TIMEOUT_S = 3600;
/** xen-balloon.c: memory/target is in KiB; one 4 KiB page per 4 KiB. */
export const PAGE_KIB = 4;

export type KernelGeneration = '3.x' | 'upstream';

/** enum bp_state (BP_WAIT only arises with memory hotplug, which is not modelled). */
export type BpState = 'done' | 'eagain' | 'cancelled';

/** struct balloon_stats (minus the highmem split and hotplug fields). */
export interface BalloonStats {
  /** Pages the guest holds from Xen ("current allocation"). */
  currentPages: number;
  /** Pages the guest aims to hold ("target allocation"). */
  targetPages: number;
  /** Seconds until the next retry after a failure; 1 … maxScheduleDelay. */
  scheduleDelay: number;
  maxScheduleDelay: number;
  /** 1 after a success; counts failed attempts since. */
  retryCount: number;
  /** RETRY_UNLIMITED (0) or the cancel threshold. */
  maxRetryCount: number;
}

/** What the balloon needs from the rest of the guest kernel. */
export interface BalloonHooks {
  /** Direct reclaim before GFP_BALLOON allocations: try to free `pages` pages (e.g. drop clean page cache). */
  reclaim(pages: number): Promise<void>;
  /** si_mem_available(): pages the kernel could give up without swapping. Upstream only. */
  memAvailable(): number;
  /** totalreserve_pages. Upstream only. */
  totalreservePages(): number;
}

/**
 * One guest's balloon. Invariants: `stats.currentPages === pfns.populatedPages` between calls
 * (the guest's count is its frame map's count); a run is pending iff `nextRunAtNs` is defined.
 */
export class BalloonDriver {
  /** balloon_stats; written only by process() and setTarget(). */
  readonly stats: BalloonStats;
  /** balloon_state after the last run. */
  state: BpState = 'done';
  /** Virtual time (ns) of the next pending run of balloon_process, or undefined when idle. */
  nextRunAtNs: number | undefined = undefined;
  /** Upstream: credit when the thread went to sleep; a target change only wakes it if credit differs. */
  private waitCredit = 0;
  /** Last memory/target value seen by the xenstore watch. */
  private lastXsTarget: string | undefined = undefined;

  constructor(
    private readonly port: HypercallPort,
    private readonly pfns: PfnSpace,
    readonly generation: KernelGeneration,
    private readonly hooks: BalloonHooks,
  ) {
    this.stats = {
      currentPages: pfns.populatedPages,
      targetPages: pfns.populatedPages,
      scheduleDelay: 1,
      maxScheduleDelay: MAX_SCHEDULE_DELAY_S,
      retryCount: 1,
      maxRetryCount: generation === 'upstream' ? UPSTREAM_MAX_RETRY_COUNT : RETRY_UNLIMITED,
    };
  }

  /** balloon_low + balloon_high. */
  get balloonedPages(): number {
    return this.pfns.balloonedPages;
  }

  /**
   * balloon_set_new_target(): records the target and kicks the worker. 3.x:
   * schedule_delayed_work(…, 0) is a no-op while a retry is already queued. Upstream: wake_up()
   * ends the thread's wait only if it was DONE or the credit changed (balloon_thread_cond).
   */
  setTarget(targetPages: number): void {
    assert(Number.isSafeInteger(targetPages) && targetPages >= 0, () => `setTarget: bad target ${targetPages}`);
    this.stats.targetPages = targetPages;
    const now = this.port.now();
    if (this.generation === '3.x') {
      if (this.nextRunAtNs === undefined) this.nextRunAtNs = now;
      return;
    }
    if (this.state === 'done' || this.currentCredit() !== this.waitCredit) this.nextRunAtNs = now;
  }

  /** xen-balloon.c watch_target(): memory/target (KiB) changed → new target in pages. */
  async watchTarget(): Promise<void> {
    const raw = await this.port.xsRead('memory/target');
    if (raw === undefined || raw === this.lastXsTarget) return;
    this.lastXsTarget = raw;
    // watch_target() uses sscanf("%llu"): an unparsable node is ignored.
    if (!/^\d+$/.test(raw.trim())) return;
    this.setTarget(Math.floor(Number(raw.trim()) / PAGE_KIB));
  }

  /** credit: pages to populate (> 0) or give back (< 0). */
  currentCredit(): number {
    let target = this.stats.targetPages;
    // 3.x current_target(): never aim beyond the frames the guest has room for.
    if (this.generation === '3.x') target = Math.min(target, this.stats.currentPages + this.balloonedPages);
    return target - this.stats.currentPages;
  }

  /** True when a run is due at virtual time `nowNs`. */
  due(nowNs: number): boolean {
    return this.nextRunAtNs !== undefined && nowNs >= this.nextRunAtNs;
  }

  /**
   * balloon_process() / one wake of balloon_thread(): loops while there is credit and each
   * step succeeds, then schedules the next run from the back-off state.
   * @throws GuestBugError when Xen returns a short count to decrease_reservation.
   */
  async process(): Promise<BpState> {
    this.nextRunAtNs = undefined;
    let credit: number;
    let state: BpState;
    let steps = 0;
    do {
      credit = this.currentCredit();
      state = 'done';
      if (credit > 0) state = await this.grow(credit);
      if (credit < 0) state = await this.shrink(-credit);
      state = this.updateSchedule(state);
      assert(++steps < 1_000_000, 'balloon_process: no progress');
    } while (credit !== 0 && state === 'done');
    this.state = state;
    this.waitCredit = this.currentCredit();
    this.scheduleNext();
    return state;
  }

  /** update_schedule(): reset on success, double the delay on failure, cancel past the limit. */
  private updateSchedule(state: BpState): BpState {
    const s = this.stats;
    if (state === 'cancelled') return state;
    if (state === 'done') {
      s.scheduleDelay = 1;
      s.retryCount = 1;
      return state;
    }
    ++s.retryCount;
    if (s.maxRetryCount !== RETRY_UNLIMITED && s.retryCount > s.maxRetryCount) {
      s.scheduleDelay = 1;
      s.retryCount = 1;
      return 'cancelled';
    }
    s.scheduleDelay = Math.min(s.scheduleDelay * 2, s.maxScheduleDelay);
    return 'eagain';
  }

  private scheduleNext(): void {
    const now = this.port.now();
    if (this.state === 'eagain') this.nextRunAtNs = now + this.stats.scheduleDelay * NS_PER_SEC;
    else if (this.state === 'cancelled' && this.generation === 'upstream') this.nextRunAtNs = now + UPSTREAM_IDLE_TIMEOUT_S * NS_PER_SEC;
    // DONE (both) and CANCELLED (3.x): idle until the next setTarget().
  }

  private async grow(credit: number): Promise<BpState> {
    if (this.balloonedPages === 0) {
      // Upstream without CONFIG_XEN_BALLOON_MEMORY_HOTPLUG: reserve_additional_memory() clamps
      // the target to what the guest has and cancels. (3.x never gets here: current_target caps.)
      this.stats.targetPages = this.stats.currentPages;
      return 'cancelled';
    }
    return this.increaseReservation(credit);
  }

  private async shrink(debit: number): Promise<BpState> {
    if (this.generation === '3.x') return this.decreaseReservation(debit);
    const nPages = Math.min(debit, this.hooks.memAvailable());
    // DIVERGENCE: with nothing available Linux issues a 0-extent decrease; we skip the no-op call.
    if (nPages <= 0) return 'eagain';
    const state = await this.decreaseReservation(nPages);
    if (state === 'done' && nPages !== debit && nPages < this.hooks.totalreservePages()) return 'eagain';
    return state;
  }

  /** increase_reservation(): populate up to 512 ballooned pfns from the list head; short counts are normal. */
  private async increaseReservation(nrPages: number): Promise<BpState> {
    const frameList = this.pfns.peekBallooned(Math.min(nrPages, BALLOON_BATCH_PAGES));
    const { rc } = await this.port.hypercall('XENMEM_populate_physmap', {
      domid: DOMID_SELF,
      nr_extents: frameList.length,
      extent_order: 0,
      mem_flags: 0,
      extent_start: frameList,
    });
    if (rc <= 0) return 'eagain';
    bugOn(rc > frameList.length, 'drivers/xen/balloon.c increase_reservation: more extents than asked');
    for (let i = 0; i < rc; i++) this.pfns.balloonRetrieve(frameList[i]);
    this.stats.currentPages += rc;
    return 'done';
  }

  /**
   * decrease_reservation(): allocate up to 512 pages (GFP_BALLOON: one reclaim attempt, no
   * retry), balloon them, then one XENMEM_decrease_reservation that must return exactly n.
   */
  private async decreaseReservation(nrPages: number): Promise<BpState> {
    let n = Math.min(nrPages, BALLOON_BATCH_PAGES);
    const shortfall = n - this.pfns.freePages;
    if (shortfall > 0) await this.hooks.reclaim(shortfall);
    let state: BpState = 'done';
    const frameList: number[] = [];
    for (let i = 0; i < n; i++) {
      const pfn = this.pfns.allocPage();
      if (pfn === undefined) {
        state = 'eagain';
        break;
      }
      frameList.push(pfn);
    }
    n = frameList.length;
    // The pages leave the kernel (P2M invalidated, on the balloon list) before Xen is told.
    for (const pfn of frameList) this.pfns.balloonAppend(pfn);
    // DIVERGENCE: Linux issues the hypercall even for 0 pages (Xen returns 0); we skip the no-op.
    if (n > 0) {
      const { rc } = await this.port.hypercall('XENMEM_decrease_reservation', {
        domid: DOMID_SELF,
        nr_extents: n,
        extent_order: 0,
        mem_flags: 0,
        extent_start: frameList,
      });
      bugOn(rc !== n, `drivers/xen/balloon.c decrease_reservation: BUG_ON(ret != nr_pages) (ret ${rc}, nr_pages ${n})`);
    }
    this.stats.currentPages -= n;
    return state;
  }
}

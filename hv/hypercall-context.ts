// The hypercall context: what every hypercall handler (memop.ts, domctl.ts, tmem.ts and hv/tmem/)
// reads and writes — the domain table, the heap, the version's features, the cost model and the
// virtual clock it charges, the event observers — and the checks Xen makes on `current`
// (is_control_domain, XSM_TARGET). It sits below the handlers and above the allocator;
// hypervisor.ts extends it with the stepping model (begin/step/finish) and the dispatch.
// Every hv/ import points one way: handlers → this module → page-allocator.ts, domain.ts, ….

import { assert } from './assert.ts';
import { ConsoleRing } from './console.ts';
import type { CostModel } from './cost-model.ts';
import { Domain, type GuestType } from './domain.ts';
import type { HvEvent } from './events.ts';
import type { HypercallResult } from './ops.ts';
import type { PageAllocator } from './page-allocator.ts';
import { DirtyFrames } from './scrub.ts';
import type { Features } from './version.ts';

/** A critical section's generator: yields section labels, returns Xen's result. */
export type Sections = Generator<string, HypercallResult, void>;

/**
 * What the stepping model drives: a Sections generator, or a hand-written state machine for a hot
 * op (memop.ts's populate). Each next() runs one section; its result is read before the next
 * call, so a runner may return the same IteratorResult object each time.
 */
export interface SectionRunner {
  next(): IteratorResult<string, HypercallResult>;
}

/** A one-section op: `label`, then `result`. */
export function* once(label: string, result: HypercallResult): Sections {
  yield label;
  return result;
}

/** What the domain lifecycle and the invariant checker ask of tmem (hv/tmem/core.ts implements it). */
export interface TmemDomainHooks {
  /** Frames owned by `domid` that tmem holds (persistent pages charged to the client). */
  clientPages(domid: number): number;
  /** tmem_destroy(d->tmem) from domain_kill. */
  destroyClient(domid: number): void;
}

/**
 * The state a hypercall runs against. Written only by the owner of the hypervisor, inside
 * sections. Invariant: every domain in `domains` is alive or dying (a dead one has left the map).
 */
export abstract class HypercallContext {
  /** Live and dying domains by domid; a domain leaves the map when its destruction completes. */
  readonly domains = new Map<number, Domain>();
  /** Virtual time in ns; advanced only by sections (charge) and by advanceClockTo(). */
  now = 0;
  /**
   * `current->domain`: the domain whose vCPU issued the hypercall whose section is running, set
   * by Hypervisor.step around each section (undefined between sections); charge() bills it.
   */
  current: Domain | undefined = undefined;
  /** Observers of hypervisor events (allocation failures, leaks …): properties and reports. */
  readonly listeners: Array<(e: HvEvent) => void> = [];
  /** PGC_need_scrub of free (and stashed) frames; used only with feat.deferredPopulateScrub. */
  readonly dirty = new DirtyFrames();
  /** The console ring (conring): what printk wrote, read by XEN_SYSCTL_readconsole. */
  readonly console = new ConsoleRing();
  /** A debug build: gdprintk prints (HypervisorOptions.debugBuild); set once at boot. */
  debugBuild = true;
  /** Domid rover of XEN_DOMCTL_createdomain (domctl.c). */
  domidRover = 0;
  /** tmem (4.3 with the tmem boot option), else null. */
  abstract readonly tmem: TmemDomainHooks | null;

  constructor(
    readonly feat: Features,
    readonly heap: PageAllocator,
    readonly costs: Readonly<CostModel>,
    /** Number of physical CPUs reported by physinfo. */
    readonly nrCpus: number,
    /** XENMEM_claim_pages exists (HypervisorOptions.claimPages). */
    readonly hasClaimPages: boolean,
  ) {}

  /**
   * alloc_heap_pages without MEMF_no_scrub: the dirty frames of a just-allocated block are
   * scrubbed there and then (charged to the clock).
   */
  scrubOnAlloc(mfn: number, pages: number): void {
    if (this.dirty.frames === 0) return;
    this.charge(this.dirty.clear(mfn, pages) * this.costs.pageScrubNs);
  }

  /** free_domheap_pages of an extent allocated for d but never assigned (a pending scrub). */
  dropPendingScrub(d: Domain): void {
    const p = d.pendingScrub;
    if (p === null) return;
    d.pendingScrub = null;
    this.heap.freeHeapPages(p.mfn, p.order);
    this.emit({ kind: 'scrub_stash_freed', domid: d.domid, order: p.order });
  }

  emit(e: HvEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Charges a section's cost to the virtual clock and to the vCPU time of the domain that issued
   * the hypercall (its runstate time: what getdomaininfo's cpu_time sums).
   */
  charge(ns: number): void {
    this.now += ns;
    if (this.current !== undefined) this.current.cpuTimeNs += ns;
  }

  /** Moves virtual time forward (actors sleeping); never backwards. */
  advanceClockTo(t: number): void {
    assert(t >= this.now, 'advanceClockTo: time goes backwards');
    this.now = t;
  }

  domain(domid: number): Domain | undefined {
    return this.domains.get(domid);
  }

  /** is_control_domain(current->domain): dom0 is the only privileged domain here. */
  isControl(caller: number): boolean {
    return caller === 0;
  }

  /** XSM_TARGET (dummy policy): self, the control domain, or d's device model. */
  xsmTarget(caller: number, d: Domain): boolean {
    if (caller === d.domid || this.isControl(caller)) return true;
    return this.domains.get(caller)?.target === d.domid;
  }

  /**
   * XSM_XS_PRIV (dummy policy): the control domain, the xenstore domain (not modelled), or d's
   * device model — not d itself (the label sits past XSM_TARGET's self check).
   */
  xsmXsPriv(caller: number, d: Domain): boolean {
    return this.isControl(caller) || this.domains.get(caller)?.target === d.domid;
  }

  /** Creates a domain directly (createdomain, boot-time helper for tests and scenarios). @internal */
  newDomain(domid: number, type: GuestType, name: string, maxVcpus: number, target: number): Domain {
    assert(!this.domains.has(domid), 'newDomain: domid in use');
    const d = new Domain(domid, type, name, maxVcpus, target);
    this.domains.set(domid, d);
    return d;
  }
}

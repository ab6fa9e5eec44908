// The emulated hypervisor: state, the hypercall entry point and the stepping model.
// A hypercall in flight runs on a virtual pCPU as a sequence of critical sections (one per Xen
// lock region, plus preemption points of long memory ops). Each op is a generator: the code up to
// each `yield` is one section, atomic with respect to every other section, and the yielded value
// names it. Whoever owns the hypervisor chooses which in-flight call's next section runs; that
// choice is the only nondeterminism here. This module reads no clock and draws no random number.

import { assert, AssertionError } from './assert.ts';
import { DEFAULT_COSTS, type CostModel } from './cost-model.ts';
import { Domain, DOMDYING } from './domain.ts';
import { ENOSYS, ESRCH } from './errno.ts';
import { dispatchDomctl, isDomctlOp } from './domctl.ts';
import { HypercallContext, once, type SectionRunner, type Sections } from './hypercall-context.ts';
import { HypervisorOptionsError, validateHypervisorOptions, type HypervisorOptions } from './options.ts';
import { dispatchMemop, isMemop } from './memop.ts';
import { isOpName, type HypercallResult, type OpName } from './ops.ts';
import { PageAllocator } from './page-allocator.ts';
import { features, type XenVersion } from './version.ts';
import { Tmem, dispatchTmem, isTmemOp } from './tmem.ts';
import { pow2 } from './pow2.ts';

export type { Sections, HypervisorOptions };

/** One hypercall in flight. */
export class Call {
  /** Sections run so far. */
  sections = 0;
  /** Label of the last section run. */
  lastLabel = '';
  /** Set when the last section has run. */
  result: HypercallResult | undefined;
  /**
   * The op's sections, made by the first step (the entry checks run in the first section).
   * @internal
   */
  gen: SectionRunner | null = null;
  /**
   * The call's number in the run: 0 until its first section runs, then numbered in the order calls
   * first ran. That order is the run's (its steps); the order calls arrived in is thread timing on
   * real threads, which a replay does not reproduce, so numbering at arrival gave a property that
   * printed the call a different message in the run and in its replay.
   */
  id = 0;
  constructor(
    readonly caller: number,
    readonly op: string,
    readonly args: unknown,
  ) {}
  get done(): boolean {
    return this.result !== undefined;
  }
}

export const PAGES_PER_MIB = 256;

/** The hypervisor: the hypercall context (hypercall-context.ts) plus the stepping model. */
export class Hypervisor extends HypercallContext {
  /** tmem (4.3 with the tmem boot option), else null. */
  readonly tmem: Tmem | null;
  private nextCallId = 1;

  /**
   * Boots a host: the heap, dom0 with its memory, tmem if asked for.
   * @throws HypervisorOptionsError naming every field validateHypervisorOptions refuses.
   */
  constructor(opts: HypervisorOptions) {
    const problems = validateHypervisorOptions(opts);
    if (problems.length > 0) throw new HypervisorOptionsError(problems);
    const { memoryMiB, xen = '4.22', nodes = 1, inject = [], tmem = false } = opts;
    const feat = features(xen, inject);
    const costs: CostModel = { ...DEFAULT_COSTS };
    for (const [k, v] of Object.entries(opts.costs ?? {})) if (v !== undefined) costs[k as keyof CostModel] = v;
    super(feat, new PageAllocator(memoryMiB * PAGES_PER_MIB, nodes, feat), costs, opts.nrCpus ?? 8, opts.claimPages ?? true);
    this.debugBuild = opts.debugBuild ?? true;
    this.tmem = tmem ? new Tmem(this) : null;
    if (this.tmem !== null) this.heap.tmem = this.tmem;
    this.heap.domainList = () => [...this.domains.values()].sort((a, b) => a.domid - b.domid); // domain_list is sorted
    const dom0MiB = opts.dom0MiB ?? Math.min(1024, Math.floor(memoryMiB / 8));
    this.bootDom0(opts.dom0Pages ?? dom0MiB * PAGES_PER_MIB);
  }

  get version(): XenVersion {
    return this.feat.version;
  }

  /** construct_dom0: dom0 gets its memory at boot, mapped from gpfn 0, and no max_pages limit. */
  private bootDom0(pages: number): void {
    const d0 = new Domain(0, 'pv', 'Domain-0', this.nrCpus, -1);
    d0.maxPages = 0xffffffff; // ~0U
    d0.paused = false;
    d0.controllerPauseCount = 0;
    d0.creationFinished = true;
    this.domains.set(0, d0);
    let gpfn = 0;
    while (gpfn < pages) {
      // The largest block that fits what is left; smaller ones where fragmentation (MFN 0, node
      // boundaries) leaves no block that large.
      let order = 18;
      while (pow2(order) > pages - gpfn) order--;
      let mfn = this.heap.allocHeapPages(order, 0, d0);
      while (typeof mfn !== 'number' && order > 0) mfn = this.heap.allocHeapPages(--order, 0, d0);
      assert(typeof mfn === 'number', 'new Hypervisor: not enough memory for dom0MiB');
      assert(this.heap.assignPages(d0, mfn, order, 0), 'boot: dom0 assign');
      d0.p2m.map(gpfn, mfn, pow2(order));
      gpfn += pow2(order);
    }
  }

  /**
   * Starts a hypercall: nothing runs until step(). Unknown ops answer -ENOSYS (one section);
   * a caller that is not a live domain answers -ESRCH (no vCPU could have issued it).
   */
  begin(caller: number, op: string, args: unknown): Call {
    return new Call(caller, op, args);
  }

  /**
   * The hypercall entry, run at the start of its first section: the caller check, the entry
   * cost, then the op's own sections. Returns the handler's generator itself rather than
   * delegating to it (yield*), so each later section resumes one generator, not a chain.
   */
  private sections(caller: number, op: string, args: unknown): SectionRunner {
    const c = this.domains.get(caller);
    if (!Number.isSafeInteger(caller) || c === undefined || c.isDying !== DOMDYING.alive) return once('entry', { rc: -ESRCH });
    this.charge(this.costs.hypercallNs);
    if (!isOpName(op) || (op === 'XENMEM_claim_pages' && !this.hasClaimPages)) return once('entry', { rc: -ENOSYS });
    if (isMemop(op)) return dispatchMemop(this, caller, op, args);
    if (isDomctlOp(op)) return dispatchDomctl(this, caller, op, args);
    if (isTmemOp(op)) return dispatchTmem(this, this.tmem, caller, op, args);
    return once('entry', { rc: -ENOSYS });
  }

  /**
   * Runs the next critical section of `call`. @returns the section's label. Throws (tier 2) only
   * on a broken invariant.
   */
  step(call: Call): string {
    assert(!call.done, 'step: call already finished');
    this.current = this.domains.get(call.caller);
    let r: IteratorResult<string, HypercallResult>;
    try {
      if (call.gen === null) {
        call.id = this.nextCallId++;
        call.gen = this.sections(call.caller, call.op, call.args);
      }
      r = call.gen.next();
    } finally {
      this.current = undefined;
    }
    call.sections++;
    if (r.done) {
      // The code after the last lock region: the hypercall returns to the guest.
      call.result = r.value;
      return 'return';
    }
    call.lastLabel = r.value;
    return r.value;
  }

  /** Runs a call's remaining sections back to back (no other call interleaves). */
  finish(call: Call): HypercallResult {
    while (!call.done) this.step(call);
    return call.result!;
  }

  /**
   * Run-to-completion convenience: issues `op` from domain `caller` and runs all its sections.
   * @returns Xen's result: `rc` is extents done for reservation ops, else 0 or a negative errno.
   */
  hypercall(caller: number, op: OpName | string, args: object = {}): HypercallResult {
    return this.finish(this.begin(caller, op, args));
  }
}

export { AssertionError };

// The hypervisor's boot options (HypervisorOptions) and their one validation. Every layer that
// lets a number reach `new Hypervisor` — the scenario loader, the trace-header reader, the CLI —
// calls validateHypervisorOptions and turns its messages into its own; the constructor calls it
// too and throws HypervisorOptionsError. The limits are the model's and are listed in
// docs/limits.md: change one here and there together.

import { DEFAULT_COSTS, type CostModel } from './cost-model.ts';
import { XEN_VERSIONS, isXenVersion, type XenVersion } from './version.ts';

export interface HypervisorOptions {
  memoryMiB: number;
  xen?: XenVersion;
  nodes?: number;
  /** dom0_mem; default min(1024, memoryMiB / 8). */
  dom0MiB?: number;
  /**
   * dom0_mem in 4 KiB pages (Xen's `dom0_mem=<n>K` with n a multiple of 4), instead of dom0MiB:
   * 0 … memoryMiB × 256 − 1 (every frame but MFN 0, which is never in the heap).
   */
  dom0Pages?: number;
  /** Historical bugs to inject (B1 …), on top of the version's own. */
  inject?: string[];
  /** Xen's `tmem` boot option (4.3 only; off by default, as in Xen). */
  tmem?: boolean;
  costs?: Partial<CostModel>;
  /** Number of physical CPUs reported by physinfo. */
  nrCpus?: number;
  /**
   * false: a hypervisor without XENMEM_claim_pages (Xen ≤ 4.2, before claims existed), which
   * answers it -ENOSYS — what toolstack bug B7 squashes to success. Default true.
   */
  claimPages?: boolean;
  /**
   * A debug build (CONFIG_DEBUG, no NDEBUG): gdprintk prints, so an allocation failure in
   * populate_physmap / increase_reservation leaves memory.c's line in the console ring
   * (`xl dmesg`). A release build prints nothing at the points modelled. Default true.
   * DIVERGENCE: Xen's releases are built without CONFIG_DEBUG; the default is the debug build
   * because its messages are what a lesson about claims and failed builds wants to show.
   */
  debugBuild?: boolean;
}

/**
 * The limits of the model (docs/limits.md, "Hypervisor").
 * - memoryMiB ≤ 16 TiB: 2^32 frames, what a 32-bit mfn (the p2m's entries) can name.
 * - nodes ≤ 64: MAX_NUMNODES on x86.
 * - nrCpus ≤ 4096: physinfo's count only; the scenario loader's bound.
 * - per-page costs ≤ 10^6 ns: the virtual clock counts integer ns in a double, exact below 2^53;
 *   freeing or populating every frame of the largest host once stays below it (2^32 × 10^6 < 2^53).
 * - per-call and per-extent costs ≤ 10^9 ns (1 s); preemptSliceNs ≤ 10^12 ns.
 * - preemptSliceNs 0 with hypercallNs 0 where the first extent may be preempted (4.3, B13): a
 *   memory op would re-enter for ever with the clock frozen.
 * - relinquishBatchPages in [1, 2^20]: 0 would end a destroy with frames still owned (a leak);
 *   a batch's frame runs take up to 16 bytes a page.
 */
export const HV_LIMITS = {
  memoryMiB: { min: 4, max: 16 * 1024 * 1024 },
  nodes: { min: 1, max: 64 },
  nrCpus: { min: 1, max: 4096 },
  perPageCostNs: 1_000_000,
  perCallCostNs: 1_000_000_000,
  preemptSliceNs: 1_000_000_000_000,
  relinquishBatchPages: { min: 1, max: 2 ** 20 },
} as const;

/** Each cost field's bounds: [min, max, unit]. */
const COST_LIMITS: Readonly<Record<keyof CostModel, readonly [number, number, string]>> = {
  hypercallNs: [0, HV_LIMITS.perCallCostNs, 'ns'],
  extentNs: [0, HV_LIMITS.perCallCostNs, 'ns'],
  pagePopulateNs: [0, HV_LIMITS.perPageCostNs, 'ns'],
  pageScrubNs: [0, HV_LIMITS.perPageCostNs, 'ns'],
  pageFreeNs: [0, HV_LIMITS.perPageCostNs, 'ns'],
  tmemCopyNs: [0, HV_LIMITS.perPageCostNs, 'ns'],
  // 0 is "hypercall_preempt_check() always true" (busy pCPUs). Where the first extent may be
  // preempted (B13) a memory op then never progresses, as in Xen; each continuation still costs
  // hypercallNs, so virtual time moves and a run's `until` ends it — unless hypercallNs is 0 too:
  // that combination is refused below.
  preemptSliceNs: [0, HV_LIMITS.preemptSliceNs, 'ns'],
  relinquishBatchPages: [HV_LIMITS.relinquishBatchPages.min, HV_LIMITS.relinquishBatchPages.max, 'pages'],
};

const OPTION_KEYS = ['memoryMiB', 'xen', 'nodes', 'dom0MiB', 'dom0Pages', 'inject', 'tmem', 'costs', 'nrCpus', 'claimPages', 'debugBuild'] as const;

/** Bug names of the reference's table (B1 … B15); the hypervisor acts on those in HV_BUGS. */
const BUG_NAME = /^B([1-9]|1[0-5])$/;

/** Thrown by `new Hypervisor` on options validateHypervisorOptions refuses; one message a field. */
export class HypervisorOptionsError extends Error {
  override name = 'HypervisorOptionsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid hypervisor options: ${problems.join('; ')}`);
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
};

function intIn(problems: string[], field: string, v: unknown, min: number, max: number, unit = ''): v is number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max) return true;
  problems.push(`${field} must be an integer in [${min}, ${max}]${unit === '' ? '' : ` ${unit}`} (got ${show(v)})`);
  return false;
}

/**
 * Checks every field of HypervisorOptions against the model's limits (HV_LIMITS, docs/limits.md).
 * Pure; never throws.
 * @returns one message per bad field, naming the field, the limit and the value; [] when valid.
 */
export function validateHypervisorOptions(opts: unknown): string[] {
  const problems: string[] = [];
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return [`options must be an object (got ${show(opts)})`];
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) problems.push(`unknown option ${show(k)} (known: ${OPTION_KEYS.join(', ')})`);
  }
  const memOk = intIn(problems, 'memoryMiB', o.memoryMiB, HV_LIMITS.memoryMiB.min, HV_LIMITS.memoryMiB.max, 'MiB');
  const xen = o.xen ?? '4.22';
  if (!isXenVersion(xen)) problems.push(`xen must be one of ${XEN_VERSIONS.join(', ')} (got ${show(o.xen)})`);
  if (o.nodes !== undefined) intIn(problems, 'nodes', o.nodes, HV_LIMITS.nodes.min, HV_LIMITS.nodes.max);
  if (o.dom0MiB !== undefined && memOk) intIn(problems, 'dom0MiB', o.dom0MiB, 0, (o.memoryMiB as number) - 1, 'MiB (below memoryMiB)');
  else if (o.dom0MiB !== undefined) intIn(problems, 'dom0MiB', o.dom0MiB, 0, HV_LIMITS.memoryMiB.max - 1, 'MiB');
  if (o.dom0Pages !== undefined) intIn(problems, 'dom0Pages', o.dom0Pages, 0, (memOk ? (o.memoryMiB as number) : HV_LIMITS.memoryMiB.max) * 256 - 1, 'pages (every frame but MFN 0)');
  let inject: readonly unknown[] = [];
  if (o.inject !== undefined) {
    if (!Array.isArray(o.inject)) problems.push(`inject must be an array of bug names B1 … B15 (got ${show(o.inject)})`);
    else {
      inject = o.inject;
      for (const b of o.inject) if (typeof b !== 'string' || !BUG_NAME.test(b)) problems.push(`inject: ${show(b)} is not a bug name (B1 … B15)`);
    }
  }
  if (o.tmem !== undefined && typeof o.tmem !== 'boolean') problems.push(`tmem must be true or false (got ${show(o.tmem)})`);
  else if (o.tmem === true && xen !== '4.3') problems.push(`tmem exists only in Xen 4.3 (removed in 4.13; got xen ${show(xen)})`);
  if (o.nrCpus !== undefined) intIn(problems, 'nrCpus', o.nrCpus, HV_LIMITS.nrCpus.min, HV_LIMITS.nrCpus.max);
  if (o.claimPages !== undefined && typeof o.claimPages !== 'boolean') problems.push(`claimPages must be true or false (got ${show(o.claimPages)})`);
  if (o.debugBuild !== undefined && typeof o.debugBuild !== 'boolean') problems.push(`debugBuild must be true or false (got ${show(o.debugBuild)})`);
  if (o.costs !== undefined) validateCosts(problems, o.costs, xen === '4.3' || inject.includes('B13'));
  return problems;
}

function validateCosts(problems: string[], costs: unknown, firstExtentPreemptible: boolean): void {
  if (typeof costs !== 'object' || costs === null || Array.isArray(costs)) {
    problems.push(`costs must be an object (got ${show(costs)})`);
    return;
  }
  const c = costs as Record<string, unknown>;
  for (const [k, v] of Object.entries(c)) {
    if (!Object.hasOwn(COST_LIMITS, k)) {
      problems.push(`unknown cost costs.${k} (known: ${Object.keys(DEFAULT_COSTS).join(', ')})`);
      continue;
    }
    if (v === undefined) continue;
    const [min, max, unit] = COST_LIMITS[k as keyof CostModel];
    intIn(problems, `costs.${k}`, v, min, max, unit);
  }
  const hypercallNs = c.hypercallNs ?? DEFAULT_COSTS.hypercallNs;
  if (c.preemptSliceNs === 0 && hypercallNs === 0 && firstExtentPreemptible) {
    problems.push('costs.preemptSliceNs must be at least 1 ns when costs.hypercallNs is 0 and the first extent of a memory op may be preempted (Xen 4.3, bug B13): the op would re-enter for ever with the virtual clock frozen (got 0)');
  }
}

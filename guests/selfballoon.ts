// Linux's Xen selfballoon driver and frontswap self-shrinking (drivers/xen/xen-selfballoon.c,
// Linux 3.1 … 5.2, removed by 814bbf49dcd0): every selfballoon_interval seconds, steer the
// balloon target towards Committed_AS + reserves with hysteresis and a piecewise-linear floor,
// and shrink frontswap once it has been stable for frontswap_inertia ticks.
// Left out: CAP_SYS_ADMIN checks (the writer is root), the dom0 refusal (guests only).

import { EINVAL } from '../hv/errno.ts';
import { NS_PER_SEC } from '../sim/port.ts';

/** MB2PAGES(mb): mb << (20 - PAGE_SHIFT). */
export function mb2pages(mb: number): number {
  return mb * 256;
}

/** PAGES2MB(pages): pages >> (20 - PAGE_SHIFT). */
export function pages2mb(pages: number): number {
  return Math.floor(pages / 256);
}

/** The kernel quantities one selfballoon_process() tick reads. */
export interface SelfballoonInputs {
  /** totalram_pages: pages the buddy allocator manages now. */
  totalramPages: number;
  /** balloon_stats.current_pages. */
  currentPages: number;
  /** vm_memory_committed() (Committed_AS). */
  committedPages: number;
  /** totalreserve_pages. */
  totalreservePages: number;
  /** max_pfn. */
  maxPfn: number;
  /** frontswap_curr_pages(). */
  frontswapCurrPages: number;
}

/** The sysfs tunables under /sys/devices/system/xen_memory/xen_memory0/selfballoon/. */
export interface SelfballoonKnobs {
  selfballooning: boolean;
  /** Seconds between worker runs; > 0. */
  selfballoonInterval: number;
  /** Divide the gap by this when shrinking; > 0. */
  selfballoonDownhysteresis: number;
  /** Divide the gap by this when growing; > 0. */
  selfballoonUphysteresis: number;
  /** 0 = automatic floor (piecewise-linear); once written it cannot go back to 0. */
  selfballoonMinUsableMb: number;
  /** Extra MiB added to the goal; defaults to 10% of totalram at init. */
  selfballoonReservedMb: number;
  frontswapSelfshrinking: boolean;
  /** Shrink frontswap by 1/frontswapHysteresis per shrink; > 0. */
  frontswapHysteresis: number;
  /** Stable ticks before shrinking; > 0. */
  frontswapInertia: number;
}

/** sysfs file names, as a user writes them. */
export const SELFBALLOON_SYSFS = {
  selfballooning: 'selfballooning',
  selfballoon_interval: 'selfballoonInterval',
  selfballoon_downhysteresis: 'selfballoonDownhysteresis',
  selfballoon_uphysteresis: 'selfballoonUphysteresis',
  selfballoon_min_usable_mb: 'selfballoonMinUsableMb',
  selfballoon_reserved_mb: 'selfballoonReservedMb',
  frontswap_selfshrinking: 'frontswapSelfshrinking',
  frontswap_hysteresis: 'frontswapHysteresis',
  frontswap_inertia: 'frontswapInertia',
} as const satisfies Record<string, keyof SelfballoonKnobs>;
export type SelfballoonSysfsName = keyof typeof SELFBALLOON_SYSFS;

/** goal_pages = Committed_AS + totalreserve + reserved_mb (+ frontswap pages when self-shrinking). */
export function selfballoonGoal(inp: SelfballoonInputs, knobs: SelfballoonKnobs): number {
  let goal = inp.committedPages + inp.totalreservePages + mb2pages(knobs.selfballoonReservedMb);
  // "allow space for frontswap pages to be repatriated"
  if (knobs.frontswapSelfshrinking) goal += inp.frontswapCurrPages;
  return goal;
}

/** tgt_pages: move from cur towards goal by 1/downhysteresis (shrinking) or 1/uphysteresis (growing). */
export function selfballoonHysteresis(curPages: number, goalPages: number, downhysteresis: number, uphysteresis: number): number {
  if (curPages > goalPages) return curPages - Math.floor((curPages - goalPages) / downhysteresis);
  if (curPages < goalPages) return curPages + Math.floor((goalPages - curPages) / uphysteresis);
  return curPages;
}

/** floor_pages: min_usable_mb if set, else the "piecewise linear function ending in ~3% slope". */
export function selfballoonFloor(maxPfn: number, totalreservePages: number, minUsableMb: number): number {
  if (minUsableMb !== 0) return totalreservePages + mb2pages(minUsableMb);
  const useful = maxPfn - totalreservePages;
  if (useful < mb2pages(16)) return maxPfn; // not worth ballooning
  if (useful < mb2pages(64)) return totalreservePages + mb2pages(16) + Math.floor((useful - mb2pages(16)) / 2);
  if (useful < mb2pages(512)) return totalreservePages + mb2pages(40) + Math.floor((useful - mb2pages(40)) / 8);
  return totalreservePages + mb2pages(99) + Math.floor((useful - mb2pages(99)) / 32);
}

/** frontswap_selfshrink()'s target: 0 under the hysteresis, else shrink by 1/hysteresis. */
export function frontswapShrinkTarget(curPages: number, hysteresis: number): number {
  return curPages <= hysteresis ? 0 : curPages - Math.floor(curPages / hysteresis);
}

/** What one worker run asks the rest of the kernel to do. */
export interface SelfballoonActions {
  /** balloon_set_new_target() argument (a current_pages target), when selfballooning is on. */
  balloonTarget?: number;
  /** frontswap_shrink() argument, when the inertia counter ran out. */
  frontswapShrinkTo?: number;
}

export interface SelfballoonOptions {
  /** totalram_pages at init: sets the 10% default of selfballoon_reserved_mb. */
  totalramPages: number;
  /** tmem.selfballooning (default on with tmem). */
  selfballooning?: boolean;
  /** tmem.selfshrinking (default on with tmem + frontswap). */
  frontswapSelfshrinking?: boolean;
  /** 'B14': the early driver, which never re-arms the inertia counter after a shrink. */
  bugs?: readonly string[];
}

/**
 * The driver's module state. Invariant: the worker is scheduled (`nextRunAtNs` defined) iff it
 * was last scheduled by a run with either function enabled or by enabling one via sysfs.
 */
export class Selfballoon {
  /** The tunables; written only by store() (validated) and the constructor. */
  readonly knobs: SelfballoonKnobs;
  /** frontswap_inertia_counter: countdown to the next frontswap_shrink(). */
  frontswapInertiaCounter = 0;
  /** frontswap_selfshrink()'s static cur/last frontswap page counts. */
  private curFrontswapPages = 0;
  private lastFrontswapPages = 0;
  /** Virtual ns of the next selfballoon_process(), or undefined when the worker is not queued. */
  nextRunAtNs: number | undefined;
  private readonly rearmsInertia: boolean;

  /** xen_selfballoon_init(): defaults, reserved_mb = 10% of totalram, first run one interval out. */
  constructor(
    opts: SelfballoonOptions,
    private readonly now: () => number,
  ) {
    this.knobs = {
      selfballooning: opts.selfballooning ?? true,
      selfballoonInterval: 5,
      selfballoonDownhysteresis: 8,
      selfballoonUphysteresis: 1,
      selfballoonMinUsableMb: 0,
      selfballoonReservedMb: pages2mb(Math.floor(opts.totalramPages / 10)),
      frontswapSelfshrinking: opts.frontswapSelfshrinking ?? true,
      frontswapHysteresis: 20,
      frontswapInertia: 3,
    };
    this.rearmsInertia = !(opts.bugs ?? []).includes('B14');
    const enabled = this.knobs.selfballooning || this.knobs.frontswapSelfshrinking;
    this.nextRunAtNs = enabled ? this.now() + this.intervalNs() : undefined;
  }

  private intervalNs(): number {
    return this.knobs.selfballoonInterval * NS_PER_SEC;
  }

  due(nowNs: number): boolean {
    return this.nextRunAtNs !== undefined && nowNs >= this.nextRunAtNs;
  }

  /** selfballoon_process(): one worker run. */
  process(inp: SelfballoonInputs): SelfballoonActions {
    const k = this.knobs;
    const out: SelfballoonActions = {};
    let resetTimer = false;
    if (k.selfballooning) {
      const cur = inp.totalramPages;
      const goal = selfballoonGoal(inp, k);
      let tgt = selfballoonHysteresis(cur, goal, k.selfballoonDownhysteresis, k.selfballoonUphysteresis);
      tgt = Math.max(tgt, selfballoonFloor(inp.maxPfn, inp.totalreservePages, k.selfballoonMinUsableMb));
      // A totalram target becomes a current_pages target (they differ by boot-time reservations).
      out.balloonTarget = tgt + inp.currentPages - inp.totalramPages;
      resetTimer = true;
    }
    if (k.frontswapSelfshrinking) {
      const to = this.frontswapSelfshrink(inp.frontswapCurrPages);
      if (to !== undefined) out.frontswapShrinkTo = to;
      resetTimer = true;
    }
    this.nextRunAtNs = resetTimer ? this.now() + this.intervalNs() : undefined;
    return out;
  }

  /** frontswap_selfshrink(): wait for `inertia` stable ticks, then shrink by 1/hysteresis. */
  private frontswapSelfshrink(frontswapCurrPages: number): number | undefined {
    this.lastFrontswapPages = this.curFrontswapPages;
    this.curFrontswapPages = frontswapCurrPages;
    if (this.curFrontswapPages === 0 || this.curFrontswapPages > this.lastFrontswapPages) {
      this.frontswapInertiaCounter = this.knobs.frontswapInertia;
      return undefined;
    }
    if (this.frontswapInertiaCounter !== 0 && --this.frontswapInertiaCounter !== 0) return undefined;
    const to = frontswapShrinkTarget(this.curFrontswapPages, this.knobs.frontswapHysteresis);
    // B14: the early driver stops here, so once started it shrinks on every tick.
    if (this.rearmsInertia) this.frontswapInertiaCounter = this.knobs.frontswapInertia;
    return to;
  }

  /** Reads a knob as sysfs shows it ("%d\n"). */
  show(name: SelfballoonSysfsName): string {
    const v = this.knobs[SELFBALLOON_SYSFS[name]];
    return `${typeof v === 'boolean' ? Number(v) : v}\n`;
  }

  /**
   * Writes a knob as sysfs does: kstrtoul(buf, 10); boolean knobs take 0 or 1, numeric knobs
   * reject 0. Enabling a function while the worker is idle queues it one interval out.
   * @returns buf.length on success, -EINVAL otherwise (Linux's store_* return values).
   */
  store(name: SelfballoonSysfsName, buf: string): number {
    const val = parseKstrtoul(buf);
    if (val === undefined) return -EINVAL;
    const field = SELFBALLOON_SYSFS[name];
    const k = this.knobs;
    if (field === 'selfballooning' || field === 'frontswapSelfshrinking') {
      if (val !== 0 && val !== 1) return -EINVAL;
      const wasIdle = this.nextRunAtNs === undefined;
      k[field] = val === 1;
      if (wasIdle && val === 1) this.nextRunAtNs = this.now() + this.intervalNs();
      return buf.length;
    }
    if (val === 0) return -EINVAL;
    // DIVERGENCE: Linux stores the unsigned long into an unsigned int, so 2^32 passes the != 0
    // check and becomes 0 (a later divide by zero); we reject anything above UINT_MAX instead.
    if (val > 0xffff_ffff) return -EINVAL;
    k[field] = val;
    // store_frontswap_inertia() also restarts the countdown.
    if (field === 'frontswapInertia') this.frontswapInertiaCounter = val;
    return buf.length;
  }
}

/** kstrtoul(s, 10, &v): optional '+', decimal digits, one optional trailing newline. */
function parseKstrtoul(buf: string): number | undefined {
  const m = /^\+?(\d+)\n?$/.exec(buf);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : undefined;
}

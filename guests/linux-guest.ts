// A Linux guest kernel as an actor: it boots, then every virtual second applies its workload,
// follows memory/target, runs the selfballoon worker every selfballoon_interval and the balloon
// worker when due — all through the HypercallPort, with no clock or randomness of its own.
// With tmem off it is Linux without tmem: no tmem hypercalls, no selfballoon, no frontswap.

import { assert } from '../hv/assert.ts';
import { NS_PER_SEC, type HypercallPort } from '../sim/port.ts';
import { BalloonDriver, type KernelGeneration } from './balloon.ts';
import { Cleancache } from './cleancache.ts';
import { Frontswap } from './frontswap.ts';
import { GuestMm, fileKeyOfPage } from './guest-mm.ts';
import { PfnSpace } from './pfn-space.ts';
import { hashFloat } from '../sim/rng.ts';
import { Selfballoon } from './selfballoon.ts';
import { workloadAt, type WorkloadKind, type WorkloadSpec } from './workload.ts';

export interface LinuxGuestOptions {
  /** Seeds the workload; the only source of randomness. */
  seed: number;
  workload: WorkloadKind;
  /**
   * Load arriving at a moment of the host's virtual clock (`atNs`, e.g. when a scenario's builds
   * start): the workload's surge (guests/workload.ts), whatever the guest's boot time.
   */
  surge?: { atNs: number; level: number; rampS?: number };
  /** Pages populated at boot: gfns [0, initialPages) (xl.cfg `memory`). */
  initialPages: number;
  /** Size of the pfn space (xl.cfg `maxmem`, static-max); ≥ initialPages. */
  maxPfn: number;
  /** Boot with `tmem`: cleancache, frontswap and selfballooning on. */
  tmem: boolean;
  /** Balloon driver generation; default '3.x' (the seed's world: Linux of the Xen 4.3 era). */
  generation?: KernelGeneration;
  /** Guest-side historical bugs: 'B14'. */
  bugs?: readonly string[];
  /** Pages the kernel keeps from boot (image, mem_map); default maxPfn/64 + 2048. */
  kernelReservedPages?: number;
  /** totalreserve_pages; default max(256, initialPages/128). */
  totalreservePages?: number;
  /** tmem calls per virtual second at most (see GuestMm.startTick); default 1024. */
  tmemOpsPerTickMax?: number;
  /** tmem.selfballooning / tmem.selfshrinking; default on when tmem is on. */
  selfballooning?: boolean;
  frontswapSelfshrinking?: boolean;
}

/** Prefix of the trace note a guest writes when selfballoon sets a balloon target (JSON follows: t, target and current pages). */
export const SELFBALLOON_TARGET_NOTE = 'selfballoon: target ';

/** Prefix of the trace note a guest writes at each frontswap_shrink() (JSON follows). */
export const FRONTSWAP_SHRINK_NOTE = 'selfballoon: frontswap_shrink ';

/** The scheduler tick of this model: every Linux timer used here is a whole number of seconds. */
export const GUEST_TICK_NS = NS_PER_SEC;

/**
 * One guest kernel. Invariant: `balloon.stats.currentPages === pfns.populatedPages`, and the
 * pfns Xen backs for this domain are exactly the non-ballooned ones of `pfns`.
 */
export class LinuxGuest {
  readonly pfns: PfnSpace;
  readonly balloon: BalloonDriver;
  readonly mm: GuestMm;
  readonly cleancache: Cleancache | undefined;
  readonly frontswap: Frontswap | undefined;
  /** Undefined without tmem: xen_selfballoon_init() bails out when !tmem_enabled. */
  readonly selfballoon: Selfballoon | undefined;
  private workload: WorkloadSpec;
  private readonly kernelReservedPages: number;
  private readonly totalreservePages: number;
  /** Virtual ns at boot; workload time is measured from here. */
  private bootNs = 0;
  /** Virtual seconds ticked so far. */
  ticks = 0;

  constructor(
    private readonly port: HypercallPort,
    readonly options: LinuxGuestOptions,
  ) {
    const o = options;
    assert(Number.isSafeInteger(o.seed), 'LinuxGuest: options.seed must be an integer');
    this.kernelReservedPages = o.kernelReservedPages ?? Math.min(Math.floor(o.maxPfn / 64) + 2048, Math.floor(o.initialPages / 2));
    this.totalreservePages = o.totalreservePages ?? Math.max(256, Math.floor(o.initialPages / 128));
    this.pfns = new PfnSpace(o.maxPfn, o.initialPages, this.kernelReservedPages);
    this.cleancache = o.tmem ? new Cleancache(port) : undefined;
    this.frontswap = o.tmem ? new Frontswap(port) : undefined;
    this.mm = new GuestMm(this.pfns, this.cleancache, this.frontswap, o.tmemOpsPerTickMax ?? 1024);
    this.balloon = new BalloonDriver(port, this.pfns, o.generation ?? '3.x', {
      reclaim: async (pages) => void (await this.mm.reclaimCache(pages)),
      memAvailable: () => this.mm.memAvailable(this.totalreservePages),
      totalreservePages: () => this.totalreservePages,
    });
    this.selfballoon = o.tmem
      ? new Selfballoon(
          {
            totalramPages: this.totalramPages,
            selfballooning: o.selfballooning,
            frontswapSelfshrinking: o.frontswapSelfshrinking,
            bugs: o.bugs,
          },
          () => port.now(),
        )
      : undefined;
    this.workload = { kind: o.workload, seed: o.seed, memPages: o.initialPages };
  }

  /** totalram_pages: managed pages = populated frames minus the boot-time reservation. */
  get totalramPages(): number {
    return this.pfns.populatedPages - this.kernelReservedPages;
  }

  /** Boot: tmem pools (if tmem), then the memory/target watch fires once on registration. */
  async boot(): Promise<void> {
    this.bootNs = this.port.now();
    const u = this.options.surge;
    // The workload's clock starts at boot; a surge given on the host's clock is moved onto it.
    if (u !== undefined) this.workload = { ...this.workload, surge: { startS: Math.floor((u.atNs - this.bootNs) / NS_PER_SEC), level: u.level, ...(u.rampS === undefined ? {} : { rampS: u.rampS }) } };
    if (this.options.tmem) {
      // tmem_frontswap_init() and cleancache's init_fs for the root filesystem; a failure
      // leaves that frontend off (pool id < 0), as in Linux.
      await this.frontswap?.init();
      await this.cleancache?.initFs();
    }
    await this.balloon.watchTarget();
    this.port.note(`linux: booted with ${this.pfns.populatedPages} pages, max_pfn ${this.pfns.maxPfn}, tmem ${this.options.tmem ? 'on' : 'off'}`);
  }

  /** One virtual second of kernel life. @throws GuestBugError on a decrease short count. */
  async tick(): Promise<void> {
    const second = this.ticks++;
    const sample = workloadAt(this.workload, this.port.now() - this.bootNs);
    this.mm.startTick();
    await this.balloon.watchTarget();
    const seed = this.options.seed;
    await this.mm.applyWorkload(sample, (i, channel) =>
      fileKeyOfPage(Math.floor(hashFloat(seed, second, i, 100 + channel) * sample.fileSetPages)),
    );
    if (this.selfballoon?.due(this.port.now())) await this.runSelfballoon(sample.committedPages);
    if (this.balloon.due(this.port.now())) await this.balloon.process();
  }

  private async runSelfballoon(committedPages: number): Promise<void> {
    const sb = this.selfballoon;
    assert(sb, 'runSelfballoon without selfballoon');
    const actions = sb.process({
      totalramPages: this.totalramPages,
      currentPages: this.balloon.stats.currentPages,
      committedPages,
      totalreservePages: this.totalreservePages,
      maxPfn: this.pfns.maxPfn,
      frontswapCurrPages: this.frontswap?.currPages() ?? 0,
    });
    if (actions.balloonTarget !== undefined) {
      // For observers (the demo: how much the guests wanted while a build populated).
      this.port.note(`${SELFBALLOON_TARGET_NOTE}${JSON.stringify({ t: this.port.now(), target: actions.balloonTarget, current: this.balloon.stats.currentPages })}`);
      this.balloon.setTarget(actions.balloonTarget);
    }
    if (actions.frontswapShrinkTo !== undefined) {
      // For observers (the campaign's frontswap-inertia property): when, to what, and the knobs.
      const k = sb.knobs;
      this.port.note(`${FRONTSWAP_SHRINK_NOTE}${JSON.stringify({ t: this.port.now(), to: actions.frontswapShrinkTo, inertia: k.frontswapInertia, intervalS: k.selfballoonInterval })}`);
      await this.mm.frontswapShrink(actions.frontswapShrinkTo);
    }
  }

  /** Boots, then ticks once per virtual second until `stop()` is true (checked before each tick). */
  async run(stop: () => boolean): Promise<void> {
    await this.boot();
    while (!stop()) {
      await this.tick();
      await this.port.sleep(GUEST_TICK_NS);
    }
    this.port.note(`linux: stopped after ${this.ticks} s`);
  }
}

/**
 * Runs a Linux guest kernel actor on `port` until `stop()` returns true.
 * @returns the guest, for inspection after the run
 * @throws GuestBugError if Xen breaks the balloon's decrease_reservation contract
 */
export async function runLinuxGuest(port: HypercallPort, options: LinuxGuestOptions, stop: () => boolean): Promise<LinuxGuest> {
  const guest = new LinuxGuest(port, options);
  await guest.run(stop);
  return guest;
}

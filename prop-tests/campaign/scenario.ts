// Campaign scenarios: a compact, shrinkable description of a tiny host and the toolstack threads
// racing on it, the fast-check arbitrary that generates it, and its translation into a sim
// ScenarioSpec (which carries the version's monitors, so a trace replays with the same checks).
// Tiny by default (a few MiB, a handful of actors): a run is a few dozen critical sections.

import fc from 'fast-check';
import type { XenVersion } from '../../hv/index.ts';
import { DOMID_MAX } from '../../hv/ops.ts';
import { features } from '../../hv/version.ts';
import type { ActorSpec, ScenarioSpec } from '../../sim/scenario.ts';
import type { LinuxGuestOptions } from '../../guests/linux-guest.ts';
import type { WorkloadKind } from '../../guests/workload.ts';
import { isToolstackBug } from '../../toolstack/bugs.ts';
import { ROGUE_OPS, type BuilderParams, type GuestPokeParams, type PokeParams, type ProbeParams } from './actors.ts';
import { monitorsFor } from './monitors.ts';
import type { OfflinerParams } from './offline.ts';
import { buildScript } from '../../world/test-scenarios.ts';
import { configuredRam } from './build-monitors.ts';
// The squeezer's actor kind is registered with the scenarios that use it (the default portfolio's squeeze slot).
import './squeeze.ts';
import type { SqueezerParams } from './squeeze.ts';

export interface GuestSpec {
  type: 'pv' | 'hvm';
  /** Guest memory as a percentage of the host's free memory at boot (100 = all of it). */
  memPct: number;
  /** Fault: its toolstack dies before this hypercall (0 = never). */
  dieAfter: number;
  /** claims family: how this build claims and populates (absent: claim exactly its size first). */
  plan?: BuildPlan;
}

/** A build that claims differently from what it populates (the claims family). */
export interface BuildPlan {
  /** This toolstack's xl.conf claim_mode (unless the campaign fixes one for every build). */
  claimMode: 0 | 1;
  /** The claim's target as a percentage of the guest's size: < 100 partial, > 100 more than it populates. */
  claimPct: number;
  /** Extents populated before claiming (0: claim first); a claim is an absolute target. */
  claimAfter: number;
  /** Cancel the claim after this many extents (0: at the end). */
  cancelAfter: number;
  /** max_mem above the guest's size, in pages (256 as libxl; 0 exact; negative: below it). */
  maxSlack: number;
  /** Largest extent order: 18/9 superpages, 4, or 0 (4 KiB only). */
  maxOrder: number;
  /** Extents per populate call (> 1: calls run into continuations on busy pCPUs). */
  batch: number;
  /** Claim again halfway, without cancelling. */
  reclaim: boolean;
  /** A target at an edge of the rules instead of claimPct (BuilderParams.claimAt, claimDelta). */
  edge?: { at: 'populated' | 'max' | 'free'; delta: number };
}

/** An unprivileged caller trying every op on another domain (the rogue family). */
export interface RogueSpec {
  /** Index of the guest it runs in. */
  on: number;
  /** The victim's domid (0 = dom0; guests' domids follow creation order). */
  victim: number;
  /** Which ops, as indexes into ROGUE_OPS (in this order). */
  ops: number[];
}

/** A device model domain for guest `of` (createdomain with target), trying ops on it and on another. */
export interface DeviceModelSpec {
  of: number;
  other: number;
  ops: number[];
}

export interface PokeSpec {
  action: PokeParams['action'];
  /** Index of the guest it targets (domid = target + 1, if guests are created in order). */
  target: number;
  polls: number;
  /** balloon: extent order released; pool: paging-pool pages. */
  size: number;
}

/** A guest kernel's own call (a 'guest-poke' booted on guest `on`). */
export interface GuestOpSpec {
  action: Exclude<GuestPokeParams['action'], 'tmem-fill' | 'rogue'>;
  /** Index of the guest it runs in. */
  on: number;
  /** node-hint: nodes beyond the host's; foreign-populate: picks the victim domid (0 = dom0); others: actors.ts guestOp(). */
  arg: number;
  /**
   * Pages dom0 leaves claimed for guest `on` when it boots (BuilderParams.bootClaim; 0: none), so
   * its own ops run with a claim in force: which of them may use or consume it is judged.
   */
  bootClaim?: number;
  /** exchange: GuestPokeParams.variant (several chunks past the end, DMA output in place, order 10, lowest-frames output). */
  variant?: number;
}

/** An `xl create` (the real toolstack/xl actor, libxl's builder) of a guest. */
export interface XlCreateSpec {
  type: 'pv' | 'hvm';
  /** Guest memory as a percentage of the host's free memory. */
  memPct: number;
  /** This xl's claim_mode (xl.conf), unless the campaign fixes one. */
  claimMode?: 0 | 1;
  /**
   * xl.cfg `memory` in MiB instead of memPct's share (1..XL_MEMORY_MIB_MAX): set by shrinking
   * (shrink.ts), which takes a failing build down to the smallest that still fails; never drawn.
   */
  memoryMiB?: number;
}

/** A dom0 thread offlining frames (XEN_SYSCTL_page_offline_op) at some point of the race. */
export interface OfflineSpec {
  /** Calls of its own first (physinfo), so the offlining starts later. */
  delay: number;
  /** First frame as a percentage of the host's frames. */
  startPct: number;
  /** Frames offlined (clipped to the host). */
  count: number;
  /** Online them again afterwards. */
  online: boolean;
}

/** An `xl create` of a vNUMA guest: its memory split over `vnodes` vnodes, vnode i on pnode i mod nodes. */
export interface VnumaXlSpec {
  type: 'hvm' | 'pvh' | 'pv';
  /** Guest memory as a percentage of the host's free memory (whole MiB per vnode). */
  memPct: number;
  vnodes: number;
  claimMode: 0 | 1;
}

/**
 * An `xl create` on a squeezed host (the squeeze family): a dom0 thread (squeeze.ts) first leaves
 * the free memory fragmented and `slack` pages above the build's need, then races it for pages.
 */
export interface SqueezeSpec {
  type: 'pv' | 'hvm';
  /** xl.cfg memory: PV 2 + size MiB; HVM 14 + size (8 of them video RAM: 6-10 MiB of RAM, a 2 MiB batch of 2-4 extents). */
  size: number;
  claimMode: 0 | 1;
  /** Free pages beyond the build's need when it starts (negative: too few by that many). */
  slack: number;
  /** 2 MiB blocks left whole (fewer than a batch: the builder's superpage batches come back short). */
  superpages: number;
  /** Pages each fragmented 2 MiB block keeps. */
  keep: number;
  /** Pages the squeezer grabs one at a time once the build has started. */
  grabs: number;
  /** When the grabs start, in µs after the build starts. */
  grabAtUs: number;
  /** xl.cfg `memory` in MiB instead of `size`'s (1..XL_MEMORY_MIB_MAX): set by shrinking only, as XlCreateSpec.memoryMiB. */
  memoryMiB?: number;
}

/** A self-ballooning Linux guest with tmem (built by a script, 8 MiB, bursty). */
export interface LinuxSpec {
  seed: number;
  /**
   * Set by shrinking only (shrink.ts), never drawn: tmem calls a virtual second at most
   * (LinuxGuestOptions.tmemOpsPerTickMax, 0..LINUX_OPS_PER_TICK; default LINUX_OPS_PER_TICK) —
   * a guest's tmem traffic is most of its sections — and a calmer workload than bursty.
   */
  opsPerTick?: number;
  workload?: WorkloadKind;
}

/** Fault: the owner kills an actor (its thread dies) once this many sections have run. */
export interface KillSpec {
  /** Index into the scenario's actor list (mod its length). */
  actor: number;
  atStep: number;
}

/**
 * Families of actors a campaign may generate besides the mini-builders and pokes: each one
 * exercises a part of Xen the claim races do not touch.
 *   claims     builds whose claim differs from what they populate: larger, smaller, partial, late,
 *              cancelled mid-build, a second claim; claim_mode per build; max_mem at or below the
 *              size; 4 KiB-only or superpage builds; several extents per call
 *   rogue      unprivileged guests and device models trying every op on others' domains; a dom0
 *              probe reading every domid, present or not (getdomaininfo's lookup rule)
 *   xl         real `xl create`s (libxl builder: B6's HVM claim, B7 on hosts without claims)
 *   guest-ops  guests' own reservation calls: node hints (B15), populating another guest (B12),
 *              increase_reservation, superpages (two at one gpfn), XENMEM_exchange, partial decreases;
 *              a guest asking for extents beyond its memory has max_mem and host memory to spare
 *   busy-cpus  hosts whose pCPUs always have work pending (hypercall_preempt_check true: B13),
 *              builds of many extents per call (continuations)
 *   tmem       4.3's tmem on, a guest filling an ephemeral pool (B11's holes)
 *   linux      a self-ballooning tmem Linux guest for 70 virtual seconds (B14)
 *   kills      the owner kills an actor at any section (a recorded choice; replay applies it)
 *   offline    dom0 offlines (and maybe onlines) a range of frames at any point of the race (B10;
 *              the claim-set series' recall), property offline-recalls-claims
 *   squeeze    real `xl create`s on squeezed hosts: free memory fragmented (a few whole 2 MiB
 *              blocks, the rest in holes of < 2 MiB, so superpage batches come back short and the
 *              builder falls back to 4 KiB pages) and within a few pages of the build's need (above
 *              or below), and a dom0 thread grabbing the last pages while it builds
 *   vnuma      real `xl create`s of vNUMA guests (xl.cfg vnuma, one vnode per pnode round the
 *              nodes) on a host of 2–4 nodes: exact-node population, the per-node gate, and on
 *              4.22+claim-sets the proposed per-node claim set
 */
export const FAMILIES = ['claims', 'rogue', 'xl', 'guest-ops', 'busy-cpus', 'tmem', 'linux', 'kills', 'offline', 'vnuma', 'squeeze'] as const;
export type Family = (typeof FAMILIES)[number];

/** The generated value: everything a run depends on except the schedule. */
export interface CampaignScenario {
  xen: XenVersion;
  inject: string[];
  /** claim_mode of every build without a plan of its own (and of every build when fixed). */
  claimMode: 0 | 1;
  /** The campaign fixed claim_mode for every build (check --claim-mode): plans' own modes are ignored. */
  claimModeFixed?: boolean;
  hostMiB: number;
  dom0MiB: number;
  /**
   * dom0's memory in pages instead of dom0MiB's (HypervisorOptions.dom0Pages): set by shrinking
   * only, never drawn — less free memory, so a failure that needs memory to run out comes sooner.
   */
  dom0Pages?: number;
  nodes: number;
  guests: GuestSpec[];
  pokes: PokeSpec[];
  // Present only when the campaign enables the family (absent keys keep older seeds' scenarios).
  xls?: XlCreateSpec[];
  /** xl family: the host has no XENMEM_claim_pages (Xen ≤ 4.2): claims answer -ENOSYS. */
  noClaims?: boolean;
  guestOps?: GuestOpSpec[];
  rogues?: RogueSpec[];
  deviceModels?: DeviceModelSpec[];
  busyCpus?: boolean;
  /** busy-cpus family: builds without a plan populate this many extents per call, of order ≤ busyOrder. */
  busyBatch?: number;
  busyOrder?: number;
  tmem?: boolean;
  /**
   * tmem family: the fill's puts (0..its default), set by shrinking only; default as many as
   * the host has free frames (tmemFillPuts).
   */
  tmemFill?: number;
  linux?: LinuxSpec[];
  kills?: KillSpec[];
  offlines?: OfflineSpec[];
  vnumaXls?: VnumaXlSpec[];
  squeezes?: SqueezeSpec[];
  /** vnuma family: the host's nodes (instead of `nodes`). */
  vnumaHostNodes?: number;
  /** Property monitors checked besides the version's (ScenarioConstraints.properties). */
  properties?: string[];
  /** Plugin modules those properties (and any actors) come from: recorded, so a trace replays. */
  plugins?: string[];
}

/** What a campaign fixes for every scenario it generates. */
export interface ScenarioConstraints {
  xen: XenVersion;
  inject: readonly string[];
  /** Every build's claim_mode. Undefined: builds claim (xl's default), claims-family builds pick their own. */
  claimMode?: 0 | 1;
  /** Include pokes (destroy/balloon/pool threads); default true. */
  pokes?: boolean;
  /** Most guests per scenario; default 3. */
  guestsMax?: number;
  /**
   * Most NUMA nodes; default 1. With 2, hosts whose node boundary is not aligned to the largest
   * free block hit an hv bug (a freed run's blocks may straddle the boundary: invariant buddy-node).
   */
  nodesMax?: number;
  /** Extra actor families (default none: builders and pokes only). */
  families?: readonly Family[];
  /** Monitors checked besides the version's: registered names (a user's, from `plugins`). */
  properties?: readonly string[];
  /** Plugin modules (file URLs) that register `properties`; every scenario records them. */
  plugins?: readonly string[];
}

const planArb: fc.Arbitrary<BuildPlan> = fc.record({
  claimMode: fc.constantFrom<0 | 1>(1, 0),
  claimPct: fc.oneof(fc.constant(100), fc.integer({ min: 20, max: 99 }), fc.integer({ min: 101, max: 200 })),
  claimAfter: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3, nil: 0 }),
  cancelAfter: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 3, nil: 0 }),
  maxSlack: fc.oneof(fc.constant(256), fc.constant(0), fc.integer({ min: -16, max: 16 })),
  maxOrder: fc.constantFrom(18, 9, 3),
  batch: fc.integer({ min: 1, max: 6 }),
  reclaim: fc.boolean(),
  edge: fc.option(fc.record({ at: fc.constantFrom<'populated' | 'max' | 'free'>('populated', 'max', 'free'), delta: fc.integer({ min: -1, max: 1 }) }), { freq: 2, nil: undefined }),
});

function guestArb(claims: boolean): fc.Arbitrary<GuestSpec> {
  const base = {
    type: fc.constantFrom<GuestSpec['type']>('pv', 'hvm'),
    memPct: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(100)),
    dieAfter: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 4, nil: 0 }),
  };
  // Only the claims family draws a plan: without it a guest is generated exactly as before.
  return claims ? fc.record({ ...base, plan: fc.option(planArb, { freq: 4, nil: undefined }) }) : fc.record(base);
}

const pokeArb: fc.Arbitrary<PokeSpec> = fc.record({
  action: fc.constantFrom<PokeSpec['action']>('destroy', 'balloon', 'pool'),
  target: fc.nat({ max: 3 }),
  polls: fc.integer({ min: 1, max: 6 }),
  size: fc.nat({ max: 9 }),
});

/** A fixed list of strings as an arbitrary that shrinks a copy of it without context. */
const constants = (xs: readonly string[]): fc.Arbitrary<string[]> => fc.tuple(...xs.map((x) => fc.constant(x)));

const opsArb = fc.uniqueArray(fc.nat({ max: ROGUE_OPS.length - 1 }), { minLength: 1, maxLength: ROGUE_OPS.length });

const GUEST_OPS: ReadonlyArray<GuestOpSpec['action']> = ['node-hint', 'foreign-populate', 'increase', 'superpage', 'exchange', 'decrease'];

/** Scenarios under `c`: they shrink toward fewer, smaller guests, fewer pokes, a smaller host. */
export function scenarioArb(c: ScenarioConstraints): fc.Arbitrary<CampaignScenario> {
  const fam = new Set(c.families ?? []);
  // Only the enabled families' keys: a campaign without families draws exactly as before.
  const extra: { [K in keyof CampaignScenario]?: fc.Arbitrary<CampaignScenario[K]> } = {};
  if (c.claimMode !== undefined) extra.claimModeFixed = fc.constant(true);
  if (fam.has('xl')) {
    extra.xls = fc.array(fc.record({
      type: fc.constantFrom<XlCreateSpec['type']>('hvm', 'pv'),
      memPct: fc.integer({ min: 20, max: 80 }),
      claimMode: fc.constantFrom<0 | 1>(1, 0),
    }), { minLength: 1, maxLength: 2 });
    extra.noClaims = fc.boolean();
  }
  if (fam.has('guest-ops')) {
    extra.guestOps = fc.array(fc.record({
      action: fc.constantFrom(...GUEST_OPS),
      on: fc.nat({ max: 2 }),
      arg: fc.nat({ max: 7 }),
      bootClaim: fc.option(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 256 })), { freq: 2, nil: 0 }),
      variant: fc.nat({ max: 15 }),
    }), { minLength: 1, maxLength: 3 });
  }
  if (fam.has('rogue')) {
    extra.rogues = fc.array(fc.record({ on: fc.nat({ max: 2 }), victim: fc.nat({ max: 3 }), ops: opsArb }), { minLength: 1, maxLength: 2 });
    extra.deviceModels = fc.array(fc.record({ of: fc.nat({ max: 2 }), other: fc.nat({ max: 3 }), ops: opsArb }), { maxLength: 1 });
  }
  if (fam.has('busy-cpus')) {
    extra.busyCpus = fc.boolean();
    extra.busyBatch = fc.integer({ min: 1, max: 8 });
    extra.busyOrder = fc.constantFrom(9, 4, 2);
  }
  if (fam.has('tmem')) extra.tmem = fc.boolean();
  if (fam.has('linux')) extra.linux = fc.array(fc.record({ seed: fc.nat({ max: 0xffff }) }), { minLength: 1, maxLength: 1 });
  if (fam.has('kills')) {
    extra.kills = fc.array(fc.record({
      actor: fc.nat({ max: 7 }),
      atStep: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 600 })),
    }), { maxLength: 2 });
  }
  if (fam.has('offline')) {
    extra.offlines = fc.array(fc.record({
      delay: fc.nat({ max: 12 }),
      startPct: fc.nat({ max: 99 }),
      count: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 768 })),
      online: fc.boolean(),
    }), { minLength: 1, maxLength: 2 });
  }
  if (fam.has('vnuma')) {
    extra.vnumaXls = fc.array(fc.record({
      type: fc.constantFrom<VnumaXlSpec['type']>('hvm', 'pvh', 'hvm', 'pv'),
      memPct: fc.integer({ min: 30, max: 90 }),
      vnodes: fc.integer({ min: 2, max: 4 }),
      claimMode: fc.constantFrom<0 | 1>(1, 0),
    }), { minLength: 1, maxLength: 2 });
    extra.vnumaHostNodes = fc.integer({ min: 2, max: 4 });
  }
  if (fam.has('squeeze')) {
    extra.squeezes = fc.array(fc.record({
      type: fc.constantFrom<SqueezeSpec['type']>('pv', 'hvm'),
      size: fc.nat({ max: 4 }),
      claimMode: fc.constantFrom<0 | 1>(1, 0),
      // Mostly within a few pages of the need; sometimes a looser, only fragmented host.
      slack: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -3, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 7, max: 1024 }) }),
      superpages: fc.nat({ max: 4 }),
      keep: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 64 })),
      grabs: fc.nat({ max: 4 }),
      grabAtUs: fc.nat({ max: 2000 }),
    }), { minLength: 1, maxLength: 1 });
  }
  // Tuples of constants (as `inject` below): they draw nothing, so the other keys are generated
  // exactly as without them, and a value found outside fast-check still shrinks.
  if ((c.properties?.length ?? 0) > 0) extra.properties = constants(c.properties!);
  if ((c.plugins?.length ?? 0) > 0) extra.plugins = constants(c.plugins!);
  return fc.record({
    xen: fc.constant(c.xen),
    // Tuples of constants (not fc.constant of an array, compared by identity) so that a value
    // found outside fast-check — a PCT or DFS failure — can be shrunk without context.
    inject: fc.tuple(...c.inject.map((b) => fc.constant(b))),
    claimMode: fc.constant(c.claimMode ?? 1),
    hostMiB: fc.integer({ min: 4, max: 12 }),
    dom0MiB: fc.constant(1),
    nodes: fc.integer({ min: 1, max: c.nodesMax ?? 1 }),
    guests: fc.array(guestArb(fam.has('claims')), { minLength: 1, maxLength: c.guestsMax ?? 3 }),
    pokes: fc.array(pokeArb, { maxLength: c.pokes === false ? 0 : 2 }),
    ...extra,
  }) as fc.Arbitrary<CampaignScenario>;
}

/** The host's NUMA nodes: the vnuma family's, else the drawn count. */
export function nodesOf(s: CampaignScenario): number {
  return s.vnumaHostNodes ?? s.nodes;
}

/** The xl and vnuma families' host: HVM guests need room (8 MiB of video RAM each), so 8× the base size. */
function familyHostMiB(s: CampaignScenario): number {
  return (s.xls?.length ?? 0) + (s.vnumaXls?.length ?? 0) + (s.squeezes?.length ?? 0) > 0 ? s.hostMiB * 8 : s.linux !== undefined && s.linux.length > 0 ? Math.max(32, s.hostMiB) : s.hostMiB;
}

/** Memory left free for guests' extents beyond their own: two order-10 extents (4 MiB each). */
const GUEST_EXTENT_ROOM_MIB = 8;

/**
 * The host's memory: the family's, plus GUEST_EXTENT_ROOM_MIB that no build sizes itself from
 * when a guest asks for extents of its own beyond its memory (guest-ops increase, superpage):
 * neither free memory nor max_pages (GUEST_ROOM) then refuses an order-10 extent, only the
 * memop order limit — so what a refused order must leave is judged.
 */
export function hostMiBOf(s: CampaignScenario): number {
  return familyHostMiB(s) + (growsBeyond(s) ? GUEST_EXTENT_ROOM_MIB : 0);
}

/** The scenario has a guest asking for extents of its own beyond its memory. */
const growsBeyond = (s: CampaignScenario): boolean => (s.guestOps ?? []).some(asksBeyond);

/** A guest op asking for an extent above a guest's max_order (increase, superpage, an order-10 exchange). */
const asksBeyond = (g: GuestOpSpec): boolean => g.action === 'increase' || g.action === 'superpage' || (g.action === 'exchange' && ((g.variant ?? 0) & 4) !== 0);

/** A linux-family guest: 16 MiB (the kernel model's least), every tmem op allowed a tick can do, bursty, until 70 s. */
const LINUX_MIB = 16;
export const LINUX_UNTIL_NS = 70e9;

/** A linux-family guest's tmem calls a virtual second at most (drawn: always this many). */
export const LINUX_OPS_PER_TICK = 256;

/** A Linux guest's tmem calls a second: opsPerTick (whole, 0..LINUX_OPS_PER_TICK), else LINUX_OPS_PER_TICK. */
export const linuxOpsPerTick = (l: LinuxSpec): number =>
  l.opsPerTick === undefined ? LINUX_OPS_PER_TICK : Math.min(LINUX_OPS_PER_TICK, Math.max(0, Math.floor(l.opsPerTick)));

/** The tmem fill's puts: tmemFill (whole, 0..the default), else as many as the family's free frames. */
export function tmemFillPuts(s: CampaignScenario): number {
  const all = familyFree(s);
  return s.tmemFill === undefined ? all : Math.min(all, Math.max(0, Math.floor(s.tmemFill)));
}

/** dom0's memory in pages: dom0Pages, else dom0MiB's. */
export const dom0PagesOf = (s: CampaignScenario): number => s.dom0Pages ?? s.dom0MiB * 256;

/** Frames of the base host (the mini-builders size their guests from) free after dom0's. */
const baseFree = (s: CampaignScenario): number => s.hostMiB * 256 - 1 - dom0PagesOf(s);

/** Frames free right after boot (MFN 0 is never in the heap). */
export function freeAtBoot(s: CampaignScenario): number {
  return hostMiBOf(s) * 256 - 1 - dom0PagesOf(s);
}

/** Frames the families' actors size themselves from: all free at boot, less the mini-builders' base host on an 8× family host. */
function familyFree(s: CampaignScenario): number {
  return freeAtBoot(s) - (familyHostMiB(s) === s.hostMiB ? 0 : baseFree(s));
}

/** The most xl.cfg `memory` a memoryMiB may give (MiB; drawn family hosts are at most 104 MiB, shrinking only lowers it). */
export const XL_MEMORY_MIB_MAX = 1024;

/** A memoryMiB as a whole number of MiB in 1..XL_MEMORY_MIB_MAX. */
const clampMiB = (m: number): number => Math.min(XL_MEMORY_MIB_MAX, Math.max(1, Math.floor(m)));

/** An xl family create's xl.cfg `memory` (MiB): memoryMiB, else memPct of the family's free memory (at least 16). */
export function xlMemoryMiB(s: CampaignScenario, x: XlCreateSpec): number {
  return x.memoryMiB !== undefined ? clampMiB(x.memoryMiB) : Math.max(16, Math.floor((familyFree(s) / 256) * x.memPct / 100));
}

/** A build's mini-builder parameters (its plan, the busy-cpus batching, the tmem family's sizes). */
function builderParams(s: CampaignScenario, g: GuestSpec, i: number, free: number): BuilderParams {
  // tmem family: g1 only hosts the fill (a small guest), so the fill has memory to take.
  const pages = Math.max(2, Math.floor((free * (s.tmem === true && i === 0 ? Math.min(g.memPct, 10) : g.memPct)) / 100));
  const plan = g.plan;
  const params: BuilderParams = {
    name: `g${i + 1}`,
    type: g.type,
    pages,
    claimMode: plan === undefined || s.claimModeFixed === true ? s.claimMode : plan.claimMode,
    ...(g.dieAfter > 0 ? { dieAfter: g.dieAfter } : {}),
    // tmem family: g1 hosts the tmem fill; the other creations come a second later, on a host
    // whose free memory tmem has taken (the seed's world: claims counting freeable pages).
    ...(s.tmem === true && i > 0 ? { startAfterNs: 1e9 } : {}),
    // The claim-set version on a NUMA host: per-node claims, as libxl would for a vNUMA guest.
    ...(s.xen === '4.22+claim-sets' && nodesOf(s) > 1 ? { claimNodes: nodesOf(s) } : {}),
  };
  if (plan !== undefined) {
    params.claimPages = Math.max(1, Math.round((pages * plan.claimPct) / 100));
    if (plan.claimAfter > 0) params.claimAfter = plan.claimAfter;
    if (plan.cancelAfter > 0) params.cancelAfter = plan.cancelAfter;
    params.maxSlack = plan.maxSlack;
    params.maxOrder = plan.maxOrder;
    params.batch = plan.batch;
    if (plan.reclaim) params.reclaim = true;
    if (plan.edge !== undefined) {
      params.claimAt = plan.edge.at;
      params.claimDelta = plan.edge.delta;
    }
  } else if (s.busyCpus === true && s.busyBatch !== undefined) {
    params.batch = s.busyBatch;
    params.maxOrder = s.busyOrder;
  }
  return params;
}

/** The sim scenario: one 'mini-builder' per guest, one 'poke' per poke, the version's monitors. */
export function toScenarioSpec(s: CampaignScenario): ScenarioSpec {
  // Mini-builders size their guests from the base host (the xl family's host is 8× larger and
  // its xl creates take the rest).
  const free = baseFree(s);
  const actors: ActorSpec[] = s.guests.map((g, i) => ({ name: `xl-${i + 1}`, kind: 'mini-builder', params: builderParams(s, g, i, free) as unknown as Record<string, unknown> }));
  s.pokes.forEach((p, i) => {
    const params: PokeParams = {
      action: p.action,
      domid: (p.target % s.guests.length) + 1,
      polls: p.polls,
      size: p.action === 'pool' ? p.size + 1 : p.size,
    };
    actors.push({ name: `${p.action}-${i + 1}`, kind: 'poke', params: params as unknown as Record<string, unknown> });
  });
  addFamilies(s, actors, familyFree(s));
  const host: ScenarioSpec['host'] = { memoryMiB: hostMiBOf(s), xen: s.xen, dom0MiB: s.dom0MiB, ...(s.dom0Pages !== undefined ? { dom0Pages: s.dom0Pages } : {}), nodes: nodesOf(s), inject: [...s.inject] };
  if (s.noClaims === true && (s.xls?.length ?? 0) > 0) host.claimPages = false;
  if (s.busyCpus === true) host.costs = { preemptSliceNs: 0 }; // hypercall_preempt_check() always true
  if (s.tmem === true && s.xen === '4.3') host.tmem = true;
  if ((s.linux?.length ?? 0) > 0 && s.xen === '4.3') host.tmem = true;
  return {
    name: `campaign ${s.xen}${s.inject.length > 0 ? ' +' + s.inject.join('+') : ''} claim_mode=${s.claimModeFixed === true || !s.guests.some((g) => g.plan !== undefined) ? s.claimMode : 'per build'}`,
    host,
    actors,
    ...((s.linux?.length ?? 0) > 0 ? { untilNs: LINUX_UNTIL_NS } : {}),
    monitors: [
      // Only where something offlines (every other scenario keeps its monitors and traces), and
      // first: the bug's own property names B10 when claims-within-available sees it too.
      ...((s.offlines?.length ?? 0) > 0 ? ['offline-recalls-claims'] : []),
      ...monitorsFor(s.xen, { checkThenAct: s.claimModeFixed === true && s.claimMode === 0 }),
      ...(s.properties ?? []),
    ],
    ...((s.plugins?.length ?? 0) > 0 ? { plugins: [...s.plugins!] } : {}),
  };
}

/**
 * XENMEMF_address_bits for a guest's DMA-restricted exchange: the host's frames below its top
 * zone (frames < 2^z for the highest z with frames in [2^z, 2^(z+1))), so the top zone, where
 * the heap allocates first, is out of bounds.
 */
export function dmaBits(s: CampaignScenario): number {
  return 12 + Math.floor(Math.log2(hostMiBOf(s) * 256 - 1));
}

/** max_mem above its size of a guest that asks for extents of its own beyond its memory (2 × 2^10 pages). */
const GUEST_ROOM = 2 ** 11;

/** Appends the enabled families' actors (after the builders and pokes, whose indexes stay). */
function addFamilies(s: CampaignScenario, actors: ActorSpec[], free: number): void {
  const n = s.guests.length;
  const guestPoke = (name: string, boot: string, params: GuestPokeParams): void =>
    void actors.push({ name, kind: 'guest-poke', boot, params: params as unknown as Record<string, unknown> });
  for (const [i, g] of (s.guestOps ?? []).entries()) {
    const on = g.on % n;
    // foreign-populate: into another guest (domids follow creation order) or dom0 — each an XSM
    // denial, unless the domid turns out to be the caller's own.
    const size = g.action === 'node-hint' ? nodesOf(s) + g.arg : g.action === 'foreign-populate' ? (on + 1 + g.arg) % (n + 1) : g.arg;
    const builder = actors[on].params as unknown as BuilderParams;
    const pages = builder.pages;
    // A guest's extents above its memop order limit: built with max_mem above its size by more
    // than an order-10 extent (xl's maxmem > memory, a guest booted ballooned down), so max_pages
    // does not refuse such an extent too and only the order limit stands between it and memory.
    if (asksBeyond(g)) builder.maxSlack = Math.max(builder.maxSlack ?? 256, GUEST_ROOM);
    // A node hint and its refused call: max_mem leaves room for both pages, so only the decode
    // rules stand between the refused call and memory.
    if (g.action === 'node-hint' && g.variant !== undefined) builder.maxSlack = Math.max(builder.maxSlack ?? 256, 8);
    // A claim for the room it may balloon up into: max_mem leaves that room.
    const room = g.bootClaim ?? 0;
    if (room > 0) {
      builder.bootClaim = Math.max(builder.bootClaim ?? 0, room);
      builder.maxSlack = Math.max(builder.maxSlack ?? 256, builder.bootClaim);
    }
    const shape = g.action === 'exchange' ? { pages, variant: g.variant ?? 0, addressBits: dmaBits(s) } : g.action === 'decrease' ? { pages }
      : g.action === 'node-hint' && g.variant !== undefined ? { variant: g.variant } : {};
    guestPoke(`${g.action}-${i + 1}`, `g${on + 1}`, { action: g.action, size, ...shape });
  }
  for (const [i, r] of (s.rogues ?? []).entries()) {
    guestPoke(`rogue-${i + 1}`, `g${(r.on % n) + 1}`, { action: 'rogue', size: r.victim, ops: r.ops.map((k) => ROGUE_OPS[k % ROGUE_OPS.length]) });
  }
  // With the rogue family, a dom0 tool also reads every domid, present or not (runDomidProbe).
  if ((s.rogues?.length ?? 0) > 0) actors.push({ name: 'domid-probe', kind: 'domid-probe', params: { rounds: 3, highest: n + 2, nodeBound: features(s.xen).nodeHintChecked } });
  for (const [i, d] of (s.deviceModels ?? []).entries()) {
    const name = `dm${i + 1}`;
    const target = (d.of % n) + 1;
    const params: BuilderParams = { name, type: 'pv', pages: 2, claimMode: s.claimMode, dmTarget: target };
    actors.push({ name: `xl-${name}`, kind: 'mini-builder', params: params as unknown as Record<string, unknown> });
    const ops = d.ops.map((k) => ROGUE_OPS[k % ROGUE_OPS.length]);
    guestPoke(`${name}-on-target`, name, { action: 'rogue', size: target, ops });
    guestPoke(`${name}-on-other`, name, { action: 'rogue', size: d.other, ops });
  }
  if (s.tmem === true) {
    // The fill: as many puts as the host has free frames, so tmem ends up holding the heap.
    guestPoke('tmem-fill', 'g1', { action: 'tmem-fill', size: tmemFillPuts(s) });
  }
  for (const [i, x] of (s.xls ?? []).entries()) {
    const name = `x${i + 1}`;
    const mib = xlMemoryMiB(s, x);
    const file = `${name}.cfg`;
    const claimMode = s.claimModeFixed === true ? s.claimMode : (x.claimMode ?? s.claimMode);
    actors.push(xlCreateActor(s, `xl-create-${i + 1}`, file, claimMode, `name = "${name}"\ntype = "${x.type}"\nmemory = ${mib}\n`));
  }
  const hostFrames = hostMiBOf(s) * 256;
  for (const [i, o] of (s.offlines ?? []).entries()) {
    const start = Math.floor((hostFrames * o.startPct) / 100);
    const params: OfflinerParams = { delay: o.delay, start, count: Math.max(1, Math.min(o.count, hostFrames - start)), online: o.online };
    actors.push({ name: `offline-${i + 1}`, kind: 'offliner', params: params as unknown as Record<string, unknown> });
  }
  for (const [i, x] of (s.vnumaXls ?? []).entries()) actors.push(vnumaXlActor(s, x, i, free));
  for (const [i, q] of (s.squeezes ?? []).entries()) actors.push(...squeezeActors(s, q, i));
  for (const [i, l] of (s.linux ?? []).entries()) {
    const name = `lx${i + 1}`;
    const pages = LINUX_MIB * 256;
    actors.push({ name: `xl-${name}`, kind: 'script', params: buildScript(name, LINUX_MIB, false) });
    const params: LinuxGuestOptions = {
      seed: l.seed, workload: l.workload ?? 'bursty', initialPages: pages, maxPfn: pages, tmem: s.xen === '4.3',
      bugs: s.inject.filter((b) => b === 'B14'), tmemOpsPerTickMax: linuxOpsPerTick(l),
    };
    actors.push({ name: `linux-${name}`, kind: 'linux', boot: name, params: params as unknown as Record<string, unknown> });
  }
}

/**
 * A vnuma-family `xl create`: memory in whole MiB over the vnodes (the remainder on vnode 0, which
 * also holds an HVM guest's 8 MiB of video RAM), vnode i on pnode i mod the host's nodes with vCPU
 * i, distances 10 local and 20 remote.
 */
function vnumaXlActor(s: CampaignScenario, x: VnumaXlSpec, i: number, free: number): ActorSpec {
  const name = `n${i + 1}`;
  const file = `${name}.cfg`;
  const video = x.type === 'hvm' ? 8 : 0;
  const per = Math.max(1, Math.floor((Math.floor((free / 256) * x.memPct / 100) - video) / x.vnodes));
  const sizes = Array.from({ length: x.vnodes }, (_, v) => per + (v === 0 ? video : 0));
  const vnodes = sizes.map((size, v) => {
    const distances = sizes.map((_, w) => (w === v ? 10 : 20)).join(',');
    return `["pnode=${v % nodesOf(s)}", "size=${size}", "vcpus=${v}", "vdistances=${distances}"]`;
  });
  const claimMode = s.claimModeFixed === true ? s.claimMode : x.claimMode;
  return xlCreateActor(s, `xl-vnuma-${i + 1}`, file, claimMode,
    `name = "${name}"\ntype = "${x.type}"\nmemory = ${sizes.reduce((a, b) => a + b, 0)}\nvnuma = [ ${vnodes.join(', ')} ]\n`);
}

/** A squeeze's xl.cfg memory (MiB). */
export const squeezeMiB = (q: SqueezeSpec): number => (q.memoryMiB !== undefined ? clampMiB(q.memoryMiB) : (q.type === 'pv' ? 2 : 14) + (q.size % 5));

/** A squeeze's `xl create` starts at this virtual time; its squeezer squeezes at SQUEEZE_AT_NS (the other actors' builds long done). */
export const SQUEEZE_XL_AT_NS = 500e6;
const SQUEEZE_AT_NS = 400e6;

/**
 * A squeeze-family `xl create` (an 'xl-timeline' actor: one command at SQUEEZE_XL_AT_NS) and the
 * squeezer that prepares its host: sized from the build's RAM as libxl lays it out.
 */
function squeezeActors(s: CampaignScenario, q: SqueezeSpec, i: number): ActorSpec[] {
  const name = `q${i + 1}`;
  const file = `${name}.cfg`;
  const cfg = `name = "${name}"\ntype = "${q.type}"\nmemory = ${squeezeMiB(q)}\n`;
  const xl = xlCreateActor(s, `xl-squeezed-${i + 1}`, file, s.claimModeFixed === true ? s.claimMode : q.claimMode, cfg);
  const { argv, ...base } = xl.params as { argv: string[] };
  const timeline: ActorSpec = { name: xl.name, kind: 'xl-timeline', params: { ...base, commands: [{ atNs: SQUEEZE_XL_AT_NS, argv }] } };
  const need = (configuredRam(cfg, file) ?? []).reduce((n, [lo, hi]) => n + hi - lo, 0);
  const params: SqueezerParams = {
    atNs: SQUEEZE_AT_NS, need, slack: q.slack, superpages: q.superpages, keep: q.keep, grabs: q.grabs, grabAtNs: SQUEEZE_XL_AT_NS + q.grabAtUs * 1000,
  };
  return [{ name: `squeezer-${i + 1}`, kind: 'squeezer', params: params as unknown as Record<string, unknown> }, timeline];
}

/** An xl actor running `xl create FILE` with `cfg` as FILE, under xl.conf's claim_mode and no autoballoon. */
function xlCreateActor(s: CampaignScenario, name: string, file: string, claimMode: number, cfg: string): ActorSpec {
  return {
    name,
    kind: 'xl',
    params: {
      argv: ['create', file],
      version: s.xen,
      inject: s.inject.filter(isToolstackBug),
      xlConf: { path: '/etc/xen/xl.conf', text: `claim_mode=${claimMode}\nautoballoon=0\n` },
      files: { [file]: cfg },
    },
  };
}

/** One line per actor: the scenario as a reader wants it ("xl-1: xl create g1 (pv, 1023 pages)"). */
export function describeScenario(s: CampaignScenario): string[] {
  const spec = toScenarioSpec(s);
  const head = `host ${hostMiBOf(s)} MiB (dom0 ${s.dom0Pages !== undefined ? `${s.dom0Pages} pages` : `${s.dom0MiB} MiB`}, ${freeAtBoot(s)} pages free), ${nodesOf(s)} node(s), Xen ${s.xen}` +
    `${s.inject.length > 0 ? ' + ' + s.inject.join(' ') : ''}, claim_mode=${s.claimMode}${s.claimModeFixed === true ? '' : ' unless a build says otherwise'}` +
    `${s.noClaims === true && (s.xls?.length ?? 0) > 0 ? ', no XENMEM_claim_pages' : ''}${s.busyCpus === true ? ', pCPUs always busy' : ''}${spec.host.tmem === true ? ', tmem on' : ''}`;
  const lines = spec.actors.map((a) => `${a.name}: ${describeActor(a)}`);
  for (const k of s.kills ?? []) lines.push(`fault: ${spec.actors[k.actor % spec.actors.length].name} is killed after ${k.atStep} sections`);
  return [head, ...lines, `properties: ${spec.monitors!.join(', ')}`];
}

function describeActor(a: ActorSpec): string {
  const raw = a.params ?? {};
  switch (a.kind) {
    case 'mini-builder': {
      const p = raw as unknown as BuilderParams;
      const claim = p.claimMode === 0 ? 'claim_mode=0 (checks free memory)' : `claims ${p.claimAt !== undefined ? `${p.claimAt}${p.claimDelta !== undefined && p.claimDelta !== 0 ? (p.claimDelta > 0 ? '+' : '') + p.claimDelta : ''}` : p.claimPages ?? p.pages}${p.claimAfter !== undefined ? ` after ${p.claimAfter} extents` : ''}${p.cancelAfter !== undefined ? `, cancels after ${p.cancelAfter}` : ''}${p.reclaim === true ? ', claims again halfway' : ''}`;
      const shape = [
        p.maxOrder !== undefined && p.maxOrder < 18 ? `extents ≤ order ${p.maxOrder}` : '',
        (p.batch ?? 1) > 1 ? `${p.batch} per call` : '',
        p.maxSlack !== undefined && p.maxSlack !== 256 ? `max_mem ${p.maxSlack >= 0 ? '+' : ''}${p.maxSlack} pages` : '',
        p.dmTarget !== undefined ? `device model of d${p.dmTarget}` : '',
        p.bootClaim !== undefined ? `boots with a claim of ${p.bootClaim} pages more` : '',
        p.dieAfter ? `its toolstack dies after ${p.dieAfter} calls` : '',
        p.startAfterNs !== undefined ? `starts at ${p.startAfterNs / 1e9} s` : '',
      ].filter((x) => x !== '');
      return `xl create ${p.name} (${p.type}, ${p.pages} pages, ${claim}${shape.length > 0 ? ', ' + shape.join(', ') : ''})`;
    }
    case 'poke': {
      const p = raw as unknown as PokeParams;
      const what = p.action === 'destroy' ? `destroy d${p.domid}` : p.action === 'balloon' ? `balloon d${p.domid} order ${p.size} at gpfn 0` : `paging pool d${p.domid} ${p.size} pages`;
      return `${what} (polls up to ${p.polls}×)`;
    }
    case 'guest-poke': {
      const p = raw as unknown as GuestPokeParams;
      const what = p.action === 'rogue' ? `tries ${(p.ops ?? []).join(', ')} on d${p.size}` : p.action === 'tmem-fill' ? `fills tmem with ${p.size} puts` : p.action === 'foreign-populate' ? `populates d${p.size}` : `${p.action} (${p.size}${(p.variant ?? 0) !== 0 ? `, variant ${p.variant}` : ''})`;
      return `in ${a.boot}: ${what}`;
    }
    case 'xl-timeline': {
      const commands = (raw.commands as Array<{ atNs: number; argv: string[] }> | undefined) ?? [];
      return commands.map((c) => `at ${c.atNs / 1e9} s: ${describeActor({ ...a, kind: 'xl', params: { ...raw, argv: c.argv } })}`).join('; ');
    }
    case 'squeezer': {
      const p = raw as unknown as SqueezerParams;
      const slack = p.slack >= 0 ? `${p.slack} pages above` : `${-p.slack} pages below`;
      return `at ${p.atNs / 1e9} s leaves free memory ${slack} a build of ${p.need} pages, ${p.superpages} whole 2 MiB block(s), the rest in holes (${p.keep} page(s) kept a block)` +
        `${p.grabs > 0 ? `; from ${p.grabAtNs / 1e9} s grabs ${p.grabs} page(s)` : ''}`;
    }
    case 'xl': {
      const argv = (raw.argv as string[] | undefined) ?? [];
      const files = (raw.files ?? {}) as Record<string, string>;
      const conf = ((raw.xlConf as { text?: string } | undefined)?.text ?? '').match(/claim_mode=(\d)/)?.[1];
      const cfg = files[argv[argv.length - 1] ?? ''] ?? '';
      const kv = (k: string) => cfg.match(new RegExp(`^${k} = "?([^"\\n]*)`, 'm'))?.[1];
      return `xl ${argv.join(' ')} (${kv('name') ?? '?'}: ${kv('type') ?? 'pv'}, memory ${kv('memory') ?? '?'} MiB${conf !== undefined ? `, claim_mode=${conf}` : ''})`;
    }
    case 'domid-probe': {
      const p = raw as unknown as ProbeParams;
      return `dom0 reads d0..d${p.highest} and d${DOMID_MAX + 1} by getdomaininfo, ${p.rounds}×, sends arguments Xen refuses${p.nodeBound === true ? ' (node 64 too)' : ''}, pauses a domain of its own twice`;
    }
    case 'offliner': {
      const p = raw as unknown as OfflinerParams;
      return `offlines frames ${p.start}-${p.start + p.count - 1} after ${p.delay} calls${p.online ? ', then onlines them' : ''}`;
    }
    case 'script':
      return `script of ${((raw.steps as unknown[] | undefined) ?? []).length} steps`;
    case 'linux':
    {
      const p = raw as unknown as LinuxGuestOptions;
      const ops = p.tmemOpsPerTickMax !== undefined && p.tmemOpsPerTickMax !== LINUX_OPS_PER_TICK ? `, ≤ ${p.tmemOpsPerTickMax} tmem calls a second` : '';
      return `Linux guest kernel in ${a.boot ?? '?'} (self-ballooning${p.workload !== 'bursty' ? `, ${p.workload} workload` : ''}${ops})`;
    }
    default:
      return a.kind;
  }
}

// Campaign scenarios: a compact, shrinkable description of a tiny host and the toolstack threads
// racing on it, the fast-check arbitrary that generates it, and its translation into a sim
// ScenarioSpec (which carries the version's monitors, so a trace replays with the same checks).
// Tiny by default (a few MiB, a handful of actors): a run is a few dozen critical sections.

import fc from 'fast-check';
import type { XenVersion } from '../../hv/index.ts';
import type { ActorSpec, ScenarioSpec } from '../../sim/scenario.ts';
import type { LinuxGuestOptions } from '../../guests/linux-guest.ts';
import { isToolstackBug } from '../../toolstack/bugs.ts';
import type { BuilderParams, GuestPokeParams, PokeParams } from './actors.ts';
import { monitorsFor } from './monitors.ts';
import { buildScript } from '../../world/test-scenarios.ts';

export interface GuestSpec {
  type: 'pv' | 'hvm';
  /** Guest memory as a percentage of the host's free memory at boot (100 = all of it). */
  memPct: number;
  /** Fault: its toolstack dies before this hypercall (0 = never). */
  dieAfter: number;
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
  action: GuestPokeParams['action'];
  /** Index of the guest it runs in. */
  on: number;
  /** node-hint: nodes beyond the host's; foreign-populate: picks the victim domid (0 = dom0). */
  arg: number;
}

/** An `xl create` (the real toolstack/xl actor, libxl's builder) of a guest. */
export interface XlCreateSpec {
  type: 'pv' | 'hvm';
  /** Guest memory as a percentage of the host's free memory. */
  memPct: number;
}

/** A self-ballooning Linux guest with tmem (built by a script, 8 MiB, bursty). */
export interface LinuxSpec {
  seed: number;
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
 *   xl         real `xl create`s (libxl builder: B6's HVM claim, B7 on hosts without claims)
 *   guest-ops  guests' own reservation calls: node hints (B15), populating another guest (B12)
 *   busy-cpus  hosts whose pCPUs always have work pending (hypercall_preempt_check true: B13)
 *   tmem       4.3's tmem on, a guest filling an ephemeral pool (B11's holes)
 *   linux      a self-ballooning tmem Linux guest for 70 virtual seconds (B14)
 *   kills      the owner kills an actor mid-run (a recorded choice; replay applies it)
 */
export const FAMILIES = ['xl', 'guest-ops', 'busy-cpus', 'tmem', 'linux', 'kills'] as const;
export type Family = (typeof FAMILIES)[number];

/** The generated value: everything a run depends on except the schedule. */
export interface CampaignScenario {
  xen: XenVersion;
  inject: string[];
  claimMode: 0 | 1;
  hostMiB: number;
  dom0MiB: number;
  nodes: number;
  guests: GuestSpec[];
  pokes: PokeSpec[];
  // Present only when the campaign enables the family (absent keys keep older seeds' scenarios).
  xls?: XlCreateSpec[];
  /** xl family: the host has no XENMEM_claim_pages (Xen ≤ 4.2): claims answer -ENOSYS. */
  noClaims?: boolean;
  guestOps?: GuestOpSpec[];
  busyCpus?: boolean;
  tmem?: boolean;
  linux?: LinuxSpec[];
  kills?: KillSpec[];
  /** Property monitors checked besides the version's (ScenarioConstraints.properties). */
  properties?: string[];
  /** Plugin modules those properties (and any actors) come from: recorded, so a trace replays. */
  plugins?: string[];
}

/** What a campaign fixes for every scenario it generates. */
export interface ScenarioConstraints {
  xen: XenVersion;
  inject: readonly string[];
  /** Undefined: each scenario picks 0 or 1. */
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

const guestArb: fc.Arbitrary<GuestSpec> = fc.record({
  type: fc.constantFrom<GuestSpec['type']>('pv', 'hvm'),
  memPct: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(100)),
  dieAfter: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 4, nil: 0 }),
});

const pokeArb: fc.Arbitrary<PokeSpec> = fc.record({
  action: fc.constantFrom<PokeSpec['action']>('destroy', 'balloon', 'pool'),
  target: fc.nat({ max: 3 }),
  polls: fc.integer({ min: 1, max: 6 }),
  size: fc.nat({ max: 9 }),
});

/** A fixed list of strings as an arbitrary that shrinks a copy of it without context. */
const constants = (xs: readonly string[]): fc.Arbitrary<string[]> => fc.tuple(...xs.map((x) => fc.constant(x)));

/** Scenarios under `c`: they shrink toward fewer, smaller guests, fewer pokes, a smaller host. */
export function scenarioArb(c: ScenarioConstraints): fc.Arbitrary<CampaignScenario> {
  const fam = new Set(c.families ?? []);
  // Only the enabled families' keys: a campaign without families draws exactly as before.
  const extra: { [K in keyof CampaignScenario]?: fc.Arbitrary<CampaignScenario[K]> } = {};
  if (fam.has('xl')) {
    extra.xls = fc.array(fc.record({ type: fc.constantFrom<XlCreateSpec['type']>('hvm', 'pv'), memPct: fc.integer({ min: 20, max: 80 }) }), { minLength: 1, maxLength: 2 });
    extra.noClaims = fc.boolean();
  }
  if (fam.has('guest-ops')) {
    extra.guestOps = fc.array(fc.record({
      action: fc.constantFrom<GuestOpSpec['action']>('node-hint', 'foreign-populate'),
      on: fc.nat({ max: 2 }),
      arg: fc.nat({ max: 3 }),
    }), { minLength: 1, maxLength: 2 });
  }
  if (fam.has('busy-cpus')) extra.busyCpus = fc.boolean();
  if (fam.has('tmem')) extra.tmem = fc.boolean();
  if (fam.has('linux')) extra.linux = fc.array(fc.record({ seed: fc.nat({ max: 0xffff }) }), { minLength: 1, maxLength: 1 });
  if (fam.has('kills')) extra.kills = fc.array(fc.record({ actor: fc.nat({ max: 7 }), atStep: fc.integer({ min: 1, max: 60 }) }), { maxLength: 1 });
  // Tuples of constants (as `inject` below): they draw nothing, so the other keys are generated
  // exactly as without them, and a value found outside fast-check still shrinks.
  if ((c.properties?.length ?? 0) > 0) extra.properties = constants(c.properties!);
  if ((c.plugins?.length ?? 0) > 0) extra.plugins = constants(c.plugins!);
  return fc.record({
    xen: fc.constant(c.xen),
    // Tuples of constants (not fc.constant of an array, compared by identity) so that a value
    // found outside fast-check — a PCT or DFS failure — can be shrunk without context.
    inject: fc.tuple(...c.inject.map((b) => fc.constant(b))),
    claimMode: c.claimMode === undefined ? fc.constantFrom<0 | 1>(0, 1) : fc.constant(c.claimMode),
    hostMiB: fc.integer({ min: 4, max: 12 }),
    dom0MiB: fc.constant(1),
    nodes: fc.integer({ min: 1, max: c.nodesMax ?? 1 }),
    guests: fc.array(guestArb, { minLength: 1, maxLength: c.guestsMax ?? 3 }),
    pokes: fc.array(pokeArb, { maxLength: c.pokes === false ? 0 : 2 }),
    ...extra,
  }) as fc.Arbitrary<CampaignScenario>;
}

/** The xl family's host: HVM guests need room (8 MiB of video RAM each), so 8× the base size. */
export function hostMiBOf(s: CampaignScenario): number {
  return s.xls !== undefined && s.xls.length > 0 ? s.hostMiB * 8 : s.linux !== undefined && s.linux.length > 0 ? Math.max(32, s.hostMiB) : s.hostMiB;
}

/** A linux-family guest: 8 MiB, every tmem op allowed a tick can do, bursty, until 70 s. */
const LINUX_MIB = 8;
export const LINUX_UNTIL_NS = 70e9;

/** Frames free right after boot (MFN 0 is never in the heap). */
export function freeAtBoot(s: CampaignScenario): number {
  return hostMiBOf(s) * 256 - 1 - s.dom0MiB * 256;
}

/** The sim scenario: one 'mini-builder' per guest, one 'poke' per poke, the version's monitors. */
export function toScenarioSpec(s: CampaignScenario): ScenarioSpec {
  // Mini-builders size their guests from the base host (the xl family's host is 8× larger and
  // its xl creates take the rest).
  const free = s.hostMiB * 256 - 1 - s.dom0MiB * 256;
  const actors: ActorSpec[] = s.guests.map((g, i) => {
    const params: BuilderParams = {
      name: `g${i + 1}`,
      type: g.type,
      // tmem family: g1 only hosts the fill (a small guest), so the fill has memory to take.
      pages: Math.max(2, Math.floor((free * (s.tmem === true && i === 0 ? Math.min(g.memPct, 10) : g.memPct)) / 100)),
      claimMode: s.claimMode,
      ...(g.dieAfter > 0 ? { dieAfter: g.dieAfter } : {}),
      // tmem family: g1 hosts the tmem fill; the other creations come a second later, on a host
      // whose free memory tmem has taken (the seed's world: claims counting freeable pages).
      ...(s.tmem === true && i > 0 ? { startAfterNs: 1e9 } : {}),
      // The claim-set version on a NUMA host: per-node claims, as libxl would for a vNUMA guest.
      ...(s.xen === '4.22+claim-sets' && s.nodes > 1 ? { claimNodes: s.nodes } : {}),
    };
    return { name: `xl-${i + 1}`, kind: 'mini-builder', params: params as unknown as Record<string, unknown> };
  });
  s.pokes.forEach((p, i) => {
    const params: PokeParams = {
      action: p.action,
      domid: (p.target % s.guests.length) + 1,
      polls: p.polls,
      size: p.action === 'pool' ? p.size + 1 : p.size,
    };
    actors.push({ name: `${p.action}-${i + 1}`, kind: 'poke', params: params as unknown as Record<string, unknown> });
  });
  addFamilies(s, actors, freeAtBoot(s) - (hostMiBOf(s) === s.hostMiB ? 0 : free));
  const host: ScenarioSpec['host'] = { memoryMiB: hostMiBOf(s), xen: s.xen, dom0MiB: s.dom0MiB, nodes: s.nodes, inject: [...s.inject] };
  if (s.noClaims === true && (s.xls?.length ?? 0) > 0) host.claimPages = false;
  if (s.busyCpus === true) host.costs = { preemptSliceNs: 0 }; // hypercall_preempt_check() always true
  if (s.tmem === true && s.xen === '4.3') host.tmem = true;
  if ((s.linux?.length ?? 0) > 0 && s.xen === '4.3') host.tmem = true;
  return {
    name: `campaign ${s.xen}${s.inject.length > 0 ? ' +' + s.inject.join('+') : ''} claim_mode=${s.claimMode}`,
    host,
    actors,
    ...((s.linux?.length ?? 0) > 0 ? { untilNs: LINUX_UNTIL_NS } : {}),
    monitors: [...monitorsFor(s.xen), ...(s.properties ?? [])],
    ...((s.plugins?.length ?? 0) > 0 ? { plugins: [...s.plugins!] } : {}),
  };
}

/** Appends the enabled families' actors (after the builders and pokes, whose indexes stay). */
function addFamilies(s: CampaignScenario, actors: ActorSpec[], free: number): void {
  const n = s.guests.length;
  for (const [i, g] of (s.guestOps ?? []).entries()) {
    const on = g.on % n;
    // foreign-populate: into another guest (domids follow creation order) or dom0 — each an XSM
    // denial, unless the domid turns out to be the caller's own.
    const size = g.action === 'node-hint' ? s.nodes + g.arg : (on + 1 + g.arg) % (n + 1);
    const params: GuestPokeParams = { action: g.action, size };
    actors.push({ name: `${g.action}-${i + 1}`, kind: 'guest-poke', boot: `g${on + 1}`, params: params as unknown as Record<string, unknown> });
  }
  if (s.tmem === true) {
    // The fill: as many puts as the host has free frames, so tmem ends up holding the heap.
    const params: GuestPokeParams = { action: 'tmem-fill', size: free };
    actors.push({ name: 'tmem-fill', kind: 'guest-poke', boot: 'g1', params: params as unknown as Record<string, unknown> });
  }
  for (const [i, x] of (s.xls ?? []).entries()) {
    const name = `x${i + 1}`;
    const mib = Math.max(16, Math.floor((free / 256) * x.memPct / 100));
    const file = `${name}.cfg`;
    actors.push({
      name: `xl-create-${i + 1}`,
      kind: 'xl',
      params: {
        argv: ['create', file],
        version: s.xen,
        inject: s.inject.filter(isToolstackBug),
        xlConf: { path: '/etc/xen/xl.conf', text: `claim_mode=${s.claimMode}\nautoballoon=0\n` },
        files: { [file]: `name = "${name}"\ntype = "${x.type}"\nmemory = ${mib}\n` },
      },
    });
  }
  for (const [i, l] of (s.linux ?? []).entries()) {
    const name = `lx${i + 1}`;
    const pages = LINUX_MIB * 256;
    actors.push({ name: `xl-${name}`, kind: 'script', params: buildScript(name, LINUX_MIB, false) });
    const params: LinuxGuestOptions = {
      seed: l.seed, workload: 'bursty', initialPages: pages, maxPfn: pages, tmem: s.xen === '4.3',
      bugs: s.inject.filter((b) => b === 'B14'), tmemOpsPerTickMax: 256,
    };
    actors.push({ name: `linux-${name}`, kind: 'linux', boot: name, params: params as unknown as Record<string, unknown> });
  }
}

/** One line per actor: the scenario as a reader wants it ("xl-1: build g1 pv 1023 pages claim"). */
export function describeScenario(s: CampaignScenario): string[] {
  const spec = toScenarioSpec(s);
  const head = `host ${s.hostMiB} MiB (dom0 ${s.dom0MiB} MiB, ${freeAtBoot(s)} pages free), ${s.nodes} node(s), Xen ${s.xen}` +
    `${s.inject.length > 0 ? ' + ' + s.inject.join(' ') : ''}, claim_mode=${s.claimMode}`;
  const lines = spec.actors.map((a) => {
    if (a.kind === 'mini-builder') {
      const p = a.params as unknown as BuilderParams;
      return `${a.name}: xl create ${p.name} (${p.type}, ${p.pages} pages${p.dieAfter ? `, its toolstack dies after ${p.dieAfter} calls` : ''})`;
    }
    const p = a.params as unknown as PokeParams;
    const what = p.action === 'destroy' ? `destroy d${p.domid}` : p.action === 'balloon' ? `balloon d${p.domid} order ${p.size} at gpfn 0` : `paging pool d${p.domid} ${p.size} pages`;
    return `${a.name}: ${what} (polls up to ${p.polls}×)`;
  });
  return [head, ...lines, `properties: ${spec.monitors!.join(', ')}`];
}

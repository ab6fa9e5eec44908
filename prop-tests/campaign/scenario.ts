// Campaign scenarios: a compact, shrinkable description of a tiny host and the toolstack threads
// racing on it, the fast-check arbitrary that generates it, and its translation into a sim
// ScenarioSpec (which carries the version's monitors, so a trace replays with the same checks).
// Tiny by default (a few MiB, a handful of actors): a run is a few dozen critical sections.

import fc from 'fast-check';
import type { XenVersion } from '../../hv/index.ts';
import type { ActorSpec, ScenarioSpec } from '../../sim/scenario.ts';
import type { BuilderParams, PokeParams } from './actors.ts';
import { monitorsFor } from './monitors.ts';

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

/** Scenarios under `c`: they shrink toward fewer, smaller guests, fewer pokes, a smaller host. */
export function scenarioArb(c: ScenarioConstraints): fc.Arbitrary<CampaignScenario> {
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
  });
}

/** Frames free right after boot (MFN 0 is never in the heap). */
export function freeAtBoot(s: CampaignScenario): number {
  return s.hostMiB * 256 - 1 - s.dom0MiB * 256;
}

/** The sim scenario: one 'mini-builder' per guest, one 'poke' per poke, the version's monitors. */
export function toScenarioSpec(s: CampaignScenario): ScenarioSpec {
  const free = freeAtBoot(s);
  const actors: ActorSpec[] = s.guests.map((g, i) => {
    const params: BuilderParams = {
      name: `g${i + 1}`,
      type: g.type,
      pages: Math.max(1, Math.floor((free * g.memPct) / 100)),
      claimMode: s.claimMode,
      ...(g.dieAfter > 0 ? { dieAfter: g.dieAfter } : {}),
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
  return {
    name: `campaign ${s.xen}${s.inject.length > 0 ? ' +' + s.inject.join('+') : ''} claim_mode=${s.claimMode}`,
    host: { memoryMiB: s.hostMiB, xen: s.xen, dom0MiB: s.dom0MiB, nodes: s.nodes, inject: [...s.inject] },
    actors,
    monitors: monitorsFor(s.xen),
  };
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

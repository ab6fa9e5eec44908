// Every scheduled run ends, and ends the same way in its replay (issue 17): a livelocked call
// stops at the scenario's `until`; a wall-clock budget stops a run that has none, as a recorded
// choice; the bookkeeping of finished actors costs nothing per step (work counted, not timed);
// a kill of an actor that already exited changes nothing — and a property over kill times on
// exited, running and blocked actors replays every run.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { replayTrace } from './replay.ts';
import { loadScenario } from './scenario-file/load.ts';
import { runVariant } from './scenario-file/run.ts';
import { XlHost } from './shell/host.ts';
import { runScheduled } from './world.ts';

const seed = fc.readConfigureGlobal().seed;

/** Xen 4.3 preempts a populate before its first extent (B13); with a zero time slice, for ever. */
function livelock(untilNs?: number): ScenarioSpec {
  return {
    name: 'livelock',
    host: { memoryMiB: 16, xen: '4.3', dom0MiB: 4, costs: { preemptSliceNs: 0 } },
    actors: [{
      name: 'builder', kind: 'script', params: {
        steps: [
          { op: 'XEN_DOMCTL_createdomain', args: { name: 'g', type: 'pv' } },
          { op: 'XEN_DOMCTL_max_mem', args: { domid: '$domid', max_memkb: 8192 } },
          { op: 'XENMEM_populate_physmap', args: { domid: '$domid', nr_extents: 2, extent_order: 0, extent_start: [0, 1] } },
        ],
      },
    }],
    ...(untilNs === undefined ? {} : { untilNs }),
  };
}

describe(`runs that never end are bounded (seed: ${seed})`, () => {
  test('a call that re-enters itself for ever stops at the scenario\'s until, and the stop replays', async () => {
    const untilNs = 2_000_000; // 2 ms: each continuation charges 1 µs
    const r = await runScheduled(livelock(untilNs), new ArrivalOrder(), { maxSteps: 50_000 });
    expect(r.failure).toBeUndefined(); // not the step limit: the run ended at its horizon
    expect(r.owner.hv.now).toBeGreaterThan(untilNs);
    expect(r.owner.hv.now).toBeLessThanOrEqual(untilNs + 1_000_000);
    expect(r.steps).toBeLessThan(5_000);
    const rep = await replayTrace(r.owner.trace.toJsonl());
    expect(rep.divergence).toBeUndefined();
    expect(rep.steps).toBe(r.steps);
  });

  test('without until, the wall-clock budget stops it: a recorded stop, and the trace replays to the same point', async () => {
    const r = await runScheduled(livelock(), new ArrivalOrder(), { maxSteps: 3_000_000, wallBudgetMs: 150 });
    expect(r.failure).toBeUndefined();
    expect(r.stopped).toMatch(/wall-clock budget of 0.15 s spent/);
    expect(r.owner.trace.events.filter((e) => e.k === 'stop')).toHaveLength(1);
    const rep = await replayTrace(r.owner.trace.toJsonl());
    expect(rep.reproduced).toBe(true);
    expect(rep.steps).toBe(r.steps);
  });

  test('a wall-clock budget that is not a positive number of ms is refused', async () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      await expect(runScheduled(livelock(1e6), new ArrivalOrder(), { wallBudgetMs: bad })).rejects.toThrow(/wallBudgetMs must be in/);
    }
  });
});

describe('bookkeeping of finished actors costs nothing per step', () => {
  /** Runs an xl script of `n` lines (each one an actor that exits) and returns the owner's work per step. */
  async function workPerStep(n: number): Promise<{ visits: number; steps: number; actors: number }> {
    const host = new XlHost({ memoryMiB: 256, xen: '4.22', nodes: 1 });
    for (let i = 0; i < n; i++) {
      const r = await host.xl(i % 2 === 0 ? ['list'] : ['info'], {});
      expect(r.exitStatus).toBe(0);
    }
    const o = host.world.owner;
    return { visits: o.visits, steps: o.steps, actors: o.actorNames().length };
  }

  test('an xl script of 4N lines costs 4× one of N lines, not 16× (actor states examined, counted)', async () => {
    const small = await workPerStep(40);
    const big = await workPerStep(160);
    expect(big.actors).toBeGreaterThanOrEqual(4 * small.actors - 8);
    expect(big.steps).toBeGreaterThan(3 * small.steps);
    // Linear: the states examined per step do not grow with the actors that have finished.
    expect(big.visits / big.steps).toBeLessThanOrEqual(1.25 * (small.visits / small.steps) + 1);
    expect(big.visits).toBeLessThan(8 * big.steps);
  });
});

describe(`kills replay exactly, whatever the victim is doing (seed: ${seed})`, () => {
  /** A timeline: admin creates a ballooning guest, a second xl lists; `kills` at the given seconds. */
  function scenario(kills: Array<{ at: number; victim: 'admin' | 'other' }>, listAt = 3): string {
    return JSON.stringify({
      name: 'kills',
      host: { memory: 256, xen: '4.22', dom0: { memory: 64 } },
      guests: { web: { cfg: { memory: 32 }, workload: 'steady' } },
      timeline: [
        { at: '0s', actor: 'admin', xl: 'create -q web.cfg' },
        { at: `${listAt}s`, actor: 'other', xl: 'list' },
        ...kills.map((k) => ({ at: `${k.at}ms`, kill: k.victim })),
      ],
    });
  }

  async function runAndReplay(text: string): Promise<{ reproduced: boolean; divergence?: string; kills: number }> {
    const loaded = loadScenario(text, 'kills.json');
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const run = await runVariant(loaded.scenario.variants[0]);
    expect(run.failure).toBeUndefined();
    const rep = await replayTrace(run.trace!);
    return { reproduced: rep.reproduced, divergence: rep.divergence, kills: run.trace!.split('\n').filter((l) => l.startsWith('{"k":"kill"')).length };
  }

  test('the last event kills an xl process that already exited: nothing is recorded, and the replay matches', async () => {
    const r = await runAndReplay(scenario([{ at: 5000, victim: 'admin' }], 1));
    expect(r.divergence).toBeUndefined();
    expect(r.kills).toBe(0);
  });

  test('a kill of an actor blocked in a call, sleeping or exited, at any time: every run replays', async () => {
    const kill = fc.record({ at: fc.integer({ min: 0, max: 6000 }), victim: fc.constantFrom<'admin' | 'other'>('admin', 'other') });
    await fc.assert(fc.asyncProperty(fc.array(kill, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 4 }), async (kills, listAt) => {
      const r = await runAndReplay(scenario(kills, listAt));
      expect(r.divergence).toBeUndefined();
    }), { numRuns: 12 });
  });
});

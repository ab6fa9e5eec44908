// Real threads, end to end: a toolstack and guest kernels on their own threads against one
// hypervisor-owner thread; then the same run replayed in the scheduled world. Few tests, each
// bounded in time; none asserts on wall-clock durations.

import { describe, expect, test } from 'vitest';
import { replayTrace } from './replay.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { buildScript } from './test-scenarios.ts';
import { parseTrace } from '../sim/trace.ts';
import type { OwnerControl } from '../workers/hv-worker.ts';
import { runThreads } from '../workers/threads.ts';

/** Two toolstacks build a guest each; the kernels boot and self-balloon with tmem. */
function hostWithGuests(): ScenarioSpec {
  const guest = (name: string, seed: number) => ({
    name: `linux-${name}`,
    kind: 'linux',
    boot: name,
    params: { seed, workload: 'bursty', initialPages: 4096, maxPfn: 4096, tmem: true },
  });
  return {
    name: 'toolstack + guests on threads',
    host: { memoryMiB: 128, xen: '4.3', dom0MiB: 16, tmem: true },
    untilNs: 8e9,
    actors: [
      { name: 'xl-1', kind: 'script', params: buildScript('g1', 16, true) },
      { name: 'xl-2', kind: 'script', params: buildScript('g2', 16, true) },
      guest('g1', 1),
      guest('g2', 2),
    ],
  };
}

function stepActors(trace: string): string[] {
  return parseTrace(trace).events.flatMap((e) => (e.k === 'step' ? [e.a] : []));
}

/** Whether some actor's sections are separated by another actor's: X … Y … X. */
function interleaved(actors: readonly string[]): boolean {
  return actors.some((x, i) => {
    const j = actors.indexOf(x, i + 1);
    return j > i + 1 && actors.slice(i + 1, j).some((y) => y !== x);
  });
}

describe('real threads', () => {
  test('toolstacks and guest kernels interleave on real threads, and the trace replays exactly', async () => {
    const r = await runThreads(hostWithGuests(), { policy: 'arrival' });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(r.actors.filter((a) => a.error !== undefined)).toEqual([]);
    const actors = stepActors(r.trace!);
    expect(new Set(actors)).toEqual(new Set(['xl-1', 'xl-2', 'linux-g1', 'linux-g2']));
    // Sections of different callers interleave (two builders run their hypercalls in parallel;
    // the owner serves them in arrival order, round robin).
    expect(interleaved(actors)).toBe(true);

    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
    expect(rep.hash).toBe(r.hash);
    const hv = rep.run.owner.hv;
    expect([...hv.domains.values()].map((d) => d.name).sort()).toEqual(['Domain-0', 'g1', 'g2']);
  }, 240_000);

  test('an actor thread killed mid-hypercall: the owner serves the others and nothing leaks', async () => {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      actors: [
        // a creates domain 1 and dies mid-build; the reaper (waking first: ties break by name)
        // destroys it; b builds its guest afterwards.
        { name: 'xl-a', kind: 'script', params: buildScript('a', 8, true) },
        { name: 'xl-b', kind: 'script', params: { steps: [{ sleep: 1e9 }, ...(buildScript('b', 8, true).steps as object[])] } },
        {
          name: 'reaper',
          kind: 'script',
          params: { steps: [{ sleep: 1e9 }, { op: 'XEN_DOMCTL_destroydomain', args: { domid: 1 } }] },
        },
      ],
    };
    const r = await runThreads(spec, { dieAfterRequests: { 'xl-a': 5 } });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(r.actors.find((a) => a.actor === 'xl-a')?.error).toMatch(/thread died/);
    expect(r.actors.find((a) => a.actor === 'xl-b')?.error).toBeUndefined();
    // The run's final state, rebuilt by replaying it: a's half-built domain was destroyed, b's is
    // complete, and no claim or frame is unaccounted for (the invariant checker ran every step).
    const rep = await replayTrace(r.trace!);
    expect(rep.reproduced).toBe(true);
    const hv = rep.run.owner.hv;
    expect([...hv.domains.values()].map((d) => d.name).sort()).toEqual(['Domain-0', 'b']);
    expect(hv.heap.outstandingClaims).toBe(0);
    expect(hv.heap.leakedClaimPages).toBe(0);
  }, 240_000);

  test('an owner that dies: every blocked caller gets an error within a bounded time', async () => {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      actors: [
        { name: 'sleeper', kind: 'script', params: { steps: Array.from({ length: 1e5 }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} })) } },
        { name: 'other', kind: 'script', params: { steps: Array.from({ length: 1e5 }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} })) } },
      ],
    };
    const r = await runThreads(spec, { killOwnerAfterMs: 1500, timeoutMs: 30_000 });
    expect(r.ownerLost).toMatch(/owner worker exited/);
    expect(r.actors.map((a) => a.error)).toEqual([expect.stringMatching(/OwnerGone/), expect.stringMatching(/OwnerGone/)]);
  }, 240_000);
});

describe('the control plane (comlink, never on the hypercall path)', () => {
  test('stats arrive while the run goes on; snapshot reads the hypervisor; stop ends the run with a trace that replays', async () => {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      actors: [{ name: 'poller', kind: 'script', params: { steps: Array.from({ length: 1e5 }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} })) } }],
    };
    const stats: number[] = [];
    let snapshot: Awaited<ReturnType<OwnerControl['snapshot']>> | undefined;
    const r = await runThreads(spec, {
      statsEverySteps: 500,
      onStats: (s) => stats.push(s.steps),
      onControl: (control) => {
        void (async () => {
          while (stats.length < 2) await new Promise((res) => setTimeout(res, 20));
          snapshot = await control.snapshot();
          await control.stop();
        })();
      },
      timeoutMs: 240_000,
    });
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(stats[1]).toBeGreaterThan(stats[0]);
    expect(snapshot?.domains.map((d) => d.domid)).toEqual([0]);
    expect(snapshot?.physinfo.total_pages).toBe(64 * 256);
    expect(r.ownerLost).toBeUndefined();
    expect(r.steps).toBeGreaterThanOrEqual(snapshot!.steps);
    expect(r.steps).toBeLessThan(2e5); // stopped long before the poller's 100k calls
    const rep = await replayTrace(r.trace!);
    expect(rep.reproduced).toBe(true);
  }, 300_000); // a loaded 2-core machine: the run, its 100k-step spec and the replay took ~50 s at load 15
});

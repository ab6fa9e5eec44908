// Faults on real threads: a rogue caller writing arbitrary slots next to an honest actor, actors
// killed at random points, a toolstack dying mid-build (its claim lingers until the domain is
// destroyed, as in Xen), and the owner dying. Each run is bounded (runThreads' timeoutMs, the
// test timeout); nothing asserts on wall-clock time. Final states come from replaying the trace.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EFAULT, EINVAL, Hypervisor, physinfo } from '../hv/index.ts';
import { replayTrace } from './replay.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { buildScript } from './test-scenarios.ts';
import { leaksAfterCleanup, rogueSlot, runRogue, type RogueReport } from '../workers/faults-support.ts';
import { runThreads } from '../workers/threads.ts';

const seed = fc.readConfigureGlobal().seed;
const physinfoSteps = (n: number) => Array.from({ length: n }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} }));

describe(`faults on real threads (seed: ${seed})`, () => {
  test('a rogue thread writing arbitrary slots gets errnos; the honest actor completes and replays exactly', async () => {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      actors: [{ name: 'xl-honest', kind: 'script', params: { steps: [...(buildScript('h', 8, true).steps as object[]), ...physinfoSteps(400)] } }],
    };
    const slots = fc.sample(rogueSlot, 200);
    let rogue: Promise<RogueReport> | undefined;
    const r = await runThreads(spec, { timeoutMs: 60_000, onMailbox: (buffer) => (rogue = runRogue(buffer, slots)) });
    const report = await rogue!;
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined(); // the owner checked invariants after every section
    expect(r.actors).toEqual([{ actor: 'xl-honest' }]);
    expect(report.accepted).toEqual([]);
    expect(report.sent).toBeGreaterThan(0);
    for (const errno of report.errnos) expect([-EFAULT, -EINVAL]).toContain(errno);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.hash).toBe(r.hash);
    expect(rep.run.owner.hv.domain(1)?.totPages).toBe(8 * 256);
  }, 240_000);

  test('an actor killed after a random number of requests: the others finish, the replay matches, nothing leaks', async () => {
    // xl-a builds domain 1 and may die anywhere in it; the reaper destroys domain 1 afterwards;
    // xl-b then builds its own guest and destroys it. Every frame and claim must come back.
    const spec = (): ScenarioSpec => ({
      host: { memoryMiB: 64, xen: '4.21', dom0MiB: 8 },
      actors: [
        { name: 'xl-a', kind: 'script', params: buildScript('a', 8, true) },
        { name: 'reaper', kind: 'script', params: { steps: [{ sleep: 1e9 }, { op: 'XEN_DOMCTL_destroydomain', args: { domid: 1 } }] } },
        {
          name: 'xl-b',
          kind: 'script',
          params: { steps: [{ sleep: 2e9 }, ...(buildScript('b', 8, true).steps as object[]), { op: 'XEN_DOMCTL_destroydomain', args: { domid: '$domid' } }] },
        },
      ],
    });
    const requestsOfA = (buildScript('a', 8, true).steps as object[]).length;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: requestsOfA - 1 }), async (n) => {
        const r = await runThreads(spec(), { dieAfterRequests: { 'xl-a': n }, timeoutMs: 60_000 });
        expect(r.ownerLost).toBeUndefined();
        expect(r.failure).toBeUndefined();
        expect(r.actors.find((a) => a.actor === 'xl-a')?.error).toMatch(/thread died/);
        expect(r.actors.filter((a) => a.actor !== 'xl-a' && a.error !== undefined)).toEqual([]);
        const rep = await replayTrace(r.trace!);
        expect(rep.divergence).toBeUndefined();
        expect(leaksAfterCleanup(rep.run.owner.hv)).toEqual({ framesLeaked: 0, claimsLeaked: 0, domainsLeft: 0 });
      }),
      { numRuns: 3 },
    );
  }, 300_000);

  test('a toolstack dying mid-build: its claim lingers until the domain is destroyed, then every frame returns', async () => {
    const spec: ScenarioSpec = { host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 }, actors: [{ name: 'xl-a', kind: 'script', params: buildScript('a', 8, true) }] };
    // create, max_mem, claim, one 2 MiB populate; dies in the second populate.
    const r = await runThreads(spec, { dieAfterRequests: { 'xl-a': 4 }, timeoutMs: 60_000 });
    expect(r.failure).toBeUndefined();
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    const hv = rep.run.owner.hv;
    const d = hv.domain(1)!;
    // Nobody cancels: the claim (8 MiB minus what was populated) is still staked, as in Xen.
    expect(d.outstandingPages).toBeGreaterThan(0);
    expect(d.outstandingPages + d.totPages).toBe(8 * 256);
    expect(physinfo(hv).outstanding_pages).toBe(d.outstandingPages);
    expect(hv.hypercall(0, 'XEN_DOMCTL_destroydomain', { domid: 1 }).rc).toBe(0);
    expect(leaksAfterCleanup(hv)).toEqual({ framesLeaked: 0, claimsLeaked: 0, domainsLeft: 0 });
    expect(physinfo(hv).free_pages).toBe(physinfo(new Hypervisor(spec.host)).free_pages);
  }, 240_000);

  test('the owner dying at a random point: every caller gets an error, the run ends', async () => {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      actors: [
        { name: 'xl-a', kind: 'script', params: { steps: [...(buildScript('a', 8, true).steps as object[]), ...physinfoSteps(1e5)] } },
        { name: 'poller', kind: 'script', params: { steps: physinfoSteps(1e5) } },
      ],
    };
    const [killAfterMs] = fc.sample(fc.integer({ min: 300, max: 1500 }), 1);
    const r = await runThreads(spec, { killOwnerAfterMs: killAfterMs, timeoutMs: 30_000 });
    expect(r.ownerLost).toMatch(/owner worker exited/);
    expect(r.actors.map((a) => a.error)).toEqual([expect.stringMatching(/OwnerGone/), expect.stringMatching(/OwnerGone/)]);
  }, 240_000);
});

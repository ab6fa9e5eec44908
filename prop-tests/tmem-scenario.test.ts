// Issue 3's scenario tests, on the real hypervisor in the scheduled world: four self-ballooning
// tmem guests make a 4.3 host's free memory swing while every invariant holds; the same guests on
// 4.13/4.22 run without tmem; and a property — ballooning respects max_pages and a guest never
// frees a frame it does not own — with a toolstack changing max_mem and the target under it.
// Wall time is printed, never asserted.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WORKLOAD_KINDS, type WorkloadKind } from '../guests/workload.ts';
import { checkInvariants, physinfo, type XenVersion } from '../hv/index.ts';
import { DOMID_SELF } from '../hv/ops.ts';
import { ArrivalOrder, SeededRandom } from '../sim/policy.ts';
import type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
import { buildScript } from '../world/test-scenarios.ts';
import type { TraceEvent } from '../sim/trace.ts';
import { PropertyViolation, runScheduled } from '../world/world.ts';
import { pinnedSeed } from './setup.ts';

const HOST_MIB = 768;
const DOM0_MIB = 64;
/** 4 × 176 MiB fills the 704 MiB left after dom0: the host starts with ~2 MiB free. */
const GUEST_MIB = 176;
const SECONDS = 60;
/** Full frame-table scan every this many sections (the counters are checked after every one). */
const DEEP_EVERY = 4096;

/** A guest's kernel: tmem on where the host has it, as xl's guest-kernel.ts decides (4.3 only). */
function kernel(name: string, seed: number, pages: number, xen: XenVersion, workload: WorkloadKind = 'bursty', maxPfn = pages): ActorSpec {
  return { name: `linux-${name}`, kind: 'linux', boot: name, params: { seed, workload, initialPages: pages, maxPfn, tmem: xen === '4.3' } };
}

/** Four toolstacks build g0…g3 (PV, 2 MiB extents, no claims); each guest kernel self-balloons. */
function fourGuests(xen: XenVersion): ScenarioSpec {
  const seeds = [11, 18, 25, 32];
  return {
    name: `four bursty guests on ${xen}`,
    host: { memoryMiB: HOST_MIB, xen, dom0MiB: DOM0_MIB, tmem: xen === '4.3' },
    untilNs: SECONDS * 1e9,
    actors: seeds.flatMap((seed, i) => [
      { name: `xl-${i}`, kind: 'script', params: buildScript(`g${i}`, GUEST_MIB, false) },
      kernel(`g${i}`, seed, GUEST_MIB * 256, xen),
    ]),
  };
}

function hypercallOps(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => (e.k === 'arrive' && e.req.kind === 'hypercall' ? [e.req.op] : []));
}

/** Runs `spec` to its end with the counters checked after every section and a deep scan periodically. */
async function runMeasured(spec: ScenarioSpec) {
  const t0 = performance.now();
  let minFree = Infinity;
  let maxFree = -Infinity;
  let deepScans = 0;
  const r = await runScheduled(spec, new ArrivalOrder(), {
    // invariants: true (the default) runs checkInvariants after every section: on this host size
    // that is the counters and per-domain ownership sums; the frame-table scan runs below.
    onStep: (info, owner) => {
      if (info.step % DEEP_EVERY === 0) {
        checkInvariants(owner.hv, true);
        deepScans++;
      }
      // From the first second on: the builds' fill at t≈0 is not the guests' doing.
      if (owner.hv.now < 1e9) return;
      const free = physinfo(owner.hv).free_pages;
      minFree = Math.min(minFree, free);
      maxFree = Math.max(maxFree, free);
    },
  });
  if (r.failure === undefined) {
    checkInvariants(r.owner.hv, true);
    deepScans++;
  }
  return { r, minFree, maxFree, deepScans, wallMs: performance.now() - t0 };
}

describe('four self-ballooning guests (issue 3 scenario)', () => {
  test('on 4.3 with tmem, free memory swings by ≥ 20% of the host within 60 virtual seconds, every invariant holding', async () => {
    const { r, minFree, maxFree, deepScans, wallMs } = await runMeasured(fourGuests('4.3'));
    expect(r.failure).toBeUndefined();
    const hostPages = HOST_MIB * 256;
    const swing = (maxFree - minFree) / hostPages;
    // The threshold: the guests start full (the host ~2 MiB free) and selfballoon toward
    // committed memory + 10% reserve; with bursty loads (25% base, bursts to ~80% in a third of
    // the 10 s windows) the four give back 150–200 MiB of their 704 MiB within 60 s: a ~25%
    // swing on this host (24.7–25.2% over the sizes tried). 20% leaves margin for model tweaks
    // while still meaning "a large fraction of the host", far above any non-ballooning noise.
    expect(swing).toBeGreaterThanOrEqual(0.2);
    expect(r.owner.hv.now).toBeLessThanOrEqual((SECONDS + 1) * 1e9);
    const ops = hypercallOps(r.owner.trace.events);
    expect(ops).toContain('TMEM_PUT_PAGE');
    expect(ops).toContain('XENMEM_decrease_reservation');
    expect(deepScans).toBeGreaterThanOrEqual(10);
    console.log(`4.3: free ${minFree}…${maxFree} pages = ${(swing * 100).toFixed(1)}% of ${hostPages}; ${r.steps} sections, ${deepScans} deep scans, ${wallMs.toFixed(0)} ms wall`);
  });

  test.each(['4.13', '4.22'] as const)('on %s the same guests run without tmem: no TMEM_* hypercall, the run completes', async (xen) => {
    const { r, wallMs } = await runMeasured(fourGuests(xen));
    expect(r.failure).toBeUndefined();
    expect(r.owner.hv.tmem).toBeNull();
    expect(hypercallOps(r.owner.trace.events).filter((op) => op.startsWith('TMEM_'))).toEqual([]);
    expect(r.owner.errors()).toEqual([]);
    // Every guest booted, and the run went on to the end of the 60 s (guests are stopped there).
    const booted = r.owner.trace.events.filter((e) => e.k === 'arrive' && e.req.kind === 'note' && e.req.text.startsWith('linux: booted'));
    expect(booted.length).toBe(4);
    expect(r.owner.hv.now).toBeGreaterThanOrEqual((SECONDS - 1) * 1e9);
    console.log(`${xen}: ${r.steps} sections, ${wallMs.toFixed(0)} ms wall`);
  });
});

describe(`ballooning on the real hypervisor (seed: ${pinnedSeed})`, () => {
  test('respects max_pages and never frees a frame the guest does not own, while a toolstack changes max_mem and the target', async () => {
    let totalDecreases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          xen: fc.constantFrom<XenVersion>('4.3', '4.22'),
          seed: fc.integer({ min: 0, max: 0xffff }),
          workload: fc.constantFrom(...WORKLOAD_KINDS),
          mib: fc.constantFrom(16, 24, 32),
          extraMiB: fc.integer({ min: 0, max: 16 }),
          // Toolstack actions: [at second, max_mem in MiB, memory/target in MiB (0: leave)].
          actions: fc.array(fc.tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 4, max: 64 }), fc.integer({ min: 0, max: 64 })), { maxLength: 4 }),
          schedule: fc.integer({ min: 0, max: 0xffff }),
        }),
        async (p) => {
          const maxPfn = (p.mib + p.extraMiB) * 256;
          const build = buildScript('g', p.mib, false) as { steps: Array<Record<string, unknown>> };
          // max_pages covers the whole pfn space (xl's maxmem), so the guest may balloon up.
          build.steps[1] = { op: 'XEN_DOMCTL_max_mem', args: { domid: '$domid', max_memkb: maxPfn * 4 } };
          const toolstack: Array<Record<string, unknown>> = [];
          let t = 0;
          for (const [at, maxMiB, targetMiB] of [...p.actions].sort((a, b) => a[0] - b[0])) {
            if (at > t) toolstack.push({ sleep: (at - t) * 1e9 });
            t = Math.max(t, at);
            toolstack.push({ op: 'XEN_DOMCTL_max_mem', args: { domid: 1, max_memkb: maxMiB * 1024 } });
            if (targetMiB > 0) toolstack.push({ xs_write: ['/local/domain/1/memory/target', String(targetMiB * 1024)] });
          }
          const spec: ScenarioSpec = {
            host: { memoryMiB: 128, xen: p.xen, dom0MiB: 16, tmem: p.xen === '4.3' },
            untilNs: 16e9,
            actors: [
              { name: 'xl', kind: 'script', params: build },
              { name: 'mem-max', kind: 'script', params: { steps: [{ sleep: 5e8 }, ...toolstack] } },
              kernel('g', p.seed, p.mib * 256, p.xen, p.workload, maxPfn),
            ],
          };
          let lastTot = 0;
          const r = await runScheduled(spec, new SeededRandom(p.schedule), {
            onStep: (info, owner) => {
              const d = owner.hv.domain(1);
              if (d === undefined) return;
              // The guest's own populates and persistent puts never take tot_pages over max_pages
              // (it may sit above after the toolstack lowers max_mem; then it must not grow).
              if (info.actor === 'linux-g' && d.totPages > lastTot && d.totPages > d.maxPages) {
                throw new PropertyViolation(`max_pages: d1 grew to ${d.totPages} > max_pages ${d.maxPages}`);
              }
              lastTot = d.totPages;
            },
          });
          expect(r.failure).toBeUndefined(); // includes actor errors: a short decrease is a guest BUG_ON
          // Every decrease the guest issued named itself and gave back every frame it named.
          const evs = r.owner.trace.events;
          let pending: { domid: unknown; nr: number } | undefined;
          let decreases = 0;
          for (const e of evs) {
            if (!('a' in e) || e.a !== 'linux-g') continue;
            if (e.k === 'arrive' && e.req.kind === 'hypercall') {
              const a = e.req.args as { domid: unknown; nr_extents: number };
              pending = e.req.op === 'XENMEM_decrease_reservation' ? { domid: a.domid, nr: a.nr_extents } : undefined;
            } else if (e.k === 'reply' && pending !== undefined) {
              expect([DOMID_SELF, 1]).toContain(pending.domid);
              expect(e.r.kind === 'result' ? e.r.result.rc : 'no result').toBe(pending.nr);
              decreases++;
              pending = undefined;
            }
          }
          totalDecreases += decreases;
        },
      ),
      { numRuns: 12 },
    );
    expect(totalDecreases).toBeGreaterThan(0); // the property was exercised, not vacuous
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinnedSeed } from '../prop-tests/setup.ts';
import { LinuxGuest, runLinuxGuest, type LinuxGuestOptions } from './linux-guest.ts';
import { PfnState } from './pfn-space.ts';
import { selfballoonFloor } from './selfballoon.ts';
import { FakeXen } from './test-support/fake-xen.ts';
import { WORKLOAD_KINDS } from './workload.ts';

const base: LinuxGuestOptions = { seed: 1, workload: 'bursty', initialPages: 16_384, maxPfn: 20_480, tmem: true };

function world(opts: Partial<LinuxGuestOptions> = {}, hostPages = 200_000, maxPages?: number) {
  const o = { ...base, ...opts };
  const xen = new FakeXen(hostPages);
  xen.createDomain(1, o.initialPages, maxPages ?? o.maxPfn);
  return { xen, port: xen.port(1), o };
}

const untilSeconds = (xen: FakeXen, s: number) => () => xen.nowNs >= s * 1e9;

/** The guest's populated frames are exactly the ones the fake says the domain holds. */
function agrees(guest: LinuxGuest, xen: FakeXen): boolean {
  const held = xen.domains.get(1)!.populated;
  if (held.size !== guest.pfns.populatedPages) return false;
  for (const gfn of held) if (guest.pfns.stateOf(gfn) === PfnState.ballooned) return false;
  return true;
}

describe('Linux guest actor', () => {
  it('without tmem: no tmem hypercalls, no selfballoon, stops cleanly', async () => {
    const { xen, port, o } = world({ tmem: false });
    const guest = await runLinuxGuest(port, o, untilSeconds(xen, 30));
    expect(guest.ticks).toBe(30);
    expect(guest.selfballoon).toBeUndefined();
    expect(xen.calls.filter((c) => c.op.startsWith('TMEM_'))).toEqual([]);
    expect(agrees(guest, xen)).toBe(true);
  });

  it('with tmem and a bursty load: balloons both ways and drives cleancache traffic', async () => {
    const { xen, port, o } = world();
    const guest = await runLinuxGuest(port, o, untilSeconds(xen, 60));
    const ops = new Set(xen.calls.map((c) => c.op));
    for (const op of ['TMEM_NEW_POOL', 'TMEM_PUT_PAGE', 'TMEM_GET_PAGE', 'XENMEM_decrease_reservation', 'XENMEM_populate_physmap']) {
      expect(ops).toContain(op);
    }
    expect(guest.cleancache!.stats.puts).toBeGreaterThan(0);
    expect(xen.violations).toEqual([]);
    expect(agrees(guest, xen)).toBe(true);
    expect(xen.accountedPages()).toBe(200_000);
  });

  it('a surge on the host clock: an idle guest balloons down, then back up to maxPfn once the load arrives', async () => {
    const { xen, port, o } = world({ workload: 'idle', surge: { atNs: 40e9, level: 1.2 } });
    let before = 0;
    const guest = await runLinuxGuest(port, o, () => {
      if (xen.nowNs < 40e9) before = xen.totPages(1);
      return xen.nowNs >= 60e9;
    });
    expect(before).toBeLessThan(o.initialPages);
    // Committed_AS 1.2 × 16384 pages (+ reserves) is above maxPfn: the balloon deflates until
    // the domain is (nearly) at max_pages (frontswap's persistent pages count there too).
    expect(guest.balloon.stats.currentPages).toBeGreaterThan(Math.max(before, 0.9 * o.maxPfn));
    expect(xen.totPages(1)).toBeGreaterThan(0.99 * o.maxPfn);
    expect(xen.violations).toEqual([]);
    expect(agrees(guest, xen)).toBe(true);
  });

  it('idle with tmem: self-balloons down to the piecewise-linear floor and stays there', async () => {
    const { xen, port, o } = world({ workload: 'idle' });
    const guest = await runLinuxGuest(port, o, untilSeconds(xen, 60));
    // maxPfn 20480, totalreserve 256: useful 79 MiB → 256 + 40 MiB + (useful − 40 MiB)/8 = 11744
    // totalram pages, + 2368 boot-reserved pages (maxPfn/64 + 2048) as a current_pages target.
    expect(selfballoonFloor(20_480, 256, 0)).toBe(11_744);
    expect(guest.balloon.stats.currentPages).toBe(11_744 + 2_368);
    expect(xen.totPages(1)).toBe(14_112 + guest.frontswap!.currPages());
  });

  it('spike with tmem: swaps into frontswap under the spike, then self-shrinks it back', async () => {
    const { xen, port, o } = world({ workload: 'spike' });
    const guest = await runLinuxGuest(port, o, untilSeconds(xen, 60));
    expect(guest.frontswap!.stats.succStores).toBeGreaterThan(0);
    expect(guest.frontswap!.currPages()).toBe(0);
    expect(agrees(guest, xen)).toBe(true);
  });

  it('follows a toolstack memory/target without selfballooning', async () => {
    const { xen, port, o } = world({ tmem: false, workload: 'idle' });
    await port.xsWrite('memory/target', String(10_000 * 4));
    const guest = await runLinuxGuest(port, o, untilSeconds(xen, 5));
    expect(guest.balloon.stats.currentPages).toBe(10_000);
    expect(xen.totPages(1)).toBe(10_000);
  });

  it('is a pure function of (seed, hypercall results): two runs give the same trace', async () => {
    const trace = async () => {
      const { xen, port, o } = world({ workload: 'sawtooth', seed: 99 });
      await runLinuxGuest(port, o, untilSeconds(xen, 40));
      return xen.calls;
    };
    expect(await trace()).toEqual(await trace());
  });

  it('propagates a decrease_reservation short count as a guest BUG', async () => {
    const { xen, port, o } = world({ tmem: false });
    xen.faults.decreaseShortBy = 1;
    await port.xsWrite('memory/target', String(8_000 * 4));
    await expect(runLinuxGuest(port, o, untilSeconds(xen, 5))).rejects.toThrow(/BUG_ON\(ret != nr_pages\)/);
  });
});

describe(`guest ownership property (seed: ${pinnedSeed})`, () => {
  it('never decreases a pfn it does not hold and never holds more than max_pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 0xffff }),
          workload: fc.constantFrom(...WORKLOAD_KINDS),
          tmem: fc.boolean(),
          generation: fc.constantFrom('3.x' as const, 'upstream' as const),
          initialPages: fc.integer({ min: 3_000, max: 6_000 }),
          extraPfns: fc.integer({ min: 0, max: 3_000 }),
          hostSpare: fc.integer({ min: 0, max: 4_000 }),
          // Toolstack actions between ticks: [tick, new max_pages delta, new target in pages or 0].
          actions: fc.array(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: -2_000, max: 2_000 }), fc.integer({ min: 0, max: 9_000 })), { maxLength: 4 }),
        }),
        async (p) => {
          const maxPfn = p.initialPages + p.extraPfns;
          const xen = new FakeXen(p.initialPages + p.hostSpare);
          xen.createDomain(1, p.initialPages, maxPfn);
          const port = xen.port(1);
          const guest = new LinuxGuest(port, { seed: p.seed, workload: p.workload, tmem: p.tmem, generation: p.generation, initialPages: p.initialPages, maxPfn, tmemOpsPerTickMax: 64 });
          await guest.boot();
          for (let t = 0; t < 15; t++) {
            for (const [at, dMax, target] of p.actions) {
              if (at !== t) continue;
              xen.setMaxPages(1, Math.max(0, xen.domains.get(1)!.maxPages + dMax));
              if (target > 0) await port.xsWrite('memory/target', String(target * 4));
            }
            await guest.tick();
            await port.sleep(1e9);
            const d = xen.domains.get(1)!;
            expect(xen.violations).toEqual([]);
            expect(agrees(guest, xen)).toBe(true);
            // Populate and persistent puts never push tot_pages over max_pages (it may start above
            // after the toolstack lowers max_pages; then it must not grow).
            expect(xen.totPages(1) <= Math.max(d.maxPages, p.initialPages + p.extraPfns)).toBe(true);
            expect(guest.balloon.stats.currentPages).toBe(guest.pfns.populatedPages);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

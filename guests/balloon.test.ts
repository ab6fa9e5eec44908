import { describe, expect, it } from 'vitest';
import { NS_PER_SEC } from '../sim/port.ts';
import { BalloonDriver, type KernelGeneration } from './balloon.ts';
import { GuestBugError } from './guest-bug.ts';
import { PfnSpace } from './pfn-space.ts';
import { FakeXen } from './test-support/fake-xen.ts';

function setup(opts: { initial?: number; maxPfn?: number; maxPages?: number; generation?: KernelGeneration } = {}) {
  const initial = opts.initial ?? 10_000;
  const maxPfn = opts.maxPfn ?? initial;
  const xen = new FakeXen(100_000);
  xen.createDomain(1, initial, opts.maxPages ?? maxPfn);
  const port = xen.port(1);
  const pfns = new PfnSpace(maxPfn, initial, 100);
  const balloon = new BalloonDriver(port, pfns, opts.generation ?? '3.x', {
    reclaim: async () => {},
    memAvailable: () => pfns.freePages,
    totalreservePages: () => 256,
  });
  const sizes = (op: string) => xen.calls.filter((c) => c.op === op).map((c) => (c.args as { nr_extents: number }).nr_extents);
  return { xen, port, pfns, balloon, sizes };
}

describe('balloon driver (drivers/xen/balloon.c)', () => {
  it('a 5000-page inflate issues decrease_reservation batches of 512 … 392', async () => {
    const { balloon, sizes, pfns, xen } = setup();
    balloon.setTarget(5_000);
    expect(await balloon.process()).toBe('done');
    expect(sizes('XENMEM_decrease_reservation')).toEqual([512, 512, 512, 512, 512, 512, 512, 512, 512, 392]);
    expect(balloon.stats.currentPages).toBe(5_000);
    expect(pfns.populatedPages).toBe(5_000);
    expect(xen.totPages(1)).toBe(5_000);
    expect(xen.calls[0].args).toMatchObject({ domid: 0x7ff0, extent_order: 0 });
  });

  it('deflate repopulates the most recently ballooned pfns first (ballooned_pages is LIFO)', async () => {
    const { balloon, pfns, xen } = setup();
    balloon.setTarget(9_000);
    await balloon.process();
    const lastBallooned = (xen.calls.at(-1)!.args as { extent_start: number[] }).extent_start.at(-1)!;
    expect(pfns.peekBallooned(1)).toEqual([lastBallooned]);
    balloon.setTarget(9_001);
    await balloon.process();
    expect((xen.calls.at(-1)!.args as { extent_start: number[] }).extent_start).toEqual([lastBallooned]);
  });

  it('a short count from decrease_reservation is a guest BUG_ON', async () => {
    const { balloon, xen } = setup();
    xen.faults.decreaseShortBy = 1;
    balloon.setTarget(9_000);
    await expect(balloon.process()).rejects.toThrow(GuestBugError);
  });

  it('a short count from populate_physmap is accepted: only the populated pfns come back', async () => {
    const { balloon, xen, pfns } = setup({ initial: 4_000, maxPfn: 8_000, maxPages: 5_000 });
    xen.faults.populateCap = 300;
    balloon.setTarget(8_000);
    expect(await balloon.process()).toBe('eagain');
    expect(balloon.stats.currentPages).toBe(5_000);
    expect(pfns.populatedPages).toBe(5_000);
    expect(xen.totPages(1)).toBe(5_000);
    expect(xen.violations).toEqual([]);
  });

  it('3.x: the target is capped by the frames the guest has (current_target)', () => {
    const { balloon } = setup({ initial: 4_000, maxPfn: 5_000 });
    balloon.setTarget(9_000);
    expect(balloon.currentCredit()).toBe(1_000);
  });

  it('back-off doubles 1, 2, 4, 8, 16, 32, 32 s and 3.x retries forever', async () => {
    const { balloon, port } = setup({ initial: 4_000, maxPfn: 8_000, maxPages: 4_000 });
    balloon.setTarget(8_000);
    const delays = [balloon.stats.scheduleDelay];
    for (let i = 0; i < 6; i++) {
      expect(await balloon.process()).toBe('eagain');
      delays.push(balloon.stats.scheduleDelay);
      expect(balloon.nextRunAtNs).toBe(port.now() + balloon.stats.scheduleDelay * NS_PER_SEC);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 32]);
    expect(balloon.stats.maxRetryCount).toBe(0);
  });

  it('upstream: cancelled on the 4th failed attempt (max_retry_count 4), delay and count reset', async () => {
    const { balloon, port } = setup({ initial: 4_000, maxPfn: 8_000, maxPages: 4_000, generation: 'upstream' });
    balloon.setTarget(8_000);
    const states = [];
    for (let i = 0; i < 4; i++) states.push(await balloon.process());
    expect(states).toEqual(['eagain', 'eagain', 'eagain', 'cancelled']);
    expect(balloon.stats).toMatchObject({ scheduleDelay: 1, retryCount: 1 });
    // The kthread sleeps an hour, or until a target change alters the credit.
    expect(balloon.nextRunAtNs).toBe(port.now() + 3600 * NS_PER_SEC);
    balloon.setTarget(7_000);
    expect(balloon.due(port.now())).toBe(true);
  });

  it('success resets the back-off', async () => {
    const { balloon, xen } = setup({ initial: 4_000, maxPfn: 8_000, maxPages: 4_000 });
    balloon.setTarget(8_000);
    await balloon.process();
    await balloon.process();
    expect(balloon.stats.scheduleDelay).toBe(4);
    xen.setMaxPages(1, 8_000);
    expect(await balloon.process()).toBe('done');
    expect(balloon.stats).toMatchObject({ scheduleDelay: 1, retryCount: 1, currentPages: 8_000 });
    expect(balloon.nextRunAtNs).toBeUndefined();
  });

  it('upstream: growing with an empty balloon cancels and clamps the target (no memory hotplug)', async () => {
    const { balloon } = setup({ generation: 'upstream' });
    balloon.setTarget(12_000);
    expect(await balloon.process()).toBe('cancelled');
    expect(balloon.stats.targetPages).toBe(10_000);
  });

  it('upstream: inflation is clamped to si_mem_available()', async () => {
    const { balloon, sizes, pfns } = setup({ generation: 'upstream' });
    // Use up all but 300 free pages.
    while (pfns.freePages > 300) pfns.allocPage();
    balloon.setTarget(5_000);
    expect(await balloon.process()).toBe('eagain');
    expect(sizes('XENMEM_decrease_reservation')).toEqual([300]);
  });

  it('inflate stops early and retries when the guest has no free page (GFP_BALLOON fails)', async () => {
    const { balloon, pfns, sizes } = setup();
    while (pfns.freePages > 100) pfns.allocPage();
    balloon.setTarget(5_000);
    expect(await balloon.process()).toBe('eagain');
    expect(sizes('XENMEM_decrease_reservation')).toEqual([100]);
    expect(balloon.stats.currentPages).toBe(9_900);
  });

  it('follows memory/target in KiB through the xenstore watch', async () => {
    const { balloon, port } = setup();
    await port.xsWrite('memory/target', String(6_000 * 4));
    await balloon.watchTarget();
    expect(balloon.stats.targetPages).toBe(6_000);
    await port.xsWrite('memory/target', 'garbage');
    await balloon.watchTarget();
    expect(balloon.stats.targetPages).toBe(6_000);
  });

  it('3.x: a new target does not pre-empt a queued retry', async () => {
    const { balloon, port } = setup({ initial: 4_000, maxPfn: 8_000, maxPages: 4_000 });
    balloon.setTarget(8_000);
    await balloon.process();
    const queued = balloon.nextRunAtNs;
    balloon.setTarget(7_000);
    expect(balloon.nextRunAtNs).toBe(queued);
    expect(queued).toBeGreaterThan(port.now());
  });
});

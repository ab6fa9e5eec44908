import { describe, expect, it } from 'vitest';
import { EINVAL } from '../hv/errno.ts';
import { NS_PER_SEC } from '../sim/port.ts';
import {
  SELFBALLOON_SYSFS,
  Selfballoon,
  frontswapShrinkTarget,
  mb2pages,
  selfballoonFloor,
  selfballoonGoal,
  selfballoonHysteresis,
  type SelfballoonInputs,
  type SelfballoonSysfsName,
} from './selfballoon.ts';

const inputs = (over: Partial<SelfballoonInputs> = {}): SelfballoonInputs => ({
  totalramPages: 100_000,
  currentPages: 102_000,
  committedPages: 1_000,
  totalreservePages: 256,
  maxPfn: 131_072,
  frontswapCurrPages: 0,
  ...over,
});

function make(opts: { bugs?: string[]; selfballooning?: boolean; frontswapSelfshrinking?: boolean } = {}) {
  let now = 0;
  const sb = new Selfballoon({ totalramPages: 100_000, ...opts }, () => now);
  return { sb, advance: (s: number) => (now += s * NS_PER_SEC), now: () => now };
}

describe('selfballoon arithmetic (xen-selfballoon.c selfballoon_process)', () => {
  it('reserved_mb defaults to 10% of totalram, in whole MiB', () => {
    // 100000 / 10 = 10000 pages = 39 MiB (PAGES2MB truncates).
    expect(make().sb.knobs.selfballoonReservedMb).toBe(39);
  });

  it('goal = committed + totalreserve + reserved_mb (+ frontswap pages when self-shrinking)', () => {
    const { sb } = make();
    expect(selfballoonGoal(inputs({ frontswapCurrPages: 50 }), sb.knobs)).toBe(1_000 + 256 + 39 * 256 + 50);
    sb.knobs.frontswapSelfshrinking = false;
    expect(selfballoonGoal(inputs({ frontswapCurrPages: 50 }), sb.knobs)).toBe(1_000 + 256 + 39 * 256);
  });

  it('hysteresis: 1/8 of the gap down, the whole gap up, integer division', () => {
    expect(selfballoonHysteresis(10_000, 2_000, 8, 1)).toBe(9_000);
    expect(selfballoonHysteresis(2_000, 10_000, 8, 1)).toBe(10_000);
    expect(selfballoonHysteresis(2_000, 10_000, 8, 2)).toBe(6_000);
    expect(selfballoonHysteresis(5_000, 5_000, 8, 1)).toBe(5_000);
    expect(selfballoonHysteresis(10, 3, 8, 1)).toBe(10);
  });

  it('floor: min_usable_mb when set', () => {
    expect(selfballoonFloor(262_144, 1_000, 100)).toBe(1_000 + 25_600);
  });

  it('floor: useful < 16 MiB → max_pfn (not worth ballooning)', () => {
    expect(selfballoonFloor(4_000, 0, 0)).toBe(4_000);
  });

  it('floor: useful < 64 MiB → reserve + 16 MiB + (useful − 16 MiB)/2', () => {
    expect(selfballoonFloor(10_000, 1_000, 0)).toBe(1_000 + 4_096 + 2_452);
    expect(selfballoonFloor(mb2pages(16), 0, 0)).toBe(mb2pages(16));
  });

  it('floor: useful < 512 MiB → reserve + 40 MiB + (useful − 40 MiB)/8', () => {
    expect(selfballoonFloor(65_536, 512, 0)).toBe(512 + 10_240 + 6_848);
  });

  it('floor: useful ≥ 512 MiB → reserve + 99 MiB + (useful − 99 MiB)/32', () => {
    expect(selfballoonFloor(262_144, 1_024, 0)).toBe(1_024 + 25_344 + 7_368);
  });

  it('process: target = max(hysteresis step, floor), converted by + current_pages − totalram_pages', () => {
    const { sb } = make();
    sb.knobs.frontswapSelfshrinking = false;
    const inp = inputs();
    const goal = 1_000 + 256 + 39 * 256;
    const step = 100_000 - Math.floor((100_000 - goal) / 8);
    const floor = selfballoonFloor(131_072, 256, 0);
    expect(step).toBeGreaterThan(floor);
    expect(sb.process(inp).balloonTarget).toBe(step + 2_000);
    // Far below the floor, the floor wins.
    expect(sb.process(inputs({ totalramPages: 20_000, currentPages: 22_000, committedPages: 0 })).balloonTarget).toBe(floor + 2_000);
  });

  it('runs every selfballoon_interval (5 s) and stops when both functions are off', () => {
    const { sb, advance, now } = make();
    expect(sb.nextRunAtNs).toBe(5 * NS_PER_SEC);
    advance(5);
    sb.process(inputs());
    expect(sb.nextRunAtNs).toBe(now() + 5 * NS_PER_SEC);
    expect(sb.store('selfballooning', '0')).toBe(1);
    expect(sb.store('frontswap_selfshrinking', '0')).toBe(1);
    sb.process(inputs());
    expect(sb.nextRunAtNs).toBeUndefined();
    expect(sb.store('selfballooning', '1\n')).toBe(2);
    expect(sb.nextRunAtNs).toBe(now() + 5 * NS_PER_SEC);
  });
});

describe('selfballoon sysfs knobs', () => {
  const numeric = Object.keys(SELFBALLOON_SYSFS).filter(
    (n) => n !== 'selfballooning' && n !== 'frontswap_selfshrinking',
  ) as SelfballoonSysfsName[];

  it.each(numeric)('%s rejects 0 with -EINVAL and accepts a positive value', (name) => {
    const { sb } = make();
    const before = sb.show(name);
    expect(sb.store(name, '0')).toBe(-EINVAL);
    expect(sb.show(name)).toBe(before);
    expect(sb.store(name, '7\n')).toBe(2);
    expect(sb.show(name)).toBe('7\n');
    expect(sb.store(name, '0')).toBe(-EINVAL);
    expect(sb.show(name)).toBe('7\n');
  });

  it.each(['', 'x', '-1', '1.5', '12abc', ' 3'])('rejects the unparsable value %j', (buf) => {
    expect(make().sb.store('selfballoon_interval', buf)).toBe(-EINVAL);
  });

  it('boolean knobs take only 0 or 1', () => {
    const { sb } = make();
    expect(sb.store('selfballooning', '2')).toBe(-EINVAL);
    expect(sb.store('frontswap_selfshrinking', '0')).toBe(1);
    expect(sb.show('frontswap_selfshrinking')).toBe('0\n');
  });

  it('writing frontswap_inertia also restarts the countdown', () => {
    const { sb } = make();
    expect(sb.store('frontswap_inertia', '5')).toBe(1);
    expect(sb.frontswapInertiaCounter).toBe(5);
  });
});

describe('frontswap self-shrinking (frontswap_selfshrink)', () => {
  /** Feeds frontswap page counts tick by tick, applying each shrink; returns the ticks that shrank. */
  function drive(sb: Selfballoon, start: number, ticks: number): { shrinkTicks: number[]; pages: number[] } {
    let pages = start;
    const shrinkTicks: number[] = [];
    const seen: number[] = [];
    for (let t = 1; t <= ticks; t++) {
      const to = sb.process(inputs({ frontswapCurrPages: pages })).frontswapShrinkTo;
      if (to !== undefined) {
        shrinkTicks.push(t);
        pages = to;
      }
      seen.push(pages);
    }
    return { shrinkTicks, pages: seen };
  }

  it('target: 0 at or under the hysteresis (20), else cur − cur/20', () => {
    expect(frontswapShrinkTarget(20, 20)).toBe(0);
    expect(frontswapShrinkTarget(100, 20)).toBe(95);
    expect(frontswapShrinkTarget(39, 20)).toBe(38);
  });

  it('waits 3 stable ticks, shrinks, and re-arms the inertia counter', () => {
    const { sb } = make({ selfballooning: false });
    const { shrinkTicks, pages } = drive(sb, 100, 10);
    // Tick 1 sees growth (0 → 100) and arms the counter; ticks 2, 3 count down; tick 4 shrinks.
    expect(shrinkTicks).toEqual([4, 7, 10]);
    expect(pages.slice(0, 4)).toEqual([100, 100, 100, 95]);
  });

  it('B14: the early driver does not re-arm, so it shrinks on every tick once started', () => {
    const { sb } = make({ selfballooning: false, bugs: ['B14'] });
    expect(drive(sb, 100, 8).shrinkTicks).toEqual([4, 5, 6, 7, 8]);
  });

  it('growth or an empty frontswap resets the countdown', () => {
    const { sb } = make({ selfballooning: false });
    expect(sb.process(inputs({ frontswapCurrPages: 100 })).frontswapShrinkTo).toBeUndefined();
    expect(sb.process(inputs({ frontswapCurrPages: 100 })).frontswapShrinkTo).toBeUndefined();
    expect(sb.frontswapInertiaCounter).toBe(2);
    sb.process(inputs({ frontswapCurrPages: 150 }));
    expect(sb.frontswapInertiaCounter).toBe(3);
    sb.process(inputs({ frontswapCurrPages: 0 }));
    expect(sb.frontswapInertiaCounter).toBe(3);
  });
});

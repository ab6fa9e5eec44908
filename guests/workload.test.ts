import { describe, expect, it } from 'vitest';
import { NS_PER_SEC } from '../sim/port.ts';
import { Mulberry32, hash32 } from '../sim/rng.ts';
import { WORKLOAD_KINDS, workloadAt, type WorkloadKind } from './workload.ts';

const curve = (kind: WorkloadKind, seed: number, seconds = 120) =>
  Array.from({ length: seconds }, (_, s) => workloadAt({ kind, seed, memPages: 65_536 }, s * NS_PER_SEC));

describe('workloads', () => {
  it.each(WORKLOAD_KINDS)('%s: the same seed gives the same curve, evaluated in any order', (kind) => {
    const a = curve(kind, 42);
    const backwards = Array.from({ length: 120 }, (_, i) => workloadAt({ kind, seed: 42, memPages: 65_536 }, (119 - i) * NS_PER_SEC)).reverse();
    expect(backwards).toEqual(a);
    expect(curve(kind, 42)).toEqual(a);
  });

  it.each(WORKLOAD_KINDS)('%s: different seeds give different curves', (kind) => {
    expect(curve(kind, 1)).not.toEqual(curve(kind, 2));
  });

  it.each(WORKLOAD_KINDS)('%s: demand stays within the guest (anon ≤ committed ≤ memory)', (kind) => {
    for (const w of curve(kind, 7)) {
      expect(w.anonPages).toBeLessThanOrEqual(w.committedPages);
      expect(w.committedPages).toBeLessThanOrEqual(65_536);
      expect(w.cacheReads).toBeGreaterThanOrEqual(0);
      expect(w.fileSetPages).toBeGreaterThan(0);
    }
  });

  it('spike: one big allocation of 90% for 15 s, starting 10…29 s in', () => {
    const c = curve('spike', 3, 60).map((w) => w.committedPages / 65_536);
    const high = c.flatMap((f, s) => (f > 0.8 ? [s] : []));
    expect(high).toHaveLength(15);
    expect(high[0]).toBeGreaterThanOrEqual(10);
    expect(high[0]).toBeLessThan(30);
  });

  it('a surge lifts any curve from its start second, climbing over its ramp to its level, and stays', () => {
    const surge = { startS: 20, level: 1.5, rampS: 4 };
    const at = (s: number) => workloadAt({ kind: 'idle', seed: 5, memPages: 65_536, surge }, s * NS_PER_SEC).committedPages / 65_536;
    const plain = (s: number) => workloadAt({ kind: 'idle', seed: 5, memPages: 65_536 }, s * NS_PER_SEC);
    // Before the start the curve is untouched (every field, not only Committed_AS).
    for (let s = 0; s < 20; s++) expect(workloadAt({ kind: 'idle', seed: 5, memPages: 65_536, surge }, s * NS_PER_SEC)).toEqual(plain(s));
    expect(at(20)).toBeCloseTo(1.5 / 4, 1);
    expect(at(21)).toBeGreaterThan(at(20));
    for (let s = 23; s < 120; s++) {
      expect(at(s)).toBeGreaterThan(1.5 * 0.96);
      expect(at(s)).toBeLessThan(1.5 * 1.04);
    }
    // The curve's own level wins where higher: a spike above a small surge is kept.
    const spike = (u?: { startS: number; level: number }) => Array.from({ length: 60 }, (_, s) => workloadAt({ kind: 'spike', seed: 3, memPages: 65_536, ...(u ? { surge: u } : {}) }, s * NS_PER_SEC).committedPages);
    const low = spike({ startS: 0, level: 0.5 });
    spike().forEach((c, s) => expect(low[s]).toBeGreaterThanOrEqual(Math.min(c, Math.round(0.5 * 0.97 * 65_536))));
    expect(Math.max(...low)).toBe(Math.max(...spike()));
    // Seeded: the noise differs between seeds, not between evaluations.
    const noise = (seed: number) => Array.from({ length: 30 }, (_, s) => workloadAt({ kind: 'idle', seed, memPages: 65_536, surge }, (30 + s) * NS_PER_SEC).committedPages);
    expect(noise(5)).toEqual(noise(5));
    expect(noise(5)).not.toEqual(noise(6));
  });

  it('bursty swings by a large fraction of memory within a minute', () => {
    const c = curve('bursty', 11, 60).map((w) => w.committedPages);
    expect(Math.max(...c) - Math.min(...c)).toBeGreaterThan(0.25 * 65_536);
  });

  it('sawtooth ramps up and drops', () => {
    const c = curve('sawtooth', 5, 120).map((w) => w.committedPages);
    const drops = c.filter((v, i) => i > 0 && v < c[i - 1] - 0.3 * 65_536);
    expect(drops.length).toBeGreaterThanOrEqual(1);
  });
});

describe('rng', () => {
  it('Mulberry32 is reproducible and seed-dependent', () => {
    const seq = (seed: number) => {
      const r = new Mulberry32(seed);
      return [r.nextU32(), r.nextU32(), r.nextU32()];
    };
    expect(seq(1)).toEqual(seq(1));
    expect(seq(1)).not.toEqual(seq(2));
    const r = new Mulberry32(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
  });

  it('hash32 is order-sensitive and stable', () => {
    expect(hash32(1, 2)).toBe(hash32(1, 2));
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
  });
});

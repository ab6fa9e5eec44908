// Seeded memory-demand curves for a guest: what the guest's processes ask of its kernel at each
// virtual second. A pure function of (spec, virtual time): no state, no clock, no Math.random —
// the same seed gives the same curve in every run and every replay. Shapes are illustrative, not
// measured: idle, steady, bursty, sawtooth and a one-off big allocation spike. An optional
// surge lifts any curve from a given second on (load arriving at a chosen moment).

import { NS_PER_SEC } from '../sim/port.ts';
import { hashFloat } from '../sim/rng.ts';

export const WORKLOAD_KINDS = ['idle', 'steady', 'bursty', 'sawtooth', 'spike'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface WorkloadSpec {
  kind: WorkloadKind;
  seed: number;
  /** The guest's memory size in pages; curves are fractions of it. */
  memPages: number;
  /** Load that arrives at a chosen moment and stays; absent = the curve alone. */
  surge?: WorkloadSurge;
}

/**
 * From second `startS` on, Committed_AS climbs linearly over `rampS` seconds to `level` × memPages
 * (with ±3% seeded noise per second) and stays there; the curve's own level wins where higher.
 * `level` may exceed 1: a guest whose maxmem is above its memory can balloon up to serve it.
 */
export interface WorkloadSurge {
  /** Seconds on the workload's clock (since the guest booted); may be negative (already surging). */
  startS: number;
  /** Committed memory at the top of the surge, as a fraction of memPages; > 0. */
  level: number;
  /** Seconds from the base curve to `level`; default 5. */
  rampS?: number;
}

/** One second of demand. */
export interface WorkloadSample {
  /** Committed_AS: memory promised to processes (vm_memory_committed()). */
  committedPages: number;
  /** Anonymous pages the processes actually touch (resident or swapped): ≤ committedPages. */
  anonPages: number;
  /** File pages read this second (page-cache lookups). */
  cacheReads: number;
  /** Size of the file set the reads draw from (distinct file pages). */
  fileSetPages: number;
  /** File pages written or truncated this second (page-cache + cleancache invalidations). */
  cacheInvalidations: number;
  /** Swapped-out anonymous pages touched again this second (swap-in pressure). */
  swapTouch: number;
}

/** Noise channels: each quantity draws from its own hash stream. */
const CH = { level: 1, reads: 2, inval: 3, burst: 4, height: 5, period: 6, spike: 7, surge: 8 } as const;

/** Fraction of Committed_AS that is actually touched (the rest is reserved, never faulted in). */
const ANON_TOUCHED = 0.8;

interface Shape {
  /** Committed memory as a fraction of memPages. */
  level: number;
  /** Page-cache reads per second at full activity. */
  reads: number;
  /** File set as a fraction of memPages. */
  fileSet: number;
  swapTouch: number;
}

function shapeAt(spec: WorkloadSpec, s: number): Shape {
  const noise = hashFloat(spec.seed, s, CH.level);
  switch (spec.kind) {
    case 'idle':
      return { level: 0.1 + 0.02 * noise, reads: 8, fileSet: 0.1, swapTouch: 0 };
    case 'steady':
      return { level: 0.45 + 0.05 * (noise - 0.5), reads: 64, fileSet: 0.5, swapTouch: 2 };
    case 'bursty': {
      // 10-second windows; about a third of them carry a burst of seeded height.
      const w = Math.floor(s / 10);
      const burst = hashFloat(spec.seed, w, CH.burst) < 0.35;
      const height = burst ? 0.3 + 0.25 * hashFloat(spec.seed, w, CH.height) : 0;
      return { level: 0.25 + height + 0.03 * noise, reads: burst ? 128 : 24, fileSet: 0.6, swapTouch: burst ? 8 : 1 };
    }
    case 'sawtooth': {
      const period = 40 + Math.floor(41 * hashFloat(spec.seed, 0, CH.period));
      const phase = (s % period) / period;
      return { level: 0.2 + 0.6 * phase + 0.02 * noise, reads: 48, fileSet: 0.4, swapTouch: 4 };
    }
    case 'spike': {
      // One big allocation: starts 10…29 s in, lasts 15 s.
      const start = 10 + Math.floor(20 * hashFloat(spec.seed, 0, CH.spike));
      const inSpike = s >= start && s < start + 15;
      return { level: inSpike ? 0.9 : 0.15 + 0.02 * noise, reads: 16, fileSet: 0.2, swapTouch: inSpike ? 0 : 16 };
    }
  }
}

/** The surge's committed level at second `s` (0 before it starts). */
function surgeLevel(spec: WorkloadSpec, s: number): number {
  const u = spec.surge;
  if (u === undefined || s < u.startS) return 0;
  const ramp = u.rampS ?? 5;
  const climbed = ramp <= 0 ? 1 : Math.min(1, (s - u.startS + 1) / ramp);
  return u.level * climbed * (1 + 0.06 * (hashFloat(spec.seed, s, CH.surge) - 0.5));
}

/**
 * Demand at virtual time `tNs` (sampled per whole second).
 * @param spec kind, seed and scale of the curve
 * @param tNs virtual nanoseconds since the guest booted
 */
export function workloadAt(spec: WorkloadSpec, tNs: number): WorkloadSample {
  const s = Math.floor(tNs / NS_PER_SEC);
  const sh = shapeAt(spec, s);
  const committedPages = Math.round(Math.max(sh.level, surgeLevel(spec, s)) * spec.memPages);
  const readNoise = hashFloat(spec.seed, s, CH.reads);
  return {
    committedPages,
    anonPages: Math.floor(committedPages * ANON_TOUCHED),
    cacheReads: Math.round(sh.reads * (0.5 + readNoise)),
    fileSetPages: Math.max(1, Math.round(sh.fileSet * spec.memPages)),
    cacheInvalidations: Math.floor(4 * hashFloat(spec.seed, s, CH.inval)),
    swapTouch: sh.swapTouch,
  };
}

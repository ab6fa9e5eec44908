// Seeded randomness for guest actors. Guests draw no Math.random and read no Date: every random
// choice comes from a seed handed in by the scenario, so a guest is a pure function of
// (seed, hypercall results). Two shapes: a stream (Mulberry32) and a counter-based hash
// (hash32), the latter for values that must be a pure function of (seed, time) without state.

/** Mulberry32: a 32-bit-state PRNG, small and good enough for workload shapes (not crypto). */
export class Mulberry32 {
  /** The whole generator state; any 32-bit value is valid. */
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next value, uniform over [0, 2^32). */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Next value, uniform over [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.nextFloat() * (hi - lo + 1));
  }
}

/**
 * Stateless 32-bit hash of a few integers (murmur3 finalizer over a running mix): the same
 * inputs always give the same output, so `hash32(seed, second)` is a pure function of time.
 */
export function hash32(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h >>> 0;
}

/** hash32 mapped to [0, 1). */
export function hashFloat(...words: number[]): number {
  return hash32(...words) / 0x1_0000_0000;
}

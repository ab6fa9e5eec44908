// 2^k for the non-negative integer exponents hv/ computes with (extent orders, block orders).

/**
 * 2^k, exact for every k >= 0 a double can raise 2 to. A shift where one is exact: V8 compiles
 * `2 ** k` with a variable k to a call to pow() (~40 ns), which on the allocator's hot paths
 * (several per extent) cost more than the allocation itself.
 */
export function pow2(k: number): number {
  return k >= 0 && k <= 30 ? 1 << k : 2 ** k;
}

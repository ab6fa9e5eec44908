import { describe, expect, test } from 'vitest';
import { parsePolicy, POLICY_LIMITS } from './policy.ts';

describe('parsePolicy bounds every number it takes (docs/limits.md)', () => {
  test('the largest documented values are accepted and build at once', () => {
    const { seed, depth, steps } = POLICY_LIMITS;
    expect(parsePolicy(`pct:${seed.max}:${depth.max}:${steps.max}`).name).toBe(`pct(seed=${seed.max},depth=${depth.max})`);
    expect(parsePolicy(`random:${seed.max}`).name).toBe(`random(seed=${seed.max})`);
  });

  test('a depth that would allocate a billion change points is refused, not run out of memory', () => {
    expect(() => parsePolicy('pct:1:1000000000')).toThrow(/DEPTH must be in 1\.\.100 \(got 1000000000\)/);
    expect(() => parsePolicy('pct:1:0')).toThrow(/DEPTH must be in 1\.\.100/);
  });

  test('seeds beyond 32 bits, zero steps, extra fields and non-decimal numbers are refused', () => {
    expect(() => parsePolicy('random:4294967296')).toThrow(/SEED must be in 0\.\.4294967295/);
    expect(() => parsePolicy('pct:1:2:0')).toThrow(/STEPS must be in 1\.\./);
    for (const bad of ['random:1:2', 'arrival:1', 'pct:1', 'pct:1:2:3:4', 'random:1e3', 'random:-1', 'random:', 'pct:0x10:2', 'random:99999999999']) {
      expect(() => parsePolicy(bad), bad).toThrow(/unknown schedule policy|must be in/);
    }
  });
});

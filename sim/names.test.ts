import { describe, expect, it } from 'vitest';
import { closestName } from './names.ts';

describe('closestName: a "did you mean" only for a likely typo', () => {
  it('suggests across case, one slip, a swap of neighbours, a missing letter', () => {
    expect(closestName('b1', ['B1', 'B2', 'B12'])).toBe('B1');
    expect(closestName('tmm', ['xl', 'tmem', 'linux'])).toBe('tmem');
    expect(closestName('dsf', ['random', 'pct', 'dfs'])).toBe('dfs');
    expect(closestName('no-leaked-claim', ['claim-backed', 'no-leaked-claims'])).toBe('no-leaked-claims');
    expect(closestName('4.211', ['4.3', '4.13', '4.21', '4.22'])).toBe('4.21');
  });

  it('stays quiet when nothing is close', () => {
    expect(closestName('not-a-property', ['claim-backed', 'no-leaked-claims', 'frames-back'])).toBeUndefined();
    expect(closestName('5.0', ['4.3', '4.13', '4.21', '4.22'])).toBeUndefined();
    expect(closestName('2', ['0', '1'])).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });
});

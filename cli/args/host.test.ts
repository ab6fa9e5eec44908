import { describe, expect, it } from 'vitest';
import { HOST_MEMORY_MIB, HOST_NODES, hostProblems } from './host.ts';

describe('hostProblems: the hypervisor\'s own validation, worded with the flags', () => {
  it('takes the model\'s ranges (16 TiB, 64 nodes) and passes a host that fits', () => {
    expect([HOST_MEMORY_MIB.max, HOST_NODES.max]).toEqual([16 * 1024 * 1024, 64]);
    expect(hostProblems({ memoryMiB: HOST_MEMORY_MIB.max, nodes: 64, xen: '4.3', tmem: true, inject: ['B1', 'B14'] })).toEqual([]);
  });

  it('names the flag as the user spelled it', () => {
    expect(hostProblems({ memoryMiB: 2, nodes: 65 }, { memoryMiB: '--host-mib' })).toEqual([
      '--host-mib must be an integer in [4, 16777216] MiB (got 2)',
      '--nodes must be an integer in [1, 64] (got 65)',
    ]);
    expect(hostProblems({ xen: '4.13', tmem: true })).toEqual(['tmem exists only in Xen 4.3 (removed in 4.13; got xen "4.13")']);
    expect(hostProblems({ inject: ['B99'] })).toEqual(['--inject: "B99" is not a bug name (B1 … B15)']);
  });
});

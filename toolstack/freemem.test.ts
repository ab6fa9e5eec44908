import { describe, expect, it } from 'vitest';
import { parseDomainConfig } from './domain-config.ts';
import { domainNeedMemory } from './freemem.ts';

function cfg(text: string) {
  const r = parseDomainConfig(text, 't.cfg');
  if (!r.ok) throw new Error('bad cfg');
  return r.config;
}

describe('libxl_domain_need_memory (behaviour 46)', () => {
  it('PV adds 1 MiB and rounds up to 2 MiB', () => {
    expect(domainNeedMemory(cfg('name="a"\nmemory=512\n'))).toBe(514 * 1024);
  });
  it('HVM adds shadow memory and 2 MiB, rounded up to 2 MiB', () => {
    // shadow = 4 * (256 * 1 + 2 * 1024) KiB = 9216 KiB; 1048576 + 9216 + 2048 = 1059840 = 517.5 × 2 MiB → 518 × 2 MiB.
    expect(domainNeedMemory(cfg('name="a"\ntype="hvm"\nmemory=1024\n'))).toBe(518 * 2048);
  });
});

// getdomaininfo's cpu_time: the virtual ns of every section of the hypercalls a domain itself
// issued (HypercallContext.charge bills `current`), and 0 for a domain that never ran.

import { describe, expect, test } from 'vitest';
import { DOMID_SELF, Hypervisor } from './index.ts';
import { createDomain, hypercallChecked, MIB, populateArgs, stepChecked } from '../prop-tests/drive.ts';

const cpuTime = (hv: Hypervisor, domid: number): number => hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid }).cpu_time as number;

describe('XEN_DOMCTL_getdomaininfo cpu_time', () => {
  test('an idle domain has run for 0 ns; what dom0 does to it (create, max_mem, populate) is billed to dom0', () => {
    const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22' });
    const d0Before = cpuTime(hv, 0);
    const t0 = hv.now;
    const d = createDomain(hv, 8 * MIB);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 4, 9)).rc).toBe(4);
    expect(cpuTime(hv, d)).toBe(0);
    // Everything the clock advanced (the getdomaininfo reads included) went to dom0.
    const d0After = cpuTime(hv, 0);
    expect(d0After - d0Before).toBeGreaterThan(4 * 512 * hv.costs.pagePopulateNs);
    expect(hv.now - t0).toBeLessThanOrEqual(d0After - d0Before + hv.costs.hypercallNs);
  });

  test("a guest's own populate_physmap is billed to the guest: cpu_time grows by exactly the clock's advance", () => {
    const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22' });
    const d = createDomain(hv, 16 * MIB);
    hypercallChecked(hv, 0, 'XEN_DOMCTL_unpausedomain', { domid: d });
    let last = 0;
    for (let round = 1; round <= 3; round++) {
      const t = hv.now;
      expect(hypercallChecked(hv, d, 'XENMEM_populate_physmap', populateArgs(DOMID_SELF, 2, 9, round * 1024)).rc).toBe(2);
      const grown = cpuTime(hv, d) - last;
      expect(grown).toBe(hv.now - t - hv.costs.hypercallNs); // less dom0's getdomaininfo entry
      expect(grown).toBeGreaterThanOrEqual(hv.costs.hypercallNs + 2 * 512 * hv.costs.pagePopulateNs);
      last += grown;
    }
  });

  test('interleaved sections of two guests are each billed to the guest that issued them', () => {
    const hv = new Hypervisor({ memoryMiB: 128, xen: '4.22', costs: { preemptSliceNs: 100_000 } });
    const a = createDomain(hv, 16 * MIB);
    const b = createDomain(hv, 16 * MIB);
    const [a0, b0, d00] = [cpuTime(hv, a), cpuTime(hv, b), cpuTime(hv, 0)];
    const t = hv.now;
    const ca = hv.begin(a, 'XENMEM_populate_physmap', populateArgs(DOMID_SELF, 8, 9));
    const cb = hv.begin(b, 'XENMEM_populate_physmap', populateArgs(DOMID_SELF, 4, 0));
    while (!ca.done || !cb.done) {
      if (!ca.done) stepChecked(hv, ca);
      if (!cb.done) stepChecked(hv, cb);
    }
    const spent = hv.now - t;
    const [da, db] = [cpuTime(hv, a) - a0, cpuTime(hv, b) - b0];
    expect(da).toBeGreaterThan(db);
    expect(db).toBeGreaterThan(0);
    expect(da + db).toBe(spent);
    expect(cpuTime(hv, 0) - d00).toBe(3 * hv.costs.hypercallNs); // only its three getdomaininfo reads since
  });
});

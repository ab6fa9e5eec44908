// The model's limits where they enter (issue 17): every HypervisorOptions field validated once
// (validateHypervisorOptions, HypervisorOptionsError), the documented 16 TiB maximum host, gpfns
// up to 2^40 without aliasing, and partial unmaps of superpage extents.

import { describe, expect, test } from 'vitest';
import { checkInvariants, Hypervisor, HypervisorOptionsError, HV_LIMITS, validateHypervisorOptions, type HypervisorOptions } from './index.ts';
import { AssertionError } from './assert.ts';

const POPULATE = 'XENMEM_populate_physmap';
const DECREASE = 'XENMEM_decrease_reservation';

function guest(hv: Hypervisor, pages: number): number {
  const domid = hv.hypercall(0, 'XEN_DOMCTL_createdomain', {}).domid as number;
  expect(hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: 4 * pages }).rc).toBe(0);
  return domid;
}

function refusal(opts: unknown): HypervisorOptionsError {
  try {
    new Hypervisor(opts as HypervisorOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(HypervisorOptionsError);
    expect(e).not.toBeInstanceOf(AssertionError);
    return e as HypervisorOptionsError;
  }
  throw new Error('new Hypervisor accepted the options');
}

describe('HypervisorOptions: one validation, one clear error', () => {
  test.each([
    ['costs.relinquishBatchPages', { memoryMiB: 16, costs: { relinquishBatchPages: 0 } }, /costs\.relinquishBatchPages must be an integer in \[1, 1048576\] pages \(got 0\)/],
    ['costs.pageScrubNs NaN', { memoryMiB: 16, costs: { pageScrubNs: Number.NaN } }, /costs\.pageScrubNs .*\(got NaN\)/],
    ['costs.extentNs negative', { memoryMiB: 16, costs: { extentNs: -1 } }, /costs\.extentNs must be an integer in \[0, 1000000000\] ns \(got -1\)/],
    ['costs.hypercallNs Infinity', { memoryMiB: 16, costs: { hypercallNs: Infinity } }, /costs\.hypercallNs .*\(got Infinity\)/],
    ['costs.pagePopulateNs fractional', { memoryMiB: 16, costs: { pagePopulateNs: 0.5 } }, /costs\.pagePopulateNs .*\(got 0\.5\)/],
    ['costs.pageFreeNs past the clock bound', { memoryMiB: 16, costs: { pageFreeNs: 1e7 } }, /costs\.pageFreeNs must be an integer in \[0, 1000000\]/],
    ['costs unknown key', { memoryMiB: 16, costs: { preemptSliceMs: 5 } }, /unknown cost costs\.preemptSliceMs/],
    ['nrCpus -1', { memoryMiB: 16, nrCpus: -1 }, /nrCpus must be an integer in \[1, 4096\] \(got -1\)/],
    ['memoryMiB above 16 TiB', { memoryMiB: 16 * 2 ** 20 + 1 }, /memoryMiB must be an integer in \[4, 16777216\] MiB \(got 16777217\)/],
    ['memoryMiB a string', { memoryMiB: '64' }, /memoryMiB .*\(got "64"\)/],
    ['nodes 65', { memoryMiB: 16, nodes: 65 }, /nodes must be an integer in \[1, 64\] \(got 65\)/],
    ['dom0MiB not below memoryMiB', { memoryMiB: 16, dom0MiB: 16 }, /dom0MiB must be an integer in \[0, 15\]/],
    ['xen unknown', { memoryMiB: 16, xen: '4.99' }, /xen must be one of 4\.3, 4\.13, 4\.21, 4\.21\.2, 4\.22, 4\.22\+claim-sets \(got "4\.99"\)/],
    ['inject unknown bug', { memoryMiB: 16, inject: ['B99'] }, /inject: "B99" is not a bug name/],
    ['tmem on 4.22', { memoryMiB: 16, tmem: true }, /tmem exists only in Xen 4\.3/],
    ['claimPages not boolean', { memoryMiB: 16, claimPages: 1 }, /claimPages must be true or false \(got 1\)/],
    ['unknown option', { memoryMiB: 16, memoryMb: 16 }, /unknown option "memoryMb"/],
    ['4.3 frozen-clock livelock', { memoryMiB: 16, xen: '4.3', costs: { preemptSliceNs: 0, hypercallNs: 0 } }, /costs\.preemptSliceNs must be at least 1 ns when costs\.hypercallNs is 0/],
  ])('%s is refused with a message naming field, limit and value', (_name, opts, message) => {
    const e = refusal(opts);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(message);
    expect(validateHypervisorOptions(opts)).toEqual(e.problems);
  });

  test('every bad field gets its own message; non-objects one', () => {
    expect(validateHypervisorOptions({ memoryMiB: 0, nodes: 0, nrCpus: 0, costs: { extentNs: -5, tmemCopyNs: 'x' } })).toHaveLength(5);
    expect(validateHypervisorOptions(null)).toEqual(['options must be an object (got null)']);
    expect(validateHypervisorOptions([])).toEqual(['options must be an object (got an array)']);
  });

  test('valid options pass, including the busy-pCPU model (preemptSliceNs 0) on every version', () => {
    expect(validateHypervisorOptions({ memoryMiB: 16 })).toEqual([]);
    expect(validateHypervisorOptions({ memoryMiB: 16, xen: '4.3', costs: { preemptSliceNs: 0 } })).toEqual([]);
    expect(validateHypervisorOptions({ memoryMiB: 16, xen: '4.22', inject: ['B13'], costs: { preemptSliceNs: 0, hypercallNs: 0 } })).toHaveLength(1);
    expect(validateHypervisorOptions({ memoryMiB: HV_LIMITS.memoryMiB.max, nrCpus: 4096, costs: { relinquishBatchPages: 2 ** 20 } })).toEqual([]);
  });

  test('a destroy with a one-page relinquish batch frees every frame', () => {
    const hv = new Hypervisor({ memoryMiB: 16, costs: { relinquishBatchPages: 1 } });
    const d = guest(hv, 64);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 8, extent_order: 3, extent_start: [0, 8, 16, 24, 32, 40, 48, 56] }).rc).toBe(8);
    const free = hv.heap.totalAvailPages;
    expect(hv.hypercall(0, 'XEN_DOMCTL_destroydomain', { domid: d }).rc).toBe(0);
    expect(hv.heap.totalAvailPages).toBe(free + 64);
    checkInvariants(hv, true);
  });
});

describe('the documented maximum host', () => {
  test('16 TiB (2^32 frames) boots lazily and maps a 1 GiB extent at its top', () => {
    const hv = new Hypervisor({ memoryMiB: HV_LIMITS.memoryMiB.max });
    expect(hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).total_pages).toBe(2 ** 32);
    expect(hv.heap.frames.tableBytes()).toBeLessThan(1 << 20);
    const d = guest(hv, 2 ** 18);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 1, extent_order: 18, extent_start: [2 ** 40 - 2 ** 18] }).rc).toBe(1);
    const mfn = hv.domain(d)!.p2m.lookup(2 ** 40 - 1);
    expect(mfn).toBeGreaterThan(2 ** 31);
    expect(hv.heap.ownerOf(mfn)).toBe(d);
    checkInvariants(hv, true);
    expect(hv.hypercall(0, 'XEN_DOMCTL_destroydomain', { domid: d }).rc).toBe(0);
    checkInvariants(hv, true);
  });

  test('16 TiB less 1 MiB boots too', () => {
    const hv = new Hypervisor({ memoryMiB: HV_LIMITS.memoryMiB.max - 1, nodes: 3 });
    expect(hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).total_pages).toBe(2 ** 32 - 256);
    checkInvariants(hv, true);
  });
});

describe('gpfns up to 2^40 are exact', () => {
  test('a gpfn 2^32 above a mapped one is a different page: decreasing it frees that page only', () => {
    const hv = new Hypervisor({ memoryMiB: 64 });
    const d = guest(hv, 16);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 1, extent_start: [5] }).rc).toBe(1);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 2, extent_start: [2 ** 32 + 5, 2 ** 40 - 1] }).rc).toBe(2);
    const low = hv.domain(d)!.p2m.lookup(5);
    expect(hv.hypercall(0, DECREASE, { domid: d, nr_extents: 1, extent_start: [2 ** 32 + 5] }).rc).toBe(1);
    expect(hv.domain(d)!.p2m.lookup(5)).toBe(low);
    expect(hv.domain(d)!.p2m.lookup(2 ** 32 + 5)).toBe(-1);
    expect(hv.domain(d)!.p2m.lookup(2 ** 40 - 1)).toBeGreaterThan(0);
    expect(hv.domain(d)!.totPages).toBe(2);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 1, extent_start: [2 ** 40] }).rc).toBe(0);
    checkInvariants(hv, true);
  });
});

describe('partial unmaps split superpage entries', () => {
  test('decrease_reservation of one frame inside a 2 MiB extent frees that frame only', () => {
    const hv = new Hypervisor({ memoryMiB: 64 });
    const d = guest(hv, 1024);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 2, extent_order: 9, extent_start: [0, 512] }).rc).toBe(2);
    const m = hv.domain(d)!.p2m.lookup(700);
    expect(hv.hypercall(0, DECREASE, { domid: d, nr_extents: 1, extent_start: [700] }).rc).toBe(1);
    expect(hv.domain(d)!.p2m.lookup(700)).toBe(-1);
    expect(hv.domain(d)!.p2m.lookup(701)).toBe(m + 1);
    expect(hv.heap.ownerOf(m)).not.toBe(d);
    expect(hv.domain(d)!.totPages).toBe(1023);
    checkInvariants(hv, true);
    // An order-9 decrease over the split extent stops at the hole, as Xen's loop does.
    expect(hv.hypercall(0, DECREASE, { domid: d, nr_extents: 1, extent_order: 9, extent_start: [512] }).rc).toBe(0);
    expect(hv.domain(d)!.totPages).toBe(1023 - (700 - 512));
    checkInvariants(hv, true);
  });

  test('XENMEM_exchange of frames inside a 2 MiB extent splits it and keeps the rest mapped', () => {
    const hv = new Hypervisor({ memoryMiB: 64 });
    const d = guest(hv, 1024);
    expect(hv.hypercall(0, POPULATE, { domid: d, nr_extents: 1, extent_order: 9, extent_start: [0] }).rc).toBe(1);
    const r = hv.hypercall(d, 'XENMEM_exchange', {
      in: { domid: d, nr_extents: 2, extent_order: 0, extent_start: [10, 11] },
      out: { domid: d, nr_extents: 1, extent_order: 1, extent_start: [600] },
    });
    expect(r.rc).toBe(0);
    expect(hv.domain(d)!.p2m.lookup(10)).toBe(-1);
    expect(hv.domain(d)!.p2m.lookup(12)).toBeGreaterThan(0);
    expect(hv.domain(d)!.p2m.lookup(601)).toBe(hv.domain(d)!.p2m.lookup(600) + 1);
    checkInvariants(hv, true);
  });
});

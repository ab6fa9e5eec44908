// The console ring (console.c conring, read_console_ring) behind XEN_SYSCTL_readconsole, and the
// debug build's memory.c line when an allocation fails (gdprintk; nothing in a release build).

import { describe, expect, test } from 'vitest';
import { CONRING_SIZE, ConsoleRing } from './console.ts';
import { EPERM, Hypervisor, type XenVersion } from './index.ts';
import { createDomain, hypercallChecked, MIB, populateArgs } from '../prop-tests/drive.ts';

const read = (hv: Hypervisor, args: object = {}, caller = 0) => hypercallChecked(hv, caller, 'XEN_SYSCTL_readconsole', { count: 16384, incremental: 1, ...args });

describe('conring', () => {
  test('a fixed 16 KiB ring: what fits is kept whole; the next line drops exactly the oldest bytes', () => {
    const ring = new ConsoleRing();
    for (let i = 0; i < 1000; i++) ring.printk(`line ${String(i).padStart(4, '0')}\n`); // 16 bytes each
    const r = ring.read(1 << 20, false, 0, false);
    expect(r.text.length).toBe(16000);
    expect(r.text.startsWith('(XEN) line 0000\n')).toBe(true);
    ring.printk(`${'x'.repeat(393)}\n`); // 400 bytes: 16,400 written, the first 16 go
    const after = ring.read(1 << 20, false, 0, false).text;
    expect(after.length).toBe(CONRING_SIZE);
    expect(after.startsWith('(XEN) line 0001\n')).toBe(true);
    expect(after.endsWith('x\n')).toBe(true);
  });

  test('wrap: 2000 lines of 16 bytes keep exactly the last 1024; a read of n returns the oldest n', () => {
    const ring = new ConsoleRing();
    for (let i = 0; i < 2000; i++) ring.printk(`line ${String(i).padStart(4, '0')}\n`);
    const all = ring.read(1 << 20, false, 0, false).text;
    expect(all.length).toBe(CONRING_SIZE);
    expect(all.slice(0, 16)).toBe('(XEN) line 0976\n');
    expect(all.slice(-16)).toBe('(XEN) line 1999\n');
    expect(ring.read(32, false, 0, false).text).toBe('(XEN) line 0976\n(XEN) line 0977\n');
  });

  test('incremental reads go on from the index; clear consumes what was read', () => {
    const ring = new ConsoleRing();
    ring.printk('one\n');
    ring.printk('two\n');
    const a = ring.read(10, true, 0, false);
    expect(a.text).toBe('(XEN) one\n');
    const b = ring.read(100, true, a.index, false);
    expect(b.text).toBe('(XEN) two\n');
    expect(ring.read(100, true, b.index, false).text).toBe('');
    expect(ring.read(100, false, 0, true).text).toBe('(XEN) one\n(XEN) two\n');
    expect(ring.read(100, false, 0, false).text).toBe('');
    ring.printk('three\n');
    expect(ring.read(100, false, 0, false).text).toBe('(XEN) three\n');
  });
});

describe('XEN_SYSCTL_readconsole', () => {
  test('only the control domain reads or clears (xsm_sysctl XSM_PRIV); a clear empties the ring', () => {
    const hv = new Hypervisor({ memoryMiB: 32, xen: '4.22' });
    const d = createDomain(hv, 64 * MIB);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 64, 9)).rc).toBeLessThan(64); // fails: logged
    expect(read(hv, {}, d).rc).toBe(-EPERM);
    expect(read(hv, { clear: 1 }, d).rc).toBe(-EPERM);
    const r = read(hv);
    expect(r.rc).toBe(0);
    expect(r.count).toBe((r.buffer as string).length);
    expect(r.buffer).toMatch(/^\(XEN\) common\/memory\.c:362:d0v0 Could not allocate order=9 extent: id=1 memflags=0 \(\d+ of 64\)\n$/);
    expect(read(hv, { clear: 1 }).buffer).toBe(r.buffer);
    expect(read(hv).buffer).toBe('');
  });

  test('malformed arguments are -EFAULT; a huge count is bounded by the ring', () => {
    const hv = new Hypervisor({ memoryMiB: 32, xen: '4.22' });
    for (const bad of [{ count: -1 }, { count: 2 ** 32 }, { count: 1, clear: 256 }, { count: 1, index: 1.5 }, {}]) {
      expect(hypercallChecked(hv, 0, 'XEN_SYSCTL_readconsole', bad).rc).toBe(-14);
    }
    expect(read(hv, { count: 2 ** 32 - 1 }).rc).toBe(0);
  });
});

describe('memory.c gdprintk on an allocation failure', () => {
  const failOnce = (xen: XenVersion, debugBuild: boolean, op = 'XENMEM_populate_physmap', caller = 0) => {
    const hv = new Hypervisor({ memoryMiB: 32, xen, debugBuild });
    const d = createDomain(hv, 64 * MIB);
    hypercallChecked(hv, 0, 'XEN_DOMCTL_unpausedomain', { domid: d });
    const args = op === 'XENMEM_populate_physmap' ? populateArgs(caller === 0 ? d : 0x7ff0, 40, 9) : { domid: caller === 0 ? d : 0x7ff0, nr_extents: 40, extent_order: 9, extent_start: null };
    const done = hypercallChecked(hv, caller === 0 ? 0 : d, op, args).rc;
    return { done, text: read(hv).buffer as string };
  };

  test('a debug build prints it, with the release\'s file, line and "%pv" of the issuing vCPU', () => {
    const p = failOnce('4.22', true);
    expect(p.done).toBeLessThan(40);
    expect(p.text).toBe(`(XEN) common/memory.c:362:d0v0 Could not allocate order=9 extent: id=1 memflags=0 (${p.done} of 40)\n`);
    const g = failOnce('4.22', true, 'XENMEM_populate_physmap', 1);
    expect(g.text).toBe(`(XEN) common/memory.c:362:d1v0 Could not allocate order=9 extent: id=1 memflags=0 (${g.done} of 40)\n`);
    const inc = failOnce('4.22', true, 'XENMEM_increase_reservation');
    expect(inc.text).toBe(`(XEN) common/memory.c:140:d0v0 Could not allocate order=9 extent: id=1 memflags=0 (${inc.done} of 40)\n`);
    expect(failOnce('4.13', true).text).toMatch(/^\(XEN\) memory\.c:252:d0v0 Could not allocate order=9/);
    expect(failOnce('4.3', true).text).toMatch(/^\(XEN\) memory\.c:129:d0 Could not allocate order=9 extent: id=1 memflags=0 \(\d+ of 40\)\n$/);
  });

  test('a release build (NDEBUG) compiles gdprintk out: the ring stays empty', () => {
    for (const v of ['4.3', '4.22'] as const) {
      const r = failOnce(v, false);
      expect(r.done).toBeLessThan(40);
      expect(r.text).toBe('');
    }
  });

  test('a claim gate refusal is the same failure: alloc_domheap_pages returned NULL', () => {
    const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22' });
    const big = createDomain(hv, 64 * MIB);
    const other = createDomain(hv, 64 * MIB);
    const free = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).free_pages as number;
    expect(hypercallChecked(hv, 0, 'XENMEM_claim_pages', { domid: big, nr_extents: free - 100 }).rc).toBe(0);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(other, 1, 9)).rc).toBe(0);
    expect(read(hv).buffer).toBe(`(XEN) common/memory.c:362:d0v0 Could not allocate order=9 extent: id=${other} memflags=0 (0 of 1)\n`);
  });
});

describe("page_alloc.c's assign_pages messages (debug build)", () => {
  const overMax = (xen: XenVersion) => {
    const hv = new Hypervisor({ memoryMiB: 64, xen });
    const d = createDomain(hv, 600); // max_pages 600: the second 2 MiB extent does not fit
    const done = hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 3, 9)).rc;
    return { done, text: read(hv).buffer as string };
  };

  test('over max_pages: gprintk\'s "%pv Over-allocation for %pd" from 4.21, "for domain %u" before; 4.3 a gdprintk', () => {
    expect(overMax('4.22')).toEqual({ done: 1, text: '(XEN) d0v0 Over-allocation for d1: 1024 > 600\n' });
    expect(overMax('4.21').text).toBe('(XEN) d0v0 Over-allocation for d1: 1024 > 600\n');
    expect(overMax('4.13').text).toBe('(XEN) d0v0 Over-allocation for domain 1: 1024 > 600\n');
    expect(overMax('4.3').text).toBe('(XEN) page_alloc.c:1458:d0 Over-allocation for domain 1: 1024 > 600\n');
  });

  test('max_pages lowered below tot_pages: "Inconsistent allocation" (4.21+)', () => {
    const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22' });
    const d = createDomain(hv, 1024);
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 9)).rc).toBe(1);
    hypercallChecked(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 100 * 4 });
    expect(hypercallChecked(hv, 0, 'XENMEM_populate_physmap', populateArgs(d, 1, 0, 4096)).rc).toBe(0);
    expect(read(hv).buffer).toBe('(XEN) d0v0 Inconsistent allocation for d1: 512 > 100\n');
  });
});

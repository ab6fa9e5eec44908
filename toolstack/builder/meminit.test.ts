// meminit_pv, meminit_hvm and 4.3's setup_guest at their edges, each case read from libxenguest
// (RELEASE-4.22.0 tools/libs/guest/xg_dom_x86.c; RELEASE-4.3.0 tools/libxc/xc_hvm_build_x86.c,
// xc_dom_x86.c): the paths the Stryker run of docs/mutation.md found untested.

import { describe, expect, it } from 'vitest';
import { EFAULT } from '../../hv/errno.ts';
import { physinfo as hvPhysinfo } from '../../hv/index.ts';
import type { XenVersion } from '../../hv/version.ts';
import { toolstackBugs } from '../bugs.ts';
import { parseDomainConfig } from '../domain-config.ts';
import { DirectPort } from '../test-support/direct-port.ts';
import { libxlDomainCreate } from './build.ts';
import type { DomImage } from './meminit-context.ts';
import { meminitHvm } from './meminit-hvm.ts';
import { meminitPv } from './meminit-pv.ts';
import { SOURCE_SITES } from './sites.ts';
import { Xc } from './xc.ts';

type Populate = [order: number, nrExtents: number, firstGpfn: number, rc: number];

async function build(cfgText: string, opts: { xen?: XenVersion; claimMode?: number; memoryMiB?: number; port?: DirectPort; inject?: string[] } = {}) {
  const xen = opts.xen ?? '4.22';
  const parsed = parseDomainConfig(cfgText, 't.cfg');
  if (!parsed.ok) throw new Error(parsed.stderr.join(''));
  const port = opts.port ?? new DirectPort({ memoryMiB: opts.memoryMiB ?? 8192, xen, dom0MiB: 1024 });
  const out = await libxlDomainCreate(port, { config: parsed.config, claimMode: opts.claimMode ?? 1, version: xen, inject: opts.inject });
  const populates: Populate[] = port.callsOf('XENMEM_populate_physmap')
    .map((c) => [c.args.extent_order as number, c.args.nr_extents as number, (c.args.extent_start as number[])[0]!, c.rc]);
  const claims = port.callsOf('XENMEM_claim_pages').map((c) => [c.args.nr_extents as number, c.rc]);
  return { port, out, populates, claims };
}

/** Pages populated at gpfns in [lo, hi), by the calls' real results. */
function pagesIn(populates: readonly Populate[], lo: number, hi: number): number {
  let n = 0;
  for (const [order, , first, rc] of populates) {
    for (let k = 0; k < Math.max(0, rc); k++) {
      const g = first + k * 2 ** order;
      if (g >= lo && g < hi) n += 2 ** order;
    }
  }
  return n;
}

/** A domain made by hand with max_mem room for `pages`, and a DomImage for it. */
function handMade(xen: XenVersion, pages: number, image: Partial<DomImage>): { port: DirectPort; dom: DomImage; stderr: string[] } {
  const port = new DirectPort({ memoryMiB: 2048, xen, dom0MiB: 256 });
  const domid = port.hv.hypercall(0, 'XEN_DOMCTL_createdomain', { name: 'm', type: image.deviceModel ? 'hvm' : 'pv' }).domid as number;
  port.hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: pages * 4 + 4096 });
  const stderr: string[] = [];
  const bugs = toolstackBugs(xen);
  const dom: DomImage = {
    xc: new Xc(port, bugs, stderr), domid, version: xen, bugs, sites: SOURCE_SITES[xen], claimEnabled: false,
    totalPages: pages, targetPages: pages, deviceModel: false, superpages: false, claimSets: false,
    vmemranges: [], vnodeToPnode: [], ...image,
  };
  return { port, dom, stderr };
}

describe('meminit_pv (xg_dom_x86.c 4.22)', () => {
  it('an odd MiB: 2 MiB extents, then the 4 KiB tail from where they ended, no message, claim cancelled', async () => {
    const r = await build('name="g"\nmemory=513\n');
    expect(r.out.rc).toBe(0);
    expect(r.populates).toEqual([[9, 256, 0, 256], [0, 256, 131072, 256]]);
    expect(r.out.stderr).toEqual([]);
    expect(r.claims).toEqual([[131328, 0], [0, 0]]);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(131328);
    expect(hvPhysinfo(r.port.hv).outstanding_pages).toBe(0);
  });

  it('without vNUMA every populate goes with mem_flags 0 (the dummy vnode is XC_NUMA_NO_NODE)', async () => {
    const r = await build('name="g"\nmemory=513\n');
    expect(r.port.callsOf('XENMEM_populate_physmap').map((c) => c.args.mem_flags)).toEqual([0, 0]);
  });

  it('a 2 MiB populate that fails with an errno ends meminit_pv with it: no 4 KiB fallback', async () => {
    // `if ( rc < 0 ) return rc;` after xc_domain_populate_physmap: only a short count falls back.
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && a.extent_order === 9 ? { rc: -EFAULT } : undefined);
    const r = await build('name="g"\nmemory=512\n', { port });
    expect(r.out.rc).toBe(-3);
    expect(r.populates).toEqual([[9, 256, 0, -EFAULT]]);
    expect(r.out.stderr[1]).toBe('libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Bad address\n');
  });

  it('vmemranges that do not add up to total_pages: "vNUMA page count mismatch", -EINVAL, nothing populated', async () => {
    const { port, dom, stderr } = handMade('4.22', 1024, { vmemranges: [{ start: 0, end: 512, nid: 0 }, { start: 512, end: 1000, nid: 1 }], vnodeToPnode: [0, 0] });
    expect(await meminitPv(dom)).toBe(-22);
    expect(dom.xc.errno).toBe(22);
    expect(stderr).toEqual(['xc: error: panic: xg_dom_x86.c:1297: meminit_pv: vNUMA page count mismatch (0x3e8 != 0x400): Internal error\n']);
    expect(port.callsOf('XENMEM_populate_physmap')).toEqual([]);
  });
});

describe('arch_setup_meminit (4.3 xc_dom_x86.c)', () => {
  it('claim_mode=0 makes no claim, only the closing cancel', async () => {
    const r = await build('name="g"\nmemory=512\n', { xen: '4.3', claimMode: 0 });
    expect(r.out.rc).toBe(0);
    expect(r.claims).toEqual([[0, 0]]);
  });

  it('a failed 4 KiB chunk ends the loop: the next chunk is never tried', async () => {
    // `for ( i = rc = allocsz = 0; (i < dom->total_pages) && !rc; i += allocsz )`.
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.3', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' ? port.hv.hypercall(0, op, { ...a, nr_extents: (a.nr_extents as number) - 1 }) : undefined);
    const r = await build('name="g"\nmemory=4160\n', { port, xen: '4.3' });
    expect(r.out.rc).toBe(-3);
    expect(r.populates.map(([o, n, g]) => [o, n, g])).toEqual([[0, 1048576, 0]]);
    expect(r.claims.at(-1)).toEqual([0, 0]);
  });
});

describe('meminit_hvm (xg_dom_x86.c 4.22)', () => {
  it('RAM above the MMIO hole goes to 4 GiB and up; nothing lands in the hole', async () => {
    // dummy_vmemrange: [0, lowmem_end) and, when highmem_end > 4 GiB, [4 GiB, highmem_end).
    const r = await build('name="h"\ntype="hvm"\nmemory=4096\n', { memoryMiB: 16384 });
    expect(r.out.rc).toBe(0);
    const pages = (4096 - 8) * 256;
    expect(pagesIn(r.populates, 0xf0000, 0x100000)).toBe(0);
    expect(pagesIn(r.populates, 0x100000, 0x100000 + pages)).toBe(pages - 0xf0000);
    expect(pagesIn(r.populates, 0, 0xf0000)).toBe(0xf0000 - 0x20);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(pages - 0x20);
  });

  it('PoD (maxmem above memory) populates the target only: tot_pages is target - VGA hole', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=1024\nmaxmem=2048\n');
    expect(r.out.rc).toBe(0);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe((1024 - 8) * 256 - 0x20);
  });

  it('total_pages below target_pages populates total_pages (no PoD: nr_pages > target_pages is false)', async () => {
    const { port, dom } = handMade('4.22', 4096, { totalPages: 2048, targetPages: 4096 });
    expect(await meminitHvm(dom)).toBe(0);
    expect(port.hv.domain(dom.domid)!.totPages).toBe(2048);
  });

  it('an aligned step whose count is not a 2 MiB multiple drops its tail to the 4 KiB pass', async () => {
    // "clip non-s.p. tail": 13 MiB from gpfn 0 is 4 + 2 extents of 2 MiB, then 256 pages of 4 KiB.
    const r = await build('name="p"\ntype="pvh"\nmemory=13\n');
    expect(r.out.rc).toBe(0);
    expect(r.populates).toEqual([[9, 4, 0, 4], [9, 2, 2048, 2], [0, 256, 3072, 256]]);
  });

  it('superpage populates that fail with an errno fall back to 4 KiB (only done > 0 advances)', async () => {
    const port = new DirectPort({ memoryMiB: 16384, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && (a.extent_order as number) > 0 ? { rc: -EFAULT } : undefined);
    // 4096 MiB: 1 GiB extents are tried at 0x40000 and 0x80000, 2 MiB ones everywhere else.
    const r = await build('name="h"\ntype="hvm"\nmemory=4096\n', { port });
    expect(r.out.rc).toBe(0);
    expect(r.populates.filter(([o]) => o === 18).map(([, , g]) => g)).toEqual([0x40000, 0x80000]);
    expect(r.out.stats).toEqual({ pages4k: (4096 - 8) * 256 - 0x20, pages2m: 0, pages1g: 0 });
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe((4096 - 8) * 256 - 0x20);
  });
});

describe('setup_guest (4.3 xc_hvm_build_x86.c, B6)', () => {
  const hvm43 = 'name="h"\nbuilder="hvm"\nmemory=4096\n';

  it('builds: low RAM, the claim, then [0xc0, hole) and 4 GiB up; tot_pages is nr_pages - VGA hole', async () => {
    const r = await build(hvm43, { xen: '4.3', memoryMiB: 16384 });
    expect(r.out.rc).toBe(0);
    expect(r.out.stderr).toEqual([]);
    const pages = (4096 - 8) * 256;
    expect(pagesIn(r.populates, 0, 0xa0)).toBe(0xa0);
    expect(pagesIn(r.populates, 0xa0, 0xc0)).toBe(0);
    expect(pagesIn(r.populates, 0xf0000, 0x100000)).toBe(0);
    expect(pagesIn(r.populates, 0x100000, 0x100000 + pages)).toBe(pages - 0xf0000);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(pages - 0x20);
    expect(r.claims).toEqual([[pages - 0xc0, 0], [0, 0]]);
  });

  it('claim_mode=0 makes no claim, only the cancel at out:', async () => {
    const r = await build('name="h"\nbuilder="hvm"\nmemory=64\n', { xen: '4.3', claimMode: 0 });
    expect(r.out.rc).toBe(0);
    expect(r.claims).toEqual([[0, 0]]);
  });

  it('a failed populate ends the loop (RAM above 4 GiB never tried), PERRORs, and cancels the claim', async () => {
    const port = new DirectPort({ memoryMiB: 16384, xen: '4.3', dom0MiB: 1024 });
    port.intercept = (op, a) => {
      if (op !== 'XENMEM_populate_physmap') return undefined;
      return (a.extent_order as number) > 0 || (a.extent_start as number[])[0]! >= 0xc0 ? { rc: 0 } : undefined;
    };
    const r = await build(hvm43, { xen: '4.3', port });
    expect(r.out.rc).toBe(-3);
    expect(r.populates.filter(([, , g]) => g >= 0x100000)).toEqual([]);
    expect(r.claims.at(-1)).toEqual([0, 0]);
    expect(r.out.stderr).toEqual([
      'xc: error: Could not allocate memory for HVM guest. (16 = Device or resource busy): Internal error\n',
      'libxl: error: libxl_dom.c:642:libxl__build_hvm: hvm building failed\n',
      'libxl: error: libxl_create.c:900:domcreate_rebuild_done: cannot (re-)build domain: -3\n',
    ]);
  });

  it('injected into 4.22 the same failure prints no PERROR (4.7+ libxc reports at detail level)', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && (a.extent_start as number[])[0]! >= 0xc0 ? { rc: 0 } : undefined);
    const r = await build('name="h"\ntype="hvm"\nmemory=64\n', { port, inject: ['B6'] });
    expect(r.out.rc).toBe(-3);
    expect(r.out.stderr.some((l) => l.includes('Could not allocate memory for HVM guest'))).toBe(false);
  });

  it('the low populate\'s rc is not checked: with a claim the loop still runs, without one it does not start', async () => {
    const failLow = (port: DirectPort) => {
      port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && (a.extent_start as number[])[0] === 0 ? { rc: 0 } : undefined);
    };
    const claimed = new DirectPort({ memoryMiB: 8192, xen: '4.3', dom0MiB: 1024 });
    failLow(claimed);
    const a = await build('name="h"\nbuilder="hvm"\nmemory=64\n', { xen: '4.3', port: claimed });
    expect(a.out.rc).toBe(0); // the claim's rc 0 replaced the failed populate's -1
    expect(a.claims).toEqual([[64 * 256 - 0xc0 - 8 * 256, 0], [0, 0]]);
    expect(pagesIn(a.populates, 0xc0, 64 * 256)).toBe((64 - 8) * 256 - 0xc0);

    const unclaimed = new DirectPort({ memoryMiB: 8192, xen: '4.3', dom0MiB: 1024 });
    failLow(unclaimed);
    const b = await build('name="h"\nbuilder="hvm"\nmemory=64\n', { xen: '4.3', port: unclaimed, claimMode: 0 });
    expect(b.out.rc).toBe(-3);
    expect(b.populates).toEqual([[0, 0xa0, 0, 0]]);
    expect(b.claims).toEqual([[0, 0]]);
    expect(b.out.stderr[0]).toBe('xc: error: Could not allocate memory for HVM guest. (16 = Device or resource busy): Internal error\n');
  });

  it('a failed claim is PERRORed with strerror (glibc\'s "Unknown error N" for an errno it has no text for) and cancelled at out:', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.3', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_claim_pages' && a.nr_extents !== 0 ? { rc: -200 } : undefined);
    const r = await build('name="h"\nbuilder="hvm"\nmemory=64\n', { xen: '4.3', port });
    expect(r.out.rc).toBe(-3);
    expect(r.out.stderr[0]).toBe('xc: error: Could not allocate memory for HVM guest as we cannot claim memory! (200 = Unknown error 200): Internal error\n');
    expect(r.claims).toEqual([[64 * 256 - 0xc0 - 8 * 256, -200], [0, 0]]);
    expect(r.populates).toEqual([[0, 0xa0, 0, 0xa0]]);
  });
});

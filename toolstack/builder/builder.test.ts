import { describe, expect, it } from 'vitest';
import { ENOSYS } from '../../hv/errno.ts';
import { physinfo as hvPhysinfo } from '../../hv/index.ts';
import type { XenVersion } from '../../hv/version.ts';
import { parseDomainConfig } from '../domain-config.ts';
import { DirectPort } from '../test-support/direct-port.ts';
import { libxlDomainCreate, type BuildOutcome } from './build.ts';

function config(text: string) {
  const r = parseDomainConfig(text, 't.cfg');
  if (!r.ok) throw new Error(r.stderr.join(''));
  return r.config;
}

interface Run {
  port: DirectPort;
  out: BuildOutcome;
  /** Claims issued, non-zero ones first-class: [pages, rc]. */
  claims: Array<[number, number]>;
  /** populate calls as [order, nr_extents, first gpfn, rc]. */
  populates: Array<[number, number, number, number]>;
}

async function build(
  cfgText: string,
  opts: { xen?: XenVersion; memoryMiB?: number; dom0MiB?: number; claimMode?: number; inject?: string[]; superpages?: boolean; port?: DirectPort } = {},
): Promise<Run> {
  const xen = opts.xen ?? '4.22';
  const port = opts.port ?? new DirectPort({ memoryMiB: opts.memoryMiB ?? 8192, xen, dom0MiB: opts.dom0MiB ?? 1024 });
  const out = await libxlDomainCreate(port, {
    config: config(cfgText), claimMode: opts.claimMode ?? 1, version: xen, inject: opts.inject, superpages: opts.superpages,
  });
  return {
    port,
    out,
    claims: port.callsOf('XENMEM_claim_pages').map((c) => [c.args.nr_extents as number, c.rc]),
    populates: port.callsOf('XENMEM_populate_physmap').map((c) => [c.args.extent_order as number, c.args.nr_extents as number, (c.args.extent_start as number[])[0], c.rc]),
  };
}

const outstanding = (port: DirectPort) => hvPhysinfo(port.hv).outstanding_pages;

describe('claim amounts (behaviours 8-11)', () => {
  it('PV memory=512 claims total pages 131072 before populating, then cancels with 0', async () => {
    const r = await build('name="g"\nmemory=512\n');
    expect(r.out.rc).toBe(0);
    expect(r.claims).toEqual([[131072, 0], [0, 0]]);
    const claimAt = r.port.calls.findIndex((c) => c.op === 'XENMEM_claim_pages');
    const firstPopulate = r.port.calls.findIndex((c) => c.op === 'XENMEM_populate_physmap');
    expect(claimAt).toBeLessThan(firstPopulate);
    expect(outstanding(r.port)).toBe(0);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(131072);
  });

  it('HVM memory=1024 with cirrus video claims (1024-8)*256 - 32 = 260064 pages', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=1024\n');
    expect(r.claims[0]).toEqual([260064, 0]);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(260064);
  });

  it('PVH memory=512 claims 131072 pages: no video, no VGA hole', async () => {
    const r = await build('name="p"\ntype="pvh"\nmemory=512\n');
    expect(r.claims[0]).toEqual([131072, 0]);
  });

  it('HVM memory=1024 maxmem=2048 (PoD) claims on the target, not maxmem', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=1024\nmaxmem=2048\n');
    expect(r.claims[0]).toEqual([260064, 0]);
    expect(outstanding(r.port)).toBe(0);
  });

  it('max_mem is set to target + 1024 KiB before the claim', async () => {
    const r = await build('name="g"\nmemory=512\n');
    const maxMem = r.port.callsOf('XEN_DOMCTL_max_mem')[0];
    expect(maxMem.args.max_memkb).toBe(512 * 1024 + 1024);
  });

  it('4.3 HVM (B6) claims nr_pages - 0xc0 after populating the first 0xa0 pages', async () => {
    const r = await build('name="h"\nbuilder="hvm"\nmemory=1024\n', { xen: '4.3' });
    expect(r.populates[0]).toEqual([0, 0xa0, 0, 0xa0]);
    expect(r.claims[0]).toEqual([260096 - 0xc0, 0]);
    const firstClaim = r.port.calls.findIndex((c) => c.op === 'XENMEM_claim_pages');
    expect(r.port.calls.findIndex((c) => c.op === 'XENMEM_populate_physmap')).toBeLessThan(firstClaim);
  });

  it('B6 injected into 4.22 gives 4.3 HVM claim amount', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=1024\n', { inject: ['B6'] });
    expect(r.claims[0]).toEqual([260096 - 0xc0, 0]);
  });

  it('claim_mode=0 issues no non-zero claim', async () => {
    const r = await build('name="g"\nmemory=512\n', { claimMode: 0 });
    expect(r.out.rc).toBe(0);
    expect(r.claims.filter(([p]) => p !== 0)).toEqual([]);
  });

  it('4.3 PV with the legacy superpages option makes no claim and populates exact 2 MiB extents', async () => {
    const r = await build('name="g"\nmemory=512\n', { xen: '4.3', claimMode: 1, superpages: true });
    expect(r.claims).toEqual([]);
    expect(r.populates).toEqual([[9, 256, 0, 256]]);
  });

  it('a superpages key in the guest config is ignored: the claim is still made', async () => {
    const r = await build('name="g"\nmemory=512\nsuperpages=1\n', { xen: '4.3', claimMode: 1 });
    expect(r.claims[0]).toEqual([131072, 0]);
  });
});

describe('extent sizes and fallbacks', () => {
  it('PV since 4.6 populates 2 MiB extents in batches of at most 512', async () => {
    const r = await build('name="g"\nmemory=1536\n');
    expect(r.populates).toEqual([[9, 512, 0, 512], [9, 256, 512 * 512, 256]]);
  });

  it('PV in 4.3 populates only 4 KiB extents in chunks of at most 1M pages', async () => {
    const r = await build('name="g"\nmemory=4160\n', { xen: '4.3' });
    expect(r.populates.map(([o, n]) => [o, n])).toEqual([[0, 1048576], [0, 16384]]);
  });

  it('HVM: low 0xa0 pages, skips the VGA hole, 4 KiB to the 2 MiB boundary, then 8 MiB batches of 2 MiB', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=64\nvideoram=8\n');
    expect(r.populates.slice(0, 3)).toEqual([[0, 0xa0, 0, 0xa0], [0, 320, 0xc0, 320], [9, 4, 512, 4]]);
    expect(r.populates.every(([o, n]) => o !== 9 || n <= 4)).toBe(true);
  });

  it('HVM uses 1 GiB extents for whole aligned GiBs below the MMIO hole', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=4096\n', { memoryMiB: 16384 });
    expect(r.populates.filter(([o]) => o === 18).map(([, n, g, rc]) => [n, g, rc])).toEqual([[1, 0x40000, 1], [1, 0x80000, 1]]);
    expect(r.out.stats.pages1g).toBe(2 * 262144);
  });

  it('when 2 MiB extents are refused (fragmented host) PV falls back to 4 KiB', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && a.extent_order === 9 ? { rc: 0 } : undefined);
    const r = await build('name="g"\nmemory=512\n', { port });
    expect(r.out.rc).toBe(0);
    expect(r.populates.map(([o, n]) => [o, n])).toEqual([[9, 256], [0, 131072]]);
  });

  it('when 1 GiB and 2 MiB extents are refused HVM falls back to 4 KiB, still succeeding', async () => {
    const port = new DirectPort({ memoryMiB: 16384, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => (op === 'XENMEM_populate_physmap' && (a.extent_order as number) > 0 ? { rc: 0 } : undefined);
    const r = await build('name="h"\ntype="hvm"\nmemory=2048\n', { port });
    expect(r.out.rc).toBe(0);
    expect(r.out.stats).toEqual({ pages4k: (2048 - 8) * 256 - 0x20, pages2m: 0, pages1g: 0 });
  });
});

// meminit_hvm (xc_hvm_build_x86.c): the low 0xA0 pages only with a device model; memflags gain
// XENMEMF_exact_node only for a range on a real pnode; `for ( vmemid = 0; vmemid < nr_vmemranges
// && !rc; vmemid++ )` stops at the first range that fails.
describe('meminit_hvm: device model, node flags, ranges', () => {
  it('PVH (no device model) starts at gpfn 0 with 2 MiB extents, no low-RAM pass, and builds', async () => {
    const r = await build('name="p"\ntype="pvh"\nmemory=512\n');
    expect(r.out.rc).toBe(0);
    expect(r.populates[0]).toEqual([9, 4, 0, 4]);
    expect(r.populates.some(([o, n]) => o === 0 && n === 0xa0)).toBe(false);
    expect(r.port.hv.domain(r.out.domid!)!.totPages).toBe(131072);
  });

  it('without vNUMA every populate goes with mem_flags 0 (no exact-node bit for XC_NUMA_NO_NODE)', async () => {
    const r = await build('name="h"\ntype="hvm"\nmemory=64\n');
    expect(r.out.rc).toBe(0);
    const flags = r.port.callsOf('XENMEM_populate_physmap').map((c) => c.args.mem_flags ?? 0);
    expect(flags.length).toBeGreaterThan(2);
    expect(new Set(flags)).toEqual(new Set([0]));
  });

  it('a range that fails ends the loop: RAM above 4 GiB is never tried after the low range failed', async () => {
    const port = new DirectPort({ memoryMiB: 16384, xen: '4.22', dom0MiB: 1024 });
    port.intercept = (op, a) => {
      if (op !== 'XENMEM_populate_physmap') return undefined;
      const first = (a.extent_start as number[])[0]!;
      return (a.extent_order as number) > 0 || first >= 0xc0 ? { rc: 0 } : undefined;
    };
    const r = await build('name="h"\ntype="hvm"\nmemory=4096\n', { port });
    expect(r.out.rc).not.toBe(0);
    expect(r.populates.some(([, , g]) => g >= 0xc0 && g < 0xf0000)).toBe(true);
    expect(r.populates.filter(([, , g]) => g >= 0x100000)).toEqual([]);
  });
});

/** Makes every 4 KiB populate one extent short, after really populating the rest. */
function shortFourK(port: DirectPort): void {
  port.intercept = (op, a) => {
    if (op === 'XENMEM_populate_physmap' && a.extent_order === 9) return { rc: 0 };
    if (op === 'XENMEM_populate_physmap' && a.extent_order === 0) {
      return port.hv.hypercall(0, op, { ...a, nr_extents: (a.nr_extents as number) - 1 });
    }
    return undefined;
  };
}

/** Outstanding pages of the domain at the moment it is destroyed. */
function claimAtDestroy(port: DirectPort): () => number | undefined {
  let seen: number | undefined;
  const inner = port.intercept;
  port.intercept = (op, a) => {
    if (op === 'XEN_DOMCTL_destroydomain') seen = port.hv.domain(a.domid as number)?.outstandingPages;
    return inner?.(op, a);
  };
  return () => seen;
}

describe('claim cancel or linger (behaviour 13)', () => {
  it('PV populate failure since 4.6 leaves the claim until the domain is destroyed', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    shortFourK(port);
    const atDestroy = claimAtDestroy(port);
    const r = await build('name="g"\nmemory=512\n', { port });
    expect(r.out.rc).toBe(-3);
    expect(atDestroy()).toBe(1);
    expect(r.claims).toEqual([[131072, 0]]);
    expect(outstanding(port)).toBe(0);
    expect(port.hv.domain(r.out.domid!)).toBeUndefined();
  });

  it('4.3 PV cancels the claim even when population failed', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.3', dom0MiB: 1024 });
    shortFourK(port);
    const atDestroy = claimAtDestroy(port);
    const r = await build('name="g"\nmemory=512\n', { port, xen: '4.3' });
    expect(r.out.rc).toBe(-3);
    expect(r.claims.at(-1)).toEqual([0, 0]);
    expect(atDestroy()).toBe(0);
  });

  it('HVM populate failure cancels the claim at out: before libxl destroys the domain', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    shortFourK(port);
    const atDestroy = claimAtDestroy(port);
    const r = await build('name="h"\ntype="hvm"\nmemory=512\n', { port });
    expect(r.out.rc).toBe(-3);
    expect(atDestroy()).toBe(0);
  });
});

describe('failure messages and claim_mode on a host that is too small (behaviours 12, 14)', () => {
  const small = { memoryMiB: 1024, dom0MiB: 128 };

  it('claim_mode=1: the claim fails with ENOMEM at once, nothing is populated, domain destroyed', async () => {
    const r = await build('name="big"\nmemory=2048\n', { ...small, claimMode: 1 });
    expect(r.out.rc).toBe(-3);
    expect(r.claims).toEqual([[524288, -12]]);
    expect(r.populates).toEqual([]);
    expect(r.out.stderr).toEqual([
      "xc: error: panic: xg_dom_boot.c:119: xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory\n",
      'libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Cannot allocate memory\n',
      `libxl: error: libxl_create.c:1653:domcreate_rebuild_done: Domain ${r.out.domid}:cannot (re-)build domain: -3\n`,
    ]);
    expect(r.port.hv.domain(r.out.domid!)).toBeUndefined();
    expect(outstanding(r.port)).toBe(0);
  });

  it('claim_mode=0: the build fails mid-population, after populating pages', async () => {
    const r = await build('name="big"\nmemory=2048\n', { ...small, claimMode: 0 });
    expect(r.out.rc).toBe(-3);
    const populated = r.populates.reduce((n, [o, , , rc]) => n + Math.max(0, rc) * 2 ** o, 0);
    expect(populated).toBeGreaterThan(100_000);
    expect(r.out.stderr).toEqual([
      'xc: error: panic: xg_dom_x86.c:1297: meminit_pv: failed to allocate 0x80000 pages: Internal error\n',
      "xc: error: panic: xg_dom_boot.c:119: xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory\n",
      'libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Device or resource busy\n',
      `libxl: error: libxl_create.c:1653:domcreate_rebuild_done: Domain ${r.out.domid}:cannot (re-)build domain: -3\n`,
    ]);
    expect(r.port.hv.domain(r.out.domid!)).toBeUndefined();
  });

  it('4.3 PV claim failure names libxl__build_pv and has no Domain prefix', async () => {
    const r = await build('name="big"\nmemory=2048\n', { ...small, xen: '4.3', claimMode: 1 });
    expect(r.out.stderr).toEqual([
      "xc: error: panic: xc_dom_boot.c:126: xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory\n",
      'libxl: error: libxl_dom.c:396:libxl__build_pv: xc_dom_boot_mem_init failed: Cannot allocate memory\n',
      'libxl: error: libxl_create.c:900:domcreate_rebuild_done: cannot (re-)build domain: -3\n',
    ]);
  });

  it('4.3 HVM claim failure is an error-level PERROR and "hvm building failed"', async () => {
    const r = await build('name="big"\nbuilder="hvm"\nmemory=2048\n', { ...small, xen: '4.3', claimMode: 1 });
    expect(r.out.stderr).toEqual([
      'xc: error: Could not allocate memory for HVM guest as we cannot claim memory! (12 = Cannot allocate memory): Internal error\n',
      'libxl: error: libxl_dom.c:642:libxl__build_hvm: hvm building failed\n',
      'libxl: error: libxl_create.c:900:domcreate_rebuild_done: cannot (re-)build domain: -3\n',
    ]);
  });

  it('4.13 names the tools/libxc files', async () => {
    const r = await build('name="big"\ntype="hvm"\nmemory=2048\n', { ...small, xen: '4.13' });
    expect(r.out.stderr[0]).toBe("xc: error: panic: xc_dom_boot.c:122: xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory\n");
  });
});

describe('B7: ENOSYS from XENMEM_claim_pages', () => {
  const enosys = (port: DirectPort) => {
    port.intercept = (op, a) => (op === 'XENMEM_claim_pages' && a.nr_extents !== 0 ? { rc: -ENOSYS } : undefined);
  };

  it('up to 4.21 libxc squashes ENOSYS to success and the build goes on without a claim', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.21', dom0MiB: 1024 });
    enosys(port);
    const r = await build('name="g"\nmemory=512\n', { port, xen: '4.21' });
    expect(r.out.rc).toBe(0);
  });

  it('4.22 reports ENOSYS and the build fails', async () => {
    const port = new DirectPort({ memoryMiB: 8192, xen: '4.22', dom0MiB: 1024 });
    enosys(port);
    const r = await build('name="g"\nmemory=512\n', { port });
    expect(r.out.rc).toBe(-3);
    expect(r.out.stderr[1]).toBe('libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Function not implemented\n');
  });
});

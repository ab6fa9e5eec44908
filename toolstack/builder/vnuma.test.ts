// libxl's vNUMA domain build (RELEASE-4.22.0): libxl_create.c libxl__domain_config_setdefault's
// refusals, libxl_vnuma.c libxl__vnuma_build_vmemrange_hvm and libxl__vnuma_config_check,
// libxl_dom.c libxl__build_hvm; xg_dom_x86.c meminit_hvm / meminit_pv populating each vmemrange
// with XENMEMF_exact_node(pnode). The claim set on 4.22+claim-sets is PROPOSED behaviour (no
// upstream libxl claims per node): one XEN_DOMCTL_claim_memory entry per physical node.

import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../hv/errno.ts';
import { physinfo as hvPhysinfo } from '../../hv/index.ts';
import type { XenVersion } from '../../hv/version.ts';
import { parseDomainConfig } from '../domain-config.ts';
import { toolstackBugs } from '../bugs.ts';
import { DirectPort } from '../test-support/direct-port.ts';
import { libxlDomainCreate } from './build.ts';
import { meminitPv } from './meminit-pv.ts';
import { SOURCE_SITES } from './sites.ts';
import { Xc } from './xc.ts';

const TWO = '["pnode=0","size=1024","vcpus=0","vdistances=10,20"], ["pnode=1","size=1024","vcpus=1","vdistances=20,10"]';

async function build(cfg: string, xen: XenVersion = '4.22', host = { memoryMiB: 8192, nodes: 2 }, claimMode = 1) {
  const parsed = parseDomainConfig(cfg, 'v.cfg', [], { version: xen, host: { nrNodes: host.nodes, nrCpus: 8 } });
  if (!parsed.ok) throw new Error(parsed.stderr.join(''));
  const port = new DirectPort({ ...host, xen, dom0MiB: 1024 });
  const before = [0, 1].map((n) => port.hv.heap.nodeAvailPages(n));
  const out = await libxlDomainCreate(port, { config: parsed.config, claimMode, version: xen });
  const used = [0, 1].map((n) => before[n]! - port.hv.heap.nodeAvailPages(n));
  const populates = port.callsOf('XENMEM_populate_physmap').map((c) => c.args.mem_flags as number);
  return { port, out, used, populates };
}

/** Pages per node after a two-vnode build of 1 GiB each: exact except for the 0xA0 low pages. */
function expectPlacement(used: number[]): void {
  expect(used[0]! + used[1]!).toBe(524288 - 2048 - 32);
  expect(used[1]! - 262144).toBeGreaterThanOrEqual(0);
  expect(used[1]! - 262144).toBeLessThanOrEqual(0xa0);
}

const hvm = (vnuma: string, extra = '') => `name="v"\ntype="hvm"\nmemory=2048\n${extra}vnuma=[ ${vnuma} ]\n`;

describe('a vNUMA HVM guest on 4.22: the legacy claim, each range on its pnode', () => {
  it('claims target - VGA hole host-wide, then populates vnode 1 with XENMEMF_exact_node(1) only on node 1', async () => {
    const r = await build(hvm(TWO));
    expect(r.out.rc).toBe(0);
    expect(r.out.claims).toEqual([{ pages: 524288 - 2048 - 32, rc: 0 }, { pages: 0, rc: 0 }]);
    expect(r.out.claimSets).toEqual([]);
    // vnode 1's 1 GiB all on node 1, vnode 0's (1 GiB - 8 MiB video - the VGA hole) on node 0,
    // except the first 0xA0 pages, which go wherever the heap puts a no-node request.
    expectPlacement(r.used);
    // The first 0xA0 pages go without a node (memflags 0); every other call names its node exactly.
    expect(r.populates[0]).toBe(0);
    expect(new Set(r.populates.slice(1))).toEqual(new Set([0x20100, 0x20200]));
    expect(hvPhysinfo(r.port.hv).outstanding_pages).toBe(0);
  });

  it('a vnode larger than its node fails while populating (the host-wide claim did not see it coming)', async () => {
    const r = await build(hvm('["pnode=0","size=512","vcpus=0"], ["pnode=1","size=2560","vcpus=1"]', 'maxvcpus=2\n').replace('memory=2048', 'memory=3072'), '4.22', { memoryMiB: 4096, nodes: 2 });
    expect(r.out.rc).toBe(-3);
    expect(r.out.claims[0]!.rc).toBe(0);
    // It got as far as node 1 and ran out there (the domain is destroyed again after).
    const node1 = r.port.callsOf('XENMEM_populate_physmap').filter((c) => c.args.mem_flags === 0x20200);
    expect(node1.some((c) => c.rc < (c.args.nr_extents as number))).toBe(true);
  });
});

describe('PROPOSED on 4.22+claim-sets: one claim set, an entry per physical node', () => {
  it('stakes {node 0: its ranges - VGA hole, node 1: its ranges} with XEN_DOMCTL_claim_memory instead of XENMEM_claim_pages', async () => {
    const r = await build(hvm(TWO), '4.22+claim-sets');
    expect(r.out.rc).toBe(0);
    expect(r.out.claimSets).toEqual([{ entries: [{ node: 0, pages: 262144 - 2048 - 32 }, { node: 1, pages: 262144 }], rc: 0 }]);
    expect(r.out.claims).toEqual([{ pages: 0, rc: 0 }]); // only meminit_hvm's cancel at out:
    expectPlacement(r.used);
    expect(hvPhysinfo(r.port.hv).outstanding_pages).toBe(0);
  });

  it('two vnodes on one pnode make one entry with their sum', async () => {
    const r = await build(hvm('["pnode=1","size=1024","vcpus=0"], ["pnode=1","size=1024","vcpus=1"]'), '4.22+claim-sets');
    expect(r.out.claimSets[0]!.entries).toEqual([{ node: 1, pages: 524288 - 2048 - 32 }]);
  });

  it('a vnode larger than its node is refused up front (-ENOMEM), before anything is populated', async () => {
    const r = await build(hvm('["pnode=0","size=512","vcpus=0"], ["pnode=1","size=2560","vcpus=1"]').replace('memory=2048', 'memory=3072'), '4.22+claim-sets', { memoryMiB: 4096, nodes: 2 });
    expect(r.out.rc).toBe(-3);
    expect(r.out.claimSets.map((c) => c.rc)).toEqual([-ENOMEM]);
    expect(r.populates).toEqual([]);
    expect(r.out.stderr.join('')).toContain('xc_dom_boot_mem_init failed: Cannot allocate memory');
  });

  it('without vNUMA, or with claim_mode=0, nothing changes: the legacy claim, or none', async () => {
    const plain = await build('name="p"\ntype="hvm"\nmemory=1024\n', '4.22+claim-sets');
    expect([plain.out.claimSets, plain.out.claims[0]]).toEqual([[], { pages: 260064, rc: 0 }]);
    const off = await build(hvm(TWO), '4.22+claim-sets', { memoryMiB: 8192, nodes: 2 }, 0);
    expect([off.out.rc, off.out.claimSets, off.out.claims]).toEqual([0, [], [{ pages: 0, rc: 0 }]]);
  });
});

describe('libxl refuses what it cannot build', () => {
  it('PV vNUMA (27524b5e15): libxl__domain_config_setdefault, ERROR_INVAL, no domain made', async () => {
    for (const [xen, line] of [['4.22', 1219], ['4.21', 1217], ['4.13', 1034]] as const) {
      const r = await build(`name="p"\nmemory=2048\nvnuma=[ ${TWO} ]\n`, xen);
      expect([r.out.rc, r.out.domid, r.out.stderr]).toEqual([-6, undefined, [`libxl: error: libxl_create.c:${line}:libxl__domain_config_setdefault: PV vNUMA is not yet supported\n`]]);
      expect(r.port.callsOf('XEN_DOMCTL_createdomain')).toEqual([]);
    }
  });

  it('PoD with vNUMA (memory below the vnodes\' sum)', async () => {
    const r = await build(hvm(TWO).replace('memory=2048', 'memory=1024'));
    expect([r.out.rc, r.out.stderr]).toEqual([-6, ['libxl: error: libxl_create.c:1209:libxl__domain_config_setdefault: Cannot enable PoD and vNUMA at the same time\n']]);
  });

  it('vnode 0 smaller than the video RAM: vmemrange build fails (-6), the domain is destroyed', async () => {
    const r = await build(hvm('["size=4","vcpus=0"], ["size=2044","vcpus=1"]'));
    expect(r.out.rc).toBe(-3);
    expect(r.out.stderr).toEqual([
      'libxl: error: libxl_vnuma.c:284:libxl__vnuma_build_vmemrange_hvm: Domain 1:vnode 0 too small to contain video ram\n',
      'libxl: error: libxl_dom.c:1191:libxl__build_hvm: hvm build vmemranges failed\n',
      'libxl: error: libxl_create.c:1653:domcreate_rebuild_done: Domain 1:cannot (re-)build domain: -6\n',
    ]);
    expect(r.port.hv.domain(1)).toBeUndefined();
  });

  it.each([
    ['a vnode without a size', '["size=2048","vcpus=0"], ["vcpus=1"]', 'Amount of memory mismatch (0x1fffff != 0x200000)'],
    ['a vCPU in no vnode', '["size=1024","vcpus=0"], ["size=1024","vcpus=2"]', 'Vcpu 1 is not assigned to any vnode'],
    ['a vCPU in two vnodes', '["size=1024","vcpus=0-1"], ["size=1024","vcpus=1"]', 'Vcpu 1 assigned more than once'],
    ['a remote distance below the local one', '["size=1024","vcpus=0","vdistances=20,10"], ["size=1024","vcpus=1"]', "Distance from 0 to 1 smaller than 0's local distance"],
  ])('libxl__vnuma_config_check: %s (ERROR_VNUMA_CONFIG_INVALID)', async (_, vnuma, message) => {
    const maxvcpus = vnuma.includes('vcpus=0-1') ? 'maxvcpus=3\n' : 'maxvcpus=2\n';
    const r = await build(hvm(vnuma, maxvcpus).replace('memory=2048\n', ''));
    const line = { 'Amount': 121, Vcpu: message.includes('more than once') ? 134 : 142, Distance: 196 }[message.split(' ')[0] as 'Amount' | 'Vcpu' | 'Distance'];
    expect(r.out.stderr).toEqual([
      `libxl: error: libxl_vnuma.c:${line}:libxl__vnuma_config_check: ${message}\n`,
      'libxl: error: libxl_create.c:1653:domcreate_rebuild_done: Domain 1:cannot (re-)build domain: -20\n',
    ]);
  });

  it('the HVM vmemranges split at the MMIO hole: a 4 GiB vnode 1 continues above 4 GiB on its node', async () => {
    const r = await build(hvm('["pnode=0","size=1024","vcpus=0"], ["pnode=1","size=3584","vcpus=1"]').replace('memory=2048', 'memory=4608'), '4.22+claim-sets', { memoryMiB: 16384, nodes: 2 });
    expect(r.out.rc).toBe(0);
    const gpfns = r.port.callsOf('XENMEM_populate_physmap').filter((c) => (c.args.mem_flags as number) === 0x20200).map((c) => (c.args.extent_start as number[])[0]!);
    expect(Math.min(...gpfns)).toBe(262144 - 2048);
    expect(gpfns.some((g) => g >= 0x100000)).toBe(true);
    expect(gpfns.some((g) => g >= 0xf0000 && g < 0x100000)).toBe(false);
    expect(r.used[1]! - 3584 * 256).toBeLessThanOrEqual(0xa0);
    expect(r.used[1]! - 3584 * 256).toBeGreaterThanOrEqual(0);
  });
});

describe('meminit_pv over vmemranges (xg_dom_x86.c; libxl never hands PV guests any)', () => {
  it('populates each range on its pnode; a failure names the range and the node "(v=%d, p=%d)"', async () => {
    const port = new DirectPort({ memoryMiB: 2048, nodes: 2, xen: '4.22', dom0MiB: 256 });
    const made = port.hv.hypercall(0, 'XEN_DOMCTL_createdomain', { name: 'p' });
    const domid = made.domid as number;
    port.hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: 4 * 1024 * 1024 });
    const stderr: string[] = [];
    const xc = new Xc(port, toolstackBugs('4.22'), stderr);
    const rc = await meminitPv({
      xc, domid, version: '4.22', bugs: toolstackBugs('4.22'), sites: SOURCE_SITES['4.22'], claimEnabled: false,
      totalPages: 65536 + 300000, targetPages: 0, deviceModel: false, superpages: false, claimSets: false,
      vmemranges: [{ start: 0, end: 65536, nid: 0 }, { start: 65536, end: 65536 + 300000, nid: 1 }], vnodeToPnode: [0, 1],
    });
    expect(rc).toBe(-1);
    // Node 1 has 1 GiB (262144 pages) in all: vnode 1's 300000 pages cannot fit there.
    expect(port.hv.domain(domid)!.totPages).toBe(65536 + 262144);
    expect(stderr).toEqual(['xc: error: panic: xg_dom_x86.c:1297: meminit_pv: failed to allocate 0x493e0 pages (v=1, p=1): Internal error\n']);
  });
});

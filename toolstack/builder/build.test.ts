// libxl's domain creation around the build (libxl_create.c, libxl_dom.c, libxl_domain.c at
// RELEASE-4.22.0) and libxl_list_domain / libxl_domain_info: what the Stryker run of
// docs/mutation.md found untested — a refused createdomain, the duplicate-name check, the
// xenstore nodes written after a build, the UUID and start_time texts, the list walk per version.

import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../../hv/errno.ts';
import { XEN_DOMINF } from '../../hv/ops.ts';
import type { XenVersion } from '../../hv/version.ts';
import { parseDomainConfig } from '../domain-config.ts';
import { DirectPort } from '../test-support/direct-port.ts';
import { libxlDomainCreate, startTimeText, vmUuid } from './build.ts';
import { domainInfo, isDying, listDomains, physinfo } from './domain-info.ts';
import { claimSetFor, vnumaBuildHvm, vnumaConfigCheck, vnumaSetdefaultError } from './vnuma.ts';

function config(text: string, xen: XenVersion = '4.22') {
  const r = parseDomainConfig(text, 't.cfg', [], { version: xen, host: { nrNodes: 2, nrCpus: 8 } });
  if (!r.ok) throw new Error(r.stderr.join(''));
  return r.config;
}

const create = (port: DirectPort, text: string, xen: XenVersion = '4.22') =>
  libxlDomainCreate(port, { config: config(text, xen), claimMode: 1, version: xen });

describe('libxl__domain_make and libxl__domain_rename', () => {
  it('a refused XEN_DOMCTL_createdomain: "cannot make domain: -3", ERROR_FAIL, no domain', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    port.intercept = (op) => (op === 'XEN_DOMCTL_createdomain' ? { rc: -ENOMEM } : undefined);
    const out = await create(port, 'name="g"\nmemory=64\n');
    expect(out.rc).toBe(-3);
    expect(out.domid).toBeUndefined();
    expect(out.stderr).toEqual(['libxl: error: libxl_create.c:1293:initiate_domain_create: cannot make domain: -3\n']);
    expect(port.callsOf('XEN_DOMCTL_max_mem')).toEqual([]);
  });

  it('createdomain gets the name, type and max_vcpus of the config', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    const out = await create(port, 'name="h"\ntype="pvh"\nmemory=64\nvcpus=3\n');
    expect(port.callsOf('XEN_DOMCTL_createdomain')[0]!.args).toEqual({ name: 'h', type: 'pvh', max_vcpus: 3 });
    expect(port.hv.domain(out.domid!)!.name).toBe('h');
  });

  it('a second domain of a live name is refused after it was made, and destroyed: ERROR_FAIL', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    const first = await create(port, 'name="g"\nmemory=64\n');
    expect(first.rc).toBe(0);
    const second = await create(port, 'name="g"\nmemory=64\n');
    expect(second.rc).toBe(-3);
    expect(second.stderr).toEqual([
      `libxl: error: libxl_domain.c:447:libxl__domain_rename: Domain ${second.domid}:Domain with name "g" already exists.\n`,
      `libxl: error: libxl_create.c:1293:initiate_domain_create: Domain ${second.domid}:cannot make domain: -6\n`,
    ]);
    expect(port.hv.domain(second.domid!)).toBeUndefined();
    expect(port.hv.domain(first.domid!)!.name).toBe('g');
    expect(port.callsOf('XEN_DOMCTL_destroydomain').map((c) => c.args)).toEqual([{ domid: second.domid }]);
    // Another name goes through.
    expect((await create(port, 'name="other"\nmemory=64\n')).rc).toBe(0);
  });
});

describe('after a successful build (libxl__build_post, libxl__domain_make)', () => {
  it('writes name, memory/static-max, target (minus video) and videoram in KiB, vm and its start_time', async () => {
    const port = new DirectPort({ memoryMiB: 2048, xen: '4.22', dom0MiB: 256 });
    port.hv.advanceClockTo(12_345_678_901);
    const out = await create(port, 'name="h"\ntype="hvm"\nmemory=512\nmaxmem=768\n');
    expect(out.rc).toBe(0);
    const home = `/local/domain/${out.domid}`;
    const vm = port.xenstore.get(`${home}/vm`)!;
    expect(vm).toMatch(/^\/vm\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Object.fromEntries([...port.xenstore].filter(([k]) => k.startsWith(home) || k.startsWith(vm)))).toEqual({
      [`${home}/name`]: 'h',
      [`${home}/memory/static-max`]: String(768 * 1024),
      [`${home}/memory/target`]: String(512 * 1024 - 8 * 1024),
      [`${home}/memory/videoram`]: String(8 * 1024),
      [`${home}/vm`]: vm,
      [`${vm}/start_time`]: '12.34', // gettimeofday right after libxl__build_pre (virtual time)
    });
  });

  it('keeps the vNUMA nodes under /vm/<uuid>/memsim/vnuma_nodes only for a vNUMA guest', async () => {
    const port = new DirectPort({ memoryMiB: 8192, nodes: 2, xen: '4.22', dom0MiB: 1024 });
    const plain = await create(port, 'name="p"\ntype="hvm"\nmemory=64\n');
    const vnuma = await create(port, 'name="v"\ntype="hvm"\nmemory=2048\nvnuma=[ ["pnode=0","size=1024","vcpus=0","vdistances=10,20"], ["pnode=1","size=1024","vcpus=1","vdistances=20,10"] ]\n');
    expect(vnuma.rc).toBe(0);
    const nodesOf = (domid: number) => [...port.xenstore.keys()].filter((k) => k.startsWith(port.xenstore.get(`/local/domain/${domid}/vm`)!) && k.endsWith('/memsim/vnuma_nodes'));
    expect(nodesOf(plain.domid!)).toEqual([]);
    expect(nodesOf(vnuma.domid!)).toHaveLength(1);
  });

  it('vmUuid: the domid as 8 hex digits, then the creation time in ns as the UUID\'s version-4 layout', () => {
    expect(vmUuid(0x1f, 0x123456789abcd)).toBe('0000001f-0000-4000-8001-23456789abcd');
    expect(vmUuid(0x7fef, 2 ** 53 - 1)).toBe('00007fef-0000-4000-801f-ffffffffffff');
    expect(vmUuid(5, 0)).toBe('00000005-0000-4000-8000-000000000000');
  });

  it('startTimeText: "%jd.%02d" of seconds and hundredths', () => {
    expect(startTimeText(12_345_678_901)).toBe('12.34');
    expect(startTimeText(3_050_000_000)).toBe('3.05');
    expect(startTimeText(0)).toBe('0.00');
  });
});

describe('vNUMA HVM guests around the MMIO hole (libxl__build_hvm: lowmem_end = min(RAM, mmio_start))', () => {
  it('vmemranges stop at the hole and resume at 4 GiB: nothing is populated inside it', async () => {
    const port = new DirectPort({ memoryMiB: 16384, nodes: 2, xen: '4.22', dom0MiB: 1024 });
    const out = await create(port, 'name="v"\ntype="hvm"\nmemory=5120\nvnuma=[ ["pnode=0","size=2560","vcpus=0","vdistances=10,20"], ["pnode=1","size=2560","vcpus=1","vdistances=20,10"] ]\n');
    expect(out.rc).toBe(0);
    const pages = port.callsOf('XENMEM_populate_physmap').flatMap((c) => {
      const order = c.args.extent_order as number;
      return (c.args.extent_start as number[]).slice(0, Math.max(0, c.rc)).map((g) => [g, g + 2 ** order] as const);
    });
    expect(pages.filter(([lo, hi]) => hi > 0xf0000 && lo < 0x100000)).toEqual([]);
    expect(pages.some(([lo]) => lo >= 0x100000)).toBe(true);
    expect(port.hv.domain(out.domid!)!.totPages).toBe((5120 - 8) * 256 - 0x20);
  });

  it('a version before 4.6 has no vnuma_nodes: the build is the plain one', async () => {
    const port = new DirectPort({ memoryMiB: 8192, nodes: 2, xen: '4.3', dom0MiB: 1024 });
    const cfg = config('name="v"\ntype="hvm"\nmemory=2048\nvnuma=[ ["pnode=0","size=1024","vcpus=0","vdistances=10,20"], ["pnode=1","size=1024","vcpus=1","vdistances=20,10"] ]\n');
    const out = await libxlDomainCreate(port, { config: cfg, claimMode: 1, version: '4.3' });
    expect(out.rc).toBe(0);
    expect(port.callsOf('XEN_SYSCTL_numainfo')).toEqual([]);
    expect(port.callsOf('XENMEM_populate_physmap').every((c) => (c.args.mem_flags ?? 0) === 0)).toBe(true);
  });
});

describe('libxl_list_domain, libxl_domain_info, libxl_get_physinfo', () => {
  const versions: XenVersion[] = ['4.3', '4.13', '4.21.2', '4.22'];

  it.each(versions)('on %s lists every domain in domid order, past a gap', async (xen) => {
    const port = new DirectPort({ memoryMiB: 1024, xen, dom0MiB: 256 });
    const ids = [1, 2, 3].map(() => port.hv.hypercall(0, 'XEN_DOMCTL_createdomain', { name: 'x' }).domid as number);
    port.hv.hypercall(0, 'XEN_DOMCTL_destroydomain', { domid: ids[1] });
    expect((await listDomains(port, xen)).map((d) => d.domid)).toEqual([0, ids[0], ids[2]]);
    expect((await domainInfo(port, ids[2]!))?.domid).toBe(ids[2]);
    // 4.3 and 4.13 answer the next domain up for a missing one: libxl_domain_info checks the id.
    expect(await domainInfo(port, ids[1]!)).toBeUndefined();
    expect(await domainInfo(port, 0x7000)).toBeUndefined();
  });

  it('a refused or malformed getdomaininfolist batch ends the list', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    port.intercept = (op) => (op === 'XEN_SYSCTL_getdomaininfolist' ? { rc: -ENOMEM } : undefined);
    expect(await listDomains(port, '4.22')).toEqual([]);
    port.intercept = (op) => (op === 'XEN_SYSCTL_getdomaininfolist' ? { rc: 0, domains: 'x' } : undefined);
    expect(await listDomains(port, '4.22')).toEqual([]);
    port.intercept = undefined;
    expect((await listDomains(port, '4.22')).map((d) => d.domid)).toEqual([0]);
  });

  it('physinfo is XEN_SYSCTL_physinfo; isDying reads XEN_DOMINF_dying', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    const p = await physinfo(port);
    expect(p.total_pages).toBe(1024 * 256);
    const info = (await domainInfo(port, 0))!;
    expect(isDying(info)).toBe(false);
    expect(isDying({ ...info, flags: info.flags | XEN_DOMINF.dying })).toBe(true);
  });
});

describe('libxl__vnuma_config_check on vmemranges and vnodes given directly (libxl_vnuma.c)', () => {
  const base = config('name="v"\ntype="hvm"\nmemory=2048\nvnuma=[ ["pnode=0","size=1024","vcpus=0","vdistances=10,20"], ["pnode=1","size=1024","vcpus=1","vdistances=20,10"] ]\n');
  const GiB = 1n << 30n;
  const ok = [{ start: 0n, end: GiB, nid: 0 }, { start: GiB, end: 2n * GiB, nid: 1 }];
  const line = (n: number, msg: string) => `libxl: error: libxl_vnuma.c:${n}:libxl__vnuma_config_check: ${msg}\n`;

  it('a pnode equal to the host\'s node count is invalid; one below it is not', () => {
    expect(vnumaConfigCheck(base, ok, 2, '4.22')).toBeUndefined();
    expect(vnumaConfigCheck(base, ok, 1, '4.22')).toBe(line(113, 'Invalid pnode 1 specified'));
  });

  it('ranges are checked sorted by start: given in reverse order they pass; end < start and overlaps do not', () => {
    expect(vnumaConfigCheck(base, [ok[1]!, ok[0]!], 2, '4.22')).toBeUndefined();
    expect(vnumaConfigCheck(base, [ok[0]!, { start: 3n * GiB, end: 2n * GiB, nid: 1 }], 2, '4.22')).toBe(line(170, 'Vmemrange end < start'));
    expect(vnumaConfigCheck(base, [{ start: GiB, end: GiB, nid: 0 }, ...ok], 2, '4.22')).toBeUndefined(); // empty, touching
    expect(vnumaConfigCheck(base, [{ start: GiB / 2n, end: GiB + 1n, nid: 1 }, ok[0]!], 2, '4.22'))
      .toBe(line(177, 'Vmemranges overlapped, 0x0-0x40000000, 0x20000000-0x40000001'));
    expect(vnumaConfigCheck(base, [ok[1]!, { start: 3n * GiB, end: 4n * GiB, nid: 1 }, { start: GiB / 2n, end: GiB + 1n, nid: 0 }], 2, '4.22'))
      .toBe(line(177, 'Vmemranges overlapped, 0x20000000-0x40000001, 0x40000000-0x80000000'));
  });

  it('vCPU bits beyond the cpumap (max_vcpus rounded up to whole bytes) are ignored, within it they count', () => {
    const nodes = base.vnumaNodes;
    const withVcpus = (v0: number[], v1: number[], maxVcpus: number) =>
      ({ ...base, maxVcpus, vnumaNodes: [{ ...nodes[0]!, vcpus: v0 }, { ...nodes[1]!, vcpus: v1 }] });
    // max_vcpus 2: an 8-bit map; bit 8 is outside it, bit 7 inside (and twice: refused).
    expect(vnumaConfigCheck(withVcpus([0, 8], [1, 8], 2), ok, 2, '4.22')).toBeUndefined();
    expect(vnumaConfigCheck(withVcpus([0, 7], [1, 7], 2), ok, 2, '4.22')).toBe(line(134, 'Vcpu 7 assigned more than once'));
    // max_vcpus 9: a 16-bit map, so bit 8 counts and must be somewhere.
    expect(vnumaConfigCheck(withVcpus([0, 1, 2, 3], [4, 5, 6, 7], 9), ok, 2, '4.22')).toBe(line(142, 'Vcpu 8 is not assigned to any vnode'));
    expect(vnumaConfigCheck(withVcpus([0, 1, 2, 3, 15], [4, 5, 6, 7, 8, 15], 9), ok, 2, '4.22')).toBe(line(134, 'Vcpu 15 assigned more than once'));
  });

  it('distances: every remote one is compared with the local one, and only the vnodes\' own', () => {
    const nodes = base.vnumaNodes;
    const dist = (d0: number[], d1: number[]) => ({ ...base, vnumaNodes: [{ ...nodes[0]!, distances: d0 }, { ...nodes[1]!, distances: d1 }] });
    expect(vnumaConfigCheck(dist([10, 10], [10, 10]), ok, 2, '4.22')).toBeUndefined();
    expect(vnumaConfigCheck(dist([10, 20], [20, 25]), ok, 2, '4.22')).toBe(line(196, "Distance from 1 to 0 smaller than 1's local distance"));
    expect(vnumaConfigCheck(dist([10, 20], [20, 10]), ok, 2, '4.22')).toBeUndefined();
  });

  it('4.13 names libxl_vnuma.c two lines further down', () => {
    expect(vnumaConfigCheck(base, ok, 1, '4.13')).toBe(line(115, 'Invalid pnode 1 specified'));
  });
});

describe('claimSetFor (PROPOSED per-node claim of a vNUMA build)', () => {
  it('one entry per pnode, ascending, the VGA hole off the range at gpfn 0 only', () => {
    expect(claimSetFor([{ startPfn: 0, pages: 1000, pnode: 3 }, { startPfn: 1000, pages: 500, pnode: 1 }, { startPfn: 1500, pages: 10, pnode: 3 }], 0x20))
      .toEqual([{ node: 1, pages: 500 }, { node: 3, pages: 1000 - 0x20 + 10 }]);
    // A range at 0 that ends inside the hole loses only the part of the hole it has.
    expect(claimSetFor([{ startPfn: 0, pages: 0xb0, pnode: 0 }], 0x20)).toEqual([{ node: 0, pages: 0xa0 }]);
  });
});

describe('more edges of the build', () => {
  it('an errno with no strerror text is "Unknown error N" in libxl\'s report', async () => {
    const port = new DirectPort({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
    port.intercept = (op, a) => (op === 'XENMEM_claim_pages' && a.nr_extents !== 0 ? { rc: -200 } : undefined);
    const out = await create(port, 'name="g"\nmemory=64\n');
    expect(out.stderr[1]).toBe('libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Unknown error 200\n');
  });

  it('a PV guest with vNUMA is refused as PV even with maxmem above memory (pod_enabled needs a non-PV type)', () => {
    const pv = { ...config('name="g"\nmemory=1024\nmaxmem=2048\n'), vnumaNodes: config('name="v"\ntype="hvm"\nmemory=2048\nvnuma=[ ["size=1024","vcpus=0"], ["size=1024","vcpus=1"] ]\n').vnumaNodes };
    expect(vnumaSetdefaultError(pv, '4.22')).toBe('libxl: error: libxl_create.c:1219:libxl__domain_config_setdefault: PV vNUMA is not yet supported\n');
  });

  it('asking 4.3 for its vNUMA message lines is a programmer error (xl ignores the key there)', () => {
    const cfg = config('name="v"\ntype="hvm"\nmemory=2048\nvnuma=[ ["size=1024","vcpus=0"], ["size=1024","vcpus=1"] ]\n');
    expect(() => vnumaSetdefaultError(cfg, '4.3')).toThrow('vNUMA: Xen 4.3 has no vNUMA (xl ignores the key)');
  });

  it('a vnode 0 exactly the size of the video RAM is allowed and gets no range (`memkb < video_memkb` refuses)', () => {
    const cfg = config('name="v"\ntype="hvm"\nvnuma=[ ["size=8","vcpus=0"], ["size=1024","vcpus=1"] ]\n');
    const built = vnumaBuildHvm(cfg, 1, 2, 3840n << 20n, '4.22');
    expect(built.ok).toBe(true);
    if (built.ok) expect(built.vmemranges).toEqual([{ start: 0n, end: 1024n << 20n, nid: 1 }]);
  });

  it.each(['4.3', '4.13', '4.21.2', '4.22'] as const)('on %s the list is walked with the op the version\'s traces record', async (xen) => {
    const port = new DirectPort({ memoryMiB: 1024, xen, dom0MiB: 256 });
    await listDomains(port, xen);
    const exact = xen === '4.21.2' || xen === '4.22';
    expect(port.callsOf('XEN_SYSCTL_getdomaininfolist').length > 0).toBe(exact);
    expect(port.callsOf('XEN_DOMCTL_getdomaininfo').length > 0).toBe(!exact);
  });
});

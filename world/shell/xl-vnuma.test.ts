// vNUMA guests through xl (tools/xl/xl_parse.c parse_vnuma_config at RELEASE-4.22.0): the dry
// run prints libxl's vnuma_nodes as json-c writes them, xl create builds each vnode on its pnode
// (on 4.22+claim-sets with one claim set per physical node: PROPOSED, not upstream), and
// `xl list -l` shows the vnodes of the running domain.

import { describe, expect, it } from 'vitest';
import type { XenVersion } from '../../hv/version.ts';
import { XlHost, type CommandResult } from './host.ts';

const out = (r: CommandResult, s: 'stdout' | 'stderr'): string => r.writes.filter((w) => w.stream === s).map((w) => w.text).join('');
const V = {
  'v.cfg': 'name="v"\ntype="hvm"\nmemory=1024\nvnuma=[ ["pnode=0","size=512","vcpus=0","vdistances=10,21"],\n  ["pnode=1","size=512","vcpus=1","vdistances=21,10"] ]\n',
};
const NODES_JSON = [
  { memkb: 524288, distances: [10, 21], vcpus: [0] },
  { memkb: 524288, distances: [21, 10], pnode: 1, vcpus: [1] },
];
const host = (xen: XenVersion) => new XlHost({ memoryMiB: 4096, xen, nodes: 2 });

describe('xl and vNUMA', () => {
  it('xl -N create prints numa_placement False and vnuma_nodes between video_memkb and sched_params', async () => {
    const r = await host('4.22').xl(['-N', 'create', 'v.cfg'], V);
    expect(r.exitStatus).toBe(0);
    const json = out(r, 'stdout');
    const b = (JSON.parse(json) as { b_info: Record<string, unknown> }).b_info;
    expect(Object.keys(b)).toEqual(['max_vcpus', 'avail_vcpus', 'numa_placement', 'max_memkb', 'target_memkb', 'video_memkb', 'vnuma_nodes', 'sched_params']);
    expect([b.max_vcpus, b.numa_placement, b.vnuma_nodes]).toEqual([2, 'False', NODES_JSON]);
    expect(json).toContain('"vnuma_nodes":[\n      {\n        "memkb":524288,\n        "distances":[\n          10,\n          21\n        ],');
  });

  it('a bad vnode stops xl create with xl\'s message and status 1, after "Parsing config from"', async () => {
    const r = await host('4.22').xl(['create', 'b.cfg'], { 'b.cfg': 'name="b"\nvnuma=[ ["pnode=2"] ]\n' });
    expect([out(r, 'stderr'), r.exitStatus]).toEqual(['Parsing config from b.cfg\nxl: invalid pnode number: 2\n', 1]);
  });

  it.each(['4.22', '4.22+claim-sets'] as const)('on %s xl create builds it and xl list -l shows its vnodes', async (xen) => {
    const h = host(xen);
    const c = await h.xl(['create', 'v.cfg'], V);
    expect([out(c, 'stderr'), c.exitStatus]).toEqual(['Parsing config from v.cfg\n', 0]);
    const r = await h.xl(['list', '-l', 'v'], {});
    const [dom] = JSON.parse(out(r, 'stdout')) as Array<{ config: { b_info: Record<string, unknown> } }>;
    expect([dom!.config.b_info.numa_placement, dom!.config.b_info.vnuma_nodes]).toEqual(['False', NODES_JSON]);
    const claims = await h.xl(['info'], {});
    expect(out(claims, 'stdout')).toMatch(/outstanding_claims\s+: 0\n/);
  });

  it('PV vNUMA: libxl refuses before making the domain, xl exits 6 (ERROR_INVAL)', async () => {
    const r = await host('4.22').xl(['create', 'p.cfg'], { 'p.cfg': 'name="p"\nmemory=512\nvnuma=[ ["size=512","vcpus=0"] ]\n' });
    expect([out(r, 'stderr'), r.exitStatus]).toEqual([
      'Parsing config from p.cfg\nlibxl: error: libxl_create.c:1219:libxl__domain_config_setdefault: PV vNUMA is not yet supported\n', 6,
    ]);
  });
});

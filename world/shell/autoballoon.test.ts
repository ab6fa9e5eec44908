import { describe, expect, it } from 'vitest';
import { physinfo } from '../../hv/index.ts';
import { parseDomainConfig } from '../../toolstack/domain-config.ts';
import { domainNeedMemory } from '../../toolstack/freemem.ts';
import { XlHost, type CommandResult } from './host.ts';

const AUTOBALLOON_ON = { path: '/etc/xen/xl.conf', text: 'autoballoon="on"\n' };

function host(memoryMiB: number, dom0MiB: number, xlConfText?: string): XlHost {
  return new XlHost({ memoryMiB, dom0MiB, xen: '4.22', nodes: 1, xlConf: xlConfText === undefined ? AUTOBALLOON_ON : { path: '/etc/xen/xl.conf', text: xlConfText } });
}
const guest = (name: string, mib: number) => ({ argv: ['create', '-q', `${name}.cfg`], files: { [`${name}.cfg`]: `name="${name}"\nmemory=${mib}\n` } });
const stderr = (r: CommandResult) => r.writes.filter((w) => w.stream === 'stderr').map((w) => w.text).join('');
const dom0Target = (h: XlHost) => h.world.owner.xenstore.get('/local/domain/0/memory/target');
const domainNamed = (h: XlHost, name: string) => [...h.world.owner.hv.domains.values()].find((d) => d.name === name);

function cfg(text: string) {
  const r = parseDomainConfig(text, 't.cfg');
  if (!r.ok) throw new Error('bad cfg');
  return r.config;
}

describe('autoballoon (behaviours 46-49)', () => {
  it('free >= need: dom0 is left alone', async () => {
    const h = host(8192, 1024);
    const r = await h.xl(guest('g', 512).argv, guest('g', 512).files);
    expect(r.exitStatus).toBe(0);
    expect(dom0Target(h)).toBeUndefined();
    expect(h.world.owner.hv.domain(0)!.totPages).toBe(1024 * 256);
  });

  it('free < need: dom0 target is lowered by the shortfall and dom0 balloons down before the build', async () => {
    const h = host(2048, 1024);
    const before = physinfo(h.world.owner.hv).free_pages * 4;
    const r = await h.xl(guest('g', 1536).argv, guest('g', 1536).files);
    expect(stderr(r)).toBe('');
    expect(r.exitStatus).toBe(0);
    expect(Number(dom0Target(h))).toBe(1024 * 1024 + before - 1538 * 1024);
    expect(h.world.owner.hv.domain(0)!.totPages * 4).toBeLessThanOrEqual(Number(dom0Target(h)));
    expect(domainNamed(h, 'g')!.totPages).toBe(1536 * 256);
  });

  it('dom0 would drop below 128 MiB: failed to free memory for the domain, exit 3, nothing built', async () => {
    const h = host(2048, 1024);
    const r = await h.xl(guest('g', 2000).argv, guest('g', 2000).files);
    expect(r.exitStatus).toBe(3);
    expect(stderr(r)).toMatch(/^libxl: error: libxl_mem\.c:298:libxl_set_memory_target: Domain 0:New target \d+ for dom0 is below the minimum threshold\nfailed to free memory for the domain\n$/);
    expect(domainNamed(h, 'g')).toBeUndefined();
  });

  it('freemem ignores outstanding claims: it sees enough, does not balloon, and the claim then fails with ENOMEM', async () => {
    const h = host(8192, 1024);
    h.world.spawn({
      name: 'other-toolstack', kind: 'script', params: {
        steps: [
          { op: 'XEN_DOMCTL_createdomain', args: { name: 'other' } },
          { op: 'XEN_DOMCTL_max_mem', args: { domid: '$domid', max_memkb: 7000 * 1024 } },
          { op: 'XENMEM_claim_pages', args: { domid: '$domid', nr_extents: 6000 * 256 } },
        ],
      },
    });
    await h.world.runUntil(() => physinfo(h.world.owner.hv).outstanding_pages > 0);
    const r = await h.xl(guest('g', 2048).argv, guest('g', 2048).files);
    expect(r.exitStatus).toBe(3);
    expect(stderr(r)).toContain('xc_dom_boot_mem_init failed: Cannot allocate memory\n');
    expect(dom0Target(h)).toBeUndefined();
  });

  it('two xl creates with autoballoon on are serialised by the lock: the second balloons dom0 and both succeed', async () => {
    const h = host(4096, 2048);
    const [a, b] = await h.xlConcurrently([guest('a', 1024), guest('b', 1024)]);
    expect([a.exitStatus, b.exitStatus, stderr(a) + stderr(b)]).toEqual([0, 0, '']);
    expect(Number(dom0Target(h))).toBeLessThan(2048 * 1024);
  });

  it('autoballoon off: no lock, no check; of two racing creates the one whose claim no longer fits fails fast', async () => {
    const h = host(2048, 1024, 'autoballoon="off"\n');
    const results = await h.xlConcurrently([guest('a', 768), guest('b', 768)]);
    const statuses = results.map((r) => r.exitStatus).sort();
    expect(statuses).toEqual([0, 3]);
    const failed = results.findIndex((r) => r.exitStatus === 3);
    expect(stderr(results[failed])).toContain('Cannot allocate memory');
    const populatesByFailed = h.world.owner.trace.events.filter(
      (e) => e.k === 'arrive' && e.a === `xl-${failed + 1}` && (e.req as { op?: string }).op === 'XENMEM_populate_physmap');
    expect(populatesByFailed).toEqual([]);
    expect(dom0Target(h)).toBeUndefined();
  });
});

// The xl commands a lesson needs, through the shell's host: xl's global options, `create -n`,
// `list -l`, `info -n`, `pause`/`unpause`, `shutdown`, `domid` — in the forms xl 4.22 prints.

import { describe, expect, it } from 'vitest';
import { jsonCPretty } from '../../toolstack/xl/json-c.ts';
import { XlHost, type CommandResult } from './host.ts';

const host = (nodes = 1): XlHost => new XlHost({ memoryMiB: 2048, xen: '4.22', nodes });
const out = (r: CommandResult, s: 'stdout' | 'stderr'): string => r.writes.filter((w) => w.stream === s).map((w) => w.text).join('');
const G = { 'g.cfg': 'name="g"\nmemory=256\nmaxmem=512\nvcpus=2\nkernel="/boot/vmlinuz"\n' };

describe('xl global options', () => {
  it('-N on a command that cannot dry-run is refused; an unknown global option too; -v, -f, -t, -T are taken', async () => {
    const h = host();
    const n = await h.xl(['-N', 'list'], {});
    expect([out(n, 'stderr'), n.exitStatus]).toEqual(['command does not implement -N (dryrun) option\n', 1]);
    const x = await h.xl(['-x', 'list'], {});
    expect([out(x, 'stderr'), x.exitStatus]).toEqual(['unknown global option\n', 1]);
    for (const opts of [['-v'], ['-vv', '-f'], ['-tT'], ['--']]) {
      const r = await h.xl([...opts, 'list'], {});
      expect([r.exitStatus, out(r, 'stdout').split('\n')[0]]).toEqual([0, 'Name                                        ID   Mem VCPUs\tState\tTime(s)']);
    }
  });
});

describe('xl create -n / xl -N create: a dry run', () => {
  it('prints the parsed config as json-c writes it (no newline after it) and creates nothing', async () => {
    const h = host();
    for (const argv of [['create', '-n', 'g.cfg'], ['-N', 'create', 'g.cfg'], ['create', '--dryrun', 'g.cfg']]) {
      const r = await h.xl(argv, G);
      expect(r.exitStatus).toBe(0);
      const json = out(r, 'stdout').replace(/^Parsing config from g.cfg\n/, '');
      expect(json.endsWith('}')).toBe(true);
      const cfg = JSON.parse(json) as { c_info: { name: string; type: string }; b_info: Record<string, unknown> };
      expect(cfg.c_info).toEqual({ type: 'pv', name: 'g', run_hotplug_scripts: 'True' });
      expect(cfg.b_info).toMatchObject({ max_vcpus: 2, avail_vcpus: [0, 1], max_memkb: 512 * 1024, target_memkb: 256 * 1024, kernel: '/boot/vmlinuz' });
      expect(json).toContain('"kernel":"\\/boot\\/vmlinuz"');
    }
    const list = await h.xl(['list'], {});
    expect(out(list, 'stdout').trim().split('\n')).toHaveLength(2); // header and Domain-0: nothing created
  });

  it('json-c pretty: two spaces, no space after the colon, "/" escaped, empty containers as {} and []', () => {
    expect(jsonCPretty({ a: [1, { b: 'x/y' }], c: {}, d: [], e: null, f: 'q"\n' })).toBe(
      '{\n  "a":[\n    1,\n    {\n      "b":"x\\/y"\n    }\n  ],\n  "c":{},\n  "d":[],\n  "e":null,\n  "f":"q\\"\\n"\n}');
  });
});

describe('xl list -l', () => {
  it('prints each domain libxl built as {"domid","config"}; Domain 0 has no stored config (libxl says so on stderr)', async () => {
    const h = host();
    await h.xl(['create', 'g.cfg'], G);
    const r = await h.xl(['list', '-l'], {});
    expect(r.exitStatus).toBe(0);
    expect(out(r, 'stderr')).toBe('libxl: error: libxl_domain.c:2328:retrieve_domain_configuration_lock_acquired: Domain 0:Fail to get domain configuration\n');
    const text = out(r, 'stdout');
    expect(text.endsWith(']\n')).toBe(true);
    const doms = JSON.parse(text) as Array<{ domid: number; config: { c_info: { name: string }; b_info: { max_memkb: number; target_memkb: number } } }>;
    expect(doms.map((d) => [d.domid, d.config.c_info.name, d.config.b_info.max_memkb, d.config.b_info.target_memkb])).toEqual([[1, 'g', 512 * 1024, 256 * 1024]]);
    // One domain, by name: the same entry.
    const one = await h.xl(['list', '-l', 'g'], {});
    expect(JSON.parse(out(one, 'stdout'))).toEqual(doms);
  });
});

describe('xl info -n', () => {
  it('adds the CPU topology, the (empty) device topology and the NUMA table after the physinfo lines', async () => {
    const r = await host(2).xl(['info', '-n'], {});
    const lines = out(r, 'stdout').split('\n');
    const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
    expect(at('free_cpus')).toBeLessThan(at('cpu_topology'));
    expect(at('numa_info')).toBeLessThan(at('xen_major'));
    expect(lines.slice(at('cpu_topology'), at('cpu_topology') + 3)).toEqual(['cpu_topology           :', 'cpu:    core    socket     node', '  0:       0        0        0']);
    expect(lines[at('device topology')]).toBe('device topology        :');
    expect(lines[at('device topology') + 2]).toBe('No device topology data available');
    const nodes = lines.slice(at('numa_info') + 2, at('xen_major'));
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toMatch(/^ {3}0: {4} +\d+ {5} +\d+ {6}10,20$/);
    expect(nodes[1]).toMatch(/ 20,10$/);
    const total = nodes.reduce((n, l) => n + Number(l.trim().split(/\s+/)[1]), 0);
    expect(total).toBe(Number(/^total_memory\s*:\s*(\d+)/m.exec(out(r, 'stdout'))![1]));
  });
});

describe('xl pause, unpause, shutdown, domid', () => {
  it('pause and unpause show in xl list\'s state letters; domid answers the id or xl\'s message', async () => {
    const h = host();
    await h.xl(['create', 'g.cfg'], G);
    await h.xl(['pause', 'g'], {});
    const state = async (): Promise<string> => out(await h.xl(['list', 'g'], {}), 'stdout').split('\n')[1].trim().split(/\s+/)[4];
    expect(await state()).toBe('--p---');
    await h.xl(['unpause', '1'], {});
    expect(await state()).toBe('-b----');
    const id = await h.xl(['domid', 'g'], {});
    expect([out(id, 'stdout'), id.exitStatus]).toEqual(['1\n', 0]);
    const none = await h.xl(['domid', 'nosuch'], {});
    expect([out(none, 'stderr'), none.exitStatus]).toEqual(["Can't get domid of domain name 'nosuch', maybe this domain does not exist.\n", 1]);
    const bad = await h.xl(['pause', 'nosuch'], {});
    expect([out(bad, 'stderr'), bad.exitStatus]).toEqual(['nosuch is an invalid domain identifier (rc=-6)\n', 1]);
  });

  it('shutdown asks a PV guest through xenstore; without a domain it needs -a; an HVM guest without PV drivers cannot', async () => {
    const h = host();
    await h.xl(['create', 'g.cfg'], G);
    const r = await h.xl(['shutdown', 'g'], {});
    expect([out(r, 'stderr'), r.exitStatus]).toEqual(['Shutting down domain 1\n', 0]);
    expect(h.world.owner.xenstore.get('/local/domain/1/control/shutdown')).toBe('poweroff');
    const none = await h.xl(['shutdown'], {});
    expect([out(none, 'stderr'), none.exitStatus]).toEqual(['You must specify -a or a domain id.\n\n', 1]);
    await h.xl(['create', 'h.cfg'], { 'h.cfg': 'name="h"\ntype="hvm"\nmemory=64\n' });
    const hvm = await h.xl(['shutdown', 'h'], {});
    expect(out(hvm, 'stderr')).toBe('Shutting down domain 2\nPV control interface not available: external graceful shutdown not possible.\nUse "-F" to fallback to ACPI power event.\nshutdown failed (rc=-8)\n');
    expect(hvm.exitStatus).toBe(1);
  });
});

describe('xl uptime, on the shell host', () => {
  it('dom0 has been up since the host booted, the guest since its build; -s prints the virtual time of day', async () => {
    const h = host();
    await h.sleep(50);
    expect((await h.xl(['create', 'g.cfg'], G)).exitStatus).toBe(0);
    await h.sleep(70);
    const r = await h.xl(['uptime'], {});
    expect(r.exitStatus).toBe(0);
    const lines = out(r, 'stdout').split('\n');
    expect(lines[0]).toBe('Name                                ID Uptime');
    // The build takes a fraction of a second of virtual time: dom0 is up 2:00 (or 2:01), g 1:10.
    expect(lines[1]).toMatch(/^Domain-0 {29}0  0:02:0[01]$/);
    expect(lines[2]).toMatch(/^g {36}1  0:01:1[01]$/);
    expect(lines.slice(3)).toEqual(['']);
    const s = await h.xl(['uptime', '-s', 'g'], {});
    expect(out(s, 'stdout')).toMatch(/^ 00:02:0[01] up  0:01, g \(1\)\n$/);
  });
});

describe('xl dmesg, on the shell host', () => {
  it("after a claim_mode=0 build fails, memory.c's lines name each failed extent; -c prints and clears them", async () => {
    const h = new XlHost({ memoryMiB: 2048, xen: '4.22', nodes: 1, xlConf: { path: '/etc/xen/xl.conf', text: 'claim_mode=0\n' } });
    expect((await h.xl(['dmesg'], {})).writes).toEqual([]); // nothing printed yet at the points modelled
    const big = { 'big.cfg': 'name="big"\nmemory=1900\nvcpus=1\nkernel="/boot/vmlinuz"\n' };
    expect((await h.xl(['create', 'big.cfg'], big)).exitStatus).toBe(3);
    const r = await h.xl(['dmesg'], {});
    expect(r.exitStatus).toBe(0);
    const lines = out(r, 'stdout').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^\(XEN\) common\/memory\.c:362:d0v0 Could not allocate order=(0|9|18) extent: id=1 memflags=0 \(\d+ of \d+\)$/);
    const c = await h.xl(['dmesg', '-c'], {});
    expect(out(c, 'stdout')).toBe(out(r, 'stdout'));
    expect((await h.xl(['dmesg'], {})).writes).toEqual([]);
    const help = await h.xl(['dmesg', '-h'], {});
    expect(out(help, 'stdout')).toBe('Usage: xl [-v] dmesg [-c]\n\nRead and/or clear dmesg buffer.\n\nOptions:\n\n  -c                        Clear dmesg buffer as well as printing it\n');
  });
});

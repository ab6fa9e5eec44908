import { describe, expect, it } from 'vitest';
import type { XenVersion } from '../../hv/version.ts';
import { XlHost, type CommandResult } from './host.ts';
import { parseMemSizeKb } from '../../toolstack/xl/cmd-mem.ts';

function host(xen: XenVersion = '4.22', memoryMiB = 4096, xlConfText?: string): XlHost {
  return new XlHost({ memoryMiB, xen, nodes: 1, ...(xlConfText === undefined ? {} : { xlConf: { path: '/etc/xen/xl.conf', text: xlConfText } }) });
}
const out = (r: CommandResult, s: 'stdout' | 'stderr') => r.writes.filter((w) => w.stream === s).map((w) => w.text).join('');
const G = { 'g.cfg': 'name="g"\nmemory=256\n' };

describe('xl commands (golden)', () => {
  it('xl claims -h prints the usage with an empty Options block and exits 0', async () => {
    const r = await host().xl(['claims', '-h'], {});
    expect(out(r, 'stdout')).toBe('Usage: xl [-v] claims \n\nList outstanding claim information about all domains.\n\nOptions:\n\n\n');
    expect(r.exitStatus).toBe(0);
  });

  it("xl claims -x: option `x' not supported., exit 2", async () => {
    const r = await host().xl(['claims', '-x'], {});
    expect([out(r, 'stderr'), out(r, 'stdout'), r.exitStatus]).toEqual(["option `x' not supported.\n", '', 2]);
  });

  // xl create_domain: printf() in 4.3, fprintf(stderr, …) since d36a3734a6 (4.5.0).
  it.each([['4.3', 'stdout'], ['4.13', 'stderr'], ['4.21.2', 'stderr'], ['4.22', 'stderr']] as const)(
    'on %s xl create -q prints nothing; without -q it prints Parsing config from <file> to %s', async (xen, stream) => {
      const h = host(xen);
      const quiet = await h.xl(['create', '-q', 'g.cfg'], G);
      expect([out(quiet, 'stdout'), out(quiet, 'stderr'), quiet.exitStatus]).toEqual(['', '', 0]);
      const loud = await h.xl(['create', 'g.cfg', 'name="h"'], G);
      expect(out(loud, stream)).toBe('Parsing config from g.cfg\n');
      expect(out(loud, stream === 'stdout' ? 'stderr' : 'stdout')).not.toContain('Parsing config');
    });

  it('xl create overrides the file with key=value (memory=128 wins)', async () => {
    const h = host();
    await h.xl(['create', 'g.cfg', 'memory=128'], G);
    const r = await h.xl(['list', 'g'], {});
    expect(out(r, 'stdout').split('\n')[1]).toBe('g                                            1   128     1     -b----       0.0');
  });

  it('a duplicate name is refused by libxl and exits 3', async () => {
    const h = host();
    await h.xl(['create', '-q', 'g.cfg'], G);
    const r = await h.xl(['create', '-q', 'g.cfg'], G);
    expect(out(r, 'stderr')).toBe(
      'libxl: error: libxl_domain.c:447:libxl__domain_rename: Domain 2:Domain with name "g" already exists.\n' +
      'libxl: error: libxl_create.c:1293:initiate_domain_create: Domain 2:cannot make domain: -6\n');
    expect(r.exitStatus).toBe(3);
  });

  it('a config syntax error exits 1 after Parsing config from', async () => {
    const r = await host().xl(['create', 't.cfg'], { 't.cfg': 'memory = 1G\n' });
    expect(out(r, 'stdout')).toBe('');
    expect(out(r, 'stderr')).toBe("Parsing config from t.cfg\nt.cfg:1: config parsing error near `G': lexical error\nFailed to parse config: Invalid argument\n");
    expect(r.exitStatus).toBe(1);
  });

  it('a missing config file: Failed to read config file, exit 3', async () => {
    const r = await host().xl(['create', 'nope.cfg'], {});
    expect([out(r, 'stderr'), r.exitStatus]).toEqual(['Failed to read config file: nope.cfg: No such file or directory\n', 3]);
  });

  it('xl destroy removes the domain; destroying domain 0 is refused', async () => {
    const h = host();
    await h.xl(['create', '-q', 'g.cfg'], G);
    expect((await h.xl(['destroy', 'g'], {})).exitStatus).toBe(0);
    expect(out(await h.xl(['list', 'g'], {}), 'stderr')).toBe('g is an invalid domain identifier (rc=-6)\n');
    const d0 = await h.xl(['destroy', '0'], {});
    expect([out(d0, 'stderr'), d0.exitStatus]).toEqual(['Not destroying domain 0; use -f to force.\n\n', 1]);
  });

  it('xl info outstanding_claims and free_memory follow the hypervisor', async () => {
    const h = host('4.22', 4096);
    expect(out(await h.xl(['info', 'free_memory'], {}), 'stdout')).toBe('3583\n');
    await h.xl(['create', '-q', 'g.cfg'], G);
    expect(out(await h.xl(['info', 'free_memory'], {}), 'stdout')).toBe('3327\n');
    expect(out(await h.xl(['info', 'nosuch'], {}), 'stdout')).toBe('');
  });

  it('xl mem-set writes the target (KiB) and max_mem = target + 1 MiB; mem-max below the target fails', async () => {
    const h = host();
    await h.xl(['create', '-q', 'g.cfg'], G);
    expect((await h.xl(['mem-set', 'g', '128m'], {})).exitStatus).toBe(0);
    expect(h.world.owner.xenstore.get('/local/domain/1/memory/target')).toBe(String(128 * 1024));
    expect(h.world.owner.hv.domain(1)!.maxPages).toBe((128 * 1024 + 1024) / 4);
    const r = await h.xl(['mem-max', 'g', '64'], {});
    expect(r.exitStatus).toBe(1);
    expect(out(r, 'stderr')).toContain('cannot set domid 1 static max memory to : 64\n');
  });

  it('xl mem-set of dom0 below 128 MiB is refused by libxl', async () => {
    const r = await host().xl(['mem-set', '0', '100'], {});
    expect(out(r, 'stderr')).toBe('libxl: error: libxl_mem.c:298:libxl_set_memory_target: Domain 0:New target 102400 for dom0 is below the minimum threshold\n');
    expect(r.exitStatus).toBe(1);
  });

  it('unknown sub-commands, and tmem commands after 4.12: command not implemented, exit 1', async () => {
    const r = await host('4.22').xl(['tmem-list', '-a'], {});
    expect([out(r, 'stderr'), r.exitStatus]).toEqual(['command not implemented\n', 1]);
  });

  it('4.3 with tmem: tmem-list -a prints the G= line; tmem-freeable prints MiB', async () => {
    const h = host('4.3');
    const r = await h.xl(['tmem-list', '-a'], {});
    expect(out(r, 'stdout')).toMatch(/^G=Tt:\d+,Te:\d+,/);
    expect(r.exitStatus).toBe(0);
    expect(out(await h.xl(['tmem-freeable'], {}), 'stdout')).toBe('0\n');
    expect((await h.xl(['tmem-freeze', '-a'], {})).exitStatus).toBe(0);
  });

  it('xl.conf with a lexical error makes every command exit 1', async () => {
    const r = await host('4.22', 4096, 'claim_mode=-1\n').xl(['list'], {});
    expect(out(r, 'stderr')).toContain('Failed to parse config file: Invalid argument\n');
    expect([out(r, 'stdout'), r.exitStatus]).toEqual(['', 1]);
  });

  it('a guest config with memsim_workload starts a Linux kernel in the new domain', async () => {
    const h = host();
    await h.xl(['create', '-q', 'w.cfg'], { 'w.cfg': 'name="w"\nmemory=256\nmemsim_workload="idle"\n' });
    await h.sleep(2);
    expect(h.world.owner.actorNames()).toContain('linux:w:d1');
    expect(h.world.failure).toBeUndefined();
  });
});

describe('parse_mem_size_kb', () => {
  it('defaults to MiB and takes one unit letter', () => {
    expect([parseMemSizeKb('512'), parseMemSizeKb('1g'), parseMemSizeKb('2048k'), parseMemSizeKb('1048576b'), parseMemSizeKb('5mb')])
      .toEqual([524288, 1048576, 2048, 1024, -1]);
  });
});

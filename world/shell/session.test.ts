import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function shell(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['cli/bin.mjs', 'shell', ...args], { cwd: ROOT, encoding: 'utf8', input, timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const LIST_HEADER = 'Name                                        ID   Mem VCPUs\tState\tTime(s)';

describe('xen-memsim shell, as a new user runs it from the repository root', () => {
  it('runs scenarios/xl-session.xl and prints exactly what xl prints', () => {
    const r = shell(['scenarios/xl-session.xl']);
    expect(r.stdout).toBe([
      '8192',
      '7167',
      LIST_HEADER,
      'Domain-0                                     0  1024     8     -b----       0.1',
      'example.pvlinux                              1   128     2     -b----       0.0',
      'example.hvm                                  2  1015     2     -b----       0.0',
      `${LIST_HEADER}  Claimed`,
      'Domain-0                                     0  1024     8     -b----       0.1     0',
      'example.pvlinux                              1   128     2     -b----       0.0     0',
      'example.hvm                                  2  1015     2     -b----       0.0     0',
      '0',
      '7039',
      '0',
      '',
    ].join('\n'));
    // 4.22's xl writes "Parsing config from" to stderr (d36a3734a6, 4.5.0).
    expect(r.stderr).toBe([
      'Parsing config from scenarios/xlexample.pvlinux',
      'Parsing config from scenarios/xlexample.hvm',
      'Parsing config from scenarios/xlexample.pvhlinux',
      "xc: error: panic: xg_dom_boot.c:119: xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory",
      'libxl: error: libxl_dom.c:581:libxl__build_dom: xc_dom_boot_mem_init failed: Cannot allocate memory',
      'libxl: error: libxl_create.c:1653:domcreate_rebuild_done: Domain 3:cannot (re-)build domain: -3',
      'example.hvm is an invalid domain identifier (rc=-6)',
      '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('reads commands from piped stdin and exits with the last xl status', () => {
    const r = shell(['--memory', '2048', '--xen', '4.13'], 'xl info total_memory\n# a comment\nxl list 99\n');
    expect(r).toEqual({ stdout: '2048\n', stderr: "Error: Domain '99' does not exist.\n", status: 1 });
  });

  it('uses --xl-conf: claim_mode=0 makes xl claims warn, and xl.conf warnings name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlconf-'));
    const conf = join(dir, 'xl.conf');
    writeFileSync(conf, 'claim_mode=0\nautoballoon="maybe"\n');
    const r = shell(['--memory', '1024', '--xl-conf', conf], 'xl claims\n');
    expect(r.stderr).toBe('invalid autoballoon optionclaim_mode not enabled (see man xl.conf).\n');
    expect(r.stdout).toBe(`${LIST_HEADER}  Claimed\nDomain-0                                     0   128     8     -b----       0.0     0\n`);
    expect(r.status).toBe(0);
  });

  it('rejects a bad option with its usage and exit status 2', () => {
    const r = shell(['--xen', '5.0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^xen-memsim shell: --xen must be one of 4\.3, 4\.13, 4\.21, 4\.21\.2, 4\.22, 4\.22\+claim-sets \(got 5\.0\)\nusage: xen-memsim shell/);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PYTHON_WARNING } from './config/parser.ts';
import { autoballoonEnabled, readXlConf, XL_GLOBAL_CONFIG } from './xl-conf.ts';

const XL_CONF_EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'xl.conf');
const read = (text: string | undefined, version: '4.3' | '4.22' = '4.22') => readXlConf(text, XL_GLOBAL_CONFIG, version);

describe('xl.conf claim_mode', () => {
  it('warns about a missing file and runs with claim_mode 1 and autoballoon auto', () => {
    expect(read(undefined)).toEqual({
      conf: expect.objectContaining({ claimMode: 1, autoballoon: 'auto', lockfile: '/var/lock/xl' }),
      stderr: ['Failed to read config file: /etc/xen/xl.conf: No such file or directory\n'],
    });
  });

  it('defaults to 0 in Xen 4.3 and to 1 later', () => {
    expect(read('', '4.3').conf.claimMode).toBe(0);
    expect(read('', '4.22').conf.claimMode).toBe(1);
  });

  it.each([
    ['claim_mode=0\n', 0], ['claim_mode=1\n', 1], ['claim_mode=2\n', 2], ['claim_mode=0x1\n', 1],
  ])('%j reads silently as %i', (text, mode) => {
    expect(read(text)).toEqual({ conf: expect.objectContaining({ claimMode: mode }), stderr: [] });
  });

  it('warns about claim_mode="on" at its line and keeps the default', () => {
    const r = read('# xl.conf\n\nclaim_mode="on"\n');
    expect(r.stderr).toEqual(["/etc/xen/xl.conf:3: warning: parameter `claim_mode' is not a valid number\n"]);
    expect(r.conf.claimMode).toBe(1);
  });

  it('fails on claim_mode=-1 with the lexical error, Python hint and exit 1', () => {
    expect(read('claim_mode=-1\n')).toEqual({
      conf: expect.anything(),
      stderr: [
        "/etc/xen/xl.conf:1: config parsing error near `-1': lexical error\n",
        PYTHON_WARNING,
        'Failed to parse config file: Invalid argument\n',
      ],
      exitStatus: 1,
    });
  });

  it("parses Xen's shipped xl.conf (all commented out) to the defaults", () => {
    expect(read(readFileSync(XL_CONF_EXAMPLE, 'utf8'))).toEqual({
      conf: expect.objectContaining({ claimMode: 1, autoballoon: 'auto', lockfile: '/var/lock/xl' }),
      stderr: [],
    });
  });
});

describe('xl.conf autoballoon and lockfile', () => {
  it.each([
    ['"on"', 'on'], ['"1"', 'on'], ['1', 'on'], ['"off"', 'off'], ['0', 'off'], ['"auto"', 'auto'],
  ] as const)('autoballoon=%s is %s', (value, setting) => {
    expect(read(`autoballoon=${value}\n`).conf.autoballoon).toBe(setting);
  });

  it('writes "invalid autoballoon option" without a newline and falls back to auto', () => {
    const r = read('autoballoon="yes"\nclaim_mode="on"\n');
    expect(r.conf.autoballoon).toBe('auto');
    expect(r.stderr.join('')).toBe(
      "invalid autoballoon option/etc/xen/xl.conf:2: warning: parameter `claim_mode' is not a valid number\n",
    );
  });

  it('reads lockfile', () => {
    expect(read('lockfile="/run/xl.lock"\n').conf.lockfile).toBe('/run/xl.lock');
  });

  it('resolves auto from the Xen command line like auto_autoballoon', () => {
    expect(autoballoonEnabled('auto', 'console=com1')).toBe(true);
    expect(autoballoonEnabled('auto', 'console=com1 dom0_mem=1024M,max:1024M')).toBe(false);
    expect(autoballoonEnabled('on', 'dom0_mem=1G')).toBe(true);
    expect(autoballoonEnabled('off', '')).toBe(false);
  });

  it('prints the deprecation notice for vifscript', () => {
    expect(read('vifscript="x"\n').stderr).toEqual([
      'the global config option vifscript is deprecated, please switch to vif.default.script\n',
    ]);
  });
});

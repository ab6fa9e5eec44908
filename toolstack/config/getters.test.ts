import { describe, expect, it } from 'vitest';
import { parseConfig } from './parser.ts';
import { getBoundedLong, getDefbool, getList, getListAsStringList, getLong, getString } from './getters.ts';
import { withOverrides } from './overrides.ts';
import { cStrtol } from './strtol.ts';

function read<T>(text: string, get: (cfg: ReturnType<typeof parseConfig>['cfg'], report: string[]) => T) {
  const report: string[] = [];
  const value = get(parseConfig(text, 't.cfg').cfg, report);
  return { value, report };
}

describe('getLong (xlu_cfg_get_long: strtol base 0)', () => {
  it.each([
    ['memory = 0x400\n', 1024n],
    ['memory = 010\n', 8n],
    ['memory = "256"\n', 256n],
    ['memory = " 12"\n', 12n],
    ['memory = "-5"\n', -5n],
    ['memory = 9223372036854775807\n', 9223372036854775807n],
  ])('%j reads as %s', (text, expected) => {
    const r = read(text, (cfg, report) => getLong(cfg, 'memory', { report }));
    expect(r.value).toEqual({ ok: true, value: expected });
    expect(r.report).toEqual([]);
  });

  it.each(['memory = 12abc\n', 'memory = 08\n', 'memory = 0x\n', 'memory = "abc"\n', 'memory = ""\n', 'memory = "12 "\n'])(
    '%j warns that it is not a valid number',
    (text) => {
      const r = read(text, (cfg, report) => getLong(cfg, 'memory', { report }));
      expect(r.value).toEqual({ ok: false, errno: 'EINVAL' });
      expect(r.report).toEqual(["t.cfg:1: warning: parameter `memory' is not a valid number\n"]);
    },
  );

  it('warns about overflow of a 64-bit long with strerror(ERANGE)', () => {
    const r = read('memory = 99999999999999999999\n', (cfg, report) => getLong(cfg, 'memory', { report }));
    expect(r.value).toEqual({ ok: false, errno: 'ERANGE' });
    expect(r.report).toEqual([
      "t.cfg:1: warning: parameter `memory' could not be parsed as a number: Numerical result out of range\n",
    ]);
  });

  it('refuses += settings with its own warning at the += line', () => {
    const r = read('memory = 1\nmemory += 2\n', (cfg, report) => getLong(cfg, 'memory', { report }));
    expect(r.value).toEqual({ ok: false, errno: 'EINVAL' });
    expect(r.report).toEqual(["t.cfg:2: warning: can't use += with numbers for parameter `memory'\n"]);
  });

  it('reads the last setting (last wins)', () => {
    expect(read('memory = 1\nmemory = 2\n', (cfg, report) => getLong(cfg, 'memory', { report })).value).toEqual({
      ok: true,
      value: 2n,
    });
  });

  it('returns ESRCH silently for an absent key', () => {
    const r = read('a = 1\n', (cfg, report) => getLong(cfg, 'memory', { report }));
    expect(r).toEqual({ value: { ok: false, errno: 'ESRCH' }, report: [] });
  });

  it('is silent with dontWarn', () => {
    expect(read('memory = x1\nmemory = "x"\n', (cfg, report) => getLong(cfg, 'memory', { report, dontWarn: true })).report).toEqual([]);
  });

  it('warns about bounds in libxlu wording', () => {
    const r = read('m = 5\nn = 0\n', (cfg, report) => [
      getBoundedLong(cfg, 'm', 0n, 4n, { report }),
      getBoundedLong(cfg, 'n', 1n, 4n, { report }),
    ]);
    expect(r.report).toEqual([
      "t.cfg:1: warning: value `5' is greater than maximum bound '4'\n",
      "t.cfg:2: warning: value `0' is smaller than minimum bound '1'\n",
    ]);
  });
});

describe('getString / getList type warnings', () => {
  it('reads a NUMBER as its text', () => {
    expect(read('name = 123\n', (cfg, report) => getString(cfg, 'name', { report })).value).toEqual({ ok: true, value: '123' });
  });
  it('warns when a list is read as a single value', () => {
    const r = read('name = ["a"]\n', (cfg, report) => getString(cfg, 'name', { report }));
    expect(r.report).toEqual(["t.cfg:1: warning: parameter `name' is a list but should be a single value\n"]);
  });
  it('warns when a single value is read as a list', () => {
    const r = read('disk = "x"\n', (cfg, report) => getList(cfg, 'disk', { report }));
    expect(r.value).toEqual({ ok: false, errno: 'EINVAL' });
    expect(r.report).toEqual(["t.cfg:1: warning: parameter `disk' is a single value but should be a list\n"]);
  });
  it('turns nested items into undefined in a string list', () => {
    expect(read('l = ["a", ["b"], 3]\n', (cfg, report) => getListAsStringList(cfg, 'l', { report })).value).toEqual({
      ok: true,
      value: ['a', undefined, '3'],
    });
  });
  it('reads defbool as non-zero', () => {
    expect(read('a = 0x10\nb = 0\n', (cfg, report) => [getDefbool(cfg, 'a', { report }), getDefbool(cfg, 'b', { report })]).value).toEqual([
      { ok: true, value: true },
      { ok: true, value: false },
    ]);
  });
});

describe('cStrtol', () => {
  it('follows glibc for prefixes, signs and the range of long', () => {
    expect(cStrtol('0x1f', 0)).toEqual({ value: 31n, end: 4, erange: false });
    expect(cStrtol('0x', 0)).toEqual({ value: 0n, end: 1, erange: false });
    expect(cStrtol('-0x8000000000000000', 0)).toEqual({ value: -(1n << 63n), end: 19, erange: false });
    expect(cStrtol('0x8000000000000000', 0).erange).toBe(true);
    expect(cStrtol('+', 0)).toEqual({ value: 0n, end: 0, erange: false });
    expect(cStrtol('-1', 10, true).value).toBe((1n << 64n) - 1n);
  });
});

describe('xl create overrides (file + "\\n" + "k=v\\n"… + "\\n", one source)', () => {
  it('appends after the file so that overrides win', () => {
    const text = withOverrides('memory = 128\nname = "g"\n', ['memory=256']);
    expect(text).toBe('memory = 128\nname = "g"\n\nmemory=256\n\n');
    expect(read(text, (cfg, report) => getLong(cfg, 'memory', { report })).value).toEqual({ ok: true, value: 256n });
  });

  it('reports override errors under the file name, on lines after the file plus one', () => {
    const r = parseConfig(withOverrides('name = "g"\n', ['memory=1G']), 't.cfg');
    expect(r.stderr).toEqual(["t.cfg:3: config parsing error near `G': lexical error\n"]);
  });

  it('terminates a file whose final comment lacks a newline', () => {
    expect(parseConfig(withOverrides('name = "g"\n# c', ['vcpus=2']), 't.cfg').ok).toBe(true);
  });

  it('leaves the file untouched without overrides', () => {
    expect(withOverrides('x', [])).toBe('x');
  });
});

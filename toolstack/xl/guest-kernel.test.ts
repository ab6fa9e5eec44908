import { describe, expect, it } from 'vitest';
import { parseDomainConfig } from '../domain-config.ts';
import { guestKernelSpec, readGuestKernel } from './guest-kernel.ts';

/** Reads `extra` keys on top of a 256 MiB guest with an idle kernel, as `xl create` does. */
function read(extra: string, base = 'name="w"\nmemory=256\nmemsim_workload="idle"\n') {
  const text = base + extra;
  const d = parseDomainConfig(text, 'w.cfg');
  if (!d.ok) throw new Error(d.stderr.join(''));
  return readGuestKernel(text, 'w.cfg', [], d.config, '4.3');
}
const stderr = (r: ReturnType<typeof read>) => r.stderr.join('');

describe('memsim_* keys: read and checked when xl parses the config (docs/limits.md, "Guest cfg keys")', () => {
  it('a good config gives the kernel its options; the seed defaults to the domid', () => {
    const r = read('memsim_tmem=1\nmemsim_surge_at_ms=41000\nmemsim_surge_pct=90\nmemsim_surge_ramp_ms=2500\n');
    expect(r.ok && r.kernel !== undefined).toBe(true);
    if (!r.ok || r.kernel === undefined) return;
    expect(stderr(r)).toBe('');
    const d = parseDomainConfig('name="w"\nmemory=256\n', 'w.cfg');
    if (!d.ok) throw new Error();
    expect(guestKernelSpec(r.kernel, d.config, 7).params).toEqual({
      seed: 7, workload: 'idle', initialPages: 65536, maxPfn: 65536, tmem: true, surge: { atNs: 41e9, level: 0.9, rampS: 2.5 },
    });
  });

  it.each([
    ['memsim_surge_pct=999999999 (used to throw or spin inside the kernel)', 'memsim_surge_at_ms=0\nmemsim_surge_pct=999999999\n',
      "w.cfg:5: warning: value `999999999' is greater than maximum bound '6400'\nInvalid memsim_surge_pct: must be an integer in [1, 6400] (Committed_AS at the surge's top, percent of memory).\n"],
    ['a surge percent of 0', 'memsim_surge_at_ms=0\nmemsim_surge_pct=0\n', 'Invalid memsim_surge_pct: must be an integer in [1, 6400]'],
    ['a surge time past 2^53 ns', 'memsim_surge_at_ms=99999999999999\nmemsim_surge_pct=90\n', 'Invalid memsim_surge_at_ms: must be an integer in [0, 9007199254]'],
    ['a ramp that is not a number', 'memsim_surge_at_ms=0\nmemsim_surge_pct=90\nmemsim_surge_ramp_ms="soon"\n', "warning: parameter `memsim_surge_ramp_ms' is not a valid number\nInvalid memsim_surge_ramp_ms"],
    ['a number beyond a C long', 'memsim_seed=99999999999999999999\n', 'Numerical result out of range\nInvalid memsim_seed: must be an integer in [-2147483648, 2147483647]'],
    ['memsim_tmem=2', 'memsim_tmem=2\n', 'Invalid memsim_tmem: must be an integer in [0, 1] (0 or 1).'],
    ['a surge without its time', 'memsim_surge_pct=90\n', 'Invalid memsim_surge: memsim_surge_pct without memsim_surge_at_ms (a surge needs both).'],
    ['a surge too big for the model', 'memory=512\nmaxmem=16384\nmemsim_surge_at_ms=0\nmemsim_surge_pct=6400\n', "Invalid memsim_surge_pct: Committed_AS at the surge's top (6400% of 512 MiB) must be at most 16384 MiB"],
    ['a kernel in a domain bigger than the model', 'maxmem=100000\n', 'Invalid memory for memsim_workload: a guest kernel models every page, so maxmem must be at most 16384 MiB (got 100000 MiB).'],
    ['a kernel in too small a domain', 'memory=4\n', 'Invalid memory for memsim_workload: a guest kernel needs at least 8 MiB of memory (got 4 MiB).'],
    ['an unknown workload', 'memsim_workload="busy"\n', 'Unknown memsim_workload "busy" specified (known: idle, steady, bursty, sawtooth, spike).'],
    ['a workload given as a list', 'memsim_workload=["idle"]\n', "warning: parameter `memsim_workload' is a list but should be a single value\nInvalid memsim_workload: must be a single value."],
  ])('%s: xl-style warning and error, exit 1', (_what, extra, expected) => {
    const r = read(extra);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.exitStatus).toBe(1);
    expect(stderr(r)).toContain(expected);
  });

  it('a mistyped key or a key without a kernel is a warning, not an error', () => {
    const typo = read('memsim_wrkload="idle"\n');
    expect(typo.ok).toBe(true);
    expect(stderr(typo)).toContain("w.cfg:4: warning: unknown emulator key `memsim_wrkload' ignored");
    const noKernel = read('memsim_tmem=1\n', 'name="w"\nmemory=256\n');
    expect(noKernel.ok && noKernel.kernel === undefined).toBe(true);
    expect(stderr(noKernel)).toContain('w.cfg: warning: memsim_tmem has no effect without memsim_workload');
  });

  it('no memsim_* key: no kernel, no output', () => {
    const r = read('', 'name="w"\nmemory=256\n');
    expect([r.ok, r.ok ? r.kernel : 'x', stderr(r)]).toEqual([true, undefined, '']);
  });
});

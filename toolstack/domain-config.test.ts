import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDomainConfig, VCPUS_MAX } from './domain-config.ts';

// Xen's own example configs, shipped byte-identical in scenarios/ (from tools/examples).
const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const example = (file: string) => parseDomainConfig(readFileSync(join(EXAMPLES, file), 'utf8'), file);

const ok = (text: string, overrides: string[] = []) => {
  const r = parseDomainConfig(text, 't.cfg', overrides);
  if (!r.ok) throw new Error(`expected success, got ${r.stderr.join('')}`);
  return r;
};
const failure = (text: string) => {
  const r = parseDomainConfig(text, 't.cfg');
  expect(r.ok).toBe(false);
  return r.stderr.join('');
};

describe("Xen's shipped example configs", () => {
  it('xlexample.hvm: HVM, 128 MiB, 2 vCPUs, one vif and disk, cirrus video', () => {
    const r = example('xlexample.hvm');
    expect(r.ok && r.config).toMatchObject({
      name: 'example.hvm', type: 'hvm', targetMemkb: 128 * 1024, maxMemkb: 128 * 1024, vcpus: 2, maxVcpus: 2,
      vga: 'cirrus', videoMemkb: 8 * 1024, vifs: [''], disks: ['/dev/vg/guest-volume,raw,xvda,rw'],
    });
    expect(r.stderr).toEqual([]);
  });

  it('xlexample.pvlinux: PV by default, kernel and extra, 128 MiB, 2 vCPUs', () => {
    const r = example('xlexample.pvlinux');
    expect(r.ok && r.config).toMatchObject({
      name: 'example.pvlinux', type: 'pv', kernel: '/boot/vmlinuz', extra: 'root=/dev/xvda1',
      targetMemkb: 128 * 1024, vcpus: 2, videoMemkb: 0, vga: undefined, vifs: [''],
    });
  });

  it('xlexample.pvhlinux: PVH, 512 MiB, 4 vCPUs, no video memory', () => {
    const r = example('xlexample.pvhlinux');
    expect(r.ok && r.config).toMatchObject({
      name: 'example.pvhlinux', type: 'pvh', targetMemkb: 512 * 1024, maxMemkb: 512 * 1024, vcpus: 4, videoMemkb: 0,
      disks: ['/dev/zvol/tank/guest-volume,raw,xvda,rw'],
    });
  });
});

describe('domain type (strncmp prefix match: hvm, pv, pvh)', () => {
  it.each([
    ['h', 'hvm'], ['', 'hvm'], ['p', 'pv'], ['pv', 'pv'], ['pvh', 'pvh'], ['hvm', 'hvm'],
  ] as const)('type = %j is %s', (value, type) => {
    expect(ok(`name = "g"\ntype = "${value}"\n`).config.type).toBe(type);
  });

  it('rejects an unknown type', () => {
    expect(failure('name = "g"\ntype = "foo"\n')).toBe('Invalid domain type foo.\n');
  });

  it('accepts the deprecated builder, alone or agreeing with type', () => {
    expect(ok('name = "g"\nbuilder = "hvm"\n').config.type).toBe('hvm');
    expect(ok('name = "g"\nbuilder = "generic"\ntype = "pv"\n').config.type).toBe('pv');
  });

  it('rejects a builder contradicting type', () => {
    expect(failure('name = "g"\nbuilder = "hvm"\ntype = "pv"\n')).toBe(
      'Contradicting "builder" and "type" options specified.\n',
    );
  });

  it('checks type before name, as xl does', () => {
    expect(failure('type = "foo"\n')).toBe('Invalid domain type foo.\n');
  });
});

describe('name, memory and vcpus', () => {
  it('requires a name', () => {
    expect(failure('memory = 5\n')).toBe('Domain name must be specified.\n');
  });

  it('defaults to 32 MiB when neither memory nor maxmem is given', () => {
    expect(ok('name = "g"\n').config).toMatchObject({ targetMemkb: 32768, maxMemkb: 32768 });
  });

  it('lets maxmem alone set memory, and memory alone set maxmem', () => {
    expect(ok('name = "g"\nmaxmem = 512\n').config).toMatchObject({ targetMemkb: 524288, maxMemkb: 524288 });
    expect(ok('name = "g"\nmemory = 256\n').config).toMatchObject({ targetMemkb: 262144, maxMemkb: 262144 });
  });

  it('keeps memory below maxmem for a pre-ballooned guest', () => {
    expect(ok('name = "g"\ntype = "hvm"\nmemory = 1024\nmaxmem = 2048\n').config).toMatchObject({
      targetMemkb: 1024 * 1024, maxMemkb: 2048 * 1024, videoMemkb: 8192,
    });
  });

  it.each([
    ['memory = 0x400', 1024], ['memory = 010', 8], ['memory = "256"', 256],
  ])('%s is %i MiB', (line, mib) => {
    expect(ok(`name = "g"\n${line}\n`).config.targetMemkb).toBe(mib * 1024);
  });

  it('warns about an invalid memory number and keeps the default', () => {
    const r = ok('name = "g"\nmemory = 12abc\n');
    expect(r.stderr).toEqual(["t.cfg:2: warning: parameter `memory' is not a valid number\n"]);
    expect(r.config.targetMemkb).toBe(32768);
  });

  it('warns about an out-of-range memory number', () => {
    expect(ok('memory = 99999999999999999999\nname = "g"\n').stderr).toEqual([
      "t.cfg:1: warning: parameter `memory' could not be parsed as a number: Numerical result out of range\n",
    ]);
  });

  it('warns about += on memory and keeps the default', () => {
    const r = ok('name = "g"\nmemory = 1\nmemory += 2\n');
    expect(r.stderr).toEqual(["t.cfg:3: warning: can't use += with numbers for parameter `memory'\n"]);
    expect(r.config.targetMemkb).toBe(32768);
  });

  it('takes the last memory setting', () => {
    expect(ok('name = "g"\nmemory = 1\nmemory = 2\n').config.targetMemkb).toBe(2048);
  });

  it('defaults maxvcpus to vcpus and rejects maxvcpus < vcpus', () => {
    expect(ok('name = "g"\nvcpus = 3\n').config).toMatchObject({ vcpus: 3, maxVcpus: 3 });
    expect(ok('name = "g"\n').config).toMatchObject({ vcpus: 1, maxVcpus: 1 });
    expect(failure('name = "g"\nvcpus = 4\nmaxvcpus = 2\n')).toBe('xl: maxvcpus < vcpus\n');
  });

  it('bounds vcpus and maxvcpus at VCPUS_MAX, with a message (xl would allocate a bitmap of any size)', () => {
    expect(ok(`name = "g"\nvcpus = ${VCPUS_MAX}\n`).config).toMatchObject({ vcpus: VCPUS_MAX, maxVcpus: VCPUS_MAX });
    expect(failure('name = "g"\nvcpus = 100000000\n')).toBe(`xl: vcpus=100000000 is above the emulator's limit of ${VCPUS_MAX} vCPUs (docs/limits.md)\n`);
    expect(failure(`name = "g"\nmaxvcpus = ${VCPUS_MAX + 1}\n`)).toBe(`xl: maxvcpus=${VCPUS_MAX + 1} is above the emulator's limit of ${VCPUS_MAX} vCPUs (docs/limits.md)\n`);
  });
});

describe('keys xl ignores and list keys read as values', () => {
  it('ignores claim_mode, superpages and unknown keys without a message', () => {
    const r = ok('name = "g"\nclaim_mode = 0\nsuperpages = 1\nfrobnicate = "x"\n');
    expect(r.stderr).toEqual([]);
  });

  it('warns when disk is a single value, and configures no disks', () => {
    const r = ok('name = "g"\ndisk = "x"\n');
    expect(r.stderr).toEqual(["t.cfg:2: warning: parameter `disk' is a single value but should be a list\n"]);
    expect(r.config.disks).toEqual([]);
  });
});

describe('HVM video memory', () => {
  it.each([
    ['', 8192], ['vga = "stdvga"\n', 16384], ['stdvga = 1\n', 16384], ['vga = "none"\n', 0], ['videoram = 32\n', 32768],
  ])('%j gives %i KiB', (extra, kb) => {
    expect(ok(`name = "g"\ntype = "hvm"\n${extra}`).config.videoMemkb).toBe(kb);
  });

  it('rejects an unknown vga kind', () => {
    expect(failure('name = "g"\ntype = "hvm"\nvga = "ega"\n')).toBe('Unknown vga "ega" specified\n');
  });
});

describe('parse failures and overrides', () => {
  it('adds xl\'s "Failed to parse config" after the parser messages, exit 1', () => {
    const r = parseDomainConfig('memory = 1G\n', 't.cfg');
    expect(r).toEqual({
      ok: false,
      exitStatus: 1,
      stderr: ["t.cfg:1: config parsing error near `G': lexical error\n", 'Failed to parse config: Invalid argument\n'],
    });
  });

  it('lets `xl create t.cfg memory=256` override the file', () => {
    expect(ok('name = "g"\nmemory = 128\n', ['memory=256']).config.targetMemkb).toBe(262144);
  });

  it('accepts a claim_mode override silently (there is no per-guest claim_mode)', () => {
    expect(ok('name = "g"\n', ['claim_mode=0']).stderr).toEqual([]);
  });
});

// xl.cfg `vnuma` as xl parses it: tools/xl/xl_parse.c parse_vnuma_config at RELEASE-4.22.0 (and
// 4.13.0's split_string_into_pair), with parse_ulong, parse_range and
// split_string_into_string_list of the same file.

import { describe, expect, it } from 'vitest';
import type { XenVersion } from '../hv/version.ts';
import { parseDomainConfig } from './domain-config.ts';

const HOST = { nrNodes: 2, nrCpus: 4 };

function parse(text: string, version: XenVersion = '4.22', host = HOST) {
  return parseDomainConfig(`name="v"\ntype="hvm"\n${text}`, 'v.cfg', [], { version, host });
}
/** The messages and status of a refused config. */
function refusal(text: string, version: XenVersion = '4.22'): [string, number] {
  const r = parse(text, version);
  if (r.ok) throw new Error(`accepted: ${text}`);
  return [r.stderr.join(''), r.exitStatus];
}
function nodes(text: string, version: XenVersion = '4.22') {
  const r = parse(text, version);
  if (!r.ok) throw new Error(r.stderr.join(''));
  return r.config;
}

describe('parse_vnuma_config: what a vnode holds', () => {
  it('pnode, size (MiB -> memkb), vcpus ranges and vdistances; max_vcpus and max_memkb come from the vnodes', () => {
    const c = nodes('vnuma=[ ["pnode=1","size=512","vcpus=0-1,3","vdistances=10,20"], ["size = 256", " vcpus= 2 ", "vdistances=20,10"] ]\n');
    expect(c.vnumaNodes).toEqual([
      { memkb: 512n * 1024n, pnode: 1, vcpus: [0, 1, 3], distances: [10, 20] },
      { memkb: 256n * 1024n, pnode: 0, vcpus: [2], distances: [20, 10] },
    ]);
    expect([c.maxVcpus, c.maxMemkb, c.targetMemkb, c.numaPlacementOff]).toEqual([4, 768 * 1024, 768 * 1024, true]);
  });

  it('absent, a single value (dont_warn) or an empty list: no vNUMA and no message', () => {
    for (const t of ['', 'vnuma="x"\n', 'vnuma=[]\n']) {
      const r = parse(`${t}memory=64\n`);
      expect(r.ok && r.config.vnumaNodes).toEqual([]);
      expect(r.stderr).toEqual([]);
    }
  });

  it('unknown options and nested lists are skipped; a vnode without a size keeps LIBXL_MEMKB_DEFAULT (no memkb)', () => {
    const c = nodes('vnuma=[ ["colour=3", ["pnode=1"], "vcpus=0"] ]\n');
    expect(c.vnumaNodes).toEqual([{ memkb: undefined, pnode: 0, vcpus: [0], distances: [0] }]);
    expect([c.maxMemkb, c.numaPlacementOff]).toEqual([0, false]);
  });

  it('vcpus as xl counts them: a vCPU named twice counts twice, a range backwards adds nothing, no digits is vCPU 0', () => {
    expect(nodes('maxvcpus=3\nvnuma=[ ["vcpus=1,1,0"] ]\n').vnumaNodes[0]!.vcpus).toEqual([0, 1]);
    expect(nodes('vnuma=[ ["vcpus=3-1,x"] ]\n').vnumaNodes[0]!.vcpus).toEqual([0]);
    // Bits past the bitmap's bytes (maxvcpus 2: one byte) are dropped but still counted.
    const c = nodes('maxvcpus=2\nvnuma=[ ["vcpus=0,9"] ]\n');
    expect([c.vnumaNodes[0]!.vcpus, c.maxVcpus]).toEqual([[0], 2]);
    // libxl_bitmap_set takes an int: 4294967296 is bit 0.
    expect(nodes('maxvcpus=1\nvnuma=[ ["vcpus=4294967296"] ]\n').vnumaNodes[0]!.vcpus).toEqual([0]);
  });

  it('vdistances are uint32 and only num_vnuma of them are kept', () => {
    expect(nodes('vnuma=[ ["vcpus=0","vdistances=4294967306,7,8"] ]\n').vnumaNodes[0]!.distances).toEqual([10]);
  });
});

describe('parse_vnuma_config: its refusals, byte for byte, exit 1', () => {
  it.each([
    ['vnuma=[ "pnode=0" ]\n', 'v.cfg:3:1: warning: value is not a list\nxl: cannot get vnode config option list\n'],
    ['vnuma=[ ["pnode"] ]\n', 'xl: failed to split "pnode" into pair\n'],
    ['vnuma=[ ["pnode="] ]\n', 'xl: failed to split "pnode=" into pair\n'],
    ['vnuma=[ ["pnode=2"] ]\n', 'xl: invalid pnode number: 2\n'],
    ['vnuma=[ ["pnode=-2"] ]\n', 'xl: invalid pnode number: 18446744073709551614\n'],
    ['vnuma=[ ["pnode=-1"] ]\n', 'xl: failed to convert "-1" to number\n'],
    ['vnuma=[ ["size=lots"] ]\n', 'xl: failed to convert "lots" to number\n'],
    ['vnuma=[ ["vdistances=10,x"] ]\n', 'xl: failed to convert "x" to number\n'],
    ['maxvcpus=2\nvnuma=[ ["vcpus=0"] ]\n', 'xl: vnuma vcpus and maxvcpus= mismatch\n'],
    ['vnuma=[ ["vcpus=0-4"] ]\n', 'xl: vnuma specifies more vcpus than pcpus, use maxvcpus= to override this check.\n'],
    ['maxmem=1024\nvnuma=[ ["size=512","vcpus=0"] ]\n', 'xl: maxmem and vnuma memory size mismatch\n'],
  ])('%j', (text, message) => {
    expect(refusal(text)).toEqual([message, 1]);
  });

  it('maxvcpus=5 lets a vnode name more vCPUs than the host has', () => {
    expect(nodes('maxvcpus=5\nvnuma=[ ["vcpus=0-4"] ]\n').maxVcpus).toBe(5);
  });

  it('a value after the first = keeps its = on 4.22 (eee0d79134, 4bad14a133); 4.13 took the second strtok token', () => {
    expect(refusal('vnuma=[ ["pnode=x=1"] ]\n')).toEqual(['xl: failed to convert "x=1" to number\n', 1]);
    expect(refusal('vnuma=[ ["pnode=x=1"] ]\n', '4.13')).toEqual(['xl: failed to convert "x" to number\n', 1]);
    // parse_ulong ignores what follows the digits.
    expect(nodes('vnuma=[ ["pnode=1=x","vcpus=0"] ]\n').vnumaNodes[0]!.pnode).toBe(1);
    // A leading = is an empty option on 4.22 (ignored), no pair at all on 4.13.
    expect(nodes('vnuma=[ ["=3","vcpus=0"] ]\n').vnumaNodes[0]!.pnode).toBe(0);
    expect(refusal('vnuma=[ ["=3"] ]\n', '4.13')).toEqual(['xl: failed to split "=3" into pair\n', 1]);
  });

  it('Xen 4.3 has no vnuma key (b642ed6775 added it in 4.6): ignored like any unknown key', () => {
    const r = parse('memory=64\nvnuma=[ ["pnode=9"] ]\n', '4.3');
    expect(r.ok && r.config.vnumaNodes).toEqual([]);
  });

  it('bounded where xl is not: a range ending at ULONG_MAX (xl loops forever), a list of only commas (xl crashes)', () => {
    expect(refusal('maxvcpus=1\nvnuma=[ ["vcpus=0-18446744073709551615"] ]\n')[0]).toMatch(/never ends/);
    expect(refusal('vnuma=[ ["vcpus=,"] ]\n')[0]).toMatch(/no list item/);
    expect(refusal('maxvcpus=65535\nvnuma=[ ["vcpus=0-1999999999"] ]\n')[0]).toMatch(/more than 65535 vcpus/);
    // maxvcpus itself is bounded first (domain-config.ts VCPUS_MAX).
    expect(refusal('maxvcpus=2000000000\nvnuma=[ ["vcpus=0-1999999999"] ]\n')[0]).toMatch(/maxvcpus=2000000000 is above the emulator's limit of 65535/);
    expect(refusal(`vnuma=[ ${Array.from({ length: 257 }, () => '["vcpus=0"]').join(',')} ]\n`)[0]).toMatch(/more than 256 vnodes/);
  });
});

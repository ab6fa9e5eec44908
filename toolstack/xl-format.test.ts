import { describe, expect, it } from 'vitest';
import {
  defaultHostInfo, domainDoesNotExistMessage, formatFixed, formatXlClaims, formatXlInfo, formatXlList, invalidDomainIdentifierMessage,
  xlClaimsStderr, xlInfoLines, type DomainRow,
} from './xl-format.ts';

const host = { totalPages: 1572864, freePages: 1094144, outstandingPages: 0 };
const infoLine = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`${name} `));

describe('xl info memory fields', () => {
  it('prints MiB with labels padded to 23 columns', () => {
    const out = formatXlInfo(host, '4.22');
    expect(infoLine(out, 'total_memory')).toBe('total_memory           : 6144');
    expect(infoLine(out, 'free_memory')).toBe('free_memory            : 4274');
    expect(infoLine(out, 'outstanding_claims')).toBe('outstanding_claims     : 0');
  });

  it('subtracts outstanding claims from free memory', () => {
    const out = formatXlInfo({ ...host, outstandingPages: 216832 }, '4.22');
    expect(infoLine(out, 'free_memory')).toBe('free_memory            : 3427');
    expect(infoLine(out, 'outstanding_claims')).toBe('outstanding_claims     : 847');
  });

  it('subtracts before dividing', () => {
    expect(formatXlInfo({ totalPages: 4096, freePages: 1000, outstandingPages: 300 }, '4.22', 'free_memory')).toBe('2\n');
  });

  it('wraps in uint64 when claims exceed free pages (bug B8)', () => {
    const v = formatXlInfo({ totalPages: 4096, freePages: 100, outstandingPages: 356 }, '4.22', 'free_memory');
    expect(v).toBe(`${((1n << 64n) - 256n) / 256n}\n`);
  });
});

describe('xl info layout', () => {
  it('prints every field in xl order, ending with xend_config_format', () => {
    const names = xlInfoLines(host, '4.22').map((l) => l.slice(0, l.indexOf(':')).trim());
    expect(names).toEqual([
      'host', 'release', 'version', 'machine', 'nr_cpus', 'max_cpu_id', 'nr_nodes', 'cores_per_socket',
      'threads_per_core', 'cpu_mhz', 'hw_caps', 'virt_caps', 'total_memory', 'free_memory', 'sharing_freed_memory',
      'sharing_used_memory', 'outstanding_claims', 'free_cpus', 'xen_major', 'xen_minor', 'xen_extra', 'xen_version',
      'xen_caps', 'xen_scheduler', 'xen_pagesize', 'platform_params', 'xen_changeset', 'xen_commandline',
      'cc_compiler', 'cc_compile_by', 'cc_compile_domain', 'cc_compile_date', 'build_id', 'xend_config_format',
    ]);
    expect(xlInfoLines(host, '4.22').at(-1)).toBe('xend_config_format     : 4\n');
  });

  it('reports the emulated version and its scheduler', () => {
    const out = formatXlInfo(host, '4.3');
    expect(infoLine(out, 'xen_version')).toBe('xen_version            : 4.3.0');
    expect(infoLine(out, 'xen_scheduler')).toBe('xen_scheduler          : credit');
    expect(infoLine(out, 'build_id')).toBeUndefined();
    expect(infoLine(formatXlInfo(host, '4.22'), 'xen_minor')).toBe('xen_minor              : 22');
  });

  it('formats cpu_mhz from kHz and hw_caps as 8 hex words', () => {
    const out = formatXlInfo({ ...host, cpuKhz: 2000050 }, '4.22');
    expect(infoLine(out, 'cpu_mhz')).toBe('cpu_mhz                : 2000.050');
    expect(infoLine(out, 'hw_caps')).toMatch(/^hw_caps {16}: ([0-9a-f]{8}:){7}[0-9a-f]{8}$/);
  });

  it('prints virt_caps with no trailing space when there are none', () => {
    const out = formatXlInfo(host, '4.22', undefined, { ...defaultHostInfo('4.22'), virtCaps: [] });
    expect(out).toContain('\nvirt_caps              :\n');
  });
});

describe('xl info <field> (prefix match on the line)', () => {
  it('prints only the value', () => {
    expect(formatXlInfo(host, '4.22', 'free_memory')).toBe('4274\n');
  });
  it('prints every line the prefix matches', () => {
    expect(formatXlInfo(host, '4.22', 'free')).toBe('4274\n0\n');
  });
  it('prints nothing for an unknown field', () => {
    expect(formatXlInfo(host, '4.22', 'nosuch')).toBe('');
  });
  it('skips virt_caps when empty, since no ": " follows the label', () => {
    expect(formatXlInfo(host, '4.22', 'virt_caps', { ...defaultHostInfo('4.22'), virtCaps: [] })).toBe('');
  });
});

const guest1: DomainRow = {
  domid: 3, name: 'guest1', totPages: 266240, outstandingPages: 259840, vcpuOnline: 2, paused: true, cpuTimeNs: 0,
};
const HEADER = `Name${' '.repeat(40)}ID   Mem VCPUs\tState\tTime(s)`;

describe('xl claims / xl list', () => {
  it('prints the claims header exactly', () => {
    expect(formatXlClaims([], '4.22')).toBe(`${HEADER}  Claimed\n`);
  });

  it('prints a paused claiming domain with Mem = populated + claimed', () => {
    expect(formatXlClaims([guest1], '4.22').split('\n')[1]).toBe(
      `guest1${' '.repeat(34)} ${'    3'} ${' 2055'} ${'    2'}     --p---  ${'     0.0'} ${' 1015'}`,
    );
  });

  it('prints the man-page example row (Mem 2048, Claimed 1015)', () => {
    const row: DomainRow = { ...guest1, totPages: (2048 - 1015) * 256 };
    expect(formatXlClaims([row], '4.22').split('\n')[1]).toBe(
      'guest1' + ' '.repeat(34) + ' ' + '    3' + ' ' + ' 2048' + ' ' + '    2' + '     ' + '--p---' + '  ' + '     0.0' + ' ' + ' 1015',
    );
  });

  it('prints xl list without the Claimed column but with claims in Mem', () => {
    expect(formatXlList([guest1], '4.22')).toBe(
      `${HEADER}\nguest1${' '.repeat(34)}     3  2055     2     --p---       0.0\n`,
    );
  });

  it('does not truncate names longer than 40 characters', () => {
    const name = 'x'.repeat(45);
    expect(formatXlList([{ ...guest1, name }], '4.22').split('\n')[1]!.startsWith(`${name} `)).toBe(true);
  });

  it.each([
    [{ running: true }, 'r-----'],
    [{ blocked: true }, '-b----'],
    [{ shutdown: true, shutdownReason: 3 }, '---sc-'],
    [{ shutdown: true, shutdownReason: 5 }, '---sS-'],
    [{ shutdown: true, shutdownReason: 9 }, '---s?-'],
    [{ shutdownReason: 3 }, '------'],
    [{ dying: true }, '-----d'],
  ])('state %j prints %s', (flags, letters) => {
    expect(formatXlList([{ ...guest1, paused: false, ...flags }], '4.22')).toContain(`     ${letters}  `);
  });

  it("uses 4.3's shorter shutdown-reason table (no soft_reset letter)", () => {
    expect(formatXlList([{ ...guest1, paused: false, shutdown: true, shutdownReason: 5 }], '4.3')).toContain('---s?-');
  });

  it('prints CPU time as %8.1f of a float-rounded nanosecond count', () => {
    expect(formatXlList([{ ...guest1, cpuTimeNs: 1_234_567_890 }], '4.22')).toContain('       1.2\n');
    expect(formatXlList([{ ...guest1, cpuTimeNs: 123_456_789_000_000 }], '4.22')).toContain('123456.8\n');
  });

  it('notes claim_mode 0 on stderr only', () => {
    expect(xlClaimsStderr(0)).toEqual(['claim_mode not enabled (see man xl.conf).\n']);
    expect(xlClaimsStderr(1)).toEqual([]);
  });

  it('words the domain lookup errors as xl list does', () => {
    expect(domainDoesNotExistMessage('99')).toBe("Error: Domain '99' does not exist.\n");
    expect(invalidDomainIdentifierMessage('nosuch')).toBe('nosuch is an invalid domain identifier (rc=-6)\n');
  });
});

describe('formatFixed (glibc %.Nf)', () => {
  it('rounds exact binary ties to even and everything else to nearest', () => {
    expect(formatFixed(0.25, 1)).toBe('0.2');
    expect(formatFixed(0.75, 1)).toBe('0.8');
    expect(formatFixed(0.35, 1)).toBe('0.3'); // 0.35 is 0.34999… in binary
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(1e21, 1)).toBe('1000000000000000000000.0');
    expect(formatFixed(-0, 1)).toBe('-0.0');
  });
});

// `xl uptime`: uptime_to_string's exact bytes, the start_time the builder leaves in xenstore as
// libxl does, and the whole command at chosen virtual times (a day exactly, more than a day).

import { describe, expect, it } from 'vitest';
import { DirectPort } from '../test-support/direct-port.ts';
import { NS_PER_SEC } from '../../sim/port.ts';
import { startTimeText, vmUuid } from '../builder/build.ts';
import { currentTimeToString, strtoulU32, uptimeToString } from './cmd-uptime.ts';
import { xlMain } from './main.ts';
import { XlSink } from './io.ts';
import type { XenVersion } from '../../hv/version.ts';

const G = { 'g.cfg': 'name="g"\nmemory=64\nvcpus=1\nkernel="/boot/vmlinuz"\n' };

async function xl(port: DirectPort, argv: string[], version: XenVersion = '4.22'): Promise<{ stdout: string; stderr: string; status: number }> {
  const out = new XlSink();
  const status = await xlMain(port, { argv, version, files: G }, out);
  return { stdout: out.text('stdout'), stderr: out.text('stderr'), status };
}

/** A 4.22 host with guest g (domid 1) built at virtual time `builtAt` s; the clock then at `at` s. */
async function hostAt(builtAt: number, at: number, version: XenVersion = '4.22'): Promise<DirectPort> {
  const port = new DirectPort({ memoryMiB: 512, xen: version });
  port.hv.advanceClockTo(builtAt * NS_PER_SEC);
  expect((await xl(port, ['create', 'g.cfg'], version)).status).toBe(0);
  port.hv.advanceClockTo(at * NS_PER_SEC);
  return port;
}

describe('uptime_to_string', () => {
  it('formats as xl does: %2d hours, a day exactly, days, short mode without seconds', () => {
    expect(uptimeToString(0, false)).toBe(' 0:00:00');
    expect(uptimeToString(59, false)).toBe(' 0:00:59');
    expect(uptimeToString(3600 * 13 + 62, false)).toBe('13:01:02');
    expect(uptimeToString(86399, false)).toBe('23:59:59');
    expect(uptimeToString(86400, false)).toBe('1 day,  0:00:00');
    expect(uptimeToString(86400 + 3661, true)).toBe('1 day,  1:01');
    expect(uptimeToString(2 * 86400 + 10 * 3600 + 5 * 60 + 9, false)).toBe('2 days, 10:05:09');
    expect(uptimeToString(400 * 86400, true)).toBe('400 days,  0:00');
    expect(uptimeToString(3599, true)).toBe(' 0:59');
  });

  it('the time of day is virtual seconds since the epoch 0 (UTC); strtoul takes the leading digits', () => {
    expect(currentTimeToString(0)).toBe('00:00:00');
    expect(currentTimeToString(86400 + 3600 * 7 + 65)).toBe('07:01:05');
    expect(strtoulU32('123.45')).toBe(123);
    expect(strtoulU32('  7x')).toBe(7);
    expect(strtoulU32('x')).toBe(0);
    expect(strtoulU32('4294967297')).toBe(1); // uint32_t return
    expect(strtoulU32('-1')).toBe(0xffffffff);
  });
});

describe('the builder leaves what libxl_vm_get_start_time reads', () => {
  it('/local/domain/N/vm = /vm/<uuid>, <vm>/start_time = "%jd.%02d" of the time after libxl__build_pre', async () => {
    const port = await hostAt(12.345, 20);
    const vm = port.xenstore.get('/local/domain/1/vm');
    expect(vm).toMatch(/^\/vm\/00000001-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(port.xenstore.get(`${vm}/start_time`)).toMatch(/^12\.3[45]$/);
    expect(startTimeText(5 * NS_PER_SEC + 70_000_000)).toBe('5.07');
    expect(startTimeText(999_999_999)).toBe('0.99');
    // Deterministic, and distinct for a domid reused later.
    expect(vmUuid(1, 1000)).toBe(vmUuid(1, 1000));
    expect(vmUuid(1, 1000)).not.toBe(vmUuid(1, 2000));
  });
});

describe('xl uptime', () => {
  const HEAD = 'Name                                ID Uptime\n';
  it('prints dom0 (host uptime) and each guest (now - start_time) in the table', async () => {
    const port = await hostAt(100, 100 + 86400);
    const r = await xl(port, ['uptime']);
    expect(r).toEqual({
      stdout: HEAD +
        'Domain-0                             0 1 day,  0:01:40\n' +
        'g                                    1 1 day,  0:00:00\n',
      stderr: '', status: 0,
    });
  });

  it('more than a day, by name and id, and -s with the virtual time of day', async () => {
    const port = await hostAt(30, 3 * 86400 + 5 * 3600 + 7 * 60 + 40);
    expect((await xl(port, ['uptime', 'g'])).stdout).toBe(`${HEAD}g                                    1 3 days,  5:07:10\n`);
    expect((await xl(port, ['uptime', '0', '1'])).stdout).toBe(`${HEAD}Domain-0                             0 3 days,  5:07:40\ng                                    1 3 days,  5:07:10\n`);
    expect((await xl(port, ['uptime', '-s'])).stdout).toBe(' 05:07:40 up 3 days,  5:07, Domain-0 (0)\n 05:07:40 up 3 days,  5:07, g (1)\n');
  });

  it('under a minute, and a domain without start_time: libxl says so and the row is left out', async () => {
    const port = await hostAt(2, 61);
    expect((await xl(port, ['uptime'])).stdout).toBe(`${HEAD}Domain-0                             0  0:01:01\ng                                    1  0:00:59\n`);
    const r = await xl(port, ['uptime', '7']);
    expect(r).toEqual({ stdout: HEAD, stderr: "libxl: error: libxl_domain.c:2224:libxl_vm_get_start_time: Domain 7:Can't get start time of domain\n", status: 0 });
    const bad = await xl(port, ['uptime', 'nosuch']);
    expect([bad.stderr, bad.status]).toEqual(['nosuch is an invalid domain identifier (rc=-6)\n', 1]);
    const many = await xl(port, ['uptime', ...Array.from({ length: 101 }, () => '0')]);
    expect(many.status).toBe(1);
    expect(many.stderr).toContain('at most 100 domains');
  });

  it("4.3: a domain is required, and libxl's message names the domain in its text", async () => {
    const port = await hostAt(0, 10, '4.3');
    const r = await xl(port, ['uptime'], '4.3');
    expect([r.stderr, r.status]).toEqual(["'xl uptime' requires at least 1 argument.\n\n", 2]);
    expect(r.stdout).toBe('Usage: xl [-v] uptime [-s] [Domain]\n\nPrint uptime for all/some domains.\n\n');
    expect((await xl(port, ['uptime', '9'], '4.3')).stderr).toBe("libxl: error: libxl.c:4800:libxl_vm_get_start_time: Can't get start time of domain '9'\n");
    expect((await xl(port, ['uptime', '-s', 'g'], '4.3')).stdout).toBe(' 00:00:10 up  0:00, g (1)\n');
  });
});

// `xl dmesg`: libxl's reader loop over XEN_SYSCTL_readconsole (incremental, chunks of 16384,
// -c clearing), and its error line.

import { describe, expect, it } from 'vitest';
import { DirectPort } from '../test-support/direct-port.ts';
import { xlMain } from './main.ts';
import { XlSink } from './io.ts';
import type { XenVersion } from '../../hv/version.ts';

async function xl(port: DirectPort, argv: string[], version: XenVersion = '4.22') {
  const out = new XlSink();
  const status = await xlMain(port, { argv, version }, out);
  return { stdout: out.text('stdout'), stderr: out.text('stderr'), status };
}

describe('xl dmesg', () => {
  it('prints the whole ring, reading on from the index it was given until a read is empty', async () => {
    const port = new DirectPort({ memoryMiB: 64, xen: '4.22' });
    for (let i = 0; i < 3000; i++) port.hv.console.printk(`message ${i}\n`);
    const r = await xl(port, ['dmesg']);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(16384);
    expect(r.stdout.endsWith('(XEN) message 2999\n')).toBe(true);
    const reads = port.callsOf('XEN_SYSCTL_readconsole');
    expect(reads.map((c) => [c.args.clear, c.args.incremental, c.args.count])).toEqual([[0, 1, 16384], [0, 1, 16384]]);
    expect(reads[1].args.index).toBeGreaterThan(0);
    expect((await xl(port, ['dmesg'])).stdout).toBe(r.stdout); // not cleared
    expect((await xl(port, ['dmesg', '--clear'])).stdout).toBe(r.stdout);
    expect(await xl(port, ['dmesg'])).toEqual({ stdout: '', stderr: '', status: 0 });
  });

  it("a refused read: libxl's error line with the errno text, and ERROR_FAIL as the exit status", async () => {
    const port = new DirectPort({ memoryMiB: 64, xen: '4.22' });
    port.intercept = (op) => (op === 'XEN_SYSCTL_readconsole' ? { rc: -1 } : undefined);
    expect(await xl(port, ['dmesg', '-c'])).toEqual({
      stdout: '', stderr: 'libxl: error: libxl_console.c:826:libxl_xen_console_read_line: reading console ring buffer: Operation not permitted\n', status: 253,
    });
    expect((await xl(port, ['dmesg', '--clear'], '4.3')).stderr).toBe("option `--clear' not supported.\n");
  });
});

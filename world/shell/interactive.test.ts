// The interactive shell's keys, driven through a terminal-mode readline on in-memory streams:
// Ctrl-C at the prompt drops the line and never quits (it used to quit and lose every guest),
// Ctrl-C during `sleep` ends the sleep, `exit` and Ctrl-D quit. Every wait is for output or
// virtual time, never for wall time.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { XlHost } from './host.ts';
import { runInteractive } from './run.ts';

const CTRL_C = '\x03';
const CTRL_D = '\x04';

function session(memoryMiB = 1024, cwd = tmpdir()) {
  const input = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const wake = (): void => void waiters.splice(0).forEach((w) => w());
  stdout.setEncoding('utf8').on('data', (d: string) => void ((out += d), wake()));
  stderr.setEncoding('utf8').on('data', (d: string) => void ((err += d), wake()));
  const host = new XlHost({ memoryMiB, xen: '4.22', nodes: 1 });
  let interrupt: (() => void) | undefined;
  const status = runInteractive(host, input, cwd, { stdout, stderr }, { onInterrupt: (h) => ((interrupt = h), () => (interrupt = undefined)) });
  /** Resolves once stdout (from `from` on) matches. */
  const waitFor = async (pattern: RegExp, from = 0): Promise<void> => {
    while (!pattern.test(out.slice(from))) await new Promise<void>((r) => waiters.push(r));
  };
  return {
    host, status, waitFor,
    type: (s: string) => input.write(s),
    out: () => out,
    err: () => err,
    /** A SIGINT from outside the terminal, as the CLI forwards it. */
    signal: () => interrupt?.(),
  };
}

/** Prompts printed so far. */
const prompts = (text: string): number => text.split('xl(4.22)> ').length - 1;

describe('xen-memsim shell on a terminal', () => {
  it('Ctrl-C drops the line being typed and gives a fresh prompt; a second one on an empty line does not quit either', async () => {
    const s = session();
    await s.waitFor(/xl\(4\.22\)> /);
    s.type('xl list');
    s.type(CTRL_C);
    await s.waitFor(/\^C\n/);
    s.type(CTRL_C);
    await s.waitFor(/\^C\n[^]*\^C\n/);
    s.signal(); // a SIGINT sent to the process: the same as Ctrl-C
    await s.waitFor(/(\^C\n[^]*){3}/);
    const before = s.out().length;
    s.type('xl info total_memory\r');
    await s.waitFor(/1024\n/, before);
    expect(s.out()).not.toMatch(/Domain-0/); // the dropped `xl list` never ran
    expect(prompts(s.out())).toBeGreaterThanOrEqual(5);
    s.type('exit 3\r');
    expect(await s.status).toBe(3);
  });

  it('Ctrl-D quits with the last xl status; guests live until then', async () => {
    const s = session();
    s.type('xl list 99\r');
    await s.waitFor(/xl\(4\.22\)> [^]*xl\(4\.22\)> /);
    s.type(CTRL_D);
    expect(await s.status).toBe(1);
    expect(s.err()).toBe("Error: Domain '99' does not exist.\n");
  });

  it('Ctrl-C during sleep ends the sleep and returns to the prompt; the guest is still there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-shell-'));
    writeFileSync(join(dir, 'busy.cfg'), 'name="busy"\nmemory=256\nbuilder="hvm"\nmemsim_workload="bursty"\n');
    const s = session(2048, dir);
    s.type('xl create busy.cfg\r');
    await s.waitFor(/xl\(4\.22\)> [^]*xl\(4\.22\)> /); // the create's own line goes to stderr on 4.22
    const t0 = s.host.nowSecs;
    s.type('sleep 3600\r');
    while (s.host.nowSecs < t0 + 2) await new Promise((r) => setTimeout(r, 20)); // virtual time, not wall time
    s.type(CTRL_C);
    await s.waitFor(/\^C\nsleep interrupted at t=[\d.]+ s\n[^]*xl\(4\.22\)> /);
    expect(s.host.nowSecs).toBeLessThan(t0 + 3600);
    const before = s.out().length;
    s.type('xl list busy\r');
    await s.waitFor(/busy\s+1\s/, before);
    s.type('exit\r');
    expect(await s.status).toBe(0);
  }, 120_000);
});

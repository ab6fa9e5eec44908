// The interactive shell's keys, driven through a terminal-mode readline on in-memory streams:
// Ctrl-C at the prompt drops the line and never quits (it used to quit and lose every guest),
// Ctrl-C during `sleep` ends the sleep, `exit` and Ctrl-D quit. Every wait is for output or
// virtual time, never for wall time.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { XlHost } from './host.ts';
import { runInteractive, runScript } from './run.ts';
import { parseShellLine, SLEEP_MAX_SECS } from './script.ts';

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

describe('the shell\'s own lines: exit and a bounded sleep', () => {
  it('a script stops at `exit N` with status N; `exit` alone keeps the last xl status', async () => {
    const run = async (text: string) => {
      let out = '';
      let err = '';
      const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => void (f(String(c)), cb()) });
      const status = await runScript(new XlHost({ memoryMiB: 1024, xen: '4.22', nodes: 1 }), text, tmpdir(), { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, 't.xl');
      return { status, out, err };
    };
    expect(await run('xl info total_memory\nexit 4\nxl info free_memory\n')).toEqual({ status: 4, out: '1024\n', err: '' });
    expect(await run('xl list 99\nexit\nxl info total_memory\n')).toMatchObject({ status: 1, out: '' });
  });

  it('sleep takes at most an hour of virtual time; exit takes a status of 0..255', async () => {
    expect(SLEEP_MAX_SECS).toBe(3600);
    expect(parseShellLine('sleep 3600')).toEqual({ kind: 'sleep', seconds: 3600 });
    expect(parseShellLine('sleep 0.5')).toEqual({ kind: 'sleep', seconds: 0.5 });
    expect(parseShellLine('sleep 3601')).toEqual({ kind: 'error', message: 'sleep: at most 3600 seconds at a time (got 3601)' });
    expect(parseShellLine('sleep 99999999999999999999')).toEqual({ kind: 'error', message: 'usage: sleep SECONDS' });
    expect(parseShellLine('exit 255')).toEqual({ kind: 'exit', status: 255 });
    for (const bad of ['exit 256', 'exit -1', 'exit x', 'exit 1 2']) expect(parseShellLine(bad), bad).toEqual({ kind: 'error', message: 'usage: exit [STATUS] (0..255)' });
  });
});

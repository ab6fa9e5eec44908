// Drives an XlHost from lines of text: a script (file or piped stdin) prints exactly what xl
// prints and nothing of its own, and ends with the status of the last xl command; interactive
// mode (a TTY) adds a prompt, history and help, and lets virtual time follow wall time between
// commands (capped at INTERACTIVE_IDLE_CAP_SECS per gap) so guests run "in the background".

import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { XlHost } from './host.ts';
import { filesFor, parseShellLine, SHELL_HELP } from './script.ts';

export interface ShellStreams {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** Longest stretch of wall time one idle gap turns into virtual time in interactive mode. */
export const INTERACTIVE_IDLE_CAP_SECS = 300;

/**
 * Runs one line. @returns the xl exit status, or undefined for lines that are not xl commands
 * (which leave the last status alone)
 */
export async function runLine(host: XlHost, line: string, lineNo: number, cwd: string, io: ShellStreams, source: string): Promise<number | undefined> {
  const l = parseShellLine(line);
  switch (l.kind) {
    case 'empty':
      return undefined;
    case 'help':
      io.stdout.write(SHELL_HELP);
      return undefined;
    case 'sleep':
      await host.sleep(l.seconds);
      return undefined;
    case 'error':
      io.stderr.write(`xen-memsim shell: ${source}:${lineNo}: ${l.message}\n`);
      return 127;
    case 'xl': {
      const r = await host.xl(l.argv, filesFor(l.argv, cwd));
      for (const w of r.writes) (w.stream === 'stdout' ? io.stdout : io.stderr).write(w.text);
      return r.exitStatus;
    }
  }
}

/** Script mode: every line in order. @returns the status of the last xl command (0 if none) */
export async function runScript(host: XlHost, text: string, cwd: string, io: ShellStreams, source: string): Promise<number> {
  let status = 0;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const s = await runLine(host, lines[i], i + 1, cwd, io, source);
    if (s !== undefined) status = s;
  }
  return status;
}

/** Interactive mode on a terminal. @returns the status of the last xl command */
export async function runInteractive(host: XlHost, input: Readable, cwd: string, io: ShellStreams): Promise<number> {
  const rl = createInterface({ input, output: io.stdout, prompt: `xl(${host.options.xen})> `, historySize: 1000, terminal: true });
  io.stdout.write(`xen-memsim xl shell: Xen ${host.options.xen}, ${host.options.memoryMiB} MiB, dom0 ${host.dom0MiB} MiB. Type help; Ctrl-D quits.\n`);
  let status = 0;
  let lineNo = 0;
  let lastWall = performance.now();
  rl.prompt();
  for await (const line of rl) {
    lineNo++;
    const idle = Math.min(INTERACTIVE_IDLE_CAP_SECS, (performance.now() - lastWall) / 1000);
    if (idle >= 1) await host.sleep(Math.floor(idle));
    try {
      const s = await runLine(host, line, lineNo, cwd, io, '<stdin>');
      if (s !== undefined) status = s;
    } catch (e) {
      io.stderr.write(`xen-memsim shell: ${(e as Error).message}\n`);
      rl.close();
      return 70;
    }
    lastWall = performance.now();
    rl.prompt();
  }
  return status;
}

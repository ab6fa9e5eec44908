// Drives an XlHost from lines of text: a script (file or piped stdin) prints exactly what xl
// prints and nothing of its own, and ends with the status of the last xl command (or at `exit`);
// interactive mode (a TTY) adds a prompt, history and help, and lets virtual time follow wall
// time between commands (capped at INTERACTIVE_IDLE_CAP_SECS per gap) so guests run "in the
// background". At the prompt Ctrl-C behaves as in bash: it drops the line being typed and gives
// a fresh prompt (never quits: Ctrl-D or `exit` do); during a `sleep` it ends the sleep.

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

/** What a line did: the xl exit status (undefined: not an xl command, the status stays), or the shell is to exit. */
export type LineResult = number | undefined | { exit: number | undefined };

/**
 * Runs one line. @param stop checked while a `sleep` runs: true ends it early
 * @returns the xl exit status, undefined for lines that are not xl commands (which leave the
 *   last status alone), or {exit} for `exit`
 */
export async function runLine(host: XlHost, line: string, lineNo: number, cwd: string, io: ShellStreams, source: string, stop?: () => boolean): Promise<LineResult> {
  const l = parseShellLine(line);
  switch (l.kind) {
    case 'empty':
      return undefined;
    case 'help':
      io.stdout.write(SHELL_HELP);
      return undefined;
    case 'exit':
      return { exit: l.status };
    case 'sleep':
      await host.sleep(l.seconds, stop);
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

/** Script mode: every line in order, up to an `exit`. @returns that exit's status, else the last xl command's (0 if none) */
export async function runScript(host: XlHost, text: string, cwd: string, io: ShellStreams, source: string): Promise<number> {
  let status = 0;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const s = await runLine(host, lines[i], i + 1, cwd, io, source);
    if (typeof s === 'object') return s.exit ?? status;
    if (s !== undefined) status = s;
  }
  return status;
}

export interface InteractiveOptions {
  /**
   * Subscribes to interrupts from outside the terminal (a SIGINT sent to the process), which
   * then act as Ctrl-C does. @returns the unsubscribe function
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/** Interactive mode on a terminal. @returns the status of `exit`, else of the last xl command */
export async function runInteractive(host: XlHost, input: Readable, cwd: string, io: ShellStreams, opts: InteractiveOptions = {}): Promise<number> {
  const rl = createInterface({ input, output: io.stdout, prompt: `xl(${host.options.xen})> `, historySize: 1000, terminal: true });
  io.stdout.write(`xen-memsim xl shell: Xen ${host.options.xen}, ${host.options.memoryMiB} MiB, dom0 ${host.dom0MiB} MiB. Type help; exit or Ctrl-D quits.\n`);
  /** What runs now: nothing (the prompt), a sleep (Ctrl-C ends it) or an xl command (it runs to its end). */
  let running: 'prompt' | 'sleep' | 'xl' = 'prompt';
  let stopSleep = false;
  const ctrlC = (): void => {
    if (running === 'sleep') {
      stopSleep = true;
      return;
    }
    if (running === 'xl') {
      io.stderr.write('^C\nxen-memsim shell: an xl command runs to its end (it ends by itself in virtual time); Ctrl-C interrupts a sleep\n');
      return;
    }
    // As bash: ^C after what was typed, the line dropped, a fresh prompt.
    rl.write(null, { ctrl: true, name: 'e' });
    io.stdout.write('^C\n');
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  };
  rl.on('SIGINT', ctrlC);
  const unsubscribe = opts.onInterrupt?.(ctrlC);
  let status = 0;
  let lineNo = 0;
  let lastWall = performance.now();
  const stop = (): boolean => stopSleep;
  try {
    rl.prompt();
    for await (const line of rl) {
      lineNo++;
      const idle = Math.min(INTERACTIVE_IDLE_CAP_SECS, (performance.now() - lastWall) / 1000);
      stopSleep = false;
      running = 'sleep';
      if (idle >= 1) await host.sleep(Math.floor(idle), stop);
      stopSleep = false;
      running = parseShellLine(line).kind === 'sleep' ? 'sleep' : 'xl';
      let s: LineResult;
      try {
        s = await runLine(host, line, lineNo, cwd, io, '<stdin>', stop);
      } catch (e) {
        io.stderr.write(`xen-memsim shell: ${(e as Error).message}\n`);
        return 70;
      }
      if (running === 'sleep' && stopSleep) io.stdout.write(`^C\nsleep interrupted at t=${host.nowSecs.toFixed(1)} s\n`);
      running = 'prompt';
      if (typeof s === 'object') return s.exit ?? status;
      if (s !== undefined) status = s;
      lastWall = performance.now();
      rl.prompt();
    }
    io.stdout.write('\n'); // Ctrl-D: leave the prompt's line, as a shell does
    return status;
  } finally {
    unsubscribe?.();
    rl.close();
  }
}

// Test helper: runs the command line with ARGS as a child process, as a user does, and lets a test
// wait for output (never for wall time) before it sends input or a signal. By default the child
// runs the command line compiled once for the test run (cli/test-support/compiled-cli.ts, as the
// installed package runs it); `sources: true` runs `node cli/bin.mjs ARGS`, through tsx, as a
// clone of the repository does (needed for a .ts plugin module, and kept where the loader matters).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN = fileURLToPath(new URL('./bin.mjs', import.meta.url));

export interface Ended {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Resolves when `pattern` has appeared on the stream (rejects if the process ends first). */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void>;
  readonly ended: Promise<Ended>;
  output(): { stdout: string; stderr: string };
}

export interface SpawnOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** The program instead of the command line (e.g. `script` for a terminal). */
  command?: { file: string; args: string[] };
  /** Run `node cli/bin.mjs` (the sources, through tsx) instead of the compiled command line. */
  sources?: boolean;
}

export function spawnCli(args: readonly string[], o: SpawnOptions = {}): Running {
  const { file, args: argv } = o.command ?? { file: process.execPath, args: [o.sources === true ? BIN : inject('compiledCli'), ...args] };
  // The test run's own pinned seed (prop-tests/setup.ts) is not the child's: it sees only what the test gives.
  const { XEN_MEMSIM_SEED: _seed, ...env } = process.env;
  const child = spawn(file, argv, { cwd: o.cwd ?? ROOT, env: { ...env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  let exited = false;
  const waiters: Array<{ stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.pattern.test(out[w.stream])) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => void ((out.stdout += d), check()));
  child.stderr.setEncoding('utf8').on('data', (d: string) => void ((out.stderr += d), check()));
  child.stdin.on('error', () => undefined); // the child may exit before reading its input
  if (o.input !== undefined) child.stdin.end(o.input);
  const ended = new Promise<Ended>((resolve) => {
    child.on('close', (status, signal) => {
      exited = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`exited (${status ?? signal}) before ${w.stream} matched ${w.pattern}:\n${out.stdout}\n${out.stderr}`));
      resolve({ status, signal, ...out });
    });
  });
  return {
    child,
    ended,
    output: () => ({ ...out }),
    waitFor: (stream, pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out[stream])) return resolve();
        if (exited) return reject(new Error(`exited before ${stream} matched ${pattern}:\n${out.stdout}\n${out.stderr}`));
        waiters.push({ stream, pattern, resolve, reject });
      }),
  };
}

/** Runs to the end. */
export function runCli(args: readonly string[], o: SpawnOptions = {}): Promise<Ended> {
  return spawnCli(args, { input: '', ...o }).ended;
}

/** A JavaScript stack frame line, as an uncaught error prints it. */
export const STACK_FRAME = /^\s+at .+[:(]/m;

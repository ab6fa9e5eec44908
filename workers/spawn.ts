// The one place that starts worker threads from TypeScript files. Node 20 cannot load a .ts
// worker by itself (ERR_UNKNOWN_FILE_EXTENSION); a worker does not inherit loader hooks that the
// parent registered (nodejs/node#47747); vitest's transform does not reach workers; and on Node 20
// even `--import tsx` in the worker's execArgv registers no ESM hooks there (tsx's entry skips
// non-main threads below Node 22.22: privatenumber/tsx#354). So every worker preloads
// tsx-worker-hooks.mjs, which calls tsx's register() inside the worker, by absolute file URL.
// Compiled (dist/, the installed package) the workers are JavaScript and start with no loader:
// workerModule() names a worker with the extension of the code that starts it.

import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { Piscina } from 'piscina';

/** Absolute file URL of the worker preload that registers tsx's hooks in the worker. */
export const TSX_WORKER_HOOKS_URL: string = new URL('./tsx-worker-hooks.mjs', import.meta.url).href;

/** Flags that register a module loader; their values are dropped along with them. */
const LOADER_FLAGS: ReadonlySet<string> = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);

/**
 * The execArgv for a TypeScript worker: the parent's own flags minus any tsx loader registration
 * (registering tsx twice installs its hooks twice), plus `--import <TSX_WORKER_HOOKS_URL>`.
 */
export function tsWorkerExecArgv(parentExecArgv: readonly string[] = process.execArgv): string[] {
  return [...withoutTsx(parentExecArgv), '--import', TSX_WORKER_HOOKS_URL];
}

/**
 * The parent's own flags minus any tsx loader registration: what a JavaScript worker runs with.
 * A parent started under tsx (`tsx script.ts`, `node --import tsx`) has tsx's loader in its
 * process.execArgv; a worker given those flags registers tsx again (a loader thread of its own,
 * and esbuild transforming every CommonJS module the worker requires, piscina's among them):
 * that was most of a compiled actor thread's start-up, ~2.5x the CPU of a small threaded run.
 * Only for a worker that imports no TypeScript (the compiled tree's, its plugins compiled too):
 * a JavaScript worker of the installed package that imports a user's .ts plugin needs the
 * parent's loader, so spawnTsWorker and createTsPiscina keep the parent's flags by default.
 */
export function withoutTsx(parentExecArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < parentExecArgv.length; i++) {
    const arg = parentExecArgv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (LOADER_FLAGS.has(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : (parentExecArgv[i + 1] ?? '');
      if (eq < 0) i++;
      if (isTsxSpecifier(value)) continue;
      out.push(flag, value);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** tsx itself (bare or resolved) or our own preload: registered once, by us. */
function isTsxSpecifier(value: string): boolean {
  return (
    value === 'tsx' || value.startsWith('tsx/') || /[\\/]node_modules[\\/]tsx[\\/]/.test(value) || value.endsWith('/tsx-worker-hooks.mjs')
  );
}

/** Normalises a worker module reference to a file URL (what new Worker accepts for ESM .ts). */
function toFileUrl(file: URL | string): URL {
  if (file instanceof URL) return file;
  return file.startsWith('file:') ? new URL(file) : pathToFileURL(file);
}

/** Whether a module needs tsx to load (TypeScript), rather than running as it is (JavaScript). */
function isTypeScript(file: URL): boolean {
  return /\.[cm]?ts$/.test(file.pathname);
}

/**
 * The URL of the worker module `name` beside the module `from` (its import.meta.url), with
 * `from`'s own extension: `.ts` when the code runs from its sources, `.js` when compiled.
 */
export function workerModule(name: string, from: string): URL {
  const ext = /\.[cm]?[jt]s$/.exec(new URL(from).pathname)?.[0] ?? '.js';
  return new URL(`./${name}${ext}`, from);
}

/** A worker's execArgv: with tsx's hooks for a TypeScript module, the parent's flags as they are for JavaScript. */
function execArgvFor(file: URL, parentExecArgv: readonly string[]): string[] {
  return isTypeScript(file) ? tsWorkerExecArgv(parentExecArgv) : [...parentExecArgv];
}

/**
 * Starts a raw worker_threads Worker running a TypeScript module (with tsx loaded) or a
 * JavaScript one (as it is).
 * @param file the module, as a file URL (e.g. `workerModule('hv-worker', import.meta.url)`) or a path
 * @param options Worker options; `execArgv`, if given, is used as the parent flags to filter
 */
export function spawnTsWorker(file: URL | string, options: WorkerOptions = {}): Worker {
  const url = toFileUrl(file);
  return new Worker(url, { ...options, execArgv: execArgvFor(url, options.execArgv ?? process.execArgv) });
}

export type TsPiscinaOptions = Omit<NonNullable<ConstructorParameters<typeof Piscina>[0]>, 'filename'> & { filename: URL | string };

/**
 * Creates a piscina pool whose workers run a TypeScript module, with tsx loaded in each worker
 * (or a JavaScript module, as it is).
 * For long-lived actor tasks pass `atomics: 'disabled'` and `idleTimeout: Infinity` (see
 * concurrency-anchors §C): a worker parked in piscina's Atomics.wait cannot run its event loop.
 */
export function createTsPiscina<Task = unknown, Result = unknown>(options: TsPiscinaOptions): Piscina<Task, Result> {
  const url = toFileUrl(options.filename);
  return new Piscina<Task, Result>({ ...options, filename: fileURLToPath(url), execArgv: execArgvFor(url, options.execArgv ?? process.execArgv) });
}

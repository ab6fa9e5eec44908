// Several variants of a scenario file at once, one per core: the variants of a scenario are
// independent worlds, so `xen-memsim demo` runs its two (claim_mode=0 and 1) side by side. The
// first variant runs on the calling thread, each other one on a worker thread of its own
// (variant-worker.ts), at most `parallel` at a time. Scheduled runs only (a real-thread run already
// has its threads); results come back in the variants' order, as a sequential loop returns them.
// A worker that fails, dies or outlives its wall-clock budget (plus VARIANT_WORKER_GRACE_MS) fails
// the call, and the other workers are terminated.
// Run from the sources, a worker loads the sources compiled once (workers/compiled-tree.ts: no
// TypeScript loader to start in it) when the variant names no plugin module and its observer's
// module is in the tree; else it loads the sources themselves, through tsx (a plugin outside the
// package imports the sources' modules: the worker must share them, one registry).

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { compiledTree } from '../../workers/compiled-tree.ts';
import { spawnTsWorker, withoutTsx, workerModule } from '../../workers/spawn.ts';
import { workerResult } from '../../workers/worker-result.ts';
import type { CompiledVariant } from './load.ts';
import { runVariant, type Progress, type RunObserver, type RunVariantOptions, type VariantRun } from './run.ts';

/** What a worker may wait past its run's wall-clock budget (its start-up, its trace's last write) before it counts as hung. */
export const VARIANT_WORKER_GRACE_MS = 60_000;

/** The options a variant worker takes: RunVariantOptions' data (no functions; the observer by its module). */
export type VariantJobOptions = Pick<RunVariantOptions, 'policy' | 'progressMs' | 'trace' | 'wallBudgetMs'>;

/** workerData of variant-worker.ts. */
export interface VariantJob {
  variantJson: string;
  options: VariantJobOptions;
  /** RunObserver.ownerModule of the run's observer. */
  observerModule?: string;
  /** ParallelOptions.afterModule, and the variant's index. */
  afterModule?: string;
  index: number;
  progress: boolean;
}

/** What ParallelOptions.afterModule exports. */
export interface AfterRunModule {
  /** Work on a run in the thread that ran it (variant `index`); returns plain data (posted back by a worker). */
  afterRun(run: VariantRun<unknown>, index: number): unknown;
}

type RunData = Omit<VariantRun<unknown>, 'variant' | 'traceError'> & { traceError?: { message: string; code?: string } };

/** What a variant worker posts. */
export type VariantWorkerMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; run: RunData; after?: unknown }
  | { type: 'error'; message: string; code?: string };

export interface ParallelOptions<T> extends Omit<VariantJobOptions, 'trace'> {
  /** Each variant's trace (RunVariantOptions.trace); default 'keep'. */
  trace?: (v: CompiledVariant) => VariantJobOptions['trace'];
  /** How many variants run at once (default: the machine's cores, os.availableParallelism()). */
  parallel?: number;
  /** The observer must name its module (RunObserver.ownerModule) for a worker to attach it. */
  observer?: RunObserver<T>;
  onProgress?: (p: Progress) => void;
  /**
   * A module (URL) exporting afterRun (AfterRunModule), called in the thread that ran each variant
   * right after its run — a worker's core is otherwise idle then — its result given to onDone:
   * work on the runs (serialising their reports) done side by side too.
   */
  afterModule?: string;
  /** Told of each variant as it finishes (in the order they finish), with afterModule's result for it. */
  onDone?: (run: VariantRun<T>, after?: unknown) => void;
}

/** Runs `variants` scheduled, up to `parallel` at once; the runs in the variants' order. @throws RangeError on a `parallel` that is not a whole number ≥ 1 */
export async function runVariantsInParallel<T>(variants: readonly CompiledVariant[], o: ParallelOptions<T> = {}): Promise<Array<VariantRun<T>>> {
  if (o.parallel !== undefined && !(Number.isSafeInteger(o.parallel) && o.parallel >= 1)) throw new RangeError(`runVariantsInParallel: parallel must be a whole number ≥ 1 (got ${String(o.parallel)})`);
  const parallel = Math.max(1, Math.min(variants.length, o.parallel ?? availableParallelism()));
  if (o.observer !== undefined && o.observer.ownerModule === undefined && parallel > 1) {
    throw new Error('runVariantsInParallel: the observer has no ownerModule, so a worker cannot attach it (run with parallel: 1)');
  }
  const { parallel: _, observer, onProgress, onDone, trace, afterModule, ...common } = o;
  const runs: Array<VariantRun<T> | undefined> = variants.map(() => undefined);
  const workers = new Set<Worker>();
  let next = 0;
  let failed = false;
  const lane = async (first: boolean): Promise<void> => {
    for (let i = next++; i < variants.length && !failed; i = next++) {
      const v = variants[i];
      const data: VariantJobOptions = { ...common, ...(trace === undefined ? {} : { trace: trace(v) }) };
      // The calling thread takes the first variant of its lane itself: no worker start-up for it.
      let run: VariantRun<T>;
      let after: unknown;
      if (first && i === 0) {
        run = await runVariant<T>(v, { ...data, ...(observer === undefined ? {} : { observer }), ...(onProgress === undefined ? {} : { onProgress }) });
        if (afterModule !== undefined) after = ((await import(afterModule)) as AfterRunModule).afterRun(run as VariantRun<unknown>, i);
      } else {
        ({ run, after } = await inWorker<T>(v, i, data, { observerModule: observer?.ownerModule, afterModule }, onProgress, workers));
      }
      runs[i] = run;
      onDone?.(run, after);
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, (_, k) => lane(k === 0)));
  } catch (e) {
    failed = true;
    await Promise.all([...workers].map((w) => w.terminate()));
    throw e;
  }
  return runs as Array<VariantRun<T>>;
}

/**
 * The variant worker's module and the observer module it imports: the compiled tree's when there
 * is one, the variant names no plugin module and the observer's module (if any) is in the tree;
 * else the sources'.
 */
export function variantWorkerModules(v: CompiledVariant, modules: WorkerModules): { file: URL; modules: WorkerModules; compiled: boolean; execArgv?: string[] } {
  const tree = compiledTree();
  const named = Object.entries(modules).filter((e): e is [keyof WorkerModules, string] => e[1] !== undefined);
  const mapped = named.map(([k, url]) => [k, tree?.map(url)] as const);
  if (tree === undefined || (v.spec.plugins ?? []).length > 0 || mapped.some(([, url]) => url === undefined)) {
    return { file: workerModule('variant-worker', import.meta.url), modules: Object.fromEntries(named), compiled: false };
  }
  // JavaScript importing only JavaScript: no loader, even under a parent started by tsx.
  return { file: pathToFileURL(join(tree.dir, 'world', 'scenario-file', 'variant-worker.js')), modules: Object.fromEntries(mapped), compiled: true, execArgv: withoutTsx() };
}

/** The modules a variant worker imports besides its own: the observer's (RunObserver.ownerModule) and ParallelOptions.afterModule. */
export interface WorkerModules {
  observerModule?: string;
  afterModule?: string;
}

function inWorker<T>(v: CompiledVariant, index: number, options: VariantJobOptions, modules: WorkerModules, onProgress: ((p: Progress) => void) | undefined, workers: Set<Worker>): Promise<{ run: VariantRun<T>; after?: unknown }> {
  const mod = variantWorkerModules(v, modules);
  const job: VariantJob = { variantJson: JSON.stringify(v), options, ...mod.modules, index, progress: onProgress !== undefined };
  return workerResult<VariantWorkerMessage, { run: VariantRun<T>; after?: unknown }>(spawnTsWorker(mod.file, { workerData: job, ...(mod.execArgv === undefined ? {} : { execArgv: mod.execArgv }) }), {
    name: `variant ${v.label}`,
    live: workers,
    ...(options.wallBudgetMs === undefined ? {} : { timeoutMs: options.wallBudgetMs + VARIANT_WORKER_GRACE_MS }),
    onMessage: (m) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else return m.type === 'error' ? { error: m.message, ...(m.code === undefined ? {} : { code: m.code }) } : { result: { run: fromData<T>(v, m.run), after: m.after } };
      return undefined;
    },
  });
}

/** The run as the parent returns it: its variant, and a trace error as an Error with its code (fsErrorReason reads it). */
function fromData<T>(v: CompiledVariant, run: RunData): VariantRun<T> {
  const { traceError, ...rest } = run;
  return {
    ...(rest as Omit<VariantRun<T>, 'variant'>), variant: v,
    ...(traceError === undefined ? {} : { traceError: Object.assign(new Error(traceError.message), traceError.code === undefined ? {} : { code: traceError.code }) }),
  };
}

// A ParallelOptions.afterModule for tests: what it saw of the run, and where it ran.
import { isMainThread } from 'node:worker_threads';
import type { VariantRun } from '../scenario-file/run.ts';

export const AFTER_RUN_MODULE = import.meta.url;

export function afterRun(run: VariantRun<unknown>, index: number): { index: number; label: string; steps: number; mainThread: boolean } {
  return { index, label: run.label, steps: run.steps, mainThread: isMainThread };
}

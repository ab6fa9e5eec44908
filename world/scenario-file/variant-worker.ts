// The worker side of world/scenario-file/parallel.ts: one scheduled variant on its own thread.
// It gets the compiled variant as JSON text and the observer as a module URL (RunObserver.ownerModule),
// runs the variant exactly as runVariant does in the parent, posts progress, and posts the run back
// as plain data (the observer's result included). The scheduled world is deterministic: the trace
// is byte for byte the one an in-process run writes.

import { parentPort, workerData } from 'node:worker_threads';
import type { Owner } from '../../sim/owner.ts';
import { loadPluginModules } from '../../sim/registry.ts';
import type { CompiledVariant } from './load.ts';
import { runVariant, type RunObserver } from './run.ts';
import type { AfterRunModule, VariantJob, VariantWorkerMessage } from './parallel.ts';

const job = workerData as VariantJob;
const post = (m: VariantWorkerMessage): void => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const variant = JSON.parse(job.variantJson) as CompiledVariant;
  await loadPluginModules(variant.spec.plugins ?? []);
  const mod = job.observerModule === undefined ? undefined : ((await import(job.observerModule)) as { attachObserver(owner: Owner): { finish(): unknown } });
  const observer: RunObserver<unknown> | undefined = mod === undefined ? undefined : {
    attach: (owner) => mod.attachObserver(owner),
    fromTrace: () => Promise.reject(new Error('variant worker: a scheduled run attaches its observer, it never replays')),
  };
  const run = await runVariant<unknown>(variant, {
    ...job.options, ...(observer === undefined ? {} : { observer }),
    ...(job.progress ? { onProgress: (p) => post({ type: 'progress', progress: p }) } : {}),
  });
  const after = job.afterModule === undefined ? undefined : ((await import(job.afterModule)) as AfterRunModule).afterRun(run, job.index);
  // The parent holds the variant; the rest is data.
  const { variant: _, traceError, ...rest } = run;
  const code = (traceError as NodeJS.ErrnoException | undefined)?.code;
  post({
    type: 'done', run: { ...rest, ...(traceError === undefined ? {} : { traceError: { message: traceError.message, ...(code === undefined ? {} : { code }) } }) },
    ...(after === undefined ? {} : { after }),
  });
}

main().catch((e: unknown) => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  post({ type: 'error', message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) });
});

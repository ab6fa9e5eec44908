// The one result a worker thread posts back: demo variants side by side
// (world/scenario-file/parallel.ts) and a campaign's jobs (prop-tests/campaign/jobs.ts) wait for
// it the same way. The promise settles once: with the result the caller's onMessage reads from a
// message, or with an error naming the worker — an error it posted, its uncaught error, its exit
// before a result, or no result within timeoutMs. Settled either way, the thread is terminated.

import type { Worker } from 'node:worker_threads';

/** What one message means: the result, a failure (its message and error code), or neither (wait on). */
export type WorkerAnswer<R> = { result: R } | { error: string; code?: string } | undefined;

export interface WorkerResultOptions<M, R> {
  /** Names the worker at the head of every error ("variant claim_mode=1"). */
  name: string;
  /** Reads a message (progress and the like return undefined). */
  onMessage: (m: M) => WorkerAnswer<R>;
  /** Fails after this long without a result (ms); default: no limit (the caller bounds the work). */
  timeoutMs?: number;
  /** The live workers: `w` is in it until it settles (the caller terminates those left on a failure). */
  live?: Set<Worker>;
}

/** The result `w` posts. @throws an Error named by `o.name` (with the posted `code`, if any) */
export function workerResult<M, R>(w: Worker, o: WorkerResultOptions<M, R>): Promise<R> {
  o.live?.add(w);
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      o.live?.delete(w);
      void w.terminate();
      f();
    };
    const fail = (message: string, code?: string): void =>
      settle(() => reject(Object.assign(new Error(`${o.name}: ${message}`), code === undefined ? {} : { code })));
    const watchdog = o.timeoutMs === undefined ? undefined
      : setTimeout(() => fail(`no result after ${o.timeoutMs! / 1000} s; its thread was terminated`), o.timeoutMs);
    w.on('message', (m: M) => {
      const a = o.onMessage(m);
      if (a === undefined) return;
      if ('result' in a) settle(() => resolve(a.result));
      else fail(a.error, a.code);
    });
    w.on('error', (e) => fail(e.stack ?? e.message));
    w.on('exit', (code) => fail(`its thread exited (code ${code}) before it posted its result`));
  });
}

// node:worker_threads in the browser playground: only `threadId`, which the mailbox client claims
// its slot with (workers/mailbox-client.ts) and an actor publishes for its supervisor
// (workers/actor-worker.ts). A Web Worker has no thread id of its own: the playground's thread
// platform (web/app/web-threads.ts) names each worker it starts with one (WORKER_NAME_PREFIX),
// unique in the page; the emulator's own worker, which names none, is 0 as Node's main thread is.
// Any other import of node:worker_threads fails the build (esbuild: no matching export).

/** Prefix of a thread worker's name; the decimal thread id follows (`memsim-thread-7:actor`). */
export const WORKER_NAME_PREFIX = 'memsim-thread-';

/** The thread id in a worker name, 0 when the name is not one the thread platform gave. */
export function threadIdOf(name: string): number {
  const m = /^memsim-thread-(\d{1,9}):/.exec(name);
  return m === null ? 0 : Number(m[1]);
}

export const threadId: number = threadIdOf((globalThis as { name?: string }).name ?? '');

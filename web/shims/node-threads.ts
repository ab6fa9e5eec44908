// workers/threads.ts (Node's thread platform: worker_threads and piscina) in the browser
// playground: never loaded. world/scenario-file/run.ts imports it only when no thread runner is
// given, and the playground always gives its own (web/app/web-threads.ts).

export function runThreads(): never {
  throw new Error("Node's worker_threads are not in the browser playground: it runs real threads on Web Workers (web/app/web-threads.ts)");
}

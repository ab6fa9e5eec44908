// The module each of Node's actor threads runs (a piscina worker, threads.ts): the actor task of
// actor-worker.ts, with the run's plugin modules (piscina's workerData) imported as the thread
// starts — before piscina counts it ready — rather than by its first task. A thread started
// ahead (ACTOR_THREADS_AHEAD in supervisor.ts) is then ready for an actor the run spawns: until
// an actor starting has sent its first request the owner cannot advance virtual time, so a
// thread still loading its modules stalls the whole run (seconds each on a loaded machine).
//
// No top-level await, here or in anything this module imports: piscina loads its task module
// with require() first (worker.js getHandler), which on Node 20.19+ is require(esm). A graph with
// top-level await makes that require throw ERR_REQUIRE_ASYNC_MODULE after linking, and piscina
// then import()s the same graph; a require of a graph another import() is still instantiating
// aborts the whole process (V8 fatal "v8::Module::IsGraphAsync must be used on an instantiated
// module", nodejs/node#59703), which under load took a vitest fork down. So the default export is
// a promise of the task function, which piscina awaits (`await handler[name]`) before it
// reports the thread ready: the module graph loads by one synchronous require, the plugins by
// import() inside that promise.

import { workerData } from 'node:worker_threads';
import { loadPluginModules } from '../sim/registry.ts';
import runActorTask from './actor-worker.ts';

const ready: Promise<typeof runActorTask> = loadPluginModules((workerData as { plugins?: string[] } | null)?.plugins ?? []).then(() => runActorTask);

export default ready;

// The module each of Node's actor threads runs (a piscina worker, threads.ts): the actor task of
// actor-worker.ts, with the run's plugin modules (piscina's workerData) imported as the thread
// starts — before piscina counts it ready — rather than by its first task. A thread started
// ahead (ACTOR_THREADS_AHEAD in supervisor.ts) is then ready for an actor the run spawns: until
// an actor starting has sent its first request the owner cannot advance virtual time, so a
// thread still loading its modules stalls the whole run (seconds each on a loaded machine).

import { workerData } from 'node:worker_threads';
import { loadPluginModules } from '../sim/registry.ts';

export { default } from './actor-worker.ts';

await loadPluginModules((workerData as { plugins?: string[] } | null)?.plugins ?? []);

// Real threads on Node: the supervisor (supervisor.ts) on worker_threads — the owner in a raw
// Worker (hv-worker.ts: piscina's idle Atomics.wait would freeze its event loop) and each actor
// as one long-lived piscina task (actor-worker.ts, through actor-thread.ts, which loads the run's
// plugin modules as the thread starts). Run from the sources, the threads load the sources
// compiled once (compiled-tree.ts) when every module the run names is among them, else the
// sources themselves, TypeScript loaded through spawn.ts.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { ScenarioSpec } from '../sim/scenario.ts';
import type { ActorOutcome, ActorTask } from './actor-worker.ts';
import { Comlink, nodeEndpoint } from './comlink-node.ts';
import { compiledTree, type CompiledTree } from './compiled-tree.ts';
import type { HvWorkerData, OwnerControl, OwnerEvent } from './owner-host.ts';
import { createTsPiscina, spawnTsWorker, withoutTsx, workerModule } from './spawn.ts';
import { runThreadsOn, type OwnerThread, type ThreadPlatform, type ThreadRunOptions, type ThreadRunResult } from './supervisor.ts';

export {
  ACTORS_ALIVE_DEFAULT, ACTORS_ALIVE_MAX, ACTORS_GRACE_MS, OWNER_START_MS, RUN_BUDGET_MS_DEFAULT, RUN_BUDGET_MS_MAX, STOP_GRACE_MS,
  runThreadsOn, type ActorThreads, type OwnerThread, type ThreadPlatform, type ThreadRunOptions, type ThreadRunResult,
} from './supervisor.ts';

/**
 * The young generation (V8's new space, MiB) of the owner's and of each actor's thread. An actor
 * thread allocates little and keeps less (~10 MB of modules); with V8's default young generation
 * (up to 48 MiB on 64-bit) each of a demo variant's ~10 threads grows its heap to ~30 MB, most of
 * it young garbage, and `demo --threads` peaked near 500 MB. Smaller, a thread collects its
 * garbage sooner (a scavenge costs what survives, not what died). The owner allocates per section
 * and keeps the hypervisor's state: it gets more.
 */
export const ACTOR_YOUNG_GENERATION_MB = 4;
export const OWNER_YOUNG_GENERATION_MB = 8;

/** The compiled modules of `urls`, if every one is a source of the compiled tree (none: the workers load the sources). */
function compiledUrls(tree: CompiledTree | undefined, urls: readonly string[]): string[] | undefined {
  const out = tree === undefined ? undefined : urls.map((u) => tree.map(u));
  return out?.every((u) => u !== undefined) ? (out as string[]) : undefined;
}

/** An error's text from a thread on the compiled tree, naming the source modules (what the user wrote). */
const sourceText = (text: string): string => compiledTree()?.sourceText(text) ?? text;

/** Whether `plugins` (workerPlugins' list) are the compiled tree's: that run's threads load it. */
function inTree(tree: CompiledTree | undefined, plugins: readonly string[]): tree is CompiledTree {
  return tree !== undefined && plugins.every((u) => tree.source(u) !== undefined);
}

/**
 * A worker module and its flags: the compiled tree's when the run's threads load it (JavaScript
 * importing only JavaScript: no loader, even under a parent started by tsx), else the one beside
 * this module (spawn.ts adds tsx to a TypeScript one; a compiled package's keeps the parent's flags).
 */
function threadModule(name: string, tree: CompiledTree | undefined): { file: URL; execArgv?: string[] } {
  return tree === undefined ? { file: workerModule(name, import.meta.url) } : { file: pathToFileURL(join(tree.dir, 'workers', `${name}.js`)), execArgv: withoutTsx() };
}

/**
 * The owner's module and data: the compiled tree's when its plugins are and its observer module
 * can be (else the sources', its plugins mapped back).
 */
function ownerModule(data: HvWorkerData): { module: { file: URL; execArgv?: string[] }; data: HvWorkerData } {
  const tree = compiledTree();
  if (!inTree(tree, data.plugins)) return { module: threadModule('hv-worker', undefined), data };
  const observer = data.observerModule === undefined ? [] : compiledUrls(tree, [data.observerModule]);
  if (observer === undefined) return { module: threadModule('hv-worker', undefined), data: { ...data, plugins: data.plugins.map((u) => tree.source(u)!) } };
  return { module: threadModule('hv-worker', tree), data: { ...data, ...(observer.length === 0 ? {} : { observerModule: observer[0] }) } };
}

function startNodeOwner(start: HvWorkerData): OwnerThread {
  const { module, data } = ownerModule(start);
  const worker: Worker = spawnTsWorker(module.file, {
    workerData: data, resourceLimits: { maxYoungGenerationSizeMb: OWNER_YOUNG_GENERATION_MB },
    ...(module.execArgv === undefined ? {} : { execArgv: module.execArgv }),
  });
  let error: string | undefined;
  // 'error' comes before 'exit': the exit can name the error.
  worker.on('error', (e) => (error ??= sourceText(`${e.name}: ${e.message}`)));
  const exited = new Promise<{ error?: string; code?: number }>((resolve) => worker.once('exit', (code) => resolve({ error, code })));
  const control = Comlink.wrap<OwnerControl>(nodeEndpoint(worker));
  const events = new MessageChannel();
  return {
    control,
    exited,
    connect: async (statsEverySteps, onEvent) => {
      events.port1.on('message', (e: OwnerEvent) => onEvent(e));
      await control.connect(Comlink.transfer(events.port2, [events.port2]), statsEverySteps);
    },
    terminate: async () => void (await worker.terminate()),
    release: () => {
      control[Comlink.releaseProxy]();
      events.port1.close();
    },
  };
}

/** Node's threads: worker_threads for the owner, a piscina pool for the actors. */
export const NODE_THREADS: ThreadPlatform = {
  workerPlugins: (registered) => compiledUrls(compiledTree(), registered) ?? registered,
  startOwner: startNodeOwner,
  startActorThreads: ({ minThreads, maxThreads, plugins }) => {
    const module = threadModule('actor-thread', inTree(compiledTree(), plugins) ? compiledTree() : undefined);
    const pool = createTsPiscina<ActorTask, ActorOutcome>({
      filename: module.file,
      ...(module.execArgv === undefined ? {} : { execArgv: module.execArgv }),
      workerData: { plugins },
      atomics: 'disabled',
      idleTimeout: Infinity,
      minThreads,
      maxThreads,
      // A finished actor's thread may still be winding down when the next actor starts: that one
      // waits for the thread instead of being refused.
      maxQueue: maxThreads,
      resourceLimits: { maxYoungGenerationSizeMb: ACTOR_YOUNG_GENERATION_MB },
    });
    return {
      run: (task) =>
        pool.run(task).then(
          (o) => (o.error === undefined ? o : { ...o, error: sourceText(o.error) }),
          (e: unknown) => {
            if (e instanceof Error) e.message = sourceText(e.message);
            throw e;
          },
        ),
      destroy: () => pool.destroy(),
    };
  },
};

/** Runs a scenario with the owner and every actor on their own Node threads. @throws ScenarioSpecError on a spec that is not valid */
export function runThreads(spec: ScenarioSpec, opts: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  return runThreadsOn(NODE_THREADS, spec, opts);
}

// Real threads: the main-thread supervisor of a run. It creates the mailbox, starts the owner
// worker (a raw Worker hosting the hypervisor) and one piscina task per actor, watches threads
// die (abandoning their slots, marking a dead owner), relays spawn requests, and collects the
// trace. The control plane (stats, kill, spawn relay, outcome) goes through comlink; hypercalls
// only ever go through the mailbox.

import { MessageChannel, type Worker } from 'node:worker_threads';
import { loadPluginModules, pluginModules } from '../sim/registry.ts';
import type { ScenarioSpec, ActorSpec } from '../sim/scenario.ts';
import { abandonSlotsOfThread, createMailbox, markOwnerDead } from './channel.ts';
import { Comlink, nodeEndpoint } from './comlink-node.ts';
import type { ActorOutcome, ActorTask } from './actor-worker.ts';
import type { HvWorkerData, OwnerControl, OwnerEvent, OwnerOutcome, OwnerStats } from './hv-worker.ts';
import { createTsPiscina, spawnTsWorker } from './spawn.ts';

export interface ThreadRunOptions {
  /** Owner's scheduling policy among runnable sections (default "arrival": what threads do). */
  policy?: string;
  invariants?: boolean;
  /** Slots (and pool threads) kept for actors spawned during the run. Default 16. */
  spawnHeadroom?: number;
  /** Give up on the run after this long (wall ms). Default 120 s. */
  timeoutMs?: number;
  /** Fault injection: the named actor's thread exits in the middle of its n+1-th hypercall. */
  dieAfterRequests?: Record<string, number>;
  /** Fault injection: terminate the owner worker this long (wall ms) after start. */
  killOwnerAfterMs?: number;
  /** Stats from the owner every `statsEverySteps` steps. */
  onStats?: (s: OwnerStats) => void;
  statsEverySteps?: number;
  /** Test hook: the run's mailbox, before any actor starts (fault tests write rogue slots into it). */
  onMailbox?: (buffer: SharedArrayBuffer) => void;
  /** Hands the caller the owner's control plane (snapshot, stop, stats, kill) once it is up. */
  onControl?: (control: Comlink.Remote<OwnerControl>) => void;
}

export interface ThreadRunResult extends Partial<OwnerOutcome> {
  /** Set when the owner died or the run timed out: no outcome from the owner. */
  ownerLost?: string;
  actors: ActorOutcome[];
  wallMs: number;
}

/** Runs a scenario with the owner and every actor on their own threads. */
export async function runThreads(spec: ScenarioSpec, opts: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  const t0 = performance.now();
  // Every thread imports the same modules, so a name means the same program everywhere.
  await loadPluginModules(spec.plugins ?? []);
  const plugins = pluginModules();
  const headroom = opts.spawnHeadroom ?? 16;
  const maxActors = spec.actors.length + headroom;
  const buffer = createMailbox({ slotCount: maxActors });
  opts.onMailbox?.(buffer);
  const data: HvWorkerData = { buffer, spec, plugins, policy: opts.policy ?? 'arrival', invariants: opts.invariants };
  const ownerWorker: Worker = spawnTsWorker(new URL('./hv-worker.ts', import.meta.url), { workerData: data });
  let ownerExit: string | undefined;
  const ownerExited = new Promise<void>((resolve) =>
    ownerWorker.once('exit', (code) => {
      ownerExit = `owner worker exited (code ${code})`;
      markOwnerDead(buffer); // every blocked caller gets OwnerGoneError now, not at a timeout
      resolve();
    }),
  );
  ownerWorker.on('error', (e) => (ownerExit = `owner worker failed: ${e.message}`));
  const control = Comlink.wrap<OwnerControl>(nodeEndpoint(ownerWorker));

  const pool = createTsPiscina<ActorTask, ActorOutcome>({
    filename: new URL('./actor-worker.ts', import.meta.url),
    atomics: 'disabled',
    idleTimeout: Infinity,
    minThreads: Math.min(spec.actors.length, maxActors),
    maxThreads: maxActors,
    // Spawned actors (guest kernels started by xl create) may arrive while every thread is busy:
    // they wait for the pool to grow (up to maxThreads) instead of being refused at once.
    maxQueue: maxActors,
  });
  const threadIds = new Int32Array(new SharedArrayBuffer(4 * maxActors));
  const running: Array<Promise<ActorOutcome>> = [];
  const start = (a: ActorSpec): void => {
    const index = running.length;
    if (index >= maxActors) {
      void control.kill(a.name, 'no thread left for it (spawn headroom exhausted)');
      return;
    }
    const task: ActorTask = { buffer, spec: a, plugins, threadIds, index, dieAfterRequests: opts.dieAfterRequests?.[a.name] };
    running.push(
      pool.run(task).catch((e: Error) => {
        // The actor's thread died: free its slot (the owner finishes its call in flight).
        const tid = Atomics.load(threadIds, index);
        if (tid !== 0) abandonSlotsOfThread(buffer, tid);
        void control.kill(a.name, `thread died: ${e.message}`).catch(() => {});
        return { actor: a.name, error: `thread died: ${e.message}` };
      }),
    );
  };
  const events = new MessageChannel();
  events.port1.on('message', (e: OwnerEvent) => (e.type === 'spawn' ? start(e.spec) : opts.onStats?.(e.stats)));
  await control.connect(Comlink.transfer(events.port2, [events.port2]), opts.onStats === undefined ? 0 : (opts.statsEverySteps ?? 1000));
  opts.onControl?.(control);
  for (const a of spec.actors) start(a);
  const killTimer = opts.killOwnerAfterMs === undefined ? undefined : setTimeout(() => void ownerWorker.terminate(), opts.killOwnerAfterMs);

  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    control.outcome(),
    ownerExited.then(() => undefined),
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs))),
  ]);
  clearTimeout(timer);
  clearTimeout(killTimer);
  const actors = await Promise.all(running);
  await pool.destroy();
  control[Comlink.releaseProxy]();
  events.port1.close();
  await ownerWorker.terminate();
  const wallMs = performance.now() - t0;
  if (outcome === undefined) return { ownerLost: ownerExit ?? `no outcome within ${timeoutMs} ms`, actors, wallMs };
  return { ...outcome, actors, wallMs };
}

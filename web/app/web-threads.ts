// Real threads in the browser: the ThreadPlatform (workers/supervisor.ts) on Web Workers, for the
// playground's emulator worker, which supervises the run. The hypervisor owner gets one Web
// Worker and each actor another; they talk over the same SharedArrayBuffer mailbox as on Node
// (workers/mailbox-*.ts, unchanged: a hypercall blocks its worker in Atomics.wait, which a Web
// Worker may do). Every thread worker runs the emulator worker's own script (it is one bundle)
// in the role its name gives (thread-roles.ts), so every registry holds the same names and no
// plugin module is imported. A worker that dies (an uncaught error, or an owner that could not
// start) is reported as its thread's death; a hung one is bounded by the supervisor's budgets
// and terminated. Needs a cross-origin isolated page (SharedArrayBuffer).

import * as Comlink from 'comlink';
import type { ActorOutcome, ActorTask } from '../../workers/actor-worker.ts';
import type { HvWorkerData, OwnerControl, OwnerEvent } from '../../workers/owner-host.ts';
import { runThreadsOn, type ActorThreads, type OwnerThread, type ThreadPlatform, type ThreadRunOptions, type ThreadRunResult } from '../../workers/supervisor.ts';
import type { ScenarioSpec } from '../../sim/scenario.ts';
import { WORKER_NAME_PREFIX } from '../shims/worker-threads.ts';

/** What the platform posts to a thread worker first (and only). */
export type ToThread =
  | { role: 'owner'; data: HvWorkerData; control: unknown }
  | { role: 'actor'; task: ActorTask };
/** What a thread worker posts back: an actor's outcome, or why the thread cannot go on. */
export type FromThread = { kind: 'outcome'; outcome: ActorOutcome } | { kind: 'fatal'; error: string };

/** The browser's Worker and MessagePort, as far as this module uses them (the types in scope are Node's). */
interface WebWorker {
  postMessage(m: ToThread, transfer?: unknown[]): void;
  terminate(): void;
  onmessage: ((ev: { data: FromThread }) => void) | null;
  onerror: ((ev: { message?: string; preventDefault(): void }) => void) | null;
}
interface WebPort {
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
}
const web = globalThis as unknown as {
  Worker: new (url: string, options: { name: string }) => WebWorker;
  MessageChannel: new () => { port1: WebPort; port2: WebPort };
  location?: { href: string };
  crossOriginIsolated?: boolean;
};

/**
 * Why this context cannot run real threads, or undefined when it can: SharedArrayBuffer needs
 * cross-origin isolation, and the thread workers are started from this worker (nested workers).
 */
export function threadsUnavailable(): string | undefined {
  if (web.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') {
    return 'real threads need SharedArrayBuffer, which only a cross-origin isolated page has (serve the playground with `xen-memsim web`)';
  }
  if (typeof web.Worker !== 'function') return 'this browser cannot start Web Workers from a Web Worker, which the real threads are';
  return undefined;
}

/** Thread ids given in this page so far (0 is the emulator's own worker). */
let lastThreadId = 0;

/** A thread worker running this very script in `role` (its name carries a fresh thread id). */
function startWorker(role: ToThread['role']): WebWorker {
  const href = web.location?.href;
  if (href === undefined) throw new Error('web threads: the thread workers run the emulator worker\'s own script, and this context has none');
  return new web.Worker(href, { name: `${WORKER_NAME_PREFIX}${++lastThreadId}:${role}` });
}

/** The text of a worker's error event. */
function errorText(ev: { message?: string }): string {
  return ev.message !== undefined && ev.message !== '' ? ev.message : 'an uncaught error in its worker';
}

function startOwner(data: HvWorkerData): OwnerThread {
  const worker = startWorker('owner');
  let settle!: (why: { error?: string; code?: number }) => void;
  const exited = new Promise<{ error?: string; code?: number }>((resolve) => (settle = resolve));
  let gone = false;
  /** The thread is over (its error, or terminated): settles `exited` once, as Node's 'exit' does. */
  const end = (why: { error?: string; code?: number }): void => {
    if (gone) return;
    gone = true;
    worker.terminate();
    settle(why);
  };
  worker.onerror = (ev) => {
    ev.preventDefault();
    end({ error: errorText(ev), code: 1 });
  };
  worker.onmessage = (ev) => {
    if (ev.data.kind === 'fatal') end({ error: ev.data.error, code: 1 });
  };
  const controlChannel = new web.MessageChannel();
  worker.postMessage({ role: 'owner', data, control: controlChannel.port2 }, [controlChannel.port2]);
  const control = Comlink.wrap<OwnerControl>(controlChannel.port1 as unknown as Comlink.Endpoint);
  const events = new web.MessageChannel();
  return {
    control,
    exited,
    connect: async (statsEverySteps, onEvent) => {
      events.port1.onmessage = (ev) => onEvent(ev.data as OwnerEvent);
      await control.connect(Comlink.transfer(events.port2, [events.port2] as never) as never, statsEverySteps);
    },
    // Terminated from outside: exit code 1, as Node reports a terminated worker.
    terminate: async () => end({ code: 1 }),
    release: () => {
      control[Comlink.releaseProxy]();
      events.port1.close();
      controlChannel.port1.close();
    },
  };
}

/** One Web Worker per actor, ended when its actor is (the supervisor keeps at most maxThreads alive). */
function startActorThreads(): ActorThreads {
  const live = new Set<(why: string) => void>();
  return {
    run: (task) => new Promise<ActorOutcome>((resolve, reject) => {
      const worker = startWorker('actor');
      const finish = (): void => {
        live.delete(kill);
        worker.terminate();
      };
      const kill = (why: string): void => {
        finish();
        reject(new Error(why));
      };
      live.add(kill);
      worker.onerror = (ev) => {
        ev.preventDefault();
        kill(errorText(ev));
      };
      worker.onmessage = (ev) => {
        if (ev.data.kind === 'fatal') return kill(ev.data.error);
        finish();
        resolve(ev.data.outcome);
      };
      worker.postMessage({ role: 'actor', task });
    }),
    destroy: async () => {
      for (const kill of [...live]) kill('terminated');
    },
  };
}

/** Web Workers: the owner in one, each actor in its own. */
export const WEB_THREADS: ThreadPlatform = {
  // Every thread worker is this same bundle: its registry already holds every name.
  workerPlugins: () => [],
  startOwner,
  startActorThreads,
};

/** Runs a scenario with the owner and every actor on Web Workers of this page. */
export function runWebThreads(spec: ScenarioSpec, opts: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  return runThreadsOn(WEB_THREADS, spec, opts);
}

// The two roles a thread worker of the playground plays (web-threads.ts starts them, naming each
// with its thread id and role): the hypervisor owner (workers/owner-host.ts, its control plane
// exposed with comlink on the port it was given) or one actor (workers/actor-worker.ts). Each
// gets one message, its ToThread. What would end the thread silently in a browser — a rejected
// start, an unhandled rejection — is posted back as 'fatal', so the supervisor reports the thread
// dead instead of waiting for it.

import * as Comlink from 'comlink';
import runActorTask from '../../workers/actor-worker.ts';
import { startOwnerHost } from '../../workers/owner-host.ts';
import { threadId } from '../shims/worker-threads.ts';
import { macrotask } from './macrotask.ts';
import type { FromThread, ToThread } from './web-threads.ts';

interface WorkerScope {
  postMessage(m: FromThread): void;
  onmessage: ((ev: { data: ToThread }) => void) | null;
  addEventListener(type: 'unhandledrejection', f: (ev: { reason: unknown }) => void): void;
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Plays this worker's thread role, if its name gives it one. @returns false in the emulator's own worker */
export function startThreadRole(): boolean {
  if (threadId === 0) return false;
  const scope = globalThis as unknown as WorkerScope;
  const fatal = (e: unknown): void => scope.postMessage({ kind: 'fatal', error: describe(e) });
  scope.addEventListener('unhandledrejection', (ev) => fatal(ev.reason));
  scope.onmessage = (ev) => {
    scope.onmessage = null;
    const m = ev.data;
    if (m.role === 'owner') {
      startOwnerHost(m.data, macrotask).then((control) => Comlink.expose(control, m.control as Comlink.Endpoint), fatal);
    } else {
      runActorTask(m.task).then((outcome) => scope.postMessage({ kind: 'outcome', outcome }), fatal);
    }
  };
  return true;
}

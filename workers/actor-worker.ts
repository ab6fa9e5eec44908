// piscina task: runs ONE actor of a scenario on this worker thread until it finishes. One actor
// per thread because a hypercall blocks its thread in Atomics.wait, exactly like a vCPU; actors
// sharing a thread would serialise on each other's hypercalls and hide the races we want to see.
// The pool runs with atomics: 'disabled' so an idle worker keeps a live event loop.

import { threadId } from 'node:worker_threads';
import { actorKind, loadPluginModules } from '../sim/registry.ts';
import { ActorStopped } from '../sim/request-port.ts';
import type { ActorSpec } from '../sim/scenario.ts';
import { MailboxPort } from './mailbox-port.ts';

export interface ActorTask {
  buffer: SharedArrayBuffer;
  /** The actor's spec as JSON text (copied as bytes, not cloned object by object: see HvWorkerData.specJson). */
  specJson: string;
  /** Modules that register actor kinds (sim/registry.ts pluginModules()), imported before the actor runs. */
  plugins: string[];
  /** One shared cell: set to this thread's id before the slot is claimed (for cleanup). */
  threadCell: Int32Array;
  /** Test hook: this thread exits abruptly on its way to its (n+1)-th hypercall. */
  dieAfterRequests?: number;
  /** Test hook: the thread waits this long (wall ms) before it starts the actor (a thread the machine has not run yet). */
  startDelayMs?: number;
}

export interface ActorOutcome {
  actor: string;
  error?: string;
}

export default async function runActorTask(task: ActorTask): Promise<ActorOutcome> {
  let port: MailboxPort | undefined;
  let spec: ActorSpec | undefined;
  try {
    spec = JSON.parse(task.specJson) as ActorSpec;
    await loadPluginModules(task.plugins);
    const main = actorKind(spec.kind);
    if (task.startDelayMs !== undefined) await new Promise((r) => setTimeout(r, task.startDelayMs));
    // Published after the modules are loaded (until then the supervisor counts the actor as
    // starting and waits for it: loading can take seconds on a loaded machine) and before the
    // slot claim (whoever sees this thread die can abandon its slots; before, it has none).
    Atomics.store(task.threadCell, 0, threadId);
    port = new MailboxPort(task.buffer, spec.name, spec.caller ?? 0);
    if (task.dieAfterRequests !== undefined) armSuicide(port, task.dieAfterRequests);
    if (spec.boot !== undefined) await port.boot(spec.boot);
    await main(port, spec.params ?? {});
    port.exit();
    return { actor: spec.name };
  } catch (e) {
    const error = e instanceof ActorStopped ? undefined : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    port?.exit(error);
    const actor = spec?.name ?? '(an actor whose spec did not parse)';
    return error === undefined ? { actor } : { actor, error };
  } finally {
    port?.close();
  }
}

/** Fault injection for tests: the thread dies between two requests, instead of its next hypercall. */
function armSuicide(port: MailboxPort, after: number): void {
  let n = 0;
  const hypercall = port.hypercall.bind(port);
  port.hypercall = ((op: never, args: never) => {
    if (++n > after) {
      // Exit before the request goes out; the promise never settles. A Web Worker cannot end
      // itself so that its parent notices: there the thread dies of an uncaught error instead.
      setImmediate(() => {
        if (typeof process !== 'undefined') process.exit(1);
        throw new Error(`fault injection: ${port.actor}'s thread dies before its hypercall ${n}`);
      });
      return new Promise(() => {});
    }
    return hypercall(op, args);
  }) as typeof port.hypercall;
}

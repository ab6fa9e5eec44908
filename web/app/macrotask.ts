// One macrotask, in any Web Worker: what Node's setImmediate gives (a MessageChannel round trip,
// since a worker has no setImmediate and setTimeout(0) is clamped after a few nestings). Installs
// setImmediate where it is missing: world/world.ts yields with it. One channel for the module's
// life: a channel made per call and dropped can be collected before its message is delivered,
// and the awaiting loop never resumes.

// The browser's MessageChannel (the Node types in scope describe Node's).
const channel = new MessageChannel() as unknown as { port1: { onmessage: (() => void) | null }; port2: { postMessage(v: unknown): void } };
/** Resolvers of the macrotasks asked for, in order; each message delivered runs the oldest. */
const waiting: Array<() => void> = [];
channel.port1.onmessage = () => waiting.shift()?.();

export function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

const g = globalThis as unknown as { setImmediate?: (f: () => void) => void };
g.setImmediate ??= (f) => void macrotask().then(f);

// Channel benchmark: the SharedArrayBuffer mailbox vs comlink 4.4.2 vs plain postMessage (one
// persistent listener), echo round trips from 1 and 4 concurrent caller threads to one server
// thread, measured side by side in one run; plus the mailbox with spin-then-wait vs pure wait.
//
// Run:   node --import tsx bench/channel.bench.ts [--calls=4000] [--rounds=2] [--spin=2000]
//   --calls   measured round trips per caller per case (after 10% warm-up)
//   --rounds  the case list is run this many times, interleaved, and samples are pooled
//   --spin    Atomics.load iterations a caller spins before sleeping ("mailbox-spin" variant)
//   --owner-spin  the same for the owner's doorbell in that variant (default: --spin)
//
// This one file is also the worker module: the main thread spawns it (through workers/spawn.ts)
// with workerData.role set. Latency is per call on the caller (performance.now); throughput is
// all calls of a case over (last caller end - first caller start), on a shared time base.

import { isMainThread, MessageChannel, parentPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createMailbox, isNoFreeSlot, MailboxClient, MailboxServer, requestShutdown } from '../workers/channel.ts';
import type { JsonValue } from '../workers/codec.ts';
import { spawnTsWorker } from '../workers/spawn.ts';
import { Comlink, nodeEndpoint } from '../workers/comlink-node.ts';


type Variant = 'mailbox-spin' | 'mailbox-wait' | 'comlink' | 'postMessage';
const VARIANTS: readonly Variant[] = ['mailbox-spin', 'mailbox-wait', 'comlink', 'postMessage'];
const CALLER_COUNTS = [1, 4] as const;

interface EchoApi {
  echo(x: JsonValue): JsonValue;
}

type Role =
  | { role: 'mailbox-owner'; buffer: SharedArrayBuffer; control: SharedArrayBuffer }
  | { role: 'comlink-server' }
  | { role: 'pm-server' }
  | { role: 'caller'; who: number; buffer: SharedArrayBuffer; comlinkPort: MessagePort; pmPort: MessagePort };

interface RunCommand {
  variant: Variant;
  calls: number;
  warmup: number;
  spin: number;
}

interface RunResult {
  latenciesUs: Float64Array;
  startMs: number;
  endMs: number;
}

/** Control words shared with the mailbox owner (index 0: its doorbell spin iterations). */
const kControlOwnerSpin = 0;
const CONTROL_WORDS = 1;

const nowMs = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- worker roles

function runMailboxOwner(buffer: SharedArrayBuffer, control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control);
  const server = new MailboxServer(buffer);
  let now = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    const events = server.poll();
    for (const ev of events) {
      now++;
      if (ev.kind === 'request' && ev.msg.kind === 'echo') server.reply(ev.ticket, { kind: 'echo', now, payload: ev.msg.payload });
      else if (ev.kind !== 'abandoned') server.reply(ev.ticket, { kind: 'error', now, code: 'unsupported', errno: -22, message: ev.kind });
    }
    // Only sleep when the poll found nothing; the spin budget is re-read so cases can change it.
    if (events.length === 0 && server.waitForWork(100, Atomics.load(ctl, kControlOwnerSpin)) === 'shutdown') break;
  }
  server.stop();
}

function runComlinkServer(): void {
  const api: EchoApi = { echo: (x) => x };
  parentPort!.on('message', (m: { port: MessagePort }) => Comlink.expose(api, nodeEndpoint(m.port)));
  parentPort!.postMessage('ready');
}

function runPmServer(): void {
  parentPort!.on('message', (m: { port: MessagePort }) => {
    const port = m.port;
    port.on('message', (x: JsonValue) => port.postMessage(x));
  });
  parentPort!.postMessage('ready');
}

function runCaller(data: Extract<Role, { role: 'caller' }>): void {
  const comlink = Comlink.wrap<EchoApi>(nodeEndpoint(data.comlinkPort));
  let pending: ((x: JsonValue) => void) | null = null;
  // One persistent listener for the whole run (a per-call once() costs far more: anchors §E).
  data.pmPort.on('message', (x: JsonValue) => {
    const resolve = pending;
    pending = null;
    resolve?.(x);
  });
  const pmEcho = (x: JsonValue): Promise<JsonValue> =>
    new Promise((resolve) => {
      pending = resolve;
      data.pmPort.postMessage(x);
    });

  parentPort!.on('message', async (cmd: RunCommand) => {
    const total = cmd.warmup + cmd.calls;
    const lat = new Float64Array(cmd.calls);
    let startMs = 0;
    const payload = (i: number): JsonValue => ({ who: data.who, i });
    if (cmd.variant === 'mailbox-spin' || cmd.variant === 'mailbox-wait') {
      const client = MailboxClient.open(data.buffer, { spinIterations: cmd.variant === 'mailbox-spin' ? cmd.spin : 0 });
      if (isNoFreeSlot(client)) throw new Error('bench: no free mailbox slot');
      for (let i = 0; i < total; i++) {
        if (i === cmd.warmup) startMs = nowMs();
        const t0 = performance.now();
        client.call({ kind: 'echo', payload: payload(i) });
        if (i >= cmd.warmup) lat[i - cmd.warmup] = (performance.now() - t0) * 1000;
      }
      client.close();
    } else {
      const echo = cmd.variant === 'comlink' ? (x: JsonValue) => comlink.echo(x) : pmEcho;
      for (let i = 0; i < total; i++) {
        if (i === cmd.warmup) startMs = nowMs();
        const t0 = performance.now();
        await echo(payload(i));
        if (i >= cmd.warmup) lat[i - cmd.warmup] = (performance.now() - t0) * 1000;
      }
    }
    const result: RunResult = { latenciesUs: lat, startMs, endMs: nowMs() };
    parentPort!.postMessage(result, [lat.buffer]);
  });
  parentPort!.postMessage('ready');
}

// ---------------------------------------------------------------- main thread

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = hit === undefined ? fallback : Number(hit.slice(name.length + 3));
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`--${name} must be a non-negative integer`);
  return v;
}

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T): void => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error): void => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}

function spawnRole(role: Role, transferList: MessagePort[] = []): Worker {
  return spawnTsWorker(new URL(import.meta.url), { workerData: role, transferList });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface CaseStats {
  medianUs: number;
  p99Us: number;
  callsPerSec: number;
}

async function main(): Promise<void> {
  const calls = arg('calls', 4000);
  const rounds = arg('rounds', 2);
  const spin = arg('spin', 2000);
  const ownerSpin = arg('owner-spin', spin);
  const warmup = Math.ceil(calls / 10);
  const t0 = performance.now();

  const buffer = createMailbox({ slotCount: 8, payloadCapacityBytes: 4096 });
  const control = new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
  const ctl = new Int32Array(control);
  const owner = spawnRole({ role: 'mailbox-owner', buffer, control });
  const comlinkServer = spawnRole({ role: 'comlink-server' });
  const pmServer = spawnRole({ role: 'pm-server' });
  const callers: Worker[] = [];
  for (let who = 0; who < Math.max(...CALLER_COUNTS); who++) {
    const c = new MessageChannel();
    const p = new MessageChannel();
    comlinkServer.postMessage({ port: c.port2 }, [c.port2]);
    pmServer.postMessage({ port: p.port2 }, [p.port2]);
    callers.push(spawnRole({ role: 'caller', who, buffer, comlinkPort: c.port1, pmPort: p.port1 }, [c.port1, p.port1]));
  }
  await Promise.all([owner, comlinkServer, pmServer, ...callers].map((w) => nextMessage<string>(w)));
  const spawnMs = performance.now() - t0;

  const samples = new Map<string, { lat: number[]; calls: number; spanMs: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const n of CALLER_COUNTS) {
      for (const variant of VARIANTS) {
        // The owner spins on its doorbell only in the spin variant (both ends spin or neither does).
        Atomics.store(ctl, kControlOwnerSpin, variant === 'mailbox-spin' ? ownerSpin : 0);
        const cmd: RunCommand = { variant, calls, warmup, spin };
        const results = await Promise.all(
          callers.slice(0, n).map((w) => {
            const r = nextMessage<RunResult>(w);
            w.postMessage(cmd);
            return r;
          }),
        );
        const key = `${variant}|${n}`;
        const s = samples.get(key) ?? { lat: [], calls: 0, spanMs: 0 };
        for (const r of results) for (const v of r.latenciesUs) s.lat.push(v);
        s.calls += n * calls;
        s.spanMs += Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs));
        samples.set(key, s);
      }
    }
  }
  Atomics.store(ctl, kControlOwnerSpin, 0);
  requestShutdown(buffer);
  await Promise.all([owner, comlinkServer, pmServer, ...callers].map((w) => w.terminate()));

  const stats = new Map<string, CaseStats>();
  for (const [key, s] of samples) {
    const sorted = Float64Array.from(s.lat).sort();
    stats.set(key, { medianUs: quantile(sorted, 0.5), p99Us: quantile(sorted, 0.99), callsPerSec: (s.calls / s.spanMs) * 1000 });
  }
  report(stats, { calls, rounds, spin, ownerSpin, spawnMs, totalMs: performance.now() - t0 });
}

function report(stats: Map<string, CaseStats>, run: { calls: number; rounds: number; spin: number; ownerSpin: number; spawnMs: number; totalMs: number }): void {
  const get = (v: Variant, n: number): CaseStats => stats.get(`${v}|${n}`)!;
  const f = (x: number, w: number, d = 1): string => x.toFixed(d).padStart(w);
  console.log(
    `channel bench: node ${process.version}, ${availableParallelism()} cpus, ${run.calls} calls/caller/case x ${run.rounds} rounds, ` +
      `spin ${run.spin} (owner ${run.ownerSpin}) loads; echo payload {who,i}`,
  );
  console.log('variant        callers  median µs   p99 µs   calls/s (aggregate)');
  for (const n of CALLER_COUNTS) {
    for (const v of VARIANTS) {
      const s = get(v, n);
      console.log(`${v.padEnd(14)} ${String(n).padStart(7)} ${f(s.medianUs, 10, 2)} ${f(s.p99Us, 8)} ${f(s.callsPerSec, 12, 0)}`);
    }
  }
  console.log('ratios (median latency: other / mailbox, >1 = mailbox faster; throughput: mailbox / other)');
  for (const n of CALLER_COUNTS) {
    const m = get('mailbox-spin', n);
    const w = get('mailbox-wait', n);
    const c = get('comlink', n);
    const p = get('postMessage', n);
    console.log(
      `  ${n} caller(s): mailbox-spin vs comlink ${f(c.medianUs / m.medianUs, 6)}x lat ${f(m.callsPerSec / c.callsPerSec, 6)}x thr | ` +
        `vs postMessage ${f(p.medianUs / m.medianUs, 6)}x lat ${f(m.callsPerSec / p.callsPerSec, 6)}x thr | ` +
        `spin vs pure wait ${f(w.medianUs / m.medianUs, 6)}x lat ${f(m.callsPerSec / w.callsPerSec, 6)}x thr | ` +
        `mailbox-wait vs comlink ${f(c.medianUs / w.medianUs, 6)}x lat`,
    );
  }
  console.log(`(worker spawn ${run.spawnMs.toFixed(0)} ms, total ${(run.totalMs / 1000).toFixed(1)} s)`);
}

// ---------------------------------------------------------------- entry

if (isMainThread) {
  await main();
} else {
  const role = workerData as Role;
  switch (role.role) {
    case 'mailbox-owner':
      runMailboxOwner(role.buffer, role.control);
      break;
    case 'comlink-server':
      runComlinkServer();
      break;
    case 'pm-server':
      runPmServer();
      break;
    case 'caller':
      runCaller(role);
      break;
  }
}

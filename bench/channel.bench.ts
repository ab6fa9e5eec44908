// Channel benchmark: the SharedArrayBuffer mailbox (binary hot path; and forced JSON, and pure
// wait, for comparison) vs comlink 4.4.2 vs plain postMessage (one persistent listener): round
// trips of the hot messages from 1 and 4 concurrent caller threads to one server thread, measured
// side by side in one run; plus the spin hand-off floor (two threads ping-ponging an Atomics
// counter, no payload) and a calibration loop (a fixed CPU-bound loop, so figures can be compared
// across machines: each figure is also given in loop iterations).
//
// Run:   node --import tsx bench/channel.bench.ts [--calls=4000] [--rounds=2]
//   --calls   measured round trips per caller per case (after 10% warm-up)
//   --rounds  the case list is run this many times, interleaved, and samples are pooled
//
// The messages are the hot path's own, in a fixed cycle: a one-extent XENMEM_populate_physmap
// (answered {rc:1}), XEN_DOMCTL_getdomaininfo (answered with a full domain info), sleep (slept)
// and a xenstore read (a value); every transport carries the same objects. Every transport's
// server is a thread that only answers; the mailbox owner and callers use the production
// defaults (MailboxClient's adaptive spin, the owner's doorbell spin). Latency is per call on the
// caller (performance.now); throughput is all calls of a case over (last caller end - first
// caller start), on a shared time base. This is a benchmark, not a test: it prints figures and
// the targets next to them, and exits 0.
//
// This one file is also the worker module: the main thread spawns it (through workers/spawn.ts)
// with workerData.role set.

import { isMainThread, MessageChannel, parentPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism, loadavg } from 'node:os';
import type { OwnerReply } from '../sim/requests.ts';
import { createMailbox, isNoFreeSlot, MailboxClient, MailboxServer, OWNER_SPIN_ITERATIONS_DEFAULT, requestShutdown } from '../workers/channel.ts';
import type { CallerToOwner, EncodingChoice, OwnerToCaller } from '../workers/codec.ts';
import { spawnTsWorker, withoutTsx } from '../workers/spawn.ts';
import { Comlink, nodeEndpoint } from '../workers/comlink-node.ts';

type Variant = 'mailbox' | 'mailbox-json' | 'mailbox-wait' | 'comlink' | 'postMessage';
const VARIANTS: readonly Variant[] = ['mailbox', 'mailbox-json', 'mailbox-wait', 'comlink', 'postMessage'];
const CALLER_COUNTS = [1, 4] as const;

// ---------------------------------------------------------------- the messages

/** The request of call `i` (a fresh object per call, as an actor builds it). */
function requestOf(i: number): CallerToOwner {
  switch (i & 3) {
    case 0:
      return { kind: 'hypercall', op: 'XENMEM_populate_physmap', args: { domid: 1, nr_extents: 1, extent_order: 0, mem_flags: 0, extent_start: [0x10000 + i] } };
    case 1:
      return { kind: 'hypercall', op: 'XEN_DOMCTL_getdomaininfo', args: { domid: 1 } };
    case 2:
      return { kind: 'sleep', ns: 1_000_000 };
    default:
      return { kind: 'xsRead', path: 'memory/target' };
  }
}

const DOMAIN_INFO = {
  rc: 0, domid: 1, tot_pages: 262144, max_pages: 262400, outstanding_pages: 0, shr_pages: 0, paged_pages: 0,
  nr_online_vcpus: 2, max_vcpu_id: 1, cpu_time: 0, flags: 16, name: 'guest-1', type: 'pvh',
};

/** What every server answers (the owner's work itself is not measured). */
function answer(req: CallerToOwner, now: number): OwnerReply {
  switch (req.kind) {
    case 'hypercall':
      return { kind: 'result', result: req.op === 'XEN_DOMCTL_getdomaininfo' ? { ...DOMAIN_INFO } : { rc: 1 }, now };
    case 'sleep':
      return { kind: 'slept', now };
    case 'xsRead':
      return { kind: 'xsValue', value: '524288', now };
    default:
      return { kind: 'ack', now };
  }
}

/** The reply call `i` must get (checked, so a transport that mixes replies up is caught). */
const EXPECTED_KIND = ['result', 'result', 'slept', 'xsValue'] as const;

interface CallApi {
  call(req: CallerToOwner): OwnerReply;
}

// ---------------------------------------------------------------- worker roles

type Role =
  | { role: 'mailbox-owner'; buffer: SharedArrayBuffer; control: SharedArrayBuffer }
  | { role: 'comlink-server' }
  | { role: 'pm-server' }
  | { role: 'floor-peer'; cell: SharedArrayBuffer }
  | { role: 'caller'; who: number; buffer: SharedArrayBuffer; cell: SharedArrayBuffer; comlinkPort: MessagePort; pmPort: MessagePort };

type Case = Variant | 'floor';

interface RunCommand {
  variant: Case;
  calls: number;
  warmup: number;
}

interface RunResult {
  latenciesUs: Float64Array;
  startMs: number;
  endMs: number;
  wrongReplies: number;
}

/** Control words shared with the mailbox owner. */
const kControlOwnerSpin = 0;
const kControlJson = 1;
const CONTROL_WORDS = 2;

/** The floor's ping-pong cell: odd = ping outstanding, even = answered; FLOOR_STOP ends the peer. */
const FLOOR_STOP = -1;
const FLOOR_IDLE_WAIT_MS = 50;

const nowMs = (): number => performance.timeOrigin + performance.now();

function runMailboxOwner(buffer: SharedArrayBuffer, control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control);
  const server = new MailboxServer(buffer);
  let now = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    const events = server.poll();
    const encoding: EncodingChoice = Atomics.load(ctl, kControlJson) === 1 ? 'json' : 'auto';
    for (const ev of events) {
      now++;
      if (ev.kind === 'request') server.reply(ev.ticket, answer(ev.msg, now), encoding);
      else if (ev.kind === 'invalid') server.reply(ev.ticket, { kind: 'error', now, code: 'decode', errno: -14, message: ev.error.detail });
      else if (ev.inFlight !== null) server.reply(ev.inFlight, { kind: 'gone', now });
    }
    // Only sleep when the poll found nothing; the spin budget is re-read so cases can change it.
    if (events.length === 0 && server.waitForWork(100, Atomics.load(ctl, kControlOwnerSpin)) === 'shutdown') break;
  }
  server.stop();
}

function runComlinkServer(): void {
  let now = 0;
  const api: CallApi = { call: (req) => answer(req, ++now) };
  parentPort!.on('message', (m: { port: MessagePort }) => Comlink.expose(api, nodeEndpoint(m.port)));
  parentPort!.postMessage('ready');
}

function runPmServer(): void {
  let now = 0;
  parentPort!.on('message', (m: { port: MessagePort }) => {
    const port = m.port;
    port.on('message', (req: CallerToOwner) => port.postMessage(answer(req, ++now)));
  });
  parentPort!.postMessage('ready');
}

/** The floor's responder: answers every ping (odd value) with value + 1 while the case runs. */
function runFloorPeer(cell: SharedArrayBuffer): void {
  const c = new Int32Array(cell);
  parentPort!.postMessage('ready');
  for (;;) {
    // Idle between floor cases: sleep until the caller's first ping (or the stop) changes the cell.
    Atomics.wait(c, 0, 0, FLOOR_IDLE_WAIT_MS);
    for (;;) {
      const v = Atomics.load(c, 0);
      if (v === FLOOR_STOP) return;
      if (v === 0) break;
      // Answer after seeing the ping: the caller's next ping is only sent once it sees this store.
      if ((v & 1) === 1) Atomics.store(c, 0, v + 1);
    }
  }
}

function runCaller(data: Extract<Role, { role: 'caller' }>): void {
  const comlink = Comlink.wrap<CallApi>(nodeEndpoint(data.comlinkPort));
  let pending: ((x: OwnerToCaller) => void) | null = null;
  // One persistent listener for the whole run (a per-call once() costs far more: anchors §E).
  data.pmPort.on('message', (x: OwnerToCaller) => {
    const resolve = pending;
    pending = null;
    resolve?.(x);
  });
  const pmCall = (req: CallerToOwner): Promise<OwnerToCaller> =>
    new Promise((resolve) => {
      pending = resolve;
      data.pmPort.postMessage(req);
    });

  parentPort!.on('message', async (cmd: RunCommand) => {
    const total = cmd.warmup + cmd.calls;
    const lat = new Float64Array(cmd.calls);
    let startMs = 0;
    let wrong = 0;
    const record = (i: number, t0: number, kind: string): void => {
      if (kind !== EXPECTED_KIND[i & 3]) wrong++;
      if (i >= cmd.warmup) lat[i - cmd.warmup] = (performance.now() - t0) * 1000;
    };
    if (cmd.variant === 'floor') {
      const c = new Int32Array(data.cell);
      Atomics.store(c, 0, 0);
      for (let i = 0; i < total; i++) {
        if (i === cmd.warmup) startMs = nowMs();
        const t0 = performance.now();
        const ping = 2 * i + 1;
        // Ping, then wake the peer in case it is idle (it re-checks the cell after every wait).
        Atomics.store(c, 0, ping);
        if (i === 0) Atomics.notify(c, 0);
        while (Atomics.load(c, 0) !== ping + 1);
        if (i >= cmd.warmup) lat[i - cmd.warmup] = (performance.now() - t0) * 1000;
      }
      Atomics.store(c, 0, 0);
    } else if (cmd.variant.startsWith('mailbox')) {
      const client = MailboxClient.open(data.buffer, {
        spinIterations: cmd.variant === 'mailbox-wait' ? 0 : undefined,
        encoding: cmd.variant === 'mailbox-json' ? 'json' : 'auto',
      });
      if (isNoFreeSlot(client)) throw new Error('bench: no free mailbox slot');
      for (let i = 0; i < total; i++) {
        if (i === cmd.warmup) startMs = nowMs();
        const t0 = performance.now();
        const r = client.call(requestOf(i));
        record(i, t0, r.kind);
      }
      client.close();
    } else {
      const call = cmd.variant === 'comlink' ? (req: CallerToOwner) => comlink.call(req) : pmCall;
      for (let i = 0; i < total; i++) {
        if (i === cmd.warmup) startMs = nowMs();
        const t0 = performance.now();
        const r = await call(requestOf(i));
        record(i, t0, r.kind);
      }
    }
    const result: RunResult = { latenciesUs: lat, startMs, endMs: nowMs(), wrongReplies: wrong };
    parentPort!.postMessage(result, [lat.buffer]);
  });
  parentPort!.postMessage('ready');
}

// ---------------------------------------------------------------- main thread

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = hit === undefined ? fallback : Number(hit.slice(name.length + 3));
  if (!Number.isSafeInteger(v) || v < 1 || v > 10_000_000) throw new RangeError(`--${name} must be an integer in 1…10000000`);
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

/**
 * This module's worker threads run on the compiled tree (workers/compiled-tree.ts: plain
 * JavaScript, no loader), as a run's owner and actor threads do; through tsx every imported
 * binding is a getter call (esbuild's CommonJS interop), which tripled the codec's cost here.
 * Main thread only (the tree module loads esbuild); undefined without a tree (tsx then).
 */
async function workerModule(): Promise<string | undefined> {
  const { compiledTree } = await import('../workers/compiled-tree.ts');
  return compiledTree()?.map(import.meta.url);
}

function spawnRole(module: string | undefined, role: Role, transferList: MessagePort[] = []): Worker {
  if (module === undefined) return spawnTsWorker(new URL(import.meta.url), { workerData: role, transferList });
  return spawnTsWorker(module, { workerData: role, transferList, execArgv: withoutTsx() });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface CaseStats {
  medianUs: number;
  p99Us: number;
  callsPerSec: number;
}

/** Calibration: a fixed integer-hash loop; its ns per iteration says how fast this machine is now. */
const CALIBRATION_ITERATIONS = 20_000_000;
function calibrate(): { ms: number; nsPerIteration: number; checksum: number } {
  const t0 = performance.now();
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < CALIBRATION_ITERATIONS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  const ms = performance.now() - t0;
  return { ms, nsPerIteration: (ms * 1e6) / CALIBRATION_ITERATIONS, checksum: x };
}

async function main(): Promise<void> {
  const calls = arg('calls', 4000);
  const rounds = arg('rounds', 2);
  const warmup = Math.ceil(calls / 10);
  const t0 = performance.now();
  const calBefore = calibrate();

  const buffer = createMailbox({ slotCount: 8, payloadCapacityBytes: 4096 });
  const control = new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT);
  const ctl = new Int32Array(control);
  const cell = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const module = await workerModule();
  const owner = spawnRole(module, { role: 'mailbox-owner', buffer, control });
  const comlinkServer = spawnRole(module, { role: 'comlink-server' });
  const pmServer = spawnRole(module, { role: 'pm-server' });
  const floorPeer = spawnRole(module, { role: 'floor-peer', cell });
  const callers: Worker[] = [];
  for (let who = 0; who < Math.max(...CALLER_COUNTS); who++) {
    const c = new MessageChannel();
    const p = new MessageChannel();
    comlinkServer.postMessage({ port: c.port2 }, [c.port2]);
    pmServer.postMessage({ port: p.port2 }, [p.port2]);
    callers.push(spawnRole(module, { role: 'caller', who, buffer, cell, comlinkPort: c.port1, pmPort: p.port1 }, [c.port1, p.port1]));
  }
  await Promise.all([owner, comlinkServer, pmServer, floorPeer, ...callers].map((w) => nextMessage<string>(w)));
  const spawnMs = performance.now() - t0;

  const cases: Array<[Case, number]> = [['floor', 1], ...CALLER_COUNTS.flatMap((n) => VARIANTS.map((v): [Case, number] => [v, n]))];
  const samples = new Map<string, { lat: number[]; calls: number; spanMs: number; wrong: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const [variant, n] of cases) {
      // The owner spins on its doorbell except in the pure-wait variant (neither end spins there).
      Atomics.store(ctl, kControlOwnerSpin, variant === 'mailbox-wait' ? 0 : OWNER_SPIN_ITERATIONS_DEFAULT);
      Atomics.store(ctl, kControlJson, variant === 'mailbox-json' ? 1 : 0);
      const cmd: RunCommand = { variant, calls, warmup };
      const results = await Promise.all(
        callers.slice(0, n).map((w) => {
          const r = nextMessage<RunResult>(w);
          w.postMessage(cmd);
          return r;
        }),
      );
      const key = `${variant}|${n}`;
      const s = samples.get(key) ?? { lat: [], calls: 0, spanMs: 0, wrong: 0 };
      for (const r of results) for (const v of r.latenciesUs) s.lat.push(v);
      s.calls += n * calls;
      s.spanMs += Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs));
      s.wrong += results.reduce((a, r) => a + r.wrongReplies, 0);
      samples.set(key, s);
    }
  }
  Atomics.store(ctl, kControlOwnerSpin, 0);
  requestShutdown(buffer);
  const c = new Int32Array(cell);
  Atomics.store(c, 0, FLOOR_STOP);
  Atomics.notify(c, 0);
  await Promise.all([owner, comlinkServer, pmServer, floorPeer, ...callers].map((w) => w.terminate()));
  const calAfter = calibrate();

  const stats = new Map<string, CaseStats>();
  let wrong = 0;
  for (const [key, s] of samples) {
    const sorted = Float64Array.from(s.lat).sort();
    stats.set(key, { medianUs: quantile(sorted, 0.5), p99Us: quantile(sorted, 0.99), callsPerSec: (s.calls / s.spanMs) * 1000 });
    wrong += s.wrong;
  }
  if (wrong > 0) throw new Error(`bench: ${wrong} replies of the wrong kind: a transport mixed replies up`);
  report(stats, { calls, rounds, spawnMs, totalMs: performance.now() - t0, calBefore, calAfter });
}

interface RunInfo {
  calls: number;
  rounds: number;
  spawnMs: number;
  totalMs: number;
  calBefore: ReturnType<typeof calibrate>;
  calAfter: ReturnType<typeof calibrate>;
}

function report(stats: Map<string, CaseStats>, run: RunInfo): void {
  const get = (v: Case, n: number): CaseStats => stats.get(`${v}|${n}`)!;
  const f = (x: number, w: number, d = 1): string => x.toFixed(d).padStart(w);
  const calNs = (run.calBefore.nsPerIteration + run.calAfter.nsPerIteration) / 2;
  const iters = (us: number): string => `${Math.round((us * 1000) / calNs)}`.padStart(7);
  console.log(
    `channel bench: node ${process.version}, ${availableParallelism()} cpus, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ` +
      `${run.calls} calls/caller/case x ${run.rounds} rounds; messages: populate(1 extent) / getdomaininfo / sleep / xsRead`,
  );
  console.log(
    `calibration: ${CALIBRATION_ITERATIONS / 1e6}M-iteration xorshift loop ${run.calBefore.ms.toFixed(0)} ms before, ${run.calAfter.ms.toFixed(0)} ms after ` +
      `(${calNs.toFixed(2)} ns/iteration; "iters" below = a median in calibration-loop iterations)`,
  );
  console.log('case           callers  median µs   p99 µs  iters   calls/s (aggregate)');
  const line = (name: string, n: number, s: CaseStats): void =>
    console.log(`${name.padEnd(14)} ${String(n).padStart(7)} ${f(s.medianUs, 10, 2)} ${f(s.p99Us, 8)} ${iters(s.medianUs)} ${f(s.callsPerSec, 12, 0)}`);
  const floor = get('floor', 1);
  line('spin floor', 2, floor);
  for (const n of CALLER_COUNTS) for (const v of VARIANTS) line(v, n, get(v, n));
  console.log('ratios (latency: other / mailbox median, >1 = mailbox faster; throughput: mailbox / other)');
  for (const n of CALLER_COUNTS) {
    const m = get('mailbox', n);
    const ratio = (v: Variant): string => `vs ${v} ${f(get(v, n).medianUs / m.medianUs, 5)}x lat ${f(m.callsPerSec / get(v, n).callsPerSec, 5)}x thr`;
    console.log(`  ${n} caller(s): ${(['comlink', 'postMessage', 'mailbox-json', 'mailbox-wait'] as const).map(ratio).join(' | ')}`);
  }
  console.log('targets (issue 15; a benchmark, not a test):');
  for (const n of CALLER_COUNTS) {
    const m = get('mailbox', n);
    const c = get('comlink', n);
    const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    const latX = c.medianUs / m.medianUs;
    const thrX = m.callsPerSec / c.callsPerSec;
    const floorX = m.medianUs / floor.medianUs;
    console.log(
      `  ${n} caller(s): median ${f(latX, 5)}x below comlink (>= 10: ${mark(latX >= 10)}), throughput ${f(thrX, 5)}x comlink's (>= 10: ${mark(thrX >= 10)}), ` +
        `median ${f(floorX, 5)}x the spin floor (<= 5: ${mark(floorX <= 5)})`,
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
    case 'floor-peer':
      runFloorPeer(role.cell);
      break;
    case 'caller':
      runCaller(role);
      break;
  }
}

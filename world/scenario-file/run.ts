// Runs one compiled variant of a scenario file — scheduled (one thread, a seeded or arrival
// policy) or on real threads (workers/threads.ts) — and reads what happened back out of the
// trace: each xl command's output, exit status, virtual and wall times, and for `xl create` the
// claims it staked and the pages it populated. Both `xen-memsim run` and `xen-memsim demo` use it.
//
// Timed wake-ups and the timeline's kills are the owner's own (sim/owner.ts step()), so both
// transports run a scenario file the same way.

import { SELFBALLOON_TARGET_NOTE } from '../../guests/linux-guest.ts';
import { physinfo } from '../../hv/index.ts';
import type { ThreadRunOptions, ThreadRunResult } from '../../workers/supervisor.ts';
import type { Owner } from '../../sim/owner.ts';
import { parsePolicy } from '../../sim/policy.ts';
import type { TraceEvent } from '../../sim/trace.ts';
import { World } from '../world.ts';
import { TraceFileSink } from '../trace-file.ts';
import type { CompiledVariant } from './load.ts';
import { StreamedTraceReader } from './streamed-trace.ts';
import { XL_RESULT_NOTE, XL_START_NOTE, type XlResult } from './xl-timeline.ts';

export interface Progress {
  label: string;
  nowNs: number;
  steps: number;
  freePages: number;
  outstandingPages: number;
  wallMs: number;
  /** The xl command line started most recently, with its actor. */
  last?: string;
}

/**
 * Watches a run for its report (report/telemetry.ts supplies one): attached to the scheduled
 * world's owner before the first step, or read from the trace after a real-thread run.
 */
export interface RunObserver<T> {
  attach(owner: Owner): { finish(): T };
  fromTrace(trace: string): Promise<T>;
  /**
   * A module (URL) exporting `attachObserver(owner)` that does what `attach` does: given, a run
   * on Node's threads attaches it on the owner's own thread and gets its (plain data) result
   * back, instead of replaying the whole trace after the run with `fromTrace`.
   */
  ownerModule?: string;
}

/** Runs a scenario on real threads: workers/threads.ts runThreads (Node), or a platform's own (the browser playground's). */
export type ThreadRunner = (spec: CompiledVariant['spec'], opts: ThreadRunOptions) => Promise<ThreadRunResult>;

export interface RunVariantOptions<T = unknown> {
  threads?: boolean;
  /** Which threads: default Node's worker_threads (workers/threads.ts, imported only when needed). */
  threadRunner?: ThreadRunner;
  /** Schedule policy ("arrival", "random:SEED", "pct:SEED:DEPTH"); default arrival. */
  policy?: string;
  /** Called about every `progressMs` of wall time (default 100). */
  onProgress?: (p: Progress) => void;
  progressMs?: number;
  /** Records what the HTML report / Perfetto export draw (VariantRun.telemetry). */
  observer?: RunObserver<T>;
  /** Real threads: give up after this long (wall ms). */
  timeoutMs?: number;
  /**
   * The trace: 'keep' (default) returns it as VariantRun.trace; { file } streams it to that file
   * as the run goes (never held in memory: VariantRun.tracePath); 'none' only hashes it.
   */
  trace?: 'keep' | 'none' | { file: string };
  /** Scheduled: stop the run after this much wall time (World's wallBudgetMs; VariantRun.stopped). */
  wallBudgetMs?: number;
}

/** One xl command of the timeline, as it ran. */
export interface CommandRecord {
  actor: string;
  argv: string[];
  startNs: number;
  /** Undefined when the xl process was killed (or the run ended) before the command finished. */
  endNs?: number;
  status?: number;
  stdout: string;
  stderr: string;
  wallStartMs?: number;
  wallEndMs?: number;
  /** Pages populated by this command's XENMEM_populate_physmap calls (2^order per extent). */
  populatedPages: number;
  /** Non-zero claims it staked: pages asked, rc, virtual time of the answer. */
  claims: Array<{ pages: number; rc: number; tNs: number }>;
  /** First failed claim or short populate: virtual time and wall ms of its answer. */
  failNs?: number;
  failWallMs?: number;
  domid?: number;
}

/** One guest kernel's XENMEM_populate_physmap call (its balloon driver deflating). */
export interface KernelPopulate {
  tNs: number;
  /** Frames asked for that this kernel had not asked for since they were last populated (a retry of a short call asks again). */
  newPages: number;
  /** Frames Xen populated (the reply). */
  gotPages: number;
  /** The reply was short: the allocation gate (or memory) refused the rest. */
  short: boolean;
}

/** What a guest kernel's balloon did, read from the trace. */
export interface KernelRecord {
  /** Its populate_physmap calls, in order. */
  populates: KernelPopulate[];
  /** Each balloon target selfballoon set (pages, as current_pages), with current_pages then. */
  targets: Array<{ tNs: number; targetPages: number; currentPages: number }>;
}

export interface VariantRun<T = unknown> {
  label: string;
  variant: CompiledVariant;
  commands: CommandRecord[];
  /** Guest kernel actor (`linux:NAME:dN`) → what its balloon did. */
  kernels: Map<string, KernelRecord>;
  failure?: { kind: string; message: string };
  /** Why the run was stopped before its end (its wall-clock budget), if it was. */
  stopped?: string;
  /** The JSONL trace, when kept (RunVariantOptions.trace). */
  trace?: string;
  /** Where the trace was streamed to (RunVariantOptions.trace { file }). */
  tracePath?: string;
  /** Why writing the trace file failed (a full disk …): the run went on; the file is incomplete. */
  traceError?: Error;
  hash?: string;
  steps: number;
  endNs: number;
  wallMs: number;
  mode: 'scheduled' | 'threads';
  /** What RunVariantOptions.observer recorded. */
  telemetry?: T;
}

/**
 * Horizon of a threaded run without "until": the last event + 60 s. It ends earlier, where the
 * scheduled run ends — once its xl actors have exited and its faults fired (endWhenExited).
 */
const THREADS_TAIL_NS = 60_000_000_000;

/**
 * Reads the xl commands back out of a trace.
 * @param wallOf wall ms at which event `index` happened (undefined if unknown)
 */
export function commandsFromTrace(events: readonly TraceEvent[], xlActors: readonly string[], wallOf: (index: number) => number | undefined): CommandRecord[] {
  const actors = new Set(xlActors);
  const open = new Map<string, CommandRecord>();
  const pending = new Map<string, { op: string; args: Record<string, unknown> }>();
  const out: CommandRecord[] = [];
  events.forEach((e, i) => {
    if ((e.k !== 'arrive' && e.k !== 'reply') || !actors.has(e.a)) return;
    const cur = open.get(e.a);
    if (e.k === 'arrive') {
      const req = e.req;
      if (req.kind === 'note' && req.text.startsWith(XL_START_NOTE)) {
        const s = JSON.parse(req.text.slice(XL_START_NOTE.length)) as { argv: string[]; startNs: number };
        const rec: CommandRecord = { actor: e.a, argv: s.argv, startNs: s.startNs, stdout: '', stderr: '', populatedPages: 0, claims: [], wallStartMs: wallOf(i) };
        open.set(e.a, rec);
        out.push(rec);
      } else if (req.kind === 'note' && req.text.startsWith(XL_RESULT_NOTE) && cur !== undefined) {
        const r = JSON.parse(req.text.slice(XL_RESULT_NOTE.length)) as XlResult;
        cur.endNs = r.endNs;
        cur.status = r.status;
        cur.wallEndMs = wallOf(i);
        for (const w of r.out) cur[w.stream] += w.text;
        open.delete(e.a);
      } else if (req.kind === 'hypercall') {
        pending.set(e.a, { op: req.op, args: (req.args ?? {}) as Record<string, unknown> });
      }
      return;
    }
    const call = pending.get(e.a);
    pending.delete(e.a);
    if (call === undefined || cur === undefined || e.r.kind !== 'result') return;
    const rc = e.r.result.rc;
    const fail = (): void => {
      if (cur.failNs === undefined) {
        cur.failNs = e.r.now;
        cur.failWallMs = wallOf(i);
      }
    };
    if (call.op === 'XEN_DOMCTL_createdomain' && rc === 0) cur.domid = e.r.result.domid as number;
    else if (call.op === 'XENMEM_claim_pages' && (call.args.nr_extents as number) > 0) {
      cur.claims.push({ pages: call.args.nr_extents as number, rc, tNs: e.r.now });
      if (rc < 0) fail();
    } else if (call.op === 'XENMEM_populate_physmap') {
      const order = (call.args.extent_order as number) ?? 0;
      if (rc > 0) cur.populatedPages += rc * 2 ** order;
      if (rc < (call.args.nr_extents as number)) fail();
    }
  });
  return out;
}

/** Guest kernel actors' names, as guests/… spawns them from `xl create`. */
export const isGuestKernel = (actor: string): boolean => actor.startsWith('linux:');

/** Reads the guest kernels' populate_physmap calls and selfballoon targets back out of a trace. */
export function kernelsFromTrace(events: readonly TraceEvent[]): Map<string, KernelRecord> {
  const out = new Map<string, KernelRecord>();
  const rec = (actor: string): KernelRecord => {
    let r = out.get(actor);
    if (r === undefined) out.set(actor, (r = { populates: [], targets: [] }));
    return r;
  };
  const pending = new Map<string, { gpfns: number[]; nr: number }>();
  const waiting = new Map<string, Set<number>>();
  for (const e of events) {
    if ((e.k !== 'arrive' && e.k !== 'reply') || !isGuestKernel(e.a)) continue;
    if (e.k === 'arrive') {
      if (e.req.kind === 'hypercall' && e.req.op === 'XENMEM_populate_physmap') {
        const args = (e.req.args ?? {}) as { nr_extents?: number; extent_order?: number; extent_start?: number[] };
        pending.set(e.a, { gpfns: (args.extent_start ?? []).slice(0, args.nr_extents ?? 0), nr: (args.nr_extents ?? 0) * 2 ** (args.extent_order ?? 0) });
      } else {
        pending.delete(e.a);
        if (e.req.kind === 'note' && e.req.text.startsWith(SELFBALLOON_TARGET_NOTE)) {
          const n = JSON.parse(e.req.text.slice(SELFBALLOON_TARGET_NOTE.length)) as { t: number; target: number; current: number };
          rec(e.a).targets.push({ tNs: n.t, targetPages: n.target, currentPages: n.current });
        }
      }
      continue;
    }
    const call = pending.get(e.a);
    pending.delete(e.a);
    if (call === undefined || e.r.kind !== 'result') continue;
    const rc = Math.max(0, e.r.result.rc);
    const w = waiting.get(e.a) ?? new Set<number>();
    waiting.set(e.a, w);
    let fresh = 0;
    call.gpfns.forEach((g, i) => {
      if (!w.has(g)) fresh++;
      // Extents are populated in order: the first rc got a frame, the rest are still wanted.
      if (i < rc) w.delete(g);
      else w.add(g);
    });
    const per = call.gpfns.length === 0 ? 1 : call.nr / call.gpfns.length;
    rec(e.a).populates.push({ tNs: e.r.now, newPages: fresh * per, gotPages: rc * per, short: rc < call.gpfns.length });
  }
  return out;
}

/** Scans a live trace as it grows: sleepers' wake times, exited actors, wall times of xl events. */
class TraceWatch {
  private seen = 0;
  readonly exited = new Set<string>();
  /** Event index → wall ms, for events of xl actors other than steps. */
  readonly wall = new Map<number, number>();
  last: string | undefined;

  constructor(
    private readonly xlActors: ReadonlySet<string>,
    private readonly t0: number,
  ) {}

  scan(owner: Owner): void {
    const ev = owner.trace.events;
    for (; this.seen < ev.length; this.seen++) {
      const e = ev[this.seen];
      if (e.k === 'arrive') {
        if (e.req.kind === 'exit') this.exited.add(e.a);
        else if (e.req.kind === 'note' && e.req.text.startsWith(XL_START_NOTE) && this.xlActors.has(e.a)) {
          this.last = `${e.a}: xl ${(JSON.parse(e.req.text.slice(XL_START_NOTE.length)) as { argv: string[] }).argv.join(' ')}`;
        }
      } else if (e.k === 'kill') {
        this.exited.add(e.a);
      }
      if ((e.k === 'arrive' || e.k === 'reply') && this.xlActors.has(e.a)) this.wall.set(this.seen, performance.now() - this.t0);
    }
  }

}

async function runScheduledVariant<T>(v: CompiledVariant, o: RunVariantOptions<T>): Promise<VariantRun<T>> {
  const t0 = performance.now();
  const xlActors = new Set(v.xlActors);
  const watch = new TraceWatch(xlActors, t0);
  const traceOpt = o.trace ?? 'keep';
  const sink = typeof traceOpt === 'object' ? new TraceFileSink(traceOpt.file) : undefined;
  const world = new World(v.spec, parsePolicy(o.policy ?? 'arrival'), {
    maxSteps: Number.MAX_SAFE_INTEGER,
    ...(o.wallBudgetMs === undefined ? {} : { wallBudgetMs: o.wallBudgetMs }),
    ...(traceOpt === 'keep' ? {} : { trace: { keepSteps: false, ...(sink === undefined ? {} : { sink }) } }),
  });
  const sampler = o.observer?.attach(world.owner);
  const { owner } = world;
  const every = o.progressMs ?? 100;
  let lastProgress = performance.now();
  let calls = 0;
  const report = (): void => {
    const pi = physinfo(owner.hv);
    o.onProgress?.({ label: v.label, nowNs: owner.hv.now, steps: owner.steps, freePages: pi.free_pages, outstandingPages: pi.outstanding_pages, wallMs: performance.now() - t0, last: watch.last });
  };
  await world.runUntil(() => {
    if ((++calls & 1023) === 0 && o.onProgress !== undefined && performance.now() - lastProgress >= every) {
      lastProgress = performance.now();
      report();
    }
    if (v.spec.untilNs !== undefined) return false; // sleepers are stopped at untilNs; the run ends by itself
    watch.scan(owner);
    return v.xlActors.every((a) => watch.exited.has(a)) && (v.spec.faults ?? []).every((f) => f.atNs <= owner.hv.now);
  });
  report();
  let res;
  try {
    res = await world.finish();
  } finally {
    sink?.close();
  }
  watch.scan(owner);
  const wallMs = performance.now() - t0;
  // Without steps kept, the trace's events are the requests, answers and kills: all these read.
  const commands = commandsFromTrace(owner.trace.events, v.xlActors, (i) => watch.wall.get(i));
  return {
    label: v.label, variant: v, commands, kernels: kernelsFromTrace(owner.trace.events), hash: res.hash, steps: res.steps, endNs: owner.hv.now, wallMs, mode: 'scheduled',
    ...(traceOpt === 'keep' ? { trace: owner.trace.toJsonl() } : sink === undefined ? {} : { tracePath: sink.path }),
    ...(sink?.error === undefined ? {} : { traceError: sink.error }),
    ...(res.failure === undefined ? {} : { failure: { kind: res.failure.kind, message: res.failure.message } }),
    ...(res.stopped === undefined ? {} : { stopped: res.stopped }),
    ...(sampler === undefined ? {} : { telemetry: sampler.finish() }),
  };
}

async function runThreadedVariant<T>(v: CompiledVariant, o: RunVariantOptions<T>): Promise<VariantRun<T>> {
  const lastAt = Math.max(0, ...v.timeline.map((t) => t.atNs));
  const spec = { ...v.spec, untilNs: v.spec.untilNs ?? lastAt + THREADS_TAIL_NS };
  const samples: Array<{ steps: number; wallMs: number }> = [{ steps: 0, wallMs: 0 }];
  const traceOpt = o.trace ?? 'keep';
  // Node's threads run the observer on the owner's thread, live (a report from the run itself);
  // another platform's runner (the playground's) gets it by a replay of the trace afterwards.
  const observeInOwner = o.observer?.ownerModule !== undefined && o.threadRunner === undefined;
  // Streamed (a file, or only read back here): neither thread holds the whole trace. A replay
  // for the observer needs the text, so that case (another platform's runner) keeps it.
  const stream = traceOpt !== 'keep';
  const keptChunks: string[] | undefined = stream && o.observer !== undefined && !observeInOwner ? [] : undefined;
  const decoder = new TextDecoder();
  const reader = new StreamedTraceReader();
  // Opened before the run, as the scheduled run opens it: a folder that cannot take it fails first.
  const sink = typeof traceOpt === 'object' ? new TraceFileSink(traceOpt.file) : undefined;
  let readError: Error | undefined;
  const onTrace = (bytes: Uint8Array): void => {
    sink?.writeBytes(bytes);
    // Chunks end at a line's end, but a character may still span two: decode as a stream.
    const text = decoder.decode(bytes, { stream: true });
    keptChunks?.push(text);
    if (readError !== undefined) return;
    try {
      reader.feed(text);
    } catch (e) {
      readError = e as Error;
    }
  };
  const t0 = performance.now();
  let r: ThreadRunResult;
  try {
    // Imported here, not at the top: a bundle for the browser passes its own runner and never loads Node's.
    const runThreads = o.threadRunner ?? (await import('../../workers/threads.ts')).runThreads;
    r = await runThreads(spec, {
      policy: o.policy ?? 'arrival',
      timeoutMs: o.timeoutMs ?? 300_000,
      statsEverySteps: 5000,
      onStats: (s) => {
        const wallMs = performance.now() - t0;
        samples.push({ steps: s.steps, wallMs });
        o.onProgress?.({ label: v.label, nowNs: s.nowNs, steps: s.steps, freePages: s.free_pages, outstandingPages: s.outstanding_pages, wallMs });
      },
      ...(stream ? { onTrace } : {}),
      ...(observeInOwner ? { observerModule: o.observer!.ownerModule } : {}),
      // Without "until", the run ends where the scheduled one does: the xl commands all done, the faults fired.
      ...(v.spec.untilNs === undefined ? { endWhenExited: v.xlActors } : {}),
    });
  } finally {
    sink?.close();
  }
  if (r.ownerLost !== undefined || (!stream && r.trace === undefined)) throw new Error(`the threaded run lost its owner: ${r.ownerLost ?? 'unknown'}`);
  // Read event by event, keeping all but the sections (a demo variant has 1.3M): the xl commands
  // and kernels are read from requests and replies. Wall time of an event ≈ interpolated from the
  // owner's step-count samples, by the sections before it.
  if (!stream) reader.feed(r.trace!);
  reader.close();
  if (readError !== undefined) throw readError;
  const { events, stepsAt } = reader;
  samples.push({ steps: r.steps ?? reader.steps, wallMs: r.wallMs });
  const wallOf = (i: number): number => {
    const s = stepsAt[i];
    const j = samples.findIndex((x) => x.steps >= s);
    if (j <= 0) return samples[Math.max(0, j)].wallMs;
    const a = samples[j - 1];
    const b = samples[j];
    return a.wallMs + ((b.wallMs - a.wallMs) * (s - a.steps)) / Math.max(1, b.steps - a.steps);
  };
  const telemetry = o.observer === undefined ? undefined
    : observeInOwner ? (r.observed as T)
    : await o.observer.fromTrace(keptChunks !== undefined ? keptChunks.join('') : r.trace!);
  return {
    label: v.label, variant: v, commands: commandsFromTrace(events, v.xlActors, wallOf), kernels: kernelsFromTrace(events), hash: r.hash, steps: r.steps ?? reader.steps,
    ...(traceOpt === 'keep' ? { trace: r.trace } : sink !== undefined ? { tracePath: sink.path } : {}),
    ...(sink?.error === undefined ? {} : { traceError: sink.error }),
    endNs: reader.endNs, wallMs: r.wallMs, mode: 'threads',
    // An actor that died of an error (e.g. a hypercall too large for a mailbox slot) fails the run.
    ...(r.failure !== undefined ? { failure: r.failure }
      : (r.errors ?? []).length > 0 ? { failure: { kind: 'actor-error', message: r.errors!.map((e) => `${e.actor}: ${e.error}`).join('; ') } } : {}),
    ...(telemetry === undefined ? {} : { telemetry }),
  };
}

/** Runs one variant. @throws on a threaded run whose owner was lost, or kills with threads */
export function runVariant<T = never>(v: CompiledVariant, o: RunVariantOptions<T> = {}): Promise<VariantRun<T>> {
  return o.threads === true ? runThreadedVariant(v, o) : runScheduledVariant(v, o);
}

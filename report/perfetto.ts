// The Chrome trace-event export ("JSON Object Format" of the Trace Event Format, as Perfetto and
// chrome://tracing read it) of one or more runs: a process per run, a thread (track) per actor —
// each actor is its own pCPU while inside Xen — holding each hypercall as a slice with its critical
// sections nested inside, instant events for claims, failures and balloon moves, counters for
// memory, and the metadata naming it all. Virtual ns become the format's µs (ts/dur).

import { open, type FileHandle } from 'node:fs/promises';
import type { Telemetry } from './telemetry.ts';

/** The subset of trace events this module writes (validated by trace-event-validate.ts). */
export type TraceEventRecord =
  | { ph: 'X'; name: string; cat: string; pid: number; tid: number; ts: number; dur: number; args?: Record<string, unknown> }
  | { ph: 'i'; name: string; cat: string; pid: number; tid: number; ts: number; s: 'g' | 'p' | 't'; args?: Record<string, unknown> }
  | { ph: 'C'; name: string; pid: number; tid: number; ts: number; args: Record<string, number> }
  | { ph: 'M'; name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index'; pid: number; tid: number; ts: 0; args: Record<string, unknown> };

export interface TraceEventFile {
  traceEvents: TraceEventRecord[];
  displayTimeUnit: 'ns';
  otherData: Record<string, string>;
}

/** A run to export, and the name its process gets ("claim_mode=1"). */
export interface ExportRun {
  telemetry: Telemetry;
  name?: string;
}

/** The run-wide track: the run's extent, counters and events of no actor. */
const RUN_TID = 0;
const us = (ns: number): number => ns / 1000;

const DISPLAY_TIME_UNIT = 'ns';
const OTHER_DATA: Readonly<Record<string, string>> = { generator: 'xen-memsim report/perfetto.ts', timeUnit: 'virtual time: 1 µs here = 1000 ns of the emulated host' };

const exportRuns = (runs: Telemetry | readonly ExportRun[]): readonly ExportRun[] => (Array.isArray(runs) ? runs : [{ telemetry: runs as Telemetry }]);

/**
 * Converts runs to a trace-event file; run k becomes process k + 1.
 * @param runs one telemetry or several (the demo's claim_mode=0 and claim_mode=1, side by side)
 */
export function toTraceEvents(runs: Telemetry | readonly ExportRun[]): TraceEventFile {
  const traceEvents: TraceEventRecord[] = [];
  exportRuns(runs).forEach((run, k) => traceEvents.push(...runEvents(run, k + 1)));
  return { traceEvents, displayTimeUnit: DISPLAY_TIME_UNIT, otherData: { ...OTHER_DATA } };
}

function runEvents(run: ExportRun, pid: number): TraceEventRecord[] {
  const t = run.telemetry;
  const S = t.sections;
  const endNs = Math.max(t.meta.endNs, ...S.t.slice(-1));
  const meta = (name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index', tid: number, args: Record<string, unknown>): TraceEventRecord =>
    ({ ph: 'M', name, pid, tid, ts: 0, args });
  const out: TraceEventRecord[] = [
    meta('process_name', RUN_TID, { name: run.name ?? `run ${pid}: ${t.meta.scenario}` }),
    meta('process_sort_index', RUN_TID, { sort_index: pid }),
    meta('thread_name', RUN_TID, { name: 'run' }),
    meta('thread_sort_index', RUN_TID, { sort_index: 0 }),
    {
      ph: 'X', name: `${t.meta.scenario} (${t.meta.outcome})`, cat: 'run', pid, tid: RUN_TID, ts: 0, dur: us(endNs),
      args: { xen: t.meta.xen, tmem: t.meta.tmem, steps: t.meta.steps, hash: t.meta.hash ?? null, failure: t.meta.failure ?? null },
    },
  ];
  S.actors.forEach((a, i) => {
    out.push(meta('thread_name', i + 1, { name: `pCPU ${i}: ${a}` }), meta('thread_sort_index', i + 1, { sort_index: i + 1 }));
  });
  out.push(...sectionSlices(t, pid), ...instants(t, pid), ...counters(t, pid));
  return out;
}

/** Each hypercall as a slice (named by its trace token) with its sections nested inside. */
function sectionSlices(t: Telemetry, pid: number): TraceEventRecord[] {
  const S = t.sections;
  const out: TraceEventRecord[] = [];
  /** Actor index → its open call slice (dur grows as its sections come). */
  const open = new Map<number, Extract<TraceEventRecord, { ph: 'X' }>>();
  const gapAt = new Set(S.gaps.map(([i]) => i));
  for (let i = 0; i < S.t.length; i++) {
    // Sections were left out here (a long run): calls cannot be followed across the gap.
    if (gapAt.has(i)) open.clear();
    const actor = S.actors[S.actor[i]];
    const start = us(S.t[i] - S.dur[i]);
    const c = S.call[i];
    if (c >= 0) {
      let slice = open.get(S.actor[i]);
      if (slice === undefined) {
        slice = { ph: 'X', name: t.calls.token[c], cat: 'hypercall', pid, tid: S.actor[i] + 1, ts: start, dur: 0, args: { op: t.calls.op[c], actor, rc: t.calls.rc[c] } };
        open.set(S.actor[i], slice);
        out.push(slice);
      }
      slice.dur = us(S.t[i]) - slice.ts;
      if (S.finished[i] === 1) open.delete(S.actor[i]);
    }
    out.push({
      ph: 'X', name: S.labels[S.label[i]], cat: 'section', pid, tid: S.actor[i] + 1, ts: start, dur: us(S.dur[i]),
      args: { op: c >= 0 ? t.calls.op[c] : null, call: c >= 0 ? t.calls.token[c] : null, actor, step: S.step[i] },
    });
  }
  return out;
}

/** Claims, failures, balloon moves, domain lifecycle and notes: on their actor's track if known. */
function instants(t: Telemetry, pid: number): TraceEventRecord[] {
  const tidOf = new Map(t.sections.actors.map((a, i) => [a, i + 1]));
  return t.events.map((e) => {
    const tid = e.actor === undefined ? undefined : tidOf.get(e.actor);
    return {
      ph: 'i', name: e.kind, cat: 'event', pid, tid: tid ?? RUN_TID, ts: us(e.t), s: tid === undefined ? 'p' : 't',
      args: { text: e.text, step: e.step, ...(e.domid === undefined ? {} : { domid: e.domid }), ...(e.pages === undefined ? {} : { pages: e.pages }) },
    };
  });
}

/** Memory counters in MiB: host-wide, and each domain's tot_pages. */
function counters(t: Telemetry, pid: number): TraceEventRecord[] {
  const m = t.memory;
  const mib = (pages: number | null | undefined): number => (pages ?? 0) / 256;
  const out: TraceEventRecord[] = [];
  for (let i = 0; i < m.t.length; i++) {
    const host: Record<string, number> = { free: mib(m.freePages[i]), 'outstanding claims': mib(m.outstandingClaims[i]) };
    if (m.tmemEphemeral !== undefined) host['tmem ephemeral'] = mib(m.tmemEphemeral[i]);
    if (m.tmemPersistent !== undefined) host['tmem persistent'] = mib(m.tmemPersistent[i]);
    out.push({ ph: 'C', name: 'host memory (MiB)', pid, tid: RUN_TID, ts: us(m.t[i]), args: host });
    const doms = Object.fromEntries(m.domains.map((d) => [`d${d.domid} ${d.name}`, mib(d.totPages[i])]));
    out.push({ ph: 'C', name: 'domain tot_pages (MiB)', pid, tid: RUN_TID, ts: us(m.t[i]), args: doms });
  }
  return out;
}

/** Writes all of `text` (a write may take only part of it). */
const utf8 = new TextEncoder();
async function writeAll(file: FileHandle, text: string): Promise<void> {
  const bytes = utf8.encode(text);
  for (let at = 0; at < bytes.length;) at += (await file.write(bytes, at)).bytesWritten;
}

/** Events serialised at a time when streaming: a few MB of text. */
const EVENTS_PER_CHUNK = 8192;

/**
 * Writes the export as JSON to `path` (its folder must exist: no command creates the folders above
 * its outputs), byte for byte `JSON.stringify(toTraceEvents(runs))`, but streamed: one run's events
 * are built at a time and written a chunk at a time, so neither the whole event list nor the whole
 * text (24 MB for the demo) is ever held.
 */
export function writePerfetto(runs: Telemetry | readonly ExportRun[], path: string): Promise<void> {
  return streamTraceEvents(runs, path, EVENTS_PER_CHUNK);
}

/** writePerfetto with `eventsPerChunk` events serialised at a time (a test crosses chunk boundaries with a small one). */
export function streamTraceEvents(runs: Telemetry | readonly ExportRun[], path: string, eventsPerChunk: number): Promise<void> {
  if (!(Number.isSafeInteger(eventsPerChunk) && eventsPerChunk >= 1)) return Promise.reject(new RangeError(`eventsPerChunk must be a whole number >= 1 (got ${eventsPerChunk})`));
  const list = exportRuns(runs);
  // One run's events built at a time.
  return writeEventTexts(path, (function* () {
    for (const [k, run] of list.entries()) yield* perfettoRunChunks(run, k + 1, eventsPerChunk);
  })());
}

/**
 * Run `pid`'s events as the export's text has them, `eventsPerChunk` at a time (each chunk
 * comma-separated events, no brackets): a run's share of the file, made where the run ran (the
 * demo's variants side by side) and joined by writePerfettoFrom. Chunks, not one string: no
 * stringifier's buffer the size of the whole run.
 */
export function perfettoRunChunks(run: ExportRun, pid: number, eventsPerChunk: number = EVENTS_PER_CHUNK): string[] {
  const events = runEvents(run, pid);
  const out: string[] = [];
  for (let i = 0; i < events.length; i += eventsPerChunk) out.push(JSON.stringify(events.slice(i, i + eventsPerChunk)).slice(1, -1));
  return out;
}

/** Writes the export from each run's chunks (perfettoRunChunks(run k, k + 1)): byte for byte writePerfetto's file. */
export function writePerfettoFrom(runChunks: ReadonlyArray<readonly string[]>, path: string): Promise<void> {
  return writeEventTexts(path, runChunks.flat());
}

/** The file: its head, the events' texts (each a non-empty run of comma-separated events), comma-separated, its tail. */
async function writeEventTexts(path: string, texts: Iterable<string>): Promise<void> {
  const file = await open(path, 'w');
  try {
    await writeAll(file, '{"traceEvents":[');
    let first = true;
    for (const text of texts) {
      await writeAll(file, first ? text : `,${text}`);
      first = false;
    }
    await writeAll(file, `],"displayTimeUnit":${JSON.stringify(DISPLAY_TIME_UNIT)},"otherData":${JSON.stringify(OTHER_DATA)}}`);
  } finally {
    await file.close();
  }
}

// The trace of a run: every choice the owner made and every request and answer, as JSON Lines.
// Format "xen-memsim-trace" version 1 (documented in docs/trace-format.md):
//   line 1   {"format":"xen-memsim-trace","version":1,"scenario":{…},"policy":"…","mode":"…"}
//   then one event per line, in the order the owner saw them:
//   {"k":"arrive","a":ACTOR,"req":{…}}        an actor's request reached the owner
//   {"k":"step","a":ACTOR,"s":LABEL,"t":NS}   the owner ran one critical section of ACTOR's call
//   {"k":"reply","a":ACTOR,"r":{…}}           the owner answered ACTOR
//   {"k":"wake","a":ACTOR,"t":NS}             virtual time advanced to NS and ACTOR woke
//   {"k":"kill","a":ACTOR,"why":TEXT}        the actor's thread died (a fault); a recorded choice
//   {"k":"fail","kind":K,"message":M,"step":N} the run failed (invariant, property, crash …)
//   {"k":"stop","why":TEXT,"step":N}         the run was stopped from outside (control plane)
//   {"k":"end","steps":N,"hash":HEX}          the run ended
// The hash covers what a run *is*: the sequence of steps and wake-ups, then each actor's own
// requests and answers in order. Where arrivals fell between steps (which differs between real
// threads and the scheduled replay of the same run) does not enter it, nor do wall-clock times,
// the policy's name or the mode — so a real-thread run and its replay hash the same.

import { createHash, type Hash } from 'node:crypto';
import type { ActorRequest, OwnerReply } from './requests.ts';
import type { ScenarioSpec } from './scenario.ts';
import { validateActorSpec, validateScenarioSpec } from './scenario-validate.ts';
import { LineChunks } from './line-chunks.ts';

export const TRACE_FORMAT = 'xen-memsim-trace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  scenario: ScenarioSpec;
  policy: string;
  /** 'scheduled' (one thread) or 'threads' (owner worker + actor workers). */
  mode: 'scheduled' | 'threads';
}

export type TraceEvent =
  | { k: 'arrive'; a: string; req: ActorRequest }
  | { k: 'step'; a: string; s: string; t: number }
  | { k: 'reply'; a: string; r: OwnerReply }
  | { k: 'wake'; a: string; t: number }
  | { k: 'kill'; a: string; why: string }
  | { k: 'fail'; kind: string; message: string; step: number }
  | { k: 'stop'; why: string; step: number }
  | { k: 'end'; steps: number; hash: string };

/** Events that are the owner's choices, in global order: what a replay must follow. */
export function isChoiceEvent(e: TraceEvent): boolean {
  return e.k === 'step' || e.k === 'wake' || e.k === 'kill' || e.k === 'stop' || (e.k === 'arrive' && e.a === '@');
}

/**
 * Each actor's own requests and answers, in order, built one event at a time (a recorder feeds
 * it as the run goes; perActorEvents() feeds it a whole list). A killed actor's last request is
 * dropped when it never ran: whether a dying thread got it out before it died is timing, not
 * behaviour; in a run that failed or was stopped, every actor's trailing requests that never ran
 * are dropped likewise, and so are the answers the owner gives as the run winds down after the
 * failure or stop (finishRun tells sleepers and booting kernels they are gone: whether an actor
 * on a slow thread had got its request in by then is timing too).
 */
export class PerActorLog {
  private readonly lists = new Map<string, TraceEvent[]>();
  private readonly killed = new Set<string>();
  /** Actors whose latest request has had a section run (or a wake-up). */
  private readonly ranSet = new Set<string>();
  /** A fail or stop event was seen: the run was cut short, later requests and answers do not count. */
  private cut = false;

  add(e: TraceEvent): void {
    if (e.k === 'fail' || e.k === 'stop') this.cut = true;
    if (this.cut && (e.k === 'arrive' || e.k === 'reply')) return;
    if (e.k === 'kill') this.killed.add(e.a);
    else if (e.k === 'step' || e.k === 'wake') this.ranSet.add(e.a);
    else if ((e.k === 'arrive' && e.a !== '@') || e.k === 'reply') {
      if (e.k === 'arrive') this.ranSet.delete(e.a);
      let list = this.lists.get(e.a);
      if (list === undefined) this.lists.set(e.a, (list = []));
      list.push(e);
    }
  }

  /** A step or wake-up of `actor` (what add() does with one, without the event object). */
  ran(actor: string): void {
    this.ranSet.add(actor);
  }

  /** The per-actor lists as of now (fresh arrays; the log itself is unchanged). */
  result(): Map<string, TraceEvent[]> {
    const m = new Map<string, TraceEvent[]>();
    for (const [a, list] of this.lists) m.set(a, [...list]);
    // A run cut short by a failure or a stop: which requests still reached the owner after its
    // last section is timing on real threads (the scheduled replay settles every actor), not behaviour.
    if (this.cut) {
      for (const [a, list] of m) {
        while (list.at(-1)?.k === 'arrive' && !this.ranSet.has(a)) list.pop();
        if (list.length === 0) m.delete(a);
      }
    }
    for (const a of this.killed) {
      const list = m.get(a);
      if (list !== undefined && list.at(-1)?.k === 'arrive' && !this.ranSet.has(a)) list.pop();
      // Killed before any request got out: no entry at all, as in a run where it never arrived.
      if (list !== undefined && list.length === 0) m.delete(a);
    }
    return m;
  }
}

/** Each actor's own requests and answers, in order (see PerActorLog). */
export function perActorEvents(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const log = new PerActorLog();
  for (const e of events) log.add(e);
  return log.result();
}

/** The hash's second part: each actor's own events, actors in sorted order. */
function hashPerActor(h: Hash, perActor: Map<string, TraceEvent[]>): string {
  for (const a of [...perActor.keys()].sort()) h.update(perActor.get(a)!.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return h.digest('hex').slice(0, 16);
}

/** The run's identity (see the header comment): 16 hex digits of a SHA-256. */
export function traceHash(events: readonly TraceEvent[]): string {
  const h = createHash('sha256');
  for (const e of events) if (isChoiceEvent(e) || e.k === 'fail') h.update(JSON.stringify(e) + '\n');
  return hashPerActor(h, perActorEvents(events));
}

/**
 * Where a streamed trace goes as it is recorded, in order: JSONL text (a file: world/trace-file.ts),
 * about a MiB at a time. A sink with `writeBytes` gets the UTF-8 bytes (only valid during the call:
 * the recorder reuses its buffer); otherwise `write` gets them as text.
 */
export interface TraceSink {
  write(text: string): void;
  writeBytes?(bytes: Uint8Array): void;
}

/** The sink's bytes path, or its text path for a sink that only takes text; undefined: hash only. */
function chunkWriter(sink: TraceSink | undefined): ((bytes: Uint8Array) => void) | undefined {
  if (sink === undefined) return undefined;
  if (sink.writeBytes !== undefined) return (bytes) => sink.writeBytes!(bytes);
  const decoder = new TextDecoder(); // a chunk holds whole lines: no character is split between two
  return (bytes) => sink.write(decoder.decode(bytes));
}

export interface TraceOptions {
  /**
   * Keep step and wake events in `events` (default true: tests and short runs read them, and
   * toJsonl() writes them). Off, `events` holds every other event — requests, answers, kills,
   * failures: a few per hypercall, what monitors and reports read — and the sections are only
   * hashed and given to the sink, so a section costs no memory.
   */
  keepSteps?: boolean;
  /** Receives the JSONL text as the run goes: the header line first, the end line last. */
  sink?: TraceSink;
}

/**
 * Records events in the order the owner saw them. Two ways, the same hash and the same text:
 *   - kept (the default): every event in `events`; the hash is computed when first asked for
 *     (a campaign run that passes never pays for it), `toJsonl()` is the trace file;
 *   - streamed (a sink, or keepSteps false): each choice is hashed as it is recorded, each line
 *     goes to the sink; steps and wake-ups are not kept (long runs: the demo's 1.3M sections).
 */
export class TraceRecorder {
  /** The events (all, or all but steps and wake-ups: TraceOptions.keepSteps). */
  readonly events: TraceEvent[] = [];
  /** The latest step recorded: actor, label, time (replay compares it with the recorded one). */
  private lastA: string | undefined;
  private lastS = '';
  private lastT = 0;

  /** Set by end(): what happens afterwards (actors exiting, late notes) is not part of the run. */
  private sealed = false;
  private readonly keepSteps: boolean;
  private readonly sink: TraceSink | undefined;
  /** Streamed: the hash so far, the lines not yet hashed or written (as bytes), each actor's log. */
  private readonly stream: { h: Hash; chunks: LineChunks; perActor: PerActorLog } | undefined;
  /** Actor → label → the start of a step line (`{"k":"step","a":…,"s":…,"t":`), UTF-8. */
  private readonly stepPrefix = new Map<string, Map<string, Uint8Array>>();
  private readonly listeners: Array<(e: TraceEvent) => void> = [];
  private hashValue: string | undefined;

  constructor(readonly header: TraceHeader, opts: TraceOptions = {}) {
    this.keepSteps = opts.keepSteps ?? true;
    this.sink = opts.sink;
    if (this.sink !== undefined || !this.keepSteps) {
      const h = createHash('sha256');
      this.stream = { h, chunks: new LineChunks(h, chunkWriter(this.sink)), perActor: new PerActorLog() };
      this.stream.chunks.add(JSON.stringify(header) + '\n', false);
    }
  }

  /** Whether the trace is kept whole in memory (toJsonl() works). */
  get kept(): boolean {
    return this.stream === undefined;
  }

  /**
   * Calls `f` with every event recorded from now on except steps and wake-ups (requests,
   * answers, kills, failures …), as it is recorded. `f` must not throw.
   */
  subscribe(f: (e: TraceEvent) => void): void {
    this.listeners.push(f);
  }

  add(e: TraceEvent): void {
    if (this.sealed) return;
    if (e.k === 'step') return this.step(e.a, e.s, e.t);
    if (e.k === 'wake') return this.wake(e.a, e.t);
    this.events.push(e);
    const st = this.stream;
    if (st !== undefined) {
      st.perActor.add(e);
      st.chunks.add(JSON.stringify(e) + '\n', isChoiceEvent(e) || e.k === 'fail');
    }
    for (const f of this.listeners) f(e);
  }

  /** Records a section of `a`'s call, labelled `s`, ending at virtual time `t`. */
  step(a: string, s: string, t: number): void {
    if (this.sealed) return;
    this.lastA = a;
    this.lastS = s;
    this.lastT = t;
    if (this.keepSteps) this.events.push({ k: 'step', a, s, t });
    const st = this.stream;
    if (st === undefined) return;
    st.perActor.ran(a);
    if (t >= 0 && Number.isSafeInteger(t)) st.chunks.addPrefixedInt(this.prefixOf(a, s), t);
    else st.chunks.add(JSON.stringify({ k: 'step', a, s, t }) + '\n', true);
  }

  /** Records that virtual time reached `t` and sleeping `a` woke. */
  wake(a: string, t: number): void {
    if (this.sealed) return;
    const e: TraceEvent = { k: 'wake', a, t };
    if (this.keepSteps) this.events.push(e);
    const st = this.stream;
    if (st === undefined) return;
    st.perActor.ran(a);
    st.chunks.add(JSON.stringify(e) + '\n', true);
  }

  /** The latest step recorded (replay compares it with the recorded one). */
  get lastStep(): { a: string; s: string; t: number } | undefined {
    return this.lastA === undefined ? undefined : { a: this.lastA, s: this.lastS, t: this.lastT };
  }

  private prefixOf(a: string, s: string): Uint8Array {
    let byLabel = this.stepPrefix.get(a);
    if (byLabel === undefined) this.stepPrefix.set(a, (byLabel = new Map()));
    let p = byLabel.get(s);
    // Exactly JSON.stringify({ k: 'step', a, s, t }) up to the time.
    if (p === undefined) byLabel.set(s, (p = new TextEncoder().encode(`{"k":"step","a":${JSON.stringify(a)},"s":${JSON.stringify(s)},"t":`)));
    return p;
  }

  /** Seals the trace with an end event carrying the hash (see `hash`). */
  end(steps: number): void {
    const st = this.stream;
    if (st === undefined) {
      // Kept: the hash is computed when first read (JSON.stringify of the end event reads it too).
      const rec = this;
      this.events.push({ k: 'end', steps, get hash() { return rec.hash; } });
      this.sealed = true;
      return;
    }
    st.chunks.hashPending();
    this.hashValue = hashPerActor(st.h, st.perActor.result());
    const e: TraceEvent = { k: 'end', steps, hash: this.hashValue };
    this.events.push(e);
    st.chunks.add(JSON.stringify(e) + '\n', false);
    this.sealed = true;
    st.chunks.flush();
  }

  /** Each actor's own requests and answers so far (see PerActorLog), kept or streamed alike. */
  perActor(): Map<string, TraceEvent[]> {
    return this.stream !== undefined ? this.stream.perActor.result() : perActorEvents(this.events);
  }

  /** The run's hash (after end()). */
  get hash(): string {
    if (this.hashValue === undefined) {
      if (!this.sealed) throw new Error('TraceRecorder: no hash before end()');
      this.hashValue = traceHash(this.events);
    }
    return this.hashValue;
  }

  /** The trace file's text. @throws when the trace was streamed (it is in its sink, not here) */
  toJsonl(): string {
    if (this.stream !== undefined) throw new Error('TraceRecorder: this trace was streamed to its sink, not kept (TraceOptions)');
    return [JSON.stringify(this.header), ...this.events.map((e) => JSON.stringify(e))].join('\n') + '\n';
  }
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
}

// Reading a trace: every line is checked (TraceFormatError with the line number on anything
// malformed). The header's scenario passes validateScenarioSpec (sim/scenario-validate.ts), and so
// does every actor spec a spawn request carries. Lines after the first `end` are parsed but left
// out: they are not part of the run (builds before the recorder was sealed at `end` wrote actors'
// late exits there; the hash never covered them), so such a trace replays like the run it records.

const EVENT_KINDS: ReadonlySet<string> = new Set(['arrive', 'step', 'reply', 'wake', 'kill', 'fail', 'stop', 'end']);

/** Parses a trace's first line (line 1). @throws TraceFormatError */
export function parseTraceHeaderLine(line: string): TraceHeader {
  const header = parseJsonLine(line, 1) as Partial<TraceHeader> | null;
  if (typeof header !== 'object' || header === null || header.format !== TRACE_FORMAT) {
    throw new TraceFormatError(`trace:1: not a ${TRACE_FORMAT} file`);
  }
  if (header.version !== TRACE_VERSION) {
    throw new TraceFormatError(`trace:1: unsupported version ${String(header.version)} (this build reads ${TRACE_VERSION})`);
  }
  if (typeof header.scenario !== 'object' || header.scenario === null) throw new TraceFormatError('trace:1: missing scenario');
  return header as TraceHeader;
}

/**
 * Parses one event line; `lineNo` counts non-blank lines from 1 (the header). A spawn request's
 * actor spec passes validateActorSpec. @throws TraceFormatError
 */
export function parseTraceEventLine(line: string, lineNo: number): TraceEvent {
  const e = parseJsonLine(line, lineNo) as { k?: unknown; a?: unknown; req?: { kind?: unknown; spec?: unknown } } | null;
  if (typeof e !== 'object' || e === null || !EVENT_KINDS.has(e.k as string)) throw new TraceFormatError(`trace:${lineNo}: unknown event`);
  if (e.k !== 'end' && e.k !== 'fail' && e.k !== 'stop' && typeof e.a !== 'string') throw new TraceFormatError(`trace:${lineNo}: event without actor`);
  if (e.k === 'arrive' && (typeof e.req !== 'object' || e.req === null)) throw new TraceFormatError(`trace:${lineNo}: arrive without a request`);
  if (e.k === 'arrive' && e.req!.kind === 'spawn') {
    const bad = validateActorSpec(e.req!.spec, 'spawn');
    if (bad.length > 0) throw new TraceFormatError(`trace:${lineNo}: ${bad.join('; ')}`);
  }
  return e as TraceEvent;
}

/**
 * Checks the header's policy, mode and scenario (validateScenarioSpec) — after the events, so a
 * broken line is reported before a scenario that cannot be built. @throws TraceFormatError
 */
export function checkTraceScenario(header: TraceHeader): void {
  if (typeof header.policy !== 'string' || header.policy.length > 256) throw new TraceFormatError('trace:1: policy must be a string of at most 256 characters');
  if (header.mode !== 'scheduled' && header.mode !== 'threads') throw new TraceFormatError(`trace:1: mode must be "scheduled" or "threads", got ${JSON.stringify(header.mode) ?? 'nothing'}`);
  const bad = validateScenarioSpec(header.scenario);
  if (bad.length > 0) throw new TraceFormatError(`trace:1: scenario: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}`);
}

function parseJsonLine(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new TraceFormatError(`trace:${lineNo}: not valid JSON`);
  }
}

/** The non-blank lines of a trace held in memory, numbered from 1 (no array of all lines). */
export function* textLines(text: string): Generator<{ line: string; lineNo: number }> {
  let lineNo = 0;
  for (let from = 0; from < text.length; ) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    const line = text.slice(from, nl);
    from = nl + 1;
    if (line.trim() !== '') yield { line, lineNo: ++lineNo };
  }
}

/**
 * Reads a trace's numbered non-blank lines (textLines, or a file's: world/trace-file.ts): the
 * header, then each event handed to `onEvent` in order; lines after the first `end` are checked
 * but left out (see above); the scenario is checked after the last event, so a broken line is
 * reported first. @throws TraceFormatError with the line number on anything malformed
 */
export function readTraceLines(lines: Iterable<{ line: string; lineNo: number }>, onEvent: (e: TraceEvent) => void): TraceHeader {
  let header: TraceHeader | undefined;
  let ended = false;
  for (const { line, lineNo } of lines) {
    if (header === undefined) {
      header = parseTraceHeaderLine(line);
      continue;
    }
    const e = parseTraceEventLine(line, lineNo);
    if (!ended) onEvent(e);
    if (e.k === 'end') ended = true;
  }
  if (header === undefined) throw new TraceFormatError('trace: empty file');
  checkTraceScenario(header);
  return header;
}

/**
 * Parses a trace file held in memory into its events (a long one is better read event by event:
 * readTraceLines(textLines(text), …), or world/trace-file.ts for a file).
 * @throws TraceFormatError with the line number on anything malformed
 */
export function parseTrace(text: string): { header: TraceHeader; events: TraceEvent[] } {
  const events: TraceEvent[] = [];
  const header = readTraceLines(textLines(text), (e) => events.push(e));
  return { header, events };
}

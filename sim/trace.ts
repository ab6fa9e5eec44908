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

import { createHash } from 'node:crypto';
import type { ActorRequest, OwnerReply } from './requests.ts';
import type { ScenarioSpec } from './scenario.ts';
import { validateActorSpec, validateScenarioSpec } from './scenario-validate.ts';

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
 * Each actor's own requests and answers, in order. A killed actor's last request is dropped when
 * it never ran: whether a dying thread got it out before it died is timing, not behaviour; in a
 * run that failed or was stopped, every actor's trailing requests that never ran are dropped
 * likewise, and so are the answers the owner gives as the run winds down after the failure or
 * stop (finishRun tells sleepers and booting kernels they are gone: whether an actor on a slow
 * thread had got its request in by then is timing too).
 */
export function perActorEvents(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const m = new Map<string, TraceEvent[]>();
  const killed = new Set<string>();
  /** Actors whose latest request has had a section run (or a wake-up). */
  const ran = new Set<string>();
  let cut = false;
  for (const e of events) {
    if (e.k === 'fail' || e.k === 'stop') cut = true;
    if (cut && (e.k === 'arrive' || e.k === 'reply')) continue;
    if (e.k === 'kill') killed.add(e.a);
    else if (e.k === 'step' || e.k === 'wake') ran.add(e.a);
    else if ((e.k === 'arrive' && e.a !== '@') || e.k === 'reply') {
      if (e.k === 'arrive') ran.delete(e.a);
      const list = m.get(e.a) ?? [];
      list.push(e);
      m.set(e.a, list);
    }
  }
  // A run cut short by a failure or a stop: which requests still reached the owner after its
  // last section is timing on real threads (the scheduled replay settles every actor), not behaviour.
  if (events.some((e) => e.k === 'fail' || e.k === 'stop')) {
    for (const [a, list] of m) {
      while (list.at(-1)?.k === 'arrive' && !ran.has(a)) list.pop();
      if (list.length === 0) m.delete(a);
    }
  }
  for (const a of killed) {
    const list = m.get(a);
    if (list !== undefined && list.at(-1)?.k === 'arrive' && !ran.has(a)) list.pop();
    // Killed before any request got out: no entry at all, as in a run where it never arrived.
    if (list !== undefined && list.length === 0) m.delete(a);
  }
  return m;
}

/** The run's identity (see the header comment): 16 hex digits of a SHA-256. */
export function traceHash(events: readonly TraceEvent[]): string {
  const h = createHash('sha256');
  for (const e of events) if (isChoiceEvent(e) || e.k === 'fail') h.update(JSON.stringify(e) + '\n');
  const perActor = perActorEvents(events);
  for (const a of [...perActor.keys()].sort()) h.update(perActor.get(a)!.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return h.digest('hex').slice(0, 16);
}

/** Records events in the order the owner saw them; `toJsonl()` is the trace file. */
export class TraceRecorder {
  readonly events: TraceEvent[] = [];

  /** Set by end(): what happens afterwards (actors exiting, late notes) is not part of the run. */
  private sealed = false;

  constructor(readonly header: TraceHeader) {}

  add(e: TraceEvent): void {
    if (!this.sealed) this.events.push(e);
  }

  /** Seals the trace with an end event carrying the hash; returns the hash. */
  end(steps: number): string {
    const hash = traceHash(this.events);
    this.events.push({ k: 'end', steps, hash });
    this.sealed = true;
    return hash;
  }

  toJsonl(): string {
    return [JSON.stringify(this.header), ...this.events.map((e) => JSON.stringify(e))].join('\n') + '\n';
  }
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
}

/**
 * Parses a trace file; throws TraceFormatError with the line number on anything malformed. The
 * header's scenario passes validateScenarioSpec (sim/scenario-validate.ts), and so does every
 * actor spec a spawn request carries. Lines after the first `end` are parsed but left out: they
 * are not part of the run (builds before the recorder was sealed at `end` wrote actors' late
 * exits there; the hash never covered them), so such a trace replays like the run it records.
 */
export function parseTrace(text: string): { header: TraceHeader; events: TraceEvent[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TraceFormatError('trace: empty file');
  const parseLine = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]);
    } catch {
      throw new TraceFormatError(`trace:${i + 1}: not valid JSON`);
    }
  };
  const header = parseLine(0) as Partial<TraceHeader> | null;
  if (typeof header !== 'object' || header === null || header.format !== TRACE_FORMAT) {
    throw new TraceFormatError(`trace:1: not a ${TRACE_FORMAT} file`);
  }
  if (header.version !== TRACE_VERSION) {
    throw new TraceFormatError(`trace:1: unsupported version ${String(header.version)} (this build reads ${TRACE_VERSION})`);
  }
  if (typeof header.scenario !== 'object' || header.scenario === null) throw new TraceFormatError('trace:1: missing scenario');
  const events: TraceEvent[] = [];
  let ended = false;
  for (let i = 1; i < lines.length; i++) {
    const e = parseLine(i) as { k?: unknown; a?: unknown; req?: { kind?: unknown; spec?: unknown } } | null;
    const kinds = ['arrive', 'step', 'reply', 'wake', 'kill', 'fail', 'stop', 'end'];
    if (typeof e !== 'object' || e === null || !kinds.includes(e.k as string)) throw new TraceFormatError(`trace:${i + 1}: unknown event`);
    if (e.k !== 'end' && e.k !== 'fail' && e.k !== 'stop' && typeof e.a !== 'string') throw new TraceFormatError(`trace:${i + 1}: event without actor`);
    if (e.k === 'arrive' && (typeof e.req !== 'object' || e.req === null)) throw new TraceFormatError(`trace:${i + 1}: arrive without a request`);
    if (e.k === 'arrive' && e.req!.kind === 'spawn') {
      const bad = validateActorSpec(e.req!.spec, 'spawn');
      if (bad.length > 0) throw new TraceFormatError(`trace:${i + 1}: ${bad.join('; ')}`);
    }
    if (!ended) events.push(e as TraceEvent);
    if (e.k === 'end') ended = true;
  }
  // After the events, so a broken line is reported before a scenario that cannot be built.
  if (typeof header.policy !== 'string' || header.policy.length > 256) throw new TraceFormatError('trace:1: policy must be a string of at most 256 characters');
  if (header.mode !== 'scheduled' && header.mode !== 'threads') throw new TraceFormatError(`trace:1: mode must be "scheduled" or "threads", got ${JSON.stringify(header.mode) ?? 'nothing'}`);
  const bad = validateScenarioSpec(header.scenario);
  if (bad.length > 0) throw new TraceFormatError(`trace:1: scenario: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}`);
  return { header: header as TraceHeader, events };
}

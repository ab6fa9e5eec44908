// Telemetry of one run, for the HTML report and the Perfetto export: memory over virtual time
// (free pages, outstanding claims, each domain's tot_pages and claim, tmem's ephemeral and
// persistent pages), the events that explain it, and every critical section per actor (pCPU).
// It observes an Owner (owner.afterStep + hv.listeners + the owner's trace) and never changes it,
// so it works on a live scheduled World and on the replay of any trace, scheduled or real-thread.

import type { RunObserver } from '../world/scenario-file/run.ts';
import type { HvEvent } from '../hv/events.ts';
import type { Owner, StepInfo } from '../sim/owner.ts';
import { parseTrace, type TraceEvent } from '../sim/trace.ts';
import { replayEvents } from '../world/replay.ts';
import { callToken } from '../prop-tests/campaign/interleaving.ts';
import { MemoryRows, type MemorySeries } from './series.ts';
import { SectionRecorder, type CallTable, type SectionTable } from './sections.ts';

export const TELEMETRY_FORMAT = 'xen-memsim-telemetry';

export const EVENT_KINDS = [
  'claim_staked', 'claim_cancelled', 'claim_refused', 'alloc_failed', 'claim_leaked',
  'domain_created', 'domain_destroyed', 'balloon', 'balloon_target', 'kill', 'run_failed', 'xsa231', 'note',
] as const;
export type TelemetryEventKind = (typeof EVENT_KINDS)[number];

/** Something that happened at virtual time `t` during owner step `step` (0 = before any step). */
export interface TelemetryEvent {
  t: number;
  step: number;
  kind: TelemetryEventKind;
  /** Whose section it happened in, when known. */
  actor?: string;
  domid?: number;
  /** Claim size, pages moved by a balloon (negative = given back), failed allocation's size … */
  pages?: number;
  /** One readable line. */
  text: string;
}

export interface RunMeta {
  scenario: string;
  xen: string;
  tmem: boolean;
  nodes: number;
  /** physinfo total_pages. */
  totalPages: number;
  policy: string;
  mode: 'scheduled' | 'threads';
  steps: number;
  endNs: number;
  /** 'stopped': the run was not finished (no end event yet). */
  outcome: 'completed' | 'failed' | 'stopped';
  failure?: string;
  hash?: string;
  /** Set by collectFromTrace: whether the replay reproduced the recorded run. */
  replay?: { reproduced: boolean; divergence?: string; recordedHash?: string };
}

/** Everything a report shows: plain JSON. Memory in pages, times in virtual ns. */
export interface Telemetry {
  format: typeof TELEMETRY_FORMAT;
  version: 1;
  meta: RunMeta;
  memory: MemorySeries;
  events: TelemetryEvent[];
  /** Events beyond maxEvents, not kept. */
  eventsDropped: number;
  sections: SectionTable;
  calls: CallTable;
}

export interface TelemetryOptions {
  /** Periodic samples at most this often (virtual ns); events always sample. Default 0. */
  minIntervalNs?: number;
  /** Points per series in the output (and half the bound on memory); default 5000. */
  maxPoints?: number;
  /** Events kept; default 5000. */
  maxEvents?: number;
  /** Sections kept (first and last halves); default 100,000. */
  maxSections?: number;
}

/** Ops by which a domain changes its own allocation: a guest's balloon driver (or dom0's). */
const BALLOON_OPS = new Set(['XENMEM_decrease_reservation', 'XENMEM_increase_reservation', 'XENMEM_populate_physmap']);

const MEMORY_TARGET = /^\/local\/domain\/(\d+)\/memory\/target$/;

/**
 * Records a run's telemetry as it goes. Build it with attachTelemetry() before the first step;
 * call finish() after the run (after World.finish(), so the failure and hash are in).
 */
export class TelemetrySampler {
  private readonly rows: MemoryRows;
  private readonly sections: SectionRecorder;
  private readonly calls: CallTable = { token: [], op: [], rc: [] };
  private readonly events: TelemetryEvent[] = [];
  private eventsDropped = 0;
  private readonly maxEvents: number;
  /** Next owner.trace event to read. */
  private traceCursor = 0;
  /** Virtual time at the end of the previous step: where the next section starts. */
  private prevNow: number;
  /** Actor → index of its latest hypercall in `calls` (from the trace's arrive events). */
  private readonly openCall = new Map<string, number>();
  /** Actor → pages its own domain gained (lost) in the call in flight, for balloon moves. */
  private readonly balloonDelta = new Map<string, number>();
  /** domid → tot_pages after the previous step. */
  private readonly prevTot = new Map<number, number>();
  /** An event happened since the last sample: sample now whatever the interval. */
  private eventPending = false;
  private result: Telemetry | undefined;

  constructor(readonly owner: Owner, opts: TelemetryOptions = {}) {
    this.rows = new MemoryRows(opts.minIntervalNs ?? 0, opts.maxPoints ?? 5000);
    this.sections = new SectionRecorder(opts.maxSections ?? 100_000);
    this.maxEvents = opts.maxEvents ?? 5000;
    this.prevNow = owner.hv.now;
    for (const d of owner.hv.domains.values()) this.prevTot.set(d.domid, d.totPages);
    owner.afterStep.push((info) => this.onStep(info));
    owner.hv.listeners.push((e) => this.onHvEvent(e));
    this.sample();
  }

  private get now(): number {
    return this.owner.hv.now;
  }

  private addEvent(e: TelemetryEvent): void {
    this.eventPending = true;
    if (this.events.length < this.maxEvents) this.events.push(e);
    else this.eventsDropped++;
  }

  private onHvEvent(e: HvEvent): void {
    // Emitted inside a section: owner.steps already counts it; the actor is filled in by onStep.
    const at = { t: this.now, step: this.owner.steps };
    switch (e.kind) {
      case 'claim':
        if (e.rc < 0) this.addEvent({ ...at, kind: 'claim_refused', domid: e.domid, pages: e.pages, text: `claim of ${e.pages} pages for d${e.domid} refused (rc ${e.rc})` });
        else if (e.pages === 0) this.addEvent({ ...at, kind: 'claim_cancelled', domid: e.domid, pages: 0, text: `claim of d${e.domid} cancelled` });
        else this.addEvent({ ...at, kind: 'claim_staked', domid: e.domid, pages: e.pages, text: `d${e.domid} claims ${e.pages} pages` });
        return;
      case 'alloc_failed':
        this.addEvent({ ...at, kind: 'alloc_failed', domid: e.domid, pages: 2 ** e.order, text: `order-${e.order} allocation for d${e.domid} failed (${e.reason}; claim ${e.outstanding})` });
        return;
      case 'claim_leaked':
        this.addEvent({ ...at, kind: 'claim_leaked', domid: e.domid, pages: e.pages, text: `d${e.domid} freed holding a claim of ${e.pages} pages: leaked` });
        return;
      case 'domain_destroyed':
        this.addEvent({ ...at, kind: 'domain_destroyed', domid: e.domid, text: `d${e.domid} destroyed` });
        return;
      case 'xsa231':
        this.addEvent({ ...at, kind: 'xsa231', text: `d${e.caller} used NUMA node ${e.node} unchecked (XSA-231)` });
        return;
    }
  }

  /** Reads the owner's trace up to now: calls and their results, notes, targets, kills, failure. */
  private drainTrace(): void {
    const events = this.owner.trace.events;
    for (; this.traceCursor < events.length; this.traceCursor++) this.onTraceEvent(events[this.traceCursor]);
  }

  private onTraceEvent(e: TraceEvent): void {
    const at = { t: this.now, step: this.owner.steps };
    if (e.k === 'arrive' && e.req.kind === 'hypercall') {
      this.openCall.set(e.a, this.calls.token.length);
      this.calls.token.push(callToken(e.req.op, e.req.args));
      this.calls.op.push(e.req.op);
      this.calls.rc.push(null);
    } else if (e.k === 'arrive' && e.req.kind === 'note') {
      this.addEvent({ ...at, kind: 'note', actor: e.a, text: `${e.a}: ${e.req.text}` });
    } else if (e.k === 'arrive' && e.req.kind === 'xsWrite') {
      const m = MEMORY_TARGET.exec(e.req.path);
      const kb = Number(e.req.value);
      if (m !== null && Number.isFinite(kb)) {
        this.addEvent({ ...at, kind: 'balloon_target', actor: e.a, domid: Number(m[1]), pages: Math.floor(kb / 4), text: `${e.a} sets d${m[1]}'s memory/target to ${kb} KiB` });
      }
    } else if (e.k === 'reply' && e.r.kind === 'result') {
      const call = this.openCall.get(e.a);
      if (call !== undefined) this.calls.rc[call] = e.r.result.rc;
    } else if (e.k === 'kill') {
      this.addEvent({ ...at, kind: 'kill', actor: e.a, text: `${e.a}'s thread died: ${e.why}` });
    } else if (e.k === 'fail') {
      this.addEvent({ ...at, kind: 'run_failed', text: `${e.kind} after step ${e.step}: ${e.message}` });
    }
  }

  private onStep(info: StepInfo): void {
    this.drainTrace();
    for (let i = this.events.length - 1; i >= 0 && this.events[i].step === info.step; i--) this.events[i].actor ??= info.actor;
    const call = info.op === undefined ? -1 : (this.openCall.get(info.actor) ?? -1);
    this.sections.add({ t: this.now, dur: this.now - this.prevNow, actor: info.actor, label: info.label, call, step: info.step, finished: info.finished === true });
    this.prevNow = this.now;
    if (info.op !== undefined && BALLOON_OPS.has(info.op)) this.trackBalloon(info);
    this.trackDomains(info);
    if (this.eventPending || this.rows.due(this.now)) this.sample();
  }

  /** A domain's own reservation op that changed its tot_pages is a balloon move (one per call). */
  private trackBalloon(info: StepInfo): void {
    const caller = this.owner.callerOf(info.actor);
    const d = this.owner.hv.domains.get(caller);
    const delta = (d?.totPages ?? 0) - (this.prevTot.get(caller) ?? 0);
    const sum = (this.balloonDelta.get(info.actor) ?? 0) + (d === undefined ? 0 : delta);
    if (info.finished !== true) {
      this.balloonDelta.set(info.actor, sum);
      return;
    }
    this.balloonDelta.delete(info.actor);
    if (sum === 0) return;
    const verb = sum < 0 ? 'gives back' : 'takes';
    this.addEvent({ t: this.now, step: info.step, kind: 'balloon', actor: info.actor, domid: caller, pages: sum, text: `d${caller}'s balloon ${verb} ${Math.abs(sum)} pages` });
  }

  /** New domains become events; remembers every domain's tot_pages for the next step. */
  private trackDomains(info: StepInfo): void {
    const alive = new Set<number>();
    for (const d of this.owner.hv.domains.values()) {
      alive.add(d.domid);
      if (!this.prevTot.has(d.domid)) this.addEvent({ t: this.now, step: info.step, actor: info.actor, kind: 'domain_created', domid: d.domid, text: `d${d.domid} (${d.name}) created` });
      this.prevTot.set(d.domid, d.totPages);
    }
    for (const domid of this.prevTot.keys()) if (!alive.has(domid)) this.prevTot.delete(domid);
  }

  /** Takes one memory sample now. */
  private sample(): void {
    const { hv } = this.owner;
    const domains = new Map<string, readonly [number, number]>();
    const names = new Map<string, { domid: number; name: string }>();
    let persistent = 0;
    for (const d of hv.domains.values()) {
      const key = `d${d.domid}:${d.name}`;
      domains.set(key, [d.totPages, d.outstandingPages]);
      names.set(key, { domid: d.domid, name: d.name });
      persistent += hv.tmem?.clientPages(d.domid) ?? 0;
    }
    this.rows.add({
      t: hv.now,
      free: hv.heap.totalAvailPages,
      outstanding: hv.heap.outstandingClaims,
      tmemEphemeral: hv.tmem?.freeablePageCount ?? 0,
      tmemPersistent: persistent,
      domains,
    }, names);
    this.eventPending = false;
  }

  /** Ends recording (idempotent): reads the rest of the trace and returns the telemetry. */
  finish(): Telemetry {
    if (this.result !== undefined) return this.result;
    this.drainTrace();
    this.sample();
    const { owner } = this;
    const { hv } = owner;
    const end = owner.trace.events.findLast((e) => e.k === 'end');
    const fail = owner.trace.events.find((e) => e.k === 'fail');
    const header = owner.trace.header;
    this.result = {
      format: TELEMETRY_FORMAT,
      version: 1,
      meta: {
        scenario: owner.spec.name ?? '(unnamed scenario)',
        xen: hv.version,
        tmem: hv.tmem !== null,
        nodes: hv.heap.nodes,
        totalPages: hv.heap.managedPages + 1,
        policy: header.policy,
        mode: header.mode,
        steps: owner.steps,
        endNs: hv.now,
        outcome: fail !== undefined ? 'failed' : end !== undefined ? 'completed' : 'stopped',
        ...(fail?.k === 'fail' ? { failure: `${fail.kind}: ${fail.message}` } : {}),
        ...(end?.k === 'end' ? { hash: end.hash } : {}),
      },
      memory: this.rows.columns(hv.tmem !== null),
      events: this.events,
      eventsDropped: this.eventsDropped,
      sections: this.sections.table(owner.actorNames()),
      calls: this.calls,
    };
    return this.result;
  }
}

/**
 * Starts recording telemetry of the run `owner` belongs to. Attach before the first step: right
 * after `new World(...)` (`attachTelemetry(world.owner)`), then run, `await world.finish()`, and
 * call `.finish()` on the sampler.
 */
export function attachTelemetry(owner: Owner, opts: TelemetryOptions = {}): TelemetrySampler {
  return new TelemetrySampler(owner, opts);
}

/**
 * Telemetry of any trace (scheduled or real-thread run): replays it in the scheduled world with a
 * sampler attached. The recorded header's policy and mode are kept; `meta.replay` says whether
 * the replay reproduced the run. @throws TraceFormatError on a malformed trace
 */
export async function collectFromTrace(text: string, opts: TelemetryOptions = {}): Promise<Telemetry> {
  const { header, events } = parseTrace(text);
  let sampler: TelemetrySampler | undefined;
  const rep = await replayEvents(header, events, { attach: (owner) => (sampler = attachTelemetry(owner, opts)) });
  const t = sampler!.finish();
  t.meta.policy = header.policy;
  t.meta.mode = header.mode;
  t.meta.replay = { reproduced: rep.reproduced, ...(rep.divergence === undefined ? {} : { divergence: rep.divergence }), ...(rep.recordedHash === undefined ? {} : { recordedHash: rep.recordedHash }) };
  return t;
}


/** The report's observer for world/scenario-file/run.ts: live sampling, or a replay of the trace. */
export const TELEMETRY_OBSERVER: RunObserver<Telemetry> = {
  attach: (owner) => attachTelemetry(owner),
  fromTrace: (trace) => collectFromTrace(trace),
};

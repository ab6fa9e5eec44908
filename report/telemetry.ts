// Telemetry of one run, for the HTML report, the playground and the Perfetto export: memory over
// virtual time (free pages, outstanding claims, each domain's tot_pages and claim, tmem's
// ephemeral and persistent pages), the events that tell the story (xl commands and what they
// printed or built, claims, the claim gate holding a guest back, failures, balloon moves, the
// scenario's surges), and the critical sections per actor (pCPU) around everything that matters.
// It observes an Owner (owner.afterStep + hv.listeners + the owner's trace) and never changes it,
// so it works on a live scheduled World and on the replay of any trace, scheduled or real-thread.

import type { RunObserver } from '../world/scenario-file/run.ts';
import { XL_RESULT_NOTE, XL_START_NOTE, type XlResult } from '../world/scenario-file/xl-timeline.ts';
import type { HvEvent } from '../hv/events.ts';
import type { Owner, StepInfo } from '../sim/owner.ts';
import type { TraceEvent } from '../sim/trace.ts';
import { recordedFromText, replayRecorded, type ReplayOptions } from '../world/replay.ts';
import { callToken } from '../prop-tests/campaign/interleaving.ts';
import type { XlWrite } from '../toolstack/xl/io.ts';
import { MemoryRows, type MemorySeries } from './series.ts';
import { SectionRecorder, type CallTable, type MarkPriority, type SectionRecord, type SectionTable } from './sections.ts';
import { selfballoonStory, surgeOf, surgeStory, xlEndStory, xlStartStory, type SurgeSpec, type XlEffects } from './story.ts';

export const TELEMETRY_FORMAT = 'xen-memsim-telemetry';

/** What an event is about; the report draws each category its own way. */
export const EVENT_CATEGORIES = ['story', 'claim', 'held', 'failure', 'balloon', 'domain', 'note'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

/** Each kind, its category, and how much the sections around it matter (none: not kept for it). */
export const EVENT_KINDS = {
  xl_start: { cat: 'story', mark: 'normal' },
  xl_end: { cat: 'story', mark: 'normal' },
  build_done: { cat: 'story', mark: 'high' },
  build_failed: { cat: 'failure', mark: 'high' },
  surge: { cat: 'story', mark: 'normal' },
  claim_staked: { cat: 'claim', mark: 'normal' },
  claim_cancelled: { cat: 'claim', mark: 'normal' },
  claim_refused: { cat: 'failure', mark: 'high' },
  claim_gate: { cat: 'held', mark: 'low' },
  alloc_failed: { cat: 'failure', mark: 'high' },
  balloon_short: { cat: 'balloon', mark: 'low' },
  claim_leaked: { cat: 'failure', mark: 'high' },
  domain_created: { cat: 'domain', mark: undefined },
  domain_destroyed: { cat: 'domain', mark: undefined },
  balloon: { cat: 'balloon', mark: undefined },
  balloon_target: { cat: 'balloon', mark: undefined },
  kill: { cat: 'failure', mark: 'high' },
  run_failed: { cat: 'failure', mark: 'high' },
  xsa231: { cat: 'failure', mark: 'high' },
  note: { cat: 'note', mark: undefined },
} as const satisfies Record<string, { cat: EventCategory; mark: MarkPriority | undefined }>;
export type TelemetryEventKind = keyof typeof EVENT_KINDS;

/** Something that happened at virtual time `t` during owner step `step` (0 = before any step). */
export interface TelemetryEvent {
  t: number;
  step: number;
  kind: TelemetryEventKind;
  cat: EventCategory;
  /** Whose section it happened in, when known. */
  actor?: string;
  domid?: number;
  /** Claim size, pages moved by a balloon (negative = given back), failed allocation's size … */
  pages?: number;
  /** One readable line. */
  text: string;
  /** A short label for the chart's marker (story events, claims, failures). */
  label?: string;
  /** More to read (an xl command's output), shown when the event's row is opened. */
  detail?: string;
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
  version: 2;
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
  /** Sections kept (first and last quarters, and windows around what matters); default 100,000. */
  maxSections?: number;
}

/** Ops by which a domain changes its own allocation: a guest's balloon driver (or dom0's). */
const BALLOON_OPS = new Set(['XENMEM_decrease_reservation', 'XENMEM_increase_reservation', 'XENMEM_populate_physmap']);

const MEMORY_TARGET = /^\/local\/domain\/(\d+)\/memory\/target$/;

/** An event as the sampler adds it: its category comes from its kind. */
type NewEvent = Omit<TelemetryEvent, 'cat'>;

/** An xl command in flight on an actor, and what it did so far. */
interface OpenXl extends XlEffects {
  argv: string[];
}

/**
 * Records a run's telemetry as it goes. Build it with attachTelemetry() before the first step;
 * call finish() after the run (after World.finish(), so the failure and hash are in). snapshot()
 * gives the telemetry so far while the run goes on (the playground's live chart).
 */
export class TelemetrySampler {
  private readonly rows: MemoryRows;
  private readonly sections: SectionRecorder;
  /** The section being added (SectionRecorder.add copies it). */
  private readonly section: SectionRecord = { t: 0, dur: 0, actor: '', label: '', call: -1, step: 0, finished: false };
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
  /** Actor → the arguments of its hypercall in flight (for what an xl command populated). */
  private readonly openArgs = new Map<string, { op: string; args: Record<string, unknown> }>();
  /** Actor → the xl command it runs (scenario timelines note start and end in the trace). */
  private readonly openXl = new Map<string, OpenXl>();
  /** Actor → pages its own domain gained (lost) in the call in flight, for balloon moves. */
  private readonly balloonDelta = new Map<string, number>();
  /** domid → tot_pages after the previous step. */
  private readonly prevTot = new Map<number, number>();
  /** Surges still to come, by virtual time: the guests whose load surges then, and to what. */
  private readonly surges = new Map<number, { guests: string[]; level: number }>();
  /** Domains holding a claim they staked (a cancel of none is no release). */
  private readonly claimed = new Set<number>();
  /** An event happened since the last sample: sample now whatever the interval. */
  private eventPending = false;
  private result: Telemetry | undefined;

  constructor(readonly owner: Owner, opts: TelemetryOptions = {}) {
    this.rows = new MemoryRows(opts.minIntervalNs ?? 0, opts.maxPoints ?? 5000);
    this.sections = new SectionRecorder(opts.maxSections ?? 100_000);
    this.maxEvents = opts.maxEvents ?? 5000;
    this.prevNow = owner.hv.now;
    for (const d of owner.hv.domains.values()) this.prevTot.set(d.domid, d.totPages);
    for (const a of owner.spec.actors) this.noteSurge(a.boot ?? a.name, a.params);
    owner.afterStep.push((info) => this.onStep(info));
    owner.hv.listeners.push((e) => this.onHvEvent(e));
    this.sample();
  }

  private get now(): number {
    return this.owner.hv.now;
  }

  /** `d5 (big1)`, or `d5` once the domain is gone. */
  private dom(domid: number): string {
    const d = this.owner.hv.domains.get(domid);
    return d === undefined || d.name === '' ? `d${domid}` : `d${domid} (${d.name})`;
  }

  private addEvent(e: NewEvent): void {
    this.eventPending = true;
    const { cat, mark } = EVENT_KINDS[e.kind];
    if (mark !== undefined) this.sections.mark(mark);
    if (this.events.length < this.maxEvents) this.events.push({ ...e, cat });
    else this.eventsDropped++;
  }

  /**
   * An xl command starts on `actor` (scenario timelines note this in the trace; the playground's
   * shell calls it for the commands typed).
   */
  xlStarted(actor: string, argv: readonly string[]): void {
    this.openXl.set(actor, { argv: [...argv], populatedPages: 0, claims: [] });
    const s = xlStartStory(actor, argv);
    this.addEvent({ t: this.now, step: this.owner.steps, kind: 'xl_start', actor, text: s.text, ...(s.label === undefined ? {} : { label: s.label }) });
  }

  /** The xl command on `actor` ended with `status`, having written `out`. */
  xlEnded(actor: string, status: number, out: readonly XlWrite[]): void {
    const open = this.openXl.get(actor) ?? { argv: [], populatedPages: 0, claims: [] };
    this.openXl.delete(actor);
    const name = open.domid === undefined ? undefined : this.owner.hv.domains.get(open.domid)?.name;
    const s = xlEndStory(actor, open.argv, status, out, open, name === '' ? undefined : name);
    this.addEvent({
      t: this.now, step: this.owner.steps, kind: s.kind, actor, text: s.text, detail: s.detail, ...(s.label === undefined ? {} : { label: s.label }),
      ...(open.domid === undefined ? {} : { domid: open.domid }), ...(s.kind === 'xl_end' ? {} : { pages: open.populatedPages }),
    });
  }

  private noteSurge(guest: string, params: Record<string, unknown> | undefined): void {
    const u: SurgeSpec | undefined = surgeOf(params);
    if (u === undefined || u.atNs < this.now) return;
    const s = this.surges.get(u.atNs) ?? { guests: [], level: u.level };
    if (!s.guests.includes(guest)) s.guests.push(guest);
    s.level = Math.max(s.level, u.level);
    this.surges.set(u.atNs, s);
  }

  /** Surges whose time has come become events (at the step that reached their time). */
  private emitSurges(step: number): void {
    // Every section comes here: nothing to sort or allocate until a surge is due.
    if (this.surges.size === 0 || this.nextSurgeNs() > this.now) return;
    for (const [atNs, s] of [...this.surges].sort((x, y) => x[0] - y[0])) {
      if (atNs > this.now) break;
      this.surges.delete(atNs);
      const story = surgeStory(s.guests, s.level);
      this.addEvent({ t: atNs, step, kind: 'surge', text: story.text, label: story.label });
    }
  }

  /** The time of the earliest surge still to come. */
  private nextSurgeNs(): number {
    let min = Infinity;
    for (const atNs of this.surges.keys()) min = Math.min(min, atNs);
    return min;
  }

  private onHvEvent(e: HvEvent): void {
    // Emitted inside a section: owner.steps already counts it; the actor is filled in by onStep.
    const at = { t: this.now, step: this.owner.steps };
    switch (e.kind) {
      case 'claim':
        if (e.rc < 0) this.addEvent({ ...at, kind: 'claim_refused', domid: e.domid, pages: e.pages, label: `claim refused`, text: `${this.dom(e.domid)}'s claim of ${mib(e.pages)} refused (rc ${e.rc})` });
        else if (e.pages === 0) {
          // libxl cancels at the end of every build, claim_mode or not: only a claim staked is released.
          const had = this.claimed.delete(e.domid);
          this.addEvent({ ...at, kind: 'claim_cancelled', domid: e.domid, pages: 0, text: had ? `${this.dom(e.domid)}'s claim released` : `${this.dom(e.domid)}: claim set to 0 (it had none)`, ...(had ? { label: 'claim released' } : {}) });
        } else {
          this.claimed.add(e.domid);
          this.addEvent({ ...at, kind: 'claim_staked', domid: e.domid, pages: e.pages, label: `claim ${mib(e.pages)}`, text: `${this.dom(e.domid)} claims ${mib(e.pages)} (${e.pages} pages)` });
        }
        return;
      case 'alloc_failed':
        if (this.heldBackByClaims(e)) {
          this.addEvent({ ...at, kind: 'claim_gate', domid: e.domid, pages: 2 ** e.order, text: `${this.dom(e.domid)}: an order-${e.order} allocation held back by the claim gate (the free memory is claimed by others)` });
        } else {
          this.addEvent({ ...at, kind: 'alloc_failed', domid: e.domid, pages: 2 ** e.order, label: `${this.owner.hv.domains.get(e.domid)?.name ?? `d${e.domid}`}: out of memory`, text: `order-${e.order} allocation for ${this.dom(e.domid)} failed (${e.reason}; its claim ${e.outstanding} pages)` });
        }
        return;
      case 'claim_leaked':
        this.addEvent({ ...at, kind: 'claim_leaked', domid: e.domid, pages: e.pages, label: 'claim leaked', text: `d${e.domid} freed holding a claim of ${e.pages} pages: leaked` });
        return;
      case 'domain_destroyed':
        this.addEvent({ ...at, kind: 'domain_destroyed', domid: e.domid, text: `d${e.domid} destroyed` });
        return;
      case 'xsa231':
        this.addEvent({ ...at, kind: 'xsa231', label: 'XSA-231', text: `d${e.caller} used NUMA node ${e.node} unchecked (XSA-231)` });
        return;
    }
  }

  /**
   * The claim gate refused an allocation that free memory would have served: the memory is
   * there, but others' claims hold it (a guest's short populate_physmap reply under claim_mode=1).
   * The gate's test also refuses what no claim is involved in (not enough memory at all): that
   * is a failure like any other.
   */
  private heldBackByClaims(e: Extract<HvEvent, { kind: 'alloc_failed' }>): boolean {
    const { heap } = this.owner.hv;
    return e.reason === 'gate' && heap.outstandingClaims - e.outstanding > 0 && heap.availForClaims() >= 2 ** e.order;
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
      if (this.openXl.has(e.a)) this.openArgs.set(e.a, { op: e.req.op, args: (e.req.args ?? {}) as Record<string, unknown> });
    } else if (e.k === 'arrive' && e.req.kind === 'note') {
      this.onNote(e.a, e.req.text, at);
    } else if (e.k === 'arrive' && e.req.kind === 'spawn') {
      this.noteSurge(e.req.spec.boot ?? e.req.spec.name, e.req.spec.params);
    } else if (e.k === 'arrive' && e.req.kind === 'xsWrite') {
      const m = MEMORY_TARGET.exec(e.req.path);
      const kb = Number(e.req.value);
      if (m !== null && Number.isFinite(kb)) {
        this.addEvent({ ...at, kind: 'balloon_target', actor: e.a, domid: Number(m[1]), pages: Math.floor(kb / 4), text: `${e.a} sets ${this.dom(Number(m[1]))}'s memory/target to ${mib(Math.floor(kb / 4))}` });
      }
    } else if (e.k === 'reply' && e.r.kind === 'result') {
      const call = this.openCall.get(e.a);
      if (call !== undefined) this.calls.rc[call] = e.r.result.rc;
      this.countXlEffect(e.a, e.r.result);
    } else if (e.k === 'kill') {
      this.addEvent({ ...at, kind: 'kill', actor: e.a, label: 'thread died', text: `${e.a}'s thread died: ${e.why}` });
    } else if (e.k === 'fail') {
      this.addEvent({ ...at, kind: 'run_failed', label: e.kind, text: `${e.kind} after step ${e.step}: ${e.message}` });
    }
  }

  /** Notes: xl commands of a scenario timeline, selfballoon's targets, anything else as is. */
  private onNote(actor: string, text: string, at: { t: number; step: number }): void {
    if (text.startsWith(XL_START_NOTE)) {
      const s = parseJson(text.slice(XL_START_NOTE.length)) as { argv?: unknown } | undefined;
      if (Array.isArray(s?.argv)) return this.xlStarted(actor, s.argv.map(String));
    } else if (text.startsWith(XL_RESULT_NOTE)) {
      const r = parseJson(text.slice(XL_RESULT_NOTE.length)) as Partial<XlResult> | undefined;
      if (typeof r?.status === 'number' && Array.isArray(r.out)) return this.xlEnded(actor, r.status, r.out);
    } else {
      const guest = actor.startsWith('linux:') ? (actor.split(':')[1] ?? actor) : actor;
      const sb = selfballoonStory(guest, text);
      if (sb !== undefined) {
        const domid = this.owner.callerOf(actor);
        return this.addEvent({ ...at, kind: 'balloon_target', actor, domid, pages: sb.targetPages, text: sb.text });
      }
    }
    this.addEvent({ ...at, kind: 'note', actor, text: `${actor}: ${text}` });
  }

  /** What an xl command's hypercalls did: pages populated, claims staked, the domain created. */
  private countXlEffect(actor: string, result: { rc: number; [k: string]: unknown }): void {
    const xl = this.openXl.get(actor);
    const call = this.openArgs.get(actor);
    this.openArgs.delete(actor);
    if (xl === undefined || call === undefined) return;
    const { op, args } = call;
    if (op === 'XENMEM_populate_physmap' && result.rc > 0) xl.populatedPages += result.rc * 2 ** Number(args.extent_order ?? 0);
    else if (op === 'XENMEM_claim_pages' && Number(args.nr_extents) > 0) xl.claims.push({ pages: Number(args.nr_extents), ok: result.rc >= 0 });
    else if (op === 'XEN_DOMCTL_createdomain' && result.rc === 0 && typeof result.domid === 'number') xl.domid = result.domid;
  }

  private onStep(info: StepInfo): void {
    this.drainTrace();
    this.emitSurges(info.step);
    for (let i = this.events.length - 1; i >= 0 && this.events[i].step === info.step; i--) {
      const e = this.events[i];
      e.actor ??= info.actor;
      // A domain's own allocation that failed is its balloon driver asking for memory Xen has
      // not got (the driver retries later): balloon activity, not a failure of the run's story.
      if (e.kind === 'alloc_failed' && e.domid === this.owner.callerOf(info.actor)) {
        Object.assign(e, { kind: 'balloon_short', cat: EVENT_KINDS.balloon_short.cat, text: e.text.replace(/ failed \(/, ' failed: its balloon driver asked for memory the host has not got (') });
        delete e.label;
      }
      // A build's own allocation failure: the build's outcome (build_failed) carries the label.
      if (e.kind === 'alloc_failed' && this.openXl.has(info.actor)) delete e.label;
    }
    const call = info.op === undefined ? -1 : (this.openCall.get(info.actor) ?? -1);
    const r = this.section; // copied into the recorder's columns: one object for every section
    r.t = this.now;
    r.dur = this.now - this.prevNow;
    r.actor = info.actor;
    r.label = info.label;
    r.call = call;
    r.step = info.step;
    r.finished = info.finished === true;
    this.sections.add(r);
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
    this.addEvent({ t: this.now, step: info.step, kind: 'balloon', actor: info.actor, domid: caller, pages: sum, text: `${this.dom(caller)}'s balloon ${verb} ${Math.abs(sum)} pages` });
  }

  /** New domains become events; remembers every domain's tot_pages for the next step. */
  private trackDomains(info: StepInfo): void {
    // Every section comes here: no allocation unless a domain came or went.
    const { domains } = this.owner.hv;
    for (const d of domains.values()) {
      if (!this.prevTot.has(d.domid)) this.addEvent({ t: this.now, step: info.step, actor: info.actor, kind: 'domain_created', domid: d.domid, text: `d${d.domid} (${d.name}) created` });
      this.prevTot.set(d.domid, d.totPages);
    }
    if (this.prevTot.size > domains.size) for (const domid of this.prevTot.keys()) if (!domains.has(domid)) this.prevTot.delete(domid);
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

  /** Events recorded so far (kept ones), and those from index `from` on: cheap, for a live shell. */
  get eventCount(): number {
    return this.events.length;
  }

  eventsFrom(from: number): TelemetryEvent[] {
    this.drainTrace();
    return this.events.slice(from);
  }

  /** The latest critical section, with its hypercall's trace token and op (the playground's step). */
  lastSection(): { section: ReturnType<SectionRecorder['latestSection']>; token?: string; op?: string } {
    const section = this.sections.latestSection();
    const c = section === undefined || section.call < 0 ? undefined : section.call;
    return { section, ...(c === undefined ? {} : { token: this.calls.token[c], op: this.calls.op[c] }) };
  }

  /** The telemetry as of now (the run may go on); `outcome` 'stopped' until the run has ended. */
  snapshot(): Telemetry {
    if (this.result !== undefined) return this.result;
    this.drainTrace();
    this.sample();
    return this.build();
  }

  private build(): Telemetry {
    const { owner } = this;
    const { hv } = owner;
    const end = owner.trace.events.findLast((e) => e.k === 'end');
    const fail = owner.trace.events.find((e) => e.k === 'fail');
    const header = owner.trace.header;
    return {
      format: TELEMETRY_FORMAT,
      version: 2,
      meta: {
        scenario: owner.spec.name ?? '(unnamed scenario)',
        xen: hv.version,
        tmem: hv.tmem !== null,
        nodes: hv.heap.nodes,
        totalPages: hv.heap.nrPages,
        policy: header.policy,
        mode: header.mode,
        steps: owner.steps,
        endNs: hv.now,
        outcome: fail !== undefined ? 'failed' : end !== undefined ? 'completed' : 'stopped',
        ...(fail?.k === 'fail' ? { failure: `${fail.kind}: ${fail.message}` } : {}),
        ...(end?.k === 'end' ? { hash: end.hash } : {}),
      },
      memory: this.rows.columns(hv.tmem !== null),
      events: [...this.events].sort((a, b) => a.step - b.step || a.t - b.t),
      eventsDropped: this.eventsDropped,
      sections: this.sections.table(owner.actorNames()),
      calls: { token: [...this.calls.token], op: [...this.calls.op], rc: [...this.calls.rc] },
    };
  }

  /** Ends recording (idempotent): reads the rest of the trace and returns the telemetry. */
  finish(): Telemetry {
    if (this.result !== undefined) return this.result;
    this.drainTrace();
    this.emitSurges(this.owner.steps);
    this.sample();
    this.result = this.build();
    return this.result;
  }
}

const mib = (pages: number): string => `${Math.round(pages / 256)} MiB`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
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
 * the replay reproduced the run. `allowPlugins`: the plugin modules the replay may import
 * (ReplayOptions). @throws TraceFormatError on a malformed trace or a plugin module not allowed
 */
export async function collectFromTrace(text: string, opts: TelemetryOptions & Pick<ReplayOptions, 'allowPlugins'> = {}): Promise<Telemetry> {
  const rec = recordedFromText(text);
  const { header } = rec;
  let sampler: TelemetrySampler | undefined;
  const rep = await replayRecorded(rec, { attach: (owner) => (sampler = attachTelemetry(owner, opts)), ...(opts.allowPlugins === undefined ? {} : { allowPlugins: opts.allowPlugins }) });
  const t = sampler!.finish();
  t.meta.policy = header.policy;
  t.meta.mode = header.mode;
  t.meta.replay = { reproduced: rep.reproduced, ...(rep.divergence === undefined ? {} : { divergence: rep.divergence }), ...(rep.recordedHash === undefined ? {} : { recordedHash: rep.recordedHash }) };
  return t;
}


/**
 * What a real-thread run's owner thread attaches (RunObserver.ownerModule names this module): the
 * same sampler as a scheduled run's, on the live owner, so the report needs no replay afterwards.
 */
export function attachObserver(owner: Owner): TelemetrySampler {
  return attachTelemetry(owner);
}

/**
 * The report's observer for world/scenario-file/run.ts: live sampling — in the scheduled world,
 * or on a real-thread run's owner thread (`ownerModule`: this module's attachObserver) — or a
 * replay of the trace (a platform whose owner cannot import it: the playground's).
 */
export const TELEMETRY_OBSERVER: RunObserver<Telemetry> = {
  attach: (owner) => attachTelemetry(owner),
  fromTrace: (trace) => collectFromTrace(trace),
  ownerModule: import.meta.url,
};

// Critical sections per actor, as compact columns for the interleaving view and the Perfetto
// export. Each actor is a vCPU inside Xen, i.e. its own pCPU while its hypercall runs, so "per
// actor" is "per pCPU". A long run keeps, within maxSections: its first quarter, its last
// quarter, and a window of sections around every moment the recorder is told matters (a claim,
// a failure, a property breach, an xl command starting — mark()), however late in the run it
// came; what was left out is counted gap by gap.

import { assert } from '../hv/assert.ts';

/** One section: ran on `actor`'s pCPU from `t - dur` to `t` (virtual ns) as owner step `step`. */
export interface SectionRecord {
  t: number;
  dur: number;
  actor: string;
  label: string;
  /** Index into the call table, or -1 (xenstore accesses and wake-ups belong to no hypercall). */
  call: number;
  step: number;
  /** The call completed with this section. */
  finished: boolean;
}

/** Columns; strings are indices into `actors` and `labels`. */
export interface SectionTable {
  actors: string[];
  labels: string[];
  t: number[];
  dur: number[];
  actor: number[];
  label: number[];
  call: number[];
  step: number[];
  /** 1 when the call completed with this section. */
  finished: number[];
  /** Sections left out in all (0 when every section was kept). */
  omitted: number;
  /** Each gap: `[i, n]` = n sections were left out just before kept section i. */
  gaps: Array<[index: number, omitted: number]>;
}

/** One hypercall: its trace token (`populate[d1,o9@0]`), op name and result code. */
export interface CallTable {
  token: string[];
  op: string[];
  rc: Array<number | null>;
}

/**
 * How much a marked moment matters: 'high' (failures, breaches, builds) and 'normal' (claims, xl
 * commands) get a wide window; 'low' (the claim gate holding a guest back: there can be many) a
 * narrow one, and only while the context budget is not nearly spent.
 */
export type MarkPriority = 'high' | 'normal' | 'low';

/** Sections kept before and after a marked moment, by priority. */
export const CONTEXT_SECTIONS: Readonly<Record<MarkPriority, number>> = { high: 80, normal: 40, low: 12 };
/** Share of the context budget 'low' marks may fill. */
const LOW_SHARE = 0.75;

/**
 * The kept sections, as columns in one arena of typed arrays (no object per section: a long run
 * adds millions, and objects that live in the tail ring long enough to be promoted only to die
 * there cost the garbage collector more than the run itself). Slots [0, headMax) hold the head,
 * [headMax, headMax + tailMax) the tail ring, the rest the context windows. Actors and labels are
 * ids into `names` (a run has few of either).
 */
class Arena {
  readonly t: Float64Array;
  readonly dur: Float64Array;
  readonly step: Float64Array;
  /** 0-based position in the whole run. */
  readonly seq: Float64Array;
  readonly actor: Int32Array;
  readonly label: Int32Array;
  readonly call: Int32Array;
  readonly finished: Uint8Array;
  readonly names = new Intern();

  constructor(size: number) {
    this.t = new Float64Array(size);
    this.dur = new Float64Array(size);
    this.step = new Float64Array(size);
    this.seq = new Float64Array(size);
    this.actor = new Int32Array(size);
    this.label = new Int32Array(size);
    this.call = new Int32Array(size);
    this.finished = new Uint8Array(size);
  }

  copy(to: number, from: number): void {
    this.t[to] = this.t[from];
    this.dur[to] = this.dur[from];
    this.step[to] = this.step[from];
    this.seq[to] = this.seq[from];
    this.actor[to] = this.actor[from];
    this.label[to] = this.label[from];
    this.call[to] = this.call[from];
    this.finished[to] = this.finished[from];
  }

  record(at: number, seq: number, s: SectionRecord): void {
    this.t[at] = s.t;
    this.dur[at] = s.dur;
    this.step[at] = s.step;
    this.seq[at] = seq;
    this.actor[at] = this.names.id(s.actor);
    this.label[at] = this.names.id(s.label);
    this.call[at] = s.call;
    this.finished[at] = s.finished ? 1 : 0;
  }

  section(at: number): SectionRecord {
    return {
      t: this.t[at], dur: this.dur[at], actor: this.names.values[this.actor[at]], label: this.names.values[this.label[at]],
      call: this.call[at], step: this.step[at], finished: this.finished[at] === 1,
    };
  }
}

/**
 * State: `headLen` ≤ headMax sections of the run's start; the tail ring's `tailLen` ≤ tailMax
 * latest sections once the head is full (`tailStart` its oldest slot when full, else 0);
 * `contextLen` ≤ contextMax sections around marks, in seq order (they may repeat head or tail
 * sections: table() merges by seq). Invariant: every kept slot's seq is below `total`.
 */
export class SectionRecorder {
  private readonly headMax: number;
  private readonly tailMax: number;
  private readonly contextMax: number;
  private readonly arena: Arena;
  private headLen = 0;
  private tailLen = 0;
  private tailStart = 0;
  private contextLen = 0;
  /** Sections after a mark still to keep. */
  private keepNext = 0;
  /** A mark came before its section was added (events fire inside the section they belong to). */
  private pendingMark: MarkPriority | undefined;
  private total = 0;

  constructor(private readonly maxSections: number) {
    assert(Number.isInteger(maxSections) && maxSections >= 4, 'SectionRecorder: maxSections must be an integer >= 4');
    this.headMax = Math.floor(maxSections / 4);
    this.tailMax = Math.floor(maxSections / 4);
    this.contextMax = maxSections - this.headMax - this.tailMax;
    this.arena = new Arena(maxSections);
  }

  /**
   * Something that matters happens in the section being run (the next add()) or has just
   * happened: keep the sections around it.
   */
  mark(priority: MarkPriority): void {
    if (this.pendingMark === undefined || RANK[priority] > RANK[this.pendingMark]) this.pendingMark = priority;
  }

  add(s: SectionRecord): void {
    const seq = this.total++;
    if (this.pendingMark !== undefined) {
      this.openWindow(this.pendingMark);
      this.pendingMark = undefined;
    }
    const a = this.arena;
    if (this.keepNext > 0) {
      this.keepNext--;
      if (this.headLen >= this.headMax && this.contextLen < this.contextMax) a.record(this.contextSlot(this.contextLen++), seq, s);
    }
    if (this.headLen < this.headMax) {
      a.record(this.headLen++, seq, s);
    } else if (this.tailLen < this.tailMax) {
      a.record(this.headMax + this.tailLen++, seq, s);
    } else {
      a.record(this.headMax + this.tailStart, seq, s);
      this.tailStart = (this.tailStart + 1) % this.tailMax;
    }
  }

  private contextSlot(i: number): number {
    return this.headMax + this.tailMax + i;
  }

  /** Keeps the `n` latest sections (from the tail ring) and the next `n` (this one included). */
  private openWindow(p: MarkPriority): void {
    const room = p === 'low' ? Math.floor(this.contextMax * LOW_SHARE) - this.contextLen : this.contextMax - this.contextLen;
    if (room <= 0) return;
    const n = CONTEXT_SECTIONS[p];
    const a = this.arena;
    const lastKept = this.contextLen === 0 ? -1 : a.seq[this.contextSlot(this.contextLen - 1)];
    const recent = this.latest(n).filter((at) => a.seq[at] > lastKept && a.seq[at] >= this.headMax);
    for (const at of recent.slice(Math.max(0, recent.length - room))) a.copy(this.contextSlot(this.contextLen++), at);
    this.keepNext = Math.max(this.keepNext, n + 1);
  }

  /** The slots of the tail ring, oldest first. */
  private ring(): number[] {
    return Array.from({ length: this.tailLen }, (_, i) => this.headMax + ((this.tailStart + i) % this.tailLen));
  }

  /** The slots of the `n` most recent sections, oldest first. */
  private latest(n: number): number[] {
    const fromRing = Math.min(n, this.tailLen);
    const ringSlots = Array.from({ length: fromRing }, (_, i) => this.headMax + ((this.tailStart + this.tailLen - fromRing + i) % this.tailLen));
    const fromHead = Math.min(n - fromRing, this.headLen);
    const headSlots = Array.from({ length: fromHead }, (_, i) => this.headLen - fromHead + i);
    return [...headSlots, ...ringSlots];
  }

  /** The latest section recorded, if any. */
  latestSection(): SectionRecord | undefined {
    if (this.total === 0) return undefined;
    return this.arena.section(this.tailLen === 0 ? this.headLen - 1 : this.headMax + ((this.tailStart + this.tailLen - 1) % this.tailLen));
  }

  /** Sections recorded so far. */
  get count(): number {
    return this.total;
  }

  /** All kept sections in order, as columns; lanes in `actorOrder` first, then as they appear. */
  table(actorOrder: readonly string[] = []): SectionTable {
    const a = this.arena;
    const kept = mergeBySeq(a.seq, [
      Array.from({ length: this.headLen }, (_, i) => i),
      Array.from({ length: this.contextLen }, (_, i) => this.contextSlot(i)),
      this.ring(),
    ]);
    const actors = new Intern();
    for (const name of actorOrder) actors.id(name);
    const labels = new Intern();
    const gaps: Array<[number, number]> = [];
    kept.forEach((at, i) => {
      const before = i === 0 ? a.seq[at] : a.seq[at] - a.seq[kept[i - 1]] - 1;
      if (before > 0) gaps.push([i, before]);
    });
    const names = a.names.values;
    return {
      actors: actors.values,
      labels: labels.values,
      t: kept.map((at) => a.t[at]),
      dur: kept.map((at) => a.dur[at]),
      actor: kept.map((at) => actors.id(names[a.actor[at]])),
      label: kept.map((at) => labels.id(names[a.label[at]])),
      call: kept.map((at) => a.call[at]),
      step: kept.map((at) => a.step[at]),
      finished: kept.map((at) => a.finished[at]),
      omitted: this.total - kept.length,
      // The tail always ends with the latest section: no gap after the last kept one.
      gaps,
    };
  }
}

const RANK: Readonly<Record<MarkPriority, number>> = { low: 0, normal: 1, high: 2 };

/** Merges slot lists, each sorted by seq, into one, dropping repeated seqs. */
function mergeBySeq(seq: Float64Array, lists: ReadonlyArray<readonly number[]>): number[] {
  const all = lists.flat().sort((x, y) => seq[x] - seq[y]);
  return all.filter((at, i) => i === 0 || seq[all[i - 1]] !== seq[at]);
}

/** A string table: each distinct string gets the next index. */
class Intern {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
}

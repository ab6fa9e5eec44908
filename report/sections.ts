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

interface Kept extends SectionRecord {
  /** 0-based position in the whole run. */
  seq: number;
}

export class SectionRecorder {
  private readonly headMax: number;
  private readonly tailMax: number;
  private readonly contextMax: number;
  private readonly head: Kept[] = [];
  /** Ring buffer of the latest sections once the head is full; `tailStart` is its oldest slot. */
  private readonly tail: Kept[] = [];
  private tailStart = 0;
  /** Sections kept around marks (in seq order; may overlap head and tail, merged by seq). */
  private readonly context: Kept[] = [];
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
  }

  /**
   * Something that matters happens in the section being run (the next add()) or has just
   * happened: keep the sections around it.
   */
  mark(priority: MarkPriority): void {
    const rank = { low: 0, normal: 1, high: 2 };
    if (this.pendingMark === undefined || rank[priority] > rank[this.pendingMark]) this.pendingMark = priority;
  }

  add(s: SectionRecord): void {
    const k: Kept = { ...s, seq: this.total++ };
    if (this.pendingMark !== undefined) {
      this.openWindow(this.pendingMark);
      this.pendingMark = undefined;
    }
    if (this.keepNext > 0) {
      this.keepNext--;
      if (this.head.length >= this.headMax && this.context.length < this.contextMax) this.context.push(k);
    }
    if (this.head.length < this.headMax) {
      this.head.push(k);
    } else if (this.tail.length < this.tailMax) {
      this.tail.push(k);
    } else {
      this.tail[this.tailStart] = k;
      this.tailStart = (this.tailStart + 1) % this.tailMax;
    }
  }

  /** Keeps the `n` latest sections (from the tail ring) and the next `n` (this one included). */
  private openWindow(p: MarkPriority): void {
    const room = p === 'low' ? Math.floor(this.contextMax * LOW_SHARE) - this.context.length : this.contextMax - this.context.length;
    if (room <= 0) return;
    const n = CONTEXT_SECTIONS[p];
    const lastKept = this.context.at(-1)?.seq ?? -1;
    const recent = this.latest(n).filter((k) => k.seq > lastKept && k.seq >= this.headMax);
    this.context.push(...recent.slice(Math.max(0, recent.length - room)));
    this.keepNext = Math.max(this.keepNext, n + 1);
  }

  /** The `n` most recent sections, oldest first. */
  private latest(n: number): Kept[] {
    const ring = [...this.tail.slice(this.tailStart), ...this.tail.slice(0, this.tailStart)];
    const all = ring.length >= n ? ring : [...this.head.slice(Math.max(0, this.head.length - (n - ring.length))), ...ring];
    return all.slice(Math.max(0, all.length - n));
  }

  /** The latest section recorded, if any. */
  latestSection(): SectionRecord | undefined {
    const k = this.tail.length === 0 ? this.head.at(-1) : this.tail[(this.tailStart + this.tail.length - 1) % this.tail.length];
    if (k === undefined) return undefined;
    const { seq: _seq, ...s } = k;
    return s;
  }

  /** Sections recorded so far. */
  get count(): number {
    return this.total;
  }

  /** All kept sections in order, as columns; lanes in `actorOrder` first, then as they appear. */
  table(actorOrder: readonly string[] = []): SectionTable {
    const kept = mergeBySeq([this.head, this.context, [...this.tail.slice(this.tailStart), ...this.tail.slice(0, this.tailStart)]]);
    const actors = new Intern();
    for (const a of actorOrder) actors.id(a);
    const labels = new Intern();
    const gaps: Array<[number, number]> = [];
    kept.forEach((k, i) => {
      const before = i === 0 ? k.seq : k.seq - kept[i - 1].seq - 1;
      if (before > 0) gaps.push([i, before]);
    });
    return {
      actors: actors.values,
      labels: labels.values,
      t: kept.map((s) => s.t),
      dur: kept.map((s) => s.dur),
      actor: kept.map((s) => actors.id(s.actor)),
      label: kept.map((s) => labels.id(s.label)),
      call: kept.map((s) => s.call),
      step: kept.map((s) => s.step),
      finished: kept.map((s) => (s.finished ? 1 : 0)),
      omitted: this.total - kept.length,
      // The tail always ends with the latest section: no gap after the last kept one.
      gaps,
    };
  }
}

/** Merges lists each sorted by seq into one, dropping repeats. */
function mergeBySeq(lists: ReadonlyArray<readonly Kept[]>): Kept[] {
  const all = lists.flat().sort((a, b) => a.seq - b.seq);
  return all.filter((k, i) => i === 0 || all[i - 1].seq !== k.seq);
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

// Critical sections per actor, as compact columns for the interleaving view and the Perfetto
// export. Each actor is a vCPU inside Xen, i.e. its own pCPU while its hypercall runs, so "per
// actor" is "per pCPU". A long run keeps its first and its last maxSections/2 sections and counts
// what it left out in between (a race usually matters at the start of a build or at the failure).

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
  /** Sections left out between index omittedAt - 1 and omittedAt (0 when none were). */
  omitted: number;
  omittedAt: number;
}

/** One hypercall: its trace token (`populate[d1,o9@0]`), op name and result code. */
export interface CallTable {
  token: string[];
  op: string[];
  rc: Array<number | null>;
}

export class SectionRecorder {
  private readonly head: SectionRecord[] = [];
  /** Ring buffer of the latest sections once the head is full; `tailStart` is its oldest slot. */
  private readonly tail: SectionRecord[] = [];
  private tailStart = 0;
  private total = 0;

  constructor(private readonly maxSections: number) {
    assert(Number.isInteger(maxSections) && maxSections >= 2, 'SectionRecorder: maxSections must be an integer >= 2');
  }

  add(s: SectionRecord): void {
    this.total++;
    const half = Math.floor(this.maxSections / 2);
    if (this.head.length < this.maxSections - half) {
      this.head.push(s);
    } else if (this.tail.length < half) {
      this.tail.push(s);
    } else {
      this.tail[this.tailStart] = s;
      this.tailStart = (this.tailStart + 1) % half;
    }
  }

  /** All kept sections in order, as columns; lanes in `actorOrder` first, then as they appear. */
  table(actorOrder: readonly string[] = []): SectionTable {
    const kept = [...this.head, ...this.tail.slice(this.tailStart), ...this.tail.slice(0, this.tailStart)];
    const actors = new Intern();
    for (const a of actorOrder) actors.id(a);
    const labels = new Intern();
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
      omittedAt: this.total > kept.length ? this.head.length : -1,
    };
  }
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

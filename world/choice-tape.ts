// A recorded run's choices, compact: what a replay follows. A section (by far the commonest
// choice: the demo records 1.3M of them) is three numbers — actor, label (both interned) and
// time — in growable typed arrays, ~17 bytes instead of an object; the other choices (wake-ups,
// kills, stops, the world's own spawns) are kept as they were read.

import { isChoiceEvent, type TraceEvent } from '../sim/trace.ts';

export type Choice = Extract<TraceEvent, { k: 'step' | 'wake' | 'kill' | 'stop' | 'arrive' }>;

/** Choices in order, however they are held. */
export interface ChoiceList {
  readonly length: number;
  at(i: number): Choice;
}

/** Choices: sections run, wake-ups, kills, stops, and actors the world itself started (actor "@"). */
export function isChoice(e: TraceEvent): e is Choice {
  return isChoiceEvent(e);
}

/** Step kind code in `kind`: a section held as numbers; anything else is in `others`. */
const COMPACT_STEP = 1;

export class ChoiceTape implements ChoiceList {
  length = 0;
  private kind = new Uint8Array(1024);
  private actor = new Int32Array(1024);
  private label = new Int32Array(1024);
  private time = new Float64Array(1024);
  /** Interned actor names and section labels. */
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  /** Choices that are not plain sections, by position. */
  private readonly others = new Map<number, Choice>();

  push(c: Choice): void {
    if (this.length === this.kind.length) this.grow();
    const i = this.length++;
    // A section with exactly the fields a step has (anything unusual is kept as read).
    if (c.k === 'step' && typeof c.s === 'string' && typeof c.t === 'number' && Object.keys(c).length === 4) {
      this.kind[i] = COMPACT_STEP;
      this.actor[i] = this.intern(c.a);
      this.label[i] = this.intern(c.s);
      this.time[i] = c.t;
    } else {
      this.kind[i] = 0;
      this.others.set(i, c);
    }
  }

  at(i: number): Choice {
    if (this.kind[i] !== COMPACT_STEP) return this.others.get(i)!;
    return { k: 'step', a: this.strings[this.actor[i]], s: this.strings[this.label[i]], t: this.time[i] };
  }

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const k = new Uint8Array(n);
    k.set(this.kind);
    this.kind = k;
    const a = new Int32Array(n);
    a.set(this.actor);
    this.actor = a;
    const l = new Int32Array(n);
    l.set(this.label);
    this.label = l;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
  }
}

// Scheduling policies: the owner's choice of which runnable item (a hypercall's next critical
// section, a xenstore access, a boot) goes next. `runnable` is always given in round-robin
// arrival order — index 0 is what "arrival order" picks — so a policy is a pure function from
// (step number, runnable names) to an index. Every policy is deterministic given its seed.

import { Mulberry32 } from './rng.ts';

export interface SchedulePolicy {
  /** A short description for traces and reports ("pct(seed=7,depth=3)"). */
  readonly name: string;
  /** Index into `runnable` (non-empty, in arrival order) of the item to run at `step`. */
  choose(step: number, runnable: readonly string[]): number;
}

/** What the threads naturally do: each in-flight item progresses in turn (round robin by arrival). */
export class ArrivalOrder implements SchedulePolicy {
  readonly name = 'arrival';
  choose(): number {
    return 0;
  }
}

/** Uniform choice among runnable items, from a seed. */
export class SeededRandom implements SchedulePolicy {
  readonly name: string;
  private readonly rng: Mulberry32;
  constructor(seed: number) {
    this.name = `random(seed=${seed})`;
    this.rng = new Mulberry32(seed);
  }
  choose(_step: number, runnable: readonly string[]): number {
    return this.rng.int(0, runnable.length - 1);
  }
}

/**
 * PCT (Burckhardt et al., ASPLOS'10): each actor gets a random distinct priority when first seen;
 * the highest-priority runnable actor runs; at depth-1 random change points (steps drawn from
 * [1, expectedSteps]) the running actor drops below every initial priority. Finds a depth-d bug
 * with probability ≥ 1/(n·k^(d-1)).
 */
export class Pct implements SchedulePolicy {
  readonly name: string;
  private readonly rng: Mulberry32;
  private readonly priority = new Map<string, number>();
  private readonly changePoints: number[];
  constructor(seed: number, readonly depth: number, expectedSteps: number) {
    this.name = `pct(seed=${seed},depth=${depth})`;
    this.rng = new Mulberry32(seed);
    this.changePoints = Array.from({ length: Math.max(0, depth - 1) }, () => this.rng.int(1, Math.max(1, expectedSteps)));
  }
  choose(step: number, runnable: readonly string[]): number {
    for (const a of runnable) if (!this.priority.has(a)) this.priority.set(a, 1000 + this.rng.int(0, 1_000_000));
    let best = 0;
    for (let i = 1; i < runnable.length; i++) if (this.priority.get(runnable[i])! > this.priority.get(runnable[best])!) best = i;
    const cp = this.changePoints.indexOf(step);
    if (cp >= 0) this.priority.set(runnable[best], cp); // below every initial priority
    return best;
  }
}

/**
 * A schedule as a choice sequence: choice k is `choices[k] mod runnable.length`, and 0 once the
 * sequence is exhausted. All zeros is the arrival-order schedule, so shrinking the numbers toward
 * 0 and the sequence toward empty gives fewer preemptions and earlier choices — this is the value
 * fast-check generates and shrinks.
 */
export class ChoiceSequence implements SchedulePolicy {
  readonly name = 'choices';
  /** How many choices were actually consulted (a run may use fewer than given). */
  used = 0;
  constructor(readonly choices: readonly number[]) {}
  choose(step: number, runnable: readonly string[]): number {
    if (step >= this.choices.length) return 0;
    this.used = step + 1;
    return this.choices[step] % runnable.length;
  }
}

/**
 * Limits of a policy spec's numbers (docs/limits.md): seeds are 32-bit (Mulberry32's state);
 * PCT keeps DEPTH-1 change points and scans them at every step, so DEPTH stays small (the PCT
 * paper's bugs need depth ≤ 3); STEPS only bounds where the change points fall.
 */
export const POLICY_LIMITS = {
  seed: { min: 0, max: 0xffff_ffff },
  depth: { min: 1, max: 100 },
  steps: { min: 1, max: 1_000_000_000 },
} as const;

/**
 * Parses a policy spec string: "arrival", "random:SEED", "pct:SEED:DEPTH[:STEPS]" (STEPS, the
 * expected run length, default 1000). @throws Error naming the spec when it is not one of these
 * or a number is outside POLICY_LIMITS
 */
export function parsePolicy(spec: string): SchedulePolicy {
  const parts = spec.split(':');
  const [kind] = parts;
  const shape = kind === 'arrival' ? ['arrival'] : kind === 'random' ? ['random', 'SEED'] : kind === 'pct' ? ['pct', 'SEED', 'DEPTH', 'STEPS'] : undefined;
  const arity = kind === 'pct' ? [3, 4] : [shape?.length ?? 0];
  if (shape === undefined || !arity.includes(parts.length) || !parts.slice(1).every((p) => /^\d{1,10}$/.test(p))) {
    throw new Error(`unknown schedule policy ${JSON.stringify(spec.slice(0, 60))} (use arrival, random:SEED or pct:SEED:DEPTH[:STEPS])`);
  }
  const n = parts.slice(1).map(Number);
  for (let i = 0; i < n.length; i++) {
    const name = shape[i + 1];
    const r = POLICY_LIMITS[name.toLowerCase() as keyof typeof POLICY_LIMITS];
    if (n[i] < r.min || n[i] > r.max) throw new Error(`schedule policy "${spec}": ${name} must be in ${r.min}..${r.max} (got ${n[i]})`);
  }
  if (kind === 'arrival') return new ArrivalOrder();
  if (kind === 'random') return new SeededRandom(n[0]);
  return new Pct(n[0], n[1], n[2] ?? 1000);
}

// Compact lists of frame numbers. A domain builder's populate_physmap names tens of thousands of
// consecutive gpfns in one hypercall; as plain JSON that overflows a mailbox slot. On the wire
// such a list travels as arithmetic runs (start, step, count): in the binary hot path
// (binary-codec.ts) as fixed-width runs, in JSON messages as {"$runs": [[start, step, count], …]}
// whenever that is shorter. Decoding expands runs back, bounded so garbage cannot blow up memory.

/** The key that marks an encoded run list in JSON. */
export const RUNS_KEY = '$runs';
/** Lists shorter than this are left alone (not worth it). */
export const RUNS_MIN_LENGTH = 32;
/** Upper bound on the elements one message may expand to: 2M (a builder's largest chunk is 1M pages). */
export const RUNS_EXPANDED_MAX = 1 << 21;

export type Run = [start: number, step: number, count: number];

/**
 * Splits a list of safe integers into maximal arithmetic runs. Every element of a run is exactly
 * `start + k * step` — the expansion formula itself is checked, so a step whose subtraction
 * rounded (|a[i+1] - a[i]| > 2^53) can never produce a run that expands to other numbers.
 */
export function toRuns(a: readonly number[]): Run[] {
  const runs: Run[] = [];
  let i = 0;
  while (i < a.length) {
    const step = i + 1 < a.length ? a[i + 1] - a[i] : 0;
    let j = i + 1;
    if (Number.isSafeInteger(step)) while (j < a.length && a[j] === a[i] + (j - i) * step) j++;
    runs.push([a[i], j - i === 1 ? 0 : step, j - i]);
    i = j;
  }
  return runs;
}

/** Whether a run list is worth sending instead of the list (both in JSON and in binary form). */
export function runsAreShorter(runs: readonly Run[], length: number): boolean {
  return runs.length * 3 * 2 < length;
}

/** JSON.stringify replacer: long integer arrays with few runs go out as run lists. */
export function runsReplacer(_key: string, value: unknown): unknown {
  if (!Array.isArray(value) || value.length < RUNS_MIN_LENGTH || !value.every((x) => Number.isSafeInteger(x))) return value;
  const runs = toRuns(value as number[]);
  return runsAreShorter(runs, value.length) ? { [RUNS_KEY]: runs } : value;
}

/** Thrown by the reviver on a malformed or oversized run list (the codec makes it a DecodeError). */
export class RunsError extends Error {
  override name = 'RunsError';
}

/** A JSON.parse reviver that expands run lists; `budget` counts elements across one message. */
export function runsReviver(): (key: string, value: unknown) => unknown {
  let budget = RUNS_EXPANDED_MAX;
  return (_key, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== RUNS_KEY) return value;
    const runs = (value as Record<string, unknown>)[RUNS_KEY];
    if (!Array.isArray(runs)) throw new RunsError('$runs is not a list');
    const out: number[] = [];
    for (const r of runs) {
      if (!Array.isArray(r) || r.length !== 3 || !r.every((x) => Number.isSafeInteger(x))) throw new RunsError('a run is not [start, step, count]');
      const [start, step, count] = r as Run;
      if (count < 1 || count > budget) throw new RunsError(`a run of ${count} elements exceeds the bound`);
      budget -= count;
      for (let k = 0; k < count; k++) out.push(start + k * step);
    }
    return out;
  };
}

// What a command-line value may be: a whole number in a documented range, a name from a known
// set (with a "did you mean" for a likely typo), a list of such names. Each parser returns the
// value or the message to print; cli/args/command.ts prints it and exits 2. The ranges
// themselves are the model's (docs/limits.md, "Command line").

import { closestName } from '../../sim/names.ts';

export { closestName };

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = (message: string): Parsed<never> => ({ ok: false, message });

/** Longest value echoed back in a message (a hostile argv may be huge). */
const SHOWN_MAX = 60;
export const shown = (text: string): string => JSON.stringify(text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text);

/** `unknown bug "B99" (did you mean B9?); known: B1, B2 …` */
export function unknownName(what: string, name: string, known: readonly string[]): string {
  const near = closestName(name, known);
  return `unknown ${what} ${shown(name)}${near === undefined ? '' : ` (did you mean ${near}?)`}; known: ${known.join(', ')}`;
}

/** One of `known`, spelled exactly. */
export function oneOf<T extends string>(what: string, known: readonly T[]): (text: string) => Parsed<T> {
  return (text) => ((known as readonly string[]).includes(text) ? ok(text as T) : bad(unknownName(what, text, known)));
}

/**
 * Names from `known`, given as separate words and/or comma lists (`--inject B1 B2`,
 * `--family xl,tmem`); empty items are refused, duplicates dropped.
 */
export function listOf<T extends string>(what: string, known: readonly T[]): (words: readonly string[]) => Parsed<T[]> {
  const one = oneOf(what, known);
  return (words) => {
    const out: T[] = [];
    for (const item of words.flatMap((w) => w.split(','))) {
      if (item === '') return bad(`empty ${what} in ${shown(words.join(' '))}`);
      const p = one(item);
      if (!p.ok) return p;
      if (!out.includes(p.value)) out.push(p.value);
    }
    return ok(out);
  };
}

/** An inclusive range of whole numbers, with the unit shown in messages ("MiB", "s"). */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
}

export const rangeText = (r: Range): string => `${r.min}..${r.max}${r.unit === undefined ? '' : ` ${r.unit}`}`;

/**
 * A whole number in decimal digits (no sign, exponent, fraction or hex: `1e3`, `-1`, `0x10`
 * and `1.5` are refused) within `r`.
 */
export function wholeNumber(text: string, r: Range): Parsed<number> {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < r.min || n > r.max) return bad(`must be a whole number in ${rangeText(r)} (got ${shown(text)})`);
  return ok(n);
}

// xl's string helpers (tools/xl/xl_parse.c at RELEASE-4.22.0): parse_ulong, parse_range,
// split_string_into_pair (and 4.13's strtok form), split_string_into_string_list. They keep C's
// unsigned long (64-bit) arithmetic, hence bigint.

import { atLeast, type XenVersion } from '../hv/version.ts';
import { cStrtol } from './config/strtol.ts';
import { ConfigExit } from './config-exit.ts';

export const ULONG_MAX = (1n << 64n) - 1n;

/** isspace() in the "C" locale. */
const isCSpace = (ch: string): boolean => ' \t\n\v\f\r'.includes(ch);

/** trim(isspace, …): strips leading and trailing C whitespace. */
export function trimCSpace(s: string): string {
  let first = 0;
  let after = s.length;
  while (first < after && isCSpace(s[first]!)) first++;
  while (after > first && isCSpace(s[after - 1]!)) after--;
  return s.slice(first, after);
}

/**
 * parse_ulong: strtoul(str, 10); no digits or ULONG_MAX (also what "-1" and an overflow give)
 * is `xl: failed to convert "<str>" to number` and exit 1. Trailing text is ignored.
 */
export function parseUlong(str: string): bigint {
  const { value, end } = cStrtol(str, 10, true);
  if (end === 0 || value === ULONG_MAX) throw new ConfigExit(`xl: failed to convert "${str}" to number\n`);
  return value;
}

/**
 * parse_range's two values; its return code is not modelled because parse_vnuma_config ignores
 * it: `*a = *b = strtoul(str)`, then after a `-` `*b = strtoul(rest)`, each left as converted
 * (0 when nothing converts) when a check fails part-way.
 */
export function parseRange(str: string): { a: bigint; b: bigint } {
  const first = cStrtol(str, 10, true);
  const a = first.value;
  if (first.end === 0 || a === ULONG_MAX) return { a, b: a };
  if (str[first.end] !== '-') return { a, b: a };
  return { a, b: cStrtol(str.slice(first.end + 1), 10, true).value };
}

/**
 * split_string_into_pair(str, '=', &a, &b, isspace): split at the first `=`, both halves
 * trimmed; undefined (ERROR_INVAL) without a `=` or with nothing after it. 4.13's version
 * (before eee0d79134 and 4bad14a133, 4.18) took the first two strtok_r tokens instead: leading
 * and doubled `=` are skipped and anything after a second `=` is dropped.
 */
export function splitStringIntoPair(str: string, version: XenVersion): { option: string; value: string } | undefined {
  if (!atLeast(version, '4.18')) {
    const tokens = str.split('=').filter((t) => t !== '');
    if (tokens.length < 2) return undefined;
    return { option: trimCSpace(tokens[0]!), value: trimCSpace(tokens[1]!) };
  }
  const at = str.indexOf('=');
  if (at < 0 || at === str.length - 1) return undefined;
  return { option: trimCSpace(str.slice(0, at)), value: trimCSpace(str.slice(at + 1)) };
}

/**
 * split_string_into_string_list(str, delim): the strtok_r tokens (runs of delimiters separate,
 * empty tokens vanish). DIVERGENCE: a string that is only delimiters makes xl strdup(NULL) and
 * crash; here it is a clear error, exit 1.
 */
export function splitStringIntoStringList(str: string, delim: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  for (const ch of str) {
    if (delim.includes(ch)) {
      if (cur !== '') tokens.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') tokens.push(cur);
  if (tokens.length === 0) throw new ConfigExit(`xl: "${str}" holds no list item (xl itself crashes here)\n`);
  return tokens;
}

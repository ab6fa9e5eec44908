// C's strtol/strtoul (glibc, "C" locale) over JavaScript strings, with 64-bit `long` as on
// x86_64 Linux. libxlu converts NUMBER text only when a key is read as a number
// (xlu_cfg_get_bounded_long) and its quoted-string escapes use strtoul; both need the exact
// end pointer, not just the value.

/** LONG_MAX / LONG_MIN of LP64. */
export const LONG_MAX = (1n << 63n) - 1n;
export const LONG_MIN = -(1n << 63n);
const ULONG_MAX = (1n << 64n) - 1n;

export interface StrtolResult {
  /** The converted value, clamped to the type's range on overflow. */
  readonly value: bigint;
  /** Index just after the last character used (C's `*endptr`); 0 when nothing converted. */
  readonly end: number;
  /** errno was set to ERANGE. */
  readonly erange: boolean;
}

const C_SPACE = ' \t\n\v\f\r';

function digitValue(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

/**
 * strtol(3)/strtoul(3): leading C whitespace, optional sign, then digits of `base`; base 0 picks
 * 16 after `0x`/`0X`, 8 after a leading `0`, else 10. `"0x"` with no hex digit converts the `0`
 * and stops at the `x` (glibc). No `0b` prefix: that needs glibc ≥ 2.38 in C2X mode, and xl
 * installs of the modelled versions predate it (our choice).
 * @param text the string; conversion stops at the first character that is not a digit
 * @param base 0, 8, 10 or 16
 * @param unsigned strtoul semantics (negation wraps modulo 2^64, range is ULONG_MAX)
 */
export function cStrtol(text: string, base: 0 | 8 | 10 | 16, unsigned = false): StrtolResult {
  let i = 0;
  while (i < text.length && C_SPACE.includes(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  let radix: number = base;
  if (text[i] === '0' && (radix === 0 || radix === 16) && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    if (i + 2 < text.length && digitValue(text[i + 2]!) < 16) {
      i += 2;
      radix = 16;
    } else {
      // glibc's special case: "0x" without hex digits is the number 0 ending before the x.
      return { value: 0n, end: i + 1, erange: false };
    }
  } else if (radix === 0) {
    radix = text[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let magnitude = 0n;
  const big = BigInt(radix);
  while (i < text.length && digitValue(text[i]!) < radix) {
    magnitude = magnitude * big + BigInt(digitValue(text[i]!));
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: 0, erange: false };
  if (unsigned) {
    if (magnitude > ULONG_MAX) return { value: ULONG_MAX, end: i, erange: true };
    return { value: negative ? BigInt.asUintN(64, -magnitude) : magnitude, end: i, erange: false };
  }
  if (negative) {
    if (magnitude > -LONG_MIN) return { value: LONG_MIN, end: i, erange: true };
    return { value: -magnitude, end: i, erange: false };
  }
  if (magnitude > LONG_MAX) return { value: LONG_MAX, end: i, erange: true };
  return { value: magnitude, end: i, erange: false };
}

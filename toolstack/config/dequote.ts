// xlu__cfgl_dequote (libxlu_cfg.c): turns a quoted STRING token into its value, with libxlu's
// escape quirks kept on purpose — `\xHH` always fails, `\NNN` is consumed but yields nothing
// (the digits are even read in base 10), and the misspelt "backlash" message.

import { lexicalError, type ParseContext } from './context.ts';
import { cStrtol } from './strtol.ts';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Dequotes the current yytext (a complete quoted token). Errors are reported through
 * lexicalError at the token and set ctx.err; the partial text decoded so far is returned.
 */
export function dequote(ctx: ParseContext, token: string): string {
  // `if (ctx->err) return 0;`: after any earlier error nothing is unquoted, so a bad escape later
  // in the file is never reported (while a later lexical error on another line, or on the line of
  // a syntax error, still is: yyerror only skips lines <= lexerrlineno).
  if (ctx.err) return '';
  if (token.includes('\0')) {
    // DIVERGENCE: libxlu runs strlen() on the token, so an embedded NUL fails its
    // `assert(src[0]==src[len-1])` and xl aborts; a pure parser reports a lexical error instead.
    lexicalError(ctx, 'lexical error');
    ctx.err = true;
    return '';
  }
  const end = token.length - 1;
  let out = '';
  let p = 1;
  while (p < end) {
    const c = token[p++]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const nc = token[p++]!;
    const simple = SIMPLE_ESCAPES[nc];
    if (simple !== undefined) {
      out += simple;
    } else if (nc === 'x') {
      // libxlu skips one more character, then demands more than 2 hex digits out of a 2-byte
      // buffer: this escape can never succeed.
      p++;
      const used = numericChar(ctx, token, p, 2, 2, 16, 'hex');
      if (used === 0) return out;
      p += used;
    } else if (nc >= '0' && nc <= '7') {
      const used = numericChar(ctx, token, p, 1, 3, 10, 'octal');
      if (used === 0) return out;
      p += used;
    } else {
      lexicalError(ctx, 'invalid character after backlash in quoted string');
      ctx.err = true;
      return out;
    }
  }
  return out;
}

/**
 * libxlu's NUMERIC_CHAR macro: strtoul over at most `maxlen` characters from `p`; succeeds only
 * if more than `minlen` characters were used. Returns how many were used, 0 on error.
 */
function numericChar(
  ctx: ParseContext,
  token: string,
  p: number,
  minlen: number,
  maxlen: number,
  base: 10 | 16,
  basetext: string,
): number {
  const numbuf = token.slice(p, p + maxlen);
  const { end } = cStrtol(numbuf, base, true);
  if (end <= minlen) {
    lexicalError(
      ctx,
      `invalid digit after backslash ${basetext}numerical character escape in quoted string`,
    );
    ctx.err = true;
    return 0;
  }
  return end;
}

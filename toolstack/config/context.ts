// The parse context shared by lexer and parser: libxlu's CfgParseContext plus the two error
// reporters of libxlu_cfg.c, xlu__cfg_yyerror and xlu__cfgl_lexicalerror, byte for byte.
// Leaves out: ENOMEM paths (allocation cannot fail here).

import type { ConfigSetting, StderrWrites } from './types.ts';

/** Scanner/parser state that libxlu keeps in CfgParseContext and in flex's yyscan_t. */
export interface ParseContext {
  readonly source: string;
  readonly report: StderrWrites;
  /** Settings stored so far, in order (stored only while `err` is false, as libxlu does). */
  readonly settings: ConfigSetting[];
  /** libxlu's ctx->err: once set, no further setting is stored and the parse fails. */
  err: boolean;
  /** Highest line that had a lexical error; parser errors at or below it are not reported. */
  lexerrlineno: number;
  /** Set by any of `+ - . ( ) :` starting a lexical error (flex rule `[+-.():]`). */
  likelyPython: boolean;
  /** flex's yylineno: 1 + newlines consumed so far. */
  lineno: number;
  /** flex's yytext/yyleng: the last matched text, which every error message quotes. */
  yytext: string;
}

/** A fresh context for one source; yylineno starts at 1 (libxlu's parse() sets it). */
export function newParseContext(source: string, report: StderrWrites): ParseContext {
  return {
    source,
    report,
    settings: [],
    err: false,
    lexerrlineno: -1,
    likelyPython: false,
    lineno: 1,
    yytext: '',
  };
}

/**
 * xlu__cfg_yyerror: `<src>:<line>: config parsing error near `<yytext>': <msg>`.
 *
 * Quirks kept: when the quoted text ends in a newline the line is decremented, because flex
 * has already counted that newline; a NEWLINE token is itself located at `yylineno-1`, so a
 * syntax error on a bare newline is reported one line early, as `near <newline>`. Trailing
 * blanks are trimmed; the text is printed with `%.*s`, so it stops at an embedded NUL; errors
 * at or below the last lexical-error line are dropped silently.
 * @param line bison's `loc->first_line` for the offending token
 */
export function yyerror(ctx: ParseContext, line: number, msg: string): void {
  let lineno = line;
  if (lineno <= ctx.lexerrlineno) return;
  const text = ctx.yytext;
  let len = text.length;
  let newline = '';
  if (len > 0 && text[len - 1] === '\n') {
    len--;
    lineno--;
    if (len === 0) newline = '<newline>';
  }
  while (len > 0 && (text[len - 1] === '\t' || text[len - 1] === ' ')) len--;
  const shown = cString(text.slice(0, len));
  const open = len > 0 ? '`' : '';
  const close = len > 0 ? "'" : '';
  ctx.report.push(
    `${ctx.source}:${lineno}: config parsing error near ${open}${shown}${close}${newline}: ${msg}\n`,
  );
  ctx.err = true;
}

/**
 * xlu__cfgl_lexicalerror: reports at the lexer's current line (after counting any newline in
 * the token) and raises the suppression line even when the report itself was suppressed.
 */
export function lexicalError(ctx: ParseContext, msg: string): void {
  const line = ctx.lineno;
  yyerror(ctx, line, msg);
  ctx.lexerrlineno = line;
}

/** What C's `%s`/`%.*s` prints of a text that may hold NUL bytes: everything before the first. */
export function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

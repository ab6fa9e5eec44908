// The scanner of libxlu_cfg_l.l, emulated rule by rule with flex's semantics (longest match,
// earlier rule on ties, yymore, yylineno counting, end-of-buffer handling of yy_scan_bytes).
// Rules, in flex order:
//   [a-z][._0-9a-z]*  IDENT        [0-9][0-9a-fx]*  NUMBER       [ \t]  skipped
//   , [ ] += = ;      themselves   \n|\#.*\n        NEWLINE      '…' "…"  STRING (dequoted)
//   [+-.():]          python flag, enter <lexerr>   .  enter <lexerr>
//   <lexerr>[^ \t\n]*|[ \t]  "lexical error"        <lexerr>\n  "lexical error" + NEWLINE
// Input is a JavaScript string: each UTF-16 unit stands for the bytes of one character, which
// every rule treats alike (non-ASCII is only ever matched by `.` or a negated class).

import { dequote } from './dequote.ts';
import { lexicalError, type ParseContext } from './context.ts';

/** Token numbers as bison's yylex returns them (libxlu_cfg_y.h; single chars are their code). */
export const Token = {
  EOF: 0,
  IDENT: 258,
  STRING: 259,
  NUMBER: 260,
  NEWLINE: 261,
  OP_ADD: 262,
  ASSIGN: 0x3d, // '='
  SEMICOLON: 0x3b, // ';'
  LBRACKET: 0x5b, // '['
  RBRACKET: 0x5d, // ']'
  COMMA: 0x2c, // ','
} as const;
export type TokenNumber = (typeof Token)[keyof typeof Token];

/** One token from yylex: its number, semantic text (IDENT/NUMBER/STRING) and yylloc line. */
export interface Lexeme {
  readonly token: TokenNumber;
  readonly text?: string;
  /** yylloc->first_line when the rule sets it; undefined at end of input (flex leaves yylloc). */
  readonly line?: number;
}

const PYTHON_CHARS = '+-.():';

function isLower(c: string): boolean {
  return c >= 'a' && c <= 'z';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isIdentTail(c: string): boolean {
  return isLower(c) || isDigit(c) || c === '.' || c === '_';
}
function isNumberTail(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || c === 'x';
}

/** A pull scanner over one buffer, called by the parser exactly when bison would call yylex. */
export class Lexer {
  /** Next unread index (flex's yy_c_buf_p). */
  private pos = 0;
  /** Start of yymore()'d text while in the <lexerr> start condition, else -1. */
  private lexerrStart = -1;

  constructor(
    private readonly input: string,
    private readonly ctx: ParseContext,
  ) {}

  /** yylex: scans until a rule returns a token; lexical errors are reported on the way. */
  next(): Lexeme {
    for (;;) {
      if (this.lexerrStart >= 0) {
        const lexeme = this.scanLexerr();
        if (lexeme) return lexeme;
        continue;
      }
      if (this.pos >= this.input.length) return this.endOfInput('');
      const lexeme = this.scanInitial();
      if (lexeme) return lexeme;
    }
  }

  /**
   * flex at end of a yy_scan_bytes buffer: yytext is the end-of-buffer NUL (after any yymore()'d
   * text) and yylex returns 0. Pending <lexerr> text is dropped without a report.
   */
  private endOfInput(pending: string): Lexeme {
    this.ctx.yytext = `${pending}\0`;
    return { token: Token.EOF };
  }

  private match(length: number): string {
    const text = this.input.slice(this.pos, this.pos + length);
    this.pos += length;
    this.ctx.yytext = text;
    return text;
  }

  private got(token: TokenNumber, text?: string): Lexeme {
    return { token, text, line: this.ctx.lineno };
  }

  private scanInitial(): Lexeme | undefined {
    const input = this.input;
    const c = input[this.pos]!;
    if (isLower(c)) return this.got(Token.IDENT, this.match(this.runLength(1, isIdentTail)));
    if (isDigit(c)) return this.got(Token.NUMBER, this.match(this.runLength(1, isNumberTail)));
    switch (c) {
      case ' ':
      case '\t':
        this.match(1);
        return undefined;
      case ',':
        this.match(1);
        return this.got(Token.COMMA);
      case '[':
        this.match(1);
        return this.got(Token.LBRACKET);
      case ']':
        this.match(1);
        return this.got(Token.RBRACKET);
      case '=':
        this.match(1);
        return this.got(Token.ASSIGN);
      case ';':
        this.match(1);
        return this.got(Token.SEMICOLON);
      case '\n':
        return this.newline(1);
      case '#': {
        const nl = input.indexOf('\n', this.pos);
        if (nl >= 0) return this.newline(nl + 1 - this.pos);
        break; // `\#.*\n` needs the newline: at end of input `#` falls to the `.` rule
      }
      case "'":
      case '"': {
        const length = this.quotedLength(c);
        if (length > 0) {
          const token = this.match(length);
          const value = dequote(this.ctx, token);
          return this.got(Token.STRING, value);
        }
        break; // unterminated: `.` takes the quote alone
      }
      case '+':
        if (input[this.pos + 1] === '=') {
          this.match(2);
          return this.got(Token.OP_ADD);
        }
        break;
    }
    if (PYTHON_CHARS.includes(c)) this.ctx.likelyPython = true;
    this.lexerrStart = this.pos;
    this.match(1);
    return undefined;
  }

  /** `\n|\#.*\n`: yylineno counts the newline first, and the token is placed on the line before. */
  private newline(length: number): Lexeme {
    this.match(length);
    this.ctx.lineno++;
    return { token: Token.NEWLINE, line: this.ctx.lineno - 1 };
  }

  /** The <lexerr> start condition: one rule runs, reports "lexical error", returns to INITIAL. */
  private scanLexerr(): Lexeme | undefined {
    const start = this.lexerrStart;
    if (this.pos >= this.input.length) return this.endOfInput(this.input.slice(start, this.pos));
    const c = this.input[this.pos]!;
    let length: number;
    if (c === '\n' || c === ' ' || c === '\t') length = 1;
    else length = this.runLength(0, (ch) => ch !== ' ' && ch !== '\t' && ch !== '\n');
    this.pos += length;
    this.ctx.yytext = this.input.slice(start, this.pos);
    this.lexerrStart = -1;
    if (c === '\n') this.ctx.lineno++;
    lexicalError(this.ctx, 'lexical error');
    if (c === '\n') return this.got(Token.NEWLINE);
    return undefined;
  }

  /** Length of the run at pos whose first `skip` characters are already known to match. */
  private runLength(skip: number, tail: (c: string) => boolean): number {
    let i = this.pos + skip;
    while (i < this.input.length && tail(this.input[i]!)) i++;
    return i - this.pos;
  }

  /** Length of `q([^q\\\n]|\\.)*q` at pos, or 0 if the quote is not closed on this line. */
  private quotedLength(quote: string): number {
    const input = this.input;
    let i = this.pos + 1;
    while (i < input.length) {
      const c = input[i]!;
      if (c === quote) return i + 1 - this.pos;
      if (c === '\n') return 0;
      if (c === '\\') {
        if (i + 1 >= input.length || input[i + 1] === '\n') return 0;
        i += 2;
      } else {
        i++;
      }
    }
    return 0;
  }
}

// yyparse of Xen's libxlu_cfg_y.c (bison 3.3.2 yacc.c skeleton, pure, with locations and
// verbose errors) driving the emulated flex scanner, plus libxlu's parse()/xlu_cfg_readdata
// wrapper. Only first_line of bison's locations is kept: it is all libxlu ever prints.

import { newParseContext, yyerror, type ParseContext } from './context.ts';
import { Lexer } from './lexer.ts';
import { listAppend, listMk, setStore, stringMk } from './actions.ts';
import {
  YYCHECK, YYDEFACT, YYDEFGOTO, YYFINAL, YYLAST, YYMAXDEPTH, YYNTOKENS, YYPACT, YYPACT_NINF,
  YYPGOTO, YYR1, YYR2, YYTABLE, YYTERROR, YYTNAME, yytranslate,
} from './parser-tables.ts';
import type { ConfigFile, ConfigValue, StderrWrites } from './types.ts';

const YYEMPTY = -2;
const YYEOF = 0;
/** Bison's YYERROR_VERBOSE_ARGS_MAXIMUM: the unexpected token plus at most 4 expected ones. */
const VERBOSE_ARGS_MAXIMUM = 5;

type SemanticValue = string | ConfigValue | null | undefined;

/** The Python hint libxlu prints once, after all errors, if the parse failed (libxlu_cfg.c parse()). */
export const PYTHON_WARNING =
  'warning: Config file looks like it contains Python code.\n' +
  'warning:  Arbitrary Python is no longer supported.\n' +
  'warning:  See https://wiki.xen.org/wiki/PythonInXlConfig\n';

/** Result of parsing one buffer. */
export interface ParseResult {
  /** Settings stored before the first error (all of them when ok). */
  readonly cfg: ConfigFile;
  /** What libxlu wrote to its report stream (xl passes stderr). */
  readonly stderr: StderrWrites;
  /** xlu_cfg_readdata returned 0; otherwise xl reports "Invalid argument" (EINVAL) and exits 1. */
  readonly ok: boolean;
}

/**
 * Parses xl.cfg / xl.conf text exactly as libxlu's xlu_cfg_readdata does, never throwing.
 * @param text the whole buffer (for `xl create` with overrides, see {@link withOverrides})
 * @param source the name messages use, e.g. `t.cfg` or `/etc/xen/xl.conf`
 */
export function parseConfig(text: string, source: string): ParseResult {
  const stderr: StderrWrites = [];
  const ctx = newParseContext(source, stderr);
  yyparse(new Lexer(text, ctx), ctx);
  if (ctx.err && ctx.likelyPython) stderr.push(PYTHON_WARNING);
  return { cfg: { source, settings: ctx.settings }, stderr, ok: !ctx.err };
}

/** bison's yysyntax_error: "syntax error, unexpected X, expecting A or B …" for the top state. */
function syntaxErrorMessage(state: number, token: number): string {
  if (token === YYEMPTY) return 'syntax error';
  const args = [YYTNAME[token]!];
  const n = YYPACT[state]!;
  if (n !== YYPACT_NINF) {
    const xbegin = n < 0 ? -n : 0;
    const xend = Math.min(YYLAST - n + 1, YYNTOKENS);
    for (let x = xbegin; x < xend; x++) {
      if (YYCHECK[x + n] !== x || x === YYTERROR) continue;
      if (args.length === VERBOSE_ARGS_MAXIMUM) {
        args.length = 1;
        break;
      }
      args.push(YYTNAME[x]!);
    }
  }
  const [unexpected, ...expected] = args;
  if (expected.length === 0) return `syntax error, unexpected ${unexpected}`;
  return `syntax error, unexpected ${unexpected}, expecting ${expected.join(' or ')}`;
}

/** The user actions of libxlu_cfg_y.y; returns $$ (bison's default is $1). */
function reduceAction(ctx: ParseContext, rule: number, vs: SemanticValue[], ls: number[], lloc: number): SemanticValue {
  const len = YYR2[rule]!;
  const top = vs.length - 1;
  const v = (k: number): SemanticValue => vs[top - len + k]; // $k
  const l = (k: number): number => ls[top - len + k]!; // @k.first_line
  switch (rule) {
    case 9:
      setStore(ctx, v(1) as string | null, 'assign', v(3) as ConfigValue | null, l(3));
      return v(1);
    case 10:
      setStore(ctx, v(1) as string | null, 'add', v(3) as ConfigValue | null, l(3));
      return v(1);
    case 13:
      return stringMk(ctx, v(1) as string | null, l(1));
    case 14:
      return v(3);
    case 17:
      return listMk(ctx, null, lloc);
    case 20:
      return listMk(ctx, v(1) as ConfigValue | null, l(1));
    case 21:
      listAppend(ctx, v(1) as ConfigValue | null, v(4) as ConfigValue | null);
      return v(1);
    default:
      return len > 0 ? v(1) : undefined;
  }
}

/**
 * The yacc.c skeleton's yyparse, label for label (yynewstate, yybackup, yydefault, yyreduce,
 * yyerrlab, yyerrlab1). Returns 0 accepted, 1 aborted, 2 stack exhausted.
 */
function yyparse(lexer: Lexer, ctx: ParseContext): 0 | 1 | 2 {
  const ss: number[] = [];
  const vs: SemanticValue[] = [undefined];
  const ls: number[] = [1];
  let state = 0;
  let errstatus = 0;
  let yychar: number = YYEMPTY;
  let lval: SemanticValue;
  let lloc = 1; // yylloc.first_line; yyloc_default is {1,1,1,1}

  for (;;) {
    // yynewstate / yysetstate
    ss.push(state);
    if (ss.length >= YYMAXDEPTH) {
      yyerror(ctx, lloc, 'memory exhausted');
      return 2;
    }
    if (state === YYFINAL) return 0;

    // yybackup: decide between shift, reduce and error.
    let rule = 0;
    let n = YYPACT[state]!;
    let action: 'shift' | 'reduce' | 'default' = 'default';
    if (n !== YYPACT_NINF) {
      if (yychar === YYEMPTY) {
        const lexeme = lexer.next();
        yychar = lexeme.token;
        lval = lexeme.text;
        if (lexeme.line !== undefined) lloc = lexeme.line;
      }
      const token = yychar <= YYEOF ? YYEOF : yytranslate(yychar);
      if (yychar <= YYEOF) yychar = YYEOF;
      n += token;
      if (n >= 0 && n <= YYLAST && YYCHECK[n] === token) {
        const t = YYTABLE[n]!;
        if (t <= 0) {
          action = 'reduce';
          rule = -t;
        } else {
          action = 'shift';
          n = t;
        }
      }
    }

    if (action === 'shift') {
      if (errstatus) errstatus--;
      yychar = YYEMPTY;
      state = n;
      vs.push(lval);
      ls.push(lloc);
      continue;
    }

    if (action === 'default') {
      rule = YYDEFACT[state]!;
      if (rule === 0) {
        // yyerrlab
        const token = yychar === YYEMPTY ? YYEMPTY : yytranslate(yychar);
        if (!errstatus) yyerror(ctx, lloc, syntaxErrorMessage(state, token));
        if (errstatus === 3) {
          if (yychar <= YYEOF) {
            if (yychar === YYEOF) return 1;
          } else {
            yychar = YYEMPTY;
          }
        }
        // yyerrlab1: pop until a state can shift the error token.
        errstatus = 3;
        for (;;) {
          let e = YYPACT[state]!;
          if (e !== YYPACT_NINF) {
            e += YYTERROR;
            if (e >= 0 && e <= YYLAST && YYCHECK[e] === YYTERROR && YYTABLE[e]! > 0) {
              n = YYTABLE[e]!;
              break;
            }
          }
          if (ss.length === 1) return 1;
          ss.pop();
          vs.pop();
          ls.pop();
          state = ss[ss.length - 1]!;
        }
        // Shift the error token on top of the state that accepts it.
        vs.push(lval);
        ls.push(lloc);
        state = n;
        continue;
      }
    }

    // yyreduce
    const len = YYR2[rule]!;
    const value = reduceAction(ctx, rule, vs, ls, lloc);
    const loc = len > 0 ? ls[ls.length - len]! : 1;
    ss.length -= len;
    vs.length -= len;
    ls.length -= len;
    const top = ss[ss.length - 1]!;
    vs.push(value);
    ls.push(loc);
    const lhs = YYR1[rule]! - YYNTOKENS;
    const i = YYPGOTO[lhs]! + top;
    state = i >= 0 && i <= YYLAST && YYCHECK[i] === top ? YYTABLE[i]! : YYDEFGOTO[lhs]!;
  }
}

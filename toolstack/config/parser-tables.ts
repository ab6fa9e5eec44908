// The LALR(1) tables bison 3.3.2 generated from libxlu_cfg_y.y (Xen's committed
// tools/libs/util/libxlu_cfg_y.c). Kept verbatim so that the parser reduces, reads lookahead
// and recovers from errors exactly when Xen's does: which token a message quotes, and which
// tokens it says were expected, depend on the default reductions encoded here.
//
// Grammar (rule numbers as in the tables):
//   1 $accept: file $end          2 file: stmts          3 file: stmts assignment
//   4 stmts: %empty               5 stmts: stmts stmt
//   6 stmt: assignment endstmt    7 stmt: endstmt        8 stmt: error NEWLINE
//   9 assignment: IDENT '=' value 10 assignment: IDENT "+=" value
//  11 endstmt: NEWLINE            12 endstmt: ';'
//  13 value: atom                 14 value: '[' nlok valuelist ']'
//  15 atom: STRING                16 atom: NUMBER
//  17 valuelist: %empty           18 valuelist: values   19 valuelist: values ',' nlok
//  20 values: value nlok          21 values: values ',' nlok value nlok
//  22 nlok: %empty                23 nlok: nlok NEWLINE

export const YYFINAL = 3;
export const YYLAST = 27;
export const YYNTOKENS = 13;
export const YYPACT_NINF = -18;
export const YYTERROR = 1;
/** Bison's YYMAXDEPTH: pushing the 10000th state fails with "memory exhausted". */
export const YYMAXDEPTH = 10000;

/** Symbol names as bison prints them in verbose syntax errors (after yytnamerr). */
export const YYTNAME: readonly string[] = [
  '$end', 'error', '$undefined', 'IDENT', 'STRING', 'NUMBER', 'NEWLINE',
  '+=', "'='", "';'", "'['", "']'", "','", '$accept', 'file', 'stmts',
  'stmt', 'assignment', 'endstmt', 'value', 'atom', 'valuelist', 'values', 'nlok',
];

/** yytranslate for the external token numbers the lexer can return. */
export function yytranslate(token: number): number {
  switch (token) {
    case 0: return 0;
    case 258: return 3;
    case 259: return 4;
    case 260: return 5;
    case 261: return 6;
    case 262: return 7;
    case 0x3d: return 8;
    case 0x3b: return 9;
    case 0x5b: return 10;
    case 0x5d: return 11;
    case 0x2c: return 12;
    default: return 2;
  }
}

export const YYPACT: readonly number[] = [
  -18, 5, 1, -18, -3, 14, -18, -18, -18, 3,
  -18, -18, 10, 10, -18, -18, -18, -18, -18, -18,
  -18, 13, -18, -18, 15, 12, 19, -18, -18, 13,
  -18, 19,
];

export const YYDEFACT: readonly number[] = [
  4, 0, 0, 1, 0, 0, 11, 12, 5, 3,
  7, 8, 0, 0, 6, 15, 16, 22, 10, 13,
  9, 17, 23, 22, 0, 18, 20, 14, 22, 19,
  22, 21,
];

export const YYPGOTO: readonly number[] = [-18, -18, -18, -18, -18, 18, -13, -18, -18, -18, -17];

export const YYDEFGOTO: readonly number[] = [-1, 1, 2, 8, 9, 10, 18, 19, 24, 25, 21];

export const YYTABLE: readonly number[] = [
  20, -2, 4, 11, 5, 3, 26, 6, 23, 6,
  7, 29, 7, 31, 15, 16, 30, 15, 16, 22,
  17, 12, 13, 17, 28, 22, 27, 14,
];

export const YYCHECK: readonly number[] = [
  13, 0, 1, 6, 3, 0, 23, 6, 21, 6,
  9, 28, 9, 30, 4, 5, 29, 4, 5, 6,
  10, 7, 8, 10, 12, 6, 11, 9,
];

export const YYR1: readonly number[] = [
  0, 13, 14, 14, 15, 15, 16, 16, 16, 17,
  17, 18, 18, 19, 19, 20, 20, 21, 21, 21,
  22, 22, 23, 23,
];

export const YYR2: readonly number[] = [
  0, 2, 1, 2, 0, 2, 2, 1, 2, 3,
  3, 1, 1, 1, 4, 1, 1, 0, 1, 3,
  2, 5, 0, 2,
];

import { describe, expect, it } from 'vitest';
import { parseConfig, PYTHON_WARNING } from './parser.ts';
import type { ConfigValue } from './types.ts';

const parse = (text: string) => parseConfig(text, 't.cfg');
const err = (text: string) => parse(text).stderr.join('');
/** A ConfigValue without line numbers, for readable expectations. */
const plain = (v: ConfigValue): unknown => (v.kind === 'string' ? v.string : v.values.map(plain));
const settings = (text: string) => parse(text).cfg.settings.map((s) => [s.name, plain(s.value)]);

describe('config grammar (libxlu_cfg_y.y)', () => {
  it('keeps NUMBER text verbatim and dequotes strings', () => {
    expect(settings('memory = 0x400\nb = 010\nc = "256"\nd = \'it"s\'\n')).toEqual([
      ['memory', '0x400'], ['b', '010'], ['c', '256'], ['d', 'it"s'],
    ]);
  });

  it('accepts several statements per line with ; and empty statements', () => {
    const r = parse('name = "a"; memory = 5\n;;\na=1;b=2');
    expect(r.ok).toBe(true);
    expect(settings('name = "a"; memory = 5\n;;\na=1;b=2')).toEqual([
      ['name', 'a'], ['memory', '5'], ['a', '1'], ['b', '2'],
    ]);
  });

  it('rejects two assignments on one line without a separator', () => {
    expect(err('memory = 5 vcpus = 2\n')).toBe(
      "t.cfg:1: config parsing error near `vcpus': syntax error, unexpected IDENT, expecting $end\n",
    );
  });

  it('parses multi-line lists with trailing comma, empty and nested lists', () => {
    expect(settings("disk = [ 'a',\n 'b',\n]\nx = []\ny = [\n]\nz = [[1,2],3]\n")).toEqual([
      ['disk', ['a', 'b']], ['x', []], ['y', []], ['z', [['1', '2'], '3']],
    ]);
  });

  it('rejects a list starting with a lone comma', () => {
    expect(err('x = [,]\n')).toBe("t.cfg:1: config parsing error near `,': syntax error, unexpected ',', expecting ']'\n");
  });

  it('keeps every setting and records each line of its value', () => {
    const r = parse('memory = 1\nmemory = 2\nvif = [\n"a"]\n');
    expect(r.cfg.settings.map((s) => s.line)).toEqual([1, 2, 3]);
  });

  it('accepts dotted keys as one IDENT', () => {
    expect(settings('vif.default.script = "x"\n')).toEqual([['vif.default.script', 'x']]);
  });
});

describe('+= (libxlu a30910bfd7)', () => {
  it('concatenates strings', () => {
    expect(settings('extra = "a"\nextra += "b"\n').at(-1)).toEqual(['extra', 'ab']);
  });
  it('appends lists and empties the earlier list', () => {
    expect(settings("vif = ['y']\nvif += ['x']\n")).toEqual([['vif', []], ['vif', ['y', 'x']]]);
  });
  it('stores the value alone when there is no earlier setting', () => {
    expect(settings('extra += "b"\n')).toEqual([['extra', 'b']]);
  });
  it('reports mixing a list and a string at the token after the value', () => {
    expect(err('vif = "a"\nvif += ["b"]\n')).toBe(
      't.cfg:2: config parsing error near `]\': can\'t add [list] to "string" or vice versa\n',
    );
    expect(err('vif = ["a"]\nvif += "b"\n')).toBe(
      't.cfg:2: config parsing error near `"b"\': can\'t add [list] to "string" or vice versa\n',
    );
  });
});

describe('lexical errors and their messages', () => {
  it.each([
    ['memory = 1G\n', "t.cfg:1: config parsing error near `G': lexical error\n"],
    ['memory = 1g\n', "t.cfg:1: config parsing error near `g': syntax error, unexpected IDENT, expecting $end\n"],
    ['Memory = 1\n', "t.cfg:1: config parsing error near `Memory': lexical error\n"],
    ['memory = 5\n# comment', "t.cfg:2: config parsing error near `#': lexical error\n"],
    ['memory = 5\n#comment', "t.cfg:2: config parsing error near `#comment': lexical error\n"],
    ['a = 1 # x', "t.cfg:1: config parsing error near `#': lexical error\n"],
    ['a = "\\x41"\n', 't.cfg:1: config parsing error near `"\\x41"\': invalid digit after backslash hexnumerical character escape in quoted string\n'],
    ['a = "\\q"\n', 't.cfg:1: config parsing error near `"\\q"\': invalid character after backlash in quoted string\n'],
    ['a = "\\1"\n', 't.cfg:1: config parsing error near `"\\1"\': invalid digit after backslash octalnumerical character escape in quoted string\n'],
    ['a = \\\n', "t.cfg:1: config parsing error near `\\': lexical error\n"],
  ])('%j', (text, expected) => {
    const r = parse(text);
    expect(r.stderr.join('')).toBe(expected);
    expect(r.ok).toBe(false);
  });

  it('reports a syntax error on a bare newline one line early, as <newline>', () => {
    expect(err('a = 1\nb = 2\nmemory = \n')).toBe(
      "t.cfg:2: config parsing error near <newline>: syntax error, unexpected NEWLINE, expecting STRING or NUMBER or '['\n",
    );
    expect(err('memory = \n')).toMatch(/^t\.cfg:0: config parsing error near <newline>:/);
  });

  it('reports one CR error per CRLF line, quoting the raw CR', () => {
    expect(err('a = 1\r\nb = 2\r\n')).toBe(
      "t.cfg:1: config parsing error near `\r': lexical error\nt.cfg:2: config parsing error near `\r': lexical error\n",
    );
  });

  it('resynchronises at the next newline after an error inside a statement', () => {
    expect(err('c = = 4\nb = 3\na = 1 2\n')).toBe(
      "t.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['\n" +
        "t.cfg:3: config parsing error near `2': syntax error, unexpected NUMBER, expecting $end\n",
    );
  });

  it('stops at an error after a complete assignment (bison already reduced to `file`)', () => {
    expect(err('a = 1 2\nb = = 3\n')).toBe(
      "t.cfg:1: config parsing error near `2': syntax error, unexpected NUMBER, expecting $end\n",
    );
  });

  it('reports only the first error of a line that had a lexical error', () => {
    expect(err('A B = 1\n')).toBe("t.cfg:1: config parsing error near `A': lexical error\n");
  });

  it('quotes nothing when the input ends where a value was expected', () => {
    expect(err('memory =')).toBe(
      "t.cfg:1: config parsing error near `': syntax error, unexpected $end, expecting STRING or NUMBER or '['\n",
    );
  });

  it('stops quoting at an embedded NUL, as %.*s does', () => {
    expect(err('a\0b = 1\n')).toBe("t.cfg:1: config parsing error near `': lexical error\n");
  });

  it('fails a string holding NUL (libxlu would assert) instead of throwing', () => {
    expect(parse('a = "x\0y"\n').ok).toBe(false);
  });

  it('quotes non-ASCII tokens whole', () => {
    expect(err('é = 1\n')).toBe("t.cfg:1: config parsing error near `é': lexical error\n");
  });

  it('decodes octal escapes to nothing, as libxlu does', () => {
    expect(settings('a = "x\\101y"\n')).toEqual([['a', 'xy']]);
    expect(settings('a = "\\t\\n\\\\\\"\'"\n')).toEqual([['a', '\t\n\\"\'']]);
  });
});

describe('Python hint', () => {
  it.each([
    ['memory = -5\n', "t.cfg:1: config parsing error near `-5': lexical error\n"],
    ['memory = 1.5\n', "t.cfg:1: config parsing error near `.5': lexical error\n"],
    ['on-crash = 1\n', "t.cfg:1: config parsing error near `-crash': lexical error\n"],
    ['claim_mode=-1\n', "t.cfg:1: config parsing error near `-1': lexical error\n"],
  ])('%j adds the three warning lines once, after the errors', (text, first) => {
    expect(parse(text).stderr).toEqual([first, PYTHON_WARNING]);
  });

  it('is printed once even for several Python-like errors', () => {
    expect(parse('a = (1)\nb = -2\n').stderr.filter((w) => w === PYTHON_WARNING)).toHaveLength(1);
  });

  it('is not printed for errors that did not start at + - . ( ) :', () => {
    expect(parse('Memory = 1\n').stderr).not.toContain(PYTHON_WARNING);
  });

  it('is not printed when the parse succeeds (a trailing `-` at end of input is dropped by flex)', () => {
    const r = parse('a = 1 -');
    expect(r.ok).toBe(true);
    expect(r.stderr).toEqual([]);
  });

  it('is not triggered by the dots of a dotted key or by +=', () => {
    expect(parse('vif.default.bridge = 1 1\nx += "a"\n').stderr).toEqual([
      "t.cfg:1: config parsing error near `1': syntax error, unexpected NUMBER, expecting $end\n",
    ]);
  });
});

describe('stack depth', () => {
  it('fails with bison\'s "memory exhausted" past 10000 states instead of recursing', () => {
    const r = parse(`a = ${'['.repeat(6000)}\n`);
    expect(r.ok).toBe(false);
    expect(r.stderr.join('')).toContain('memory exhausted');
  });
});

// libxlu_cfg.c xlu__cfgl_dequote: `if (ctx->err) return 0;` — and xlu__cfg_yyerror skips only
// lines <= ctx->lexerrlineno, which a syntax error does not set.
describe('after a first error (libxlu_cfg.c xlu__cfgl_dequote, xlu__cfg_yyerror)', () => {
  it('a later bad escape is not reported: nothing is unquoted any more', () => {
    expect(err('a = = 1\nb = "\\q"\n')).toBe("t.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['\n");
    expect(err('a = "\\q"\nb = "\\z"\n')).toBe('t.cfg:1: config parsing error near `"\\q"\': invalid character after backlash in quoted string\n');
  });

  it('a later lexical error on the line of a syntax error is reported, a bad escape before it is not', () => {
    const syntaxThenLex = err('a = = "\\q" @\n');
    expect(syntaxThenLex).toContain("t.cfg:1: config parsing error near `=': syntax error");
    expect(syntaxThenLex).toContain("t.cfg:1: config parsing error near `@': lexical error\n");
    expect(syntaxThenLex).not.toContain('backlash');
  });
});

// A scenario file's text as JSON with positions: jsonc-parser's syntax tree (offsets of every key
// and value), syntax errors worded for people (`f.json:3:46: trailing comma before "}"`), and
// the plain value the schema validates. Strict JSON (RFC 8259): no comments, no trailing commas
// — so every JSON tool (jq, JSON.parse, an editor with the schema) reads a scenario file the
// same way; "//" keys are the comments (docs/scenario-format.md). Duplicate keys are an error
// rather than "last one wins". Never throws on bad input.

import { createScanner, findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** 1-based line and column (columns count UTF-16 code units, as editors mostly do). */
export interface Pos {
  line: number;
  col: number;
}

export type JsonPath = ReadonlyArray<string | number>;

/** Nesting deeper than this is refused before parsing (jsonc-parser recurses; scenario files nest ≤ 6). */
export const DEPTH_MAX = 64;

/** The parsed file: its tree, its plain value, and offsets → positions. */
export class JsonSource {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly root: Node,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo] + 1 };
  }

  /** The node at `path` (a value), or undefined. */
  node(path: JsonPath): Node | undefined {
    return path.length === 0 ? this.root : findNodeAtLocation(this.root, [...path]);
  }

  /** The key node of the property at `path` (its last segment must be a key). */
  keyNode(path: JsonPath): Node | undefined {
    const v = this.node(path);
    return v?.parent?.type === 'property' ? v.parent.children?.[0] : undefined;
  }

  /** How a value is shown in messages: strings quoted (cut at 40), numbers as written. */
  shown(n: Node): string {
    switch (n.type) {
      case 'string': return showString(n.value as string);
      case 'number': return this.text.slice(n.offset, n.offset + n.length);
      case 'object': return 'an object';
      case 'array': return 'an array';
      case 'null': return 'null';
      default: return String(n.value);
    }
  }
}

export const showString = (s: string): string => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);

/** How a plain value (an override from the command line) is shown in messages. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return showString(v);
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

export type ParsedSource = { ok: true; source: JsonSource; value: unknown } | { ok: false; pos: Pos; message: string };

/** Parses a scenario file's text. Never throws. */
export function parseSource(raw: string): ParsedSource {
  // A byte-order mark becomes a space: offsets (and so columns) stay those of the file.
  const text = raw.charCodeAt(0) === 0xfeff ? ' ' + raw.slice(1) : raw;
  const where = new JsonSource(text, { type: 'null', offset: 0, length: 0 });
  const deep = tooDeep(text);
  if (deep !== undefined) return { ok: false, pos: where.pos(deep), message: `nesting deeper than ${DEPTH_MAX} levels` };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || root === undefined) {
    const e = errors[0] ?? { error: 0, offset: 0, length: 0 };
    const at = inString(text, e) ?? e.offset;
    return { ok: false, pos: where.pos(at), message: syntaxMessage(text, { ...e, offset: at }, root) };
  }
  const source = new JsonSource(text, root);
  const bad = checkTree(source, root);
  if (bad !== undefined) return { ok: false, ...bad };
  return { ok: true, source, value: valueOf(root) };
}

/** Offset of the first bracket nested deeper than DEPTH_MAX, if any (one scan, no recursion). */
function tooDeep(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (;;) {
    scanner.scan();
    const at = scanner.getTokenOffset();
    if (at >= text.length) return undefined;
    if (scanner.getTokenLength() !== 1) continue;
    const ch = text[at];
    if (ch === '{' || ch === '[') {
      if (++depth > DEPTH_MAX) return at;
    } else if (ch === '}' || ch === ']') depth--;
  }
}

/** What is at `offset`, for "found …" in messages. */
function describeAt(text: string, offset: number): string {
  if (offset >= text.length) return 'end of file';
  const c = text[offset];
  if (c === '"') return 'a string';
  return /[\x00-\x1f]/.test(c) ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `"${c}"`;
}

/** jsonc-parser reports a bad escape or character in a string at the string's start: the offset of the culprit. */
function inString(text: string, e: ParseError): number | undefined {
  const code = printParseErrorCode(e.error);
  if (code !== 'InvalidEscapeCharacter' && code !== 'InvalidCharacter' && code !== 'InvalidUnicode') return undefined;
  for (let i = e.offset + 1; i < e.offset + e.length; i++) {
    const c = text[i];
    if (c < ' ') return i;
    if (c !== '\\') continue;
    const n = text[i + 1];
    if (n === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(n ?? '')) return i;
    i++;
  }
  return undefined;
}

/** The last non-blank character before `offset`. */
function before(text: string, offset: number): string | undefined {
  for (let i = offset - 1; i >= 0; i--) if (!/\s/.test(text[i])) return text[i];
  return undefined;
}

/** The innermost object or array whose brackets enclose `offset`, and the key whose value precedes it. */
function container(root: Node | undefined, offset: number): { type: 'object' | 'array'; key?: string } | undefined {
  let found: { type: 'object' | 'array'; key?: string } | undefined;
  const visit = (n: Node, depth: number): void => {
    if (depth > DEPTH_MAX || offset < n.offset || offset > n.offset + n.length) return;
    if (n.type === 'object' || n.type === 'array') {
      const prev = n.children?.filter((c) => c.offset + c.length <= offset).at(-1);
      found = { type: n.type, ...(n.type === 'object' && prev?.children?.[0] !== undefined ? { key: String(prev.children[0].value) } : {}) };
    }
    for (const c of n.children ?? []) visit(c, depth + 1);
  };
  if (root !== undefined) visit(root, 0);
  return found;
}

function syntaxMessage(text: string, e: ParseError, root: Node | undefined): string {
  const code = printParseErrorCode(e.error);
  const found = describeAt(text, e.offset);
  const at = text[e.offset];
  switch (code) {
    case 'InvalidCommentToken':
      return 'comments are not JSON; use a "//" or "description" field instead (see docs/scenario-format.md)';
    case 'UnexpectedEndOfString':
      return text[e.offset + e.length] === '\n' || text[e.offset + e.length] === '\r'
        ? 'unterminated string (a newline in a string must be written \\n)'
        : 'unterminated string';
    case 'InvalidEscapeCharacter':
      return `invalid escape "${text.slice(e.offset, e.offset + 2)}" in a string`;
    case 'InvalidCharacter':
      return `${describeAt(text, e.offset)} in a string must be escaped`;
    case 'InvalidUnicode':
      return `invalid escape "${text.slice(e.offset, e.offset + 6)}" in a string`;
    case 'InvalidNumberFormat':
      return `invalid number "${text.slice(e.offset, e.offset + Math.min(e.length, 40))}"`;
    case 'ColonExpected': {
      const m = /"((?:[^"\\\n]|\\.){0,200})"\s*$/.exec(text.slice(Math.max(0, e.offset - 400), e.offset));
      let key: string | undefined;
      try {
        key = m === null ? undefined : (JSON.parse(`"${m[1]}"`) as string);
      } catch {
        key = undefined; // a key with a bad escape: it has its own error further on
      }
      return `expected ":" after ${key === undefined ? 'the key' : `key ${showString(key)}`}, found ${found}`;
    }
    case 'EndOfFileExpected':
      return `unexpected ${found} after the end of the document`;
    default:
      break;
  }
  if ((at === '}' || at === ']') && before(text, e.offset) === ',') return `trailing comma before "${at}"`;
  if (at === "'") return 'strings take double quotes in JSON';
  if (root !== undefined && e.offset >= root.offset + root.length && code === 'InvalidSymbol') {
    return `unexpected ${found} after the end of the document`;
  }
  const inside = container(root, e.offset);
  if (code === 'PropertyNameExpected') return `expected a key in double quotes, found ${found}`;
  if (code === 'CommaExpected' || code === 'CloseBraceExpected' || code === 'CloseBracketExpected') {
    return inside?.type === 'array'
      ? `expected "," or "]" in the array, found ${found}`
      : `expected "," or "}"${inside?.key === undefined ? '' : ` after the value of "${inside.key}"`}, found ${found}`;
  }
  return `expected a value, found ${found}`;
}

/** Duplicate keys and numbers beyond a double's range, which jsonc-parser lets through: the first in the file. */
function checkTree(src: JsonSource, root: Node): { pos: Pos; message: string } | undefined {
  let first: { offset: number; message: string } | undefined;
  const found = (offset: number, message: string): void => {
    if (first === undefined || offset < first.offset) first = { offset, message };
  };
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'number' && !Number.isFinite(n.value)) found(n.offset, `number ${src.shown(n)} is out of range`);
    if (n.type === 'object') {
      const seen = new Map<string, number>();
      for (const p of n.children ?? []) {
        const k = p.children?.[0];
        if (k === undefined) continue;
        const at = seen.get(k.value as string);
        if (at !== undefined) {
          const f = src.pos(at);
          found(k.offset, `duplicate key ${showString(k.value as string)} (first at ${f.line}:${f.col})`);
        } else seen.set(k.value as string, k.offset);
      }
    }
    for (const c of n.children ?? []) stack.push(c);
  }
  return first === undefined ? undefined : { pos: src.pos(first.offset), message: first.message };
}

/** The plain value of a tree (depth bounded by tooDeep). */
function valueOf(n: Node): unknown {
  switch (n.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const p of n.children ?? []) {
        const [k, v] = p.children ?? [];
        if (k !== undefined && v !== undefined) Object.defineProperty(o, k.value as string, { value: valueOf(v), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    case 'array':
      return (n.children ?? []).map(valueOf);
    default:
      return n.value;
  }
}

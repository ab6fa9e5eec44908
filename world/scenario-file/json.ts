// A small JSON parser that keeps where every value and key came from (line:column), so a
// scenario file's validator can say `demo.json:12:5: "memory" must be …`. Strict RFC 8259 JSON
// (no comments, no trailing commas); duplicate keys are an error rather than "last one wins".
// It never throws on bad input: errors come back as values.

/** 1-based line and column (columns count UTF-16 code units, as editors mostly do). */
export interface Pos {
  line: number;
  col: number;
}

export type JsonNode =
  | { kind: 'object'; pos: Pos; entries: JsonEntry[] }
  | { kind: 'array'; pos: Pos; items: JsonNode[] }
  | { kind: 'string'; pos: Pos; value: string }
  | { kind: 'number'; pos: Pos; value: number; raw: string }
  | { kind: 'boolean'; pos: Pos; value: boolean }
  | { kind: 'null'; pos: Pos };

export interface JsonEntry {
  key: string;
  keyPos: Pos;
  value: JsonNode;
}

export type ParseResult = { ok: true; node: JsonNode } | { ok: false; pos: Pos; message: string };

class JsonSyntaxError extends Error {
  constructor(
    readonly pos: Pos,
    message: string,
  ) {
    super(message);
  }
}

/** Nesting deeper than this is refused (a guard against stack exhaustion on hostile input). */
const DEPTH_MAX = 256;

class Parser {
  private i = 0;
  private line = 1;
  /** Index of the first character of the current line. */
  private lineStart = 0;

  constructor(private readonly text: string) {}

  pos(): Pos {
    return { line: this.line, col: this.i - this.lineStart + 1 };
  }

  fail(message: string, pos = this.pos()): never {
    throw new JsonSyntaxError(pos, message);
  }

  private describe(): string {
    if (this.i >= this.text.length) return 'end of file';
    const c = this.text[this.i];
    return /[\x00-\x1f]/.test(c) ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `"${c}"`;
  }

  skipWhitespace(): void {
    for (; this.i < this.text.length; this.i++) {
      const c = this.text[this.i];
      if (c === '\n') {
        this.line++;
        this.lineStart = this.i + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') {
        if (c === '/' && (this.text[this.i + 1] === '/' || this.text[this.i + 1] === '*')) {
          this.fail('comments are not JSON; use a "//" or "description" field instead (see docs/scenario-format.md)');
        }
        return;
      }
    }
  }

  value(depth: number): JsonNode {
    if (depth > DEPTH_MAX) this.fail(`nesting deeper than ${DEPTH_MAX} levels`);
    this.skipWhitespace();
    const pos = this.pos();
    const c = this.text[this.i];
    if (c === '{') return this.object(pos, depth);
    if (c === '[') return this.array(pos, depth);
    if (c === '"') return { kind: 'string', pos, value: this.string() };
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(pos);
    for (const [word, node] of [['true', { kind: 'boolean', pos, value: true }], ['false', { kind: 'boolean', pos, value: false }], ['null', { kind: 'null', pos }]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return node;
      }
    }
    if (c === "'") this.fail('strings take double quotes in JSON');
    return this.fail(`expected a value, found ${this.describe()}`);
  }

  private object(pos: Pos, depth: number): JsonNode {
    this.i++;
    const entries: JsonEntry[] = [];
    const seen = new Map<string, Pos>();
    this.skipWhitespace();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'object', pos, entries };
    }
    for (;;) {
      this.skipWhitespace();
      const keyPos = this.pos();
      if (this.text[this.i] !== '"') this.fail(this.text[this.i] === '}' ? 'trailing comma before "}"' : `expected a key in double quotes, found ${this.describe()}`);
      const key = this.string();
      const dup = seen.get(key);
      if (dup !== undefined) this.fail(`duplicate key "${key}" (first at ${dup.line}:${dup.col})`, keyPos);
      seen.set(key, keyPos);
      this.skipWhitespace();
      if (this.text[this.i] !== ':') this.fail(`expected ":" after key "${key}", found ${this.describe()}`);
      this.i++;
      entries.push({ key, keyPos, value: this.value(depth + 1) });
      this.skipWhitespace();
      const c = this.text[this.i];
      this.i++;
      if (c === '}') return { kind: 'object', pos, entries };
      if (c !== ',') {
        this.i--;
        this.fail(`expected "," or "}" after the value of "${key}", found ${this.describe()}`);
      }
    }
  }

  private array(pos: Pos, depth: number): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.i] === ']') {
      this.i++;
      return { kind: 'array', pos, items };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.i] === ']') this.fail('trailing comma before "]"');
      items.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.i];
      this.i++;
      if (c === ']') return { kind: 'array', pos, items };
      if (c !== ',') {
        this.i--;
        this.fail(`expected "," or "]" in the array, found ${this.describe()}`);
      }
    }
  }

  private string(): string {
    const start = this.pos();
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) this.fail('unterminated string', start);
      const c = this.text[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\n' || c < ' ') this.fail(c === '\n' ? 'unterminated string (a newline in a string must be written \\n)' : `${this.describe()} in a string must be escaped`);
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const e = this.text[this.i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && Object.hasOwn(simple, e)) {
        out += simple[e];
        this.i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
        this.i += 6;
      } else {
        this.fail(`invalid escape "\\${e ?? ''}" in a string`);
      }
    }
  }

  private number(pos: Pos): JsonNode {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (m === null) this.fail(`invalid number, found ${this.describe()}`);
    this.i += m[0].length;
    if (/^[0-9A-Za-z_.]/.test(this.text[this.i] ?? '')) this.fail(`invalid number "${m[0]}${this.text[this.i]}"`);
    const value = Number(m[0]);
    if (!Number.isFinite(value)) this.fail(`number ${m[0]} is out of range`, pos);
    return { kind: 'number', pos, value, raw: m[0] };
  }

  document(): JsonNode {
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1; // a byte-order mark
    const node = this.value(0);
    this.skipWhitespace();
    if (this.i < this.text.length) this.fail(`unexpected ${this.describe()} after the end of the document`);
    return node;
  }
}

/** Parses JSON text, keeping positions. Never throws. */
export function parseJson(text: string): ParseResult {
  const p = new Parser(text);
  try {
    return { ok: true, node: p.document() };
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, pos: e.pos, message: e.message };
    if (e instanceof RangeError) return { ok: false, pos: p.pos(), message: 'document too deeply nested' };
    throw e;
  }
}

/** The plain JavaScript value of a node. */
export function toValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.entries.map((e) => [e.key, toValue(e.value)]));
    case 'array':
      return node.items.map(toValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

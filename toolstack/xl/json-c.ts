// json_object_to_json_string_ext(jso, JSON_C_TO_STRING_PRETTY) as json-c (>= 0.15) writes it —
// Xen 4.22's xl and libxl use json-c when the build finds it (tools/configure.ac prefers it to
// yajl): two-space indent, no space after the colon, "/" escaped as "\/", empty objects and
// arrays as {} and [].

/** A bigint is a C uint64 (libxl's MemKB), printed in full as json_object_new_uint64 does. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** json-c's string escaping (json_escape_str without JSON_C_TO_STRING_NOSLASHESCAPE). */
function escapeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '/': out += '\\/'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default: out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
    }
  }
  return `${out}"`;
}

function write(v: JsonValue, level: number): string {
  const pad = (n: number): string => '  '.repeat(n);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return escapeString(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => `${pad(level + 1)}${write(x, level + 1)}`).join(',\n')}\n${pad(level)}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad(level + 1)}${escapeString(k)}:${write(v[k], level + 1)}`).join(',\n')}\n${pad(level)}}`;
}

/** The pretty text json-c prints for `v` (no trailing newline). */
export function jsonCPretty(v: JsonValue): string {
  return write(v, 0);
}

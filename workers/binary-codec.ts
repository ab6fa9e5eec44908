// The mailbox's binary hot path: the frequent requests (memory ops, claims, getdomaininfo,
// physinfo, tmem, sleep, xenstore, notes) and their replies as fixed fields and arithmetic runs in
// the slot, with no JSON on either side. The grammar (widths, tags, order) is in
// mailbox-layout.ts; this module holds the vocabulary it carries (op ids, field ids and types)
// and the two directions of the conversion. Leaves out: message shapes (codec.ts checks them for
// both encodings) and every rare or long message, which stays JSON.
//
// The contract that keeps traces and replays identical: a message goes out binary only when
// decoding it yields exactly what JSON.parse(JSON.stringify(msg)) would — same keys in the same
// order, same numbers. Anything else (an unknown key or op, NaN, a boolean, a string with a lone
// surrogate, an object with a prototype or toJSON, a list of non-numbers) makes tryEncode* return
// null, and the caller sends JSON. Decoding is a trust boundary: it never throws and bounds every
// length by the payload and every expansion by RUNS_EXPANDED_MAX.

import { assert } from '../hv/assert.ts';
import { ALL_OPS } from '../hv/ops.ts';
import {
  BIN_F64_BYTES,
  BIN_RECORD_DEPTH_MAX,
  BIN_RUN_BYTES,
  BIN_U32_BYTES,
  BIN_U8_BYTES,
  BinListTag,
} from './mailbox-layout.ts';
import { RUNS_EXPANDED_MAX, RUNS_MIN_LENGTH, runsAreShorter, toRuns } from './number-runs.ts';
import { decodeUtf8, encodeUtf8Into } from './utf8.ts';

type FieldType = 'num' | 'str' | 'list' | 'record';

/**
 * Every field name a binary record may hold, with its one type; the id is the index. Append only
 * (the ids are the wire format). A record with any other key, or a value of another type, is JSON.
 */
const FIELDS: ReadonlyArray<readonly [name: string, type: FieldType]> = [
  // struct xen_memory_reservation (+ the continuation index) and struct xen_memory_exchange
  ['domid', 'num'], ['nr_extents', 'num'], ['extent_order', 'num'], ['mem_flags', 'num'], ['extent_start', 'list'],
  ['start_extent', 'num'], ['nr_exchanged', 'num'], ['in', 'record'], ['out', 'record'],
  // results: rc, getdomaininfo, physinfo
  ['rc', 'num'], ['tot_pages', 'num'], ['max_pages', 'num'], ['outstanding_pages', 'num'], ['shr_pages', 'num'],
  ['paged_pages', 'num'], ['nr_online_vcpus', 'num'], ['max_vcpu_id', 'num'], ['cpu_time', 'num'], ['flags', 'num'],
  ['name', 'str'], ['type', 'str'], ['total_pages', 'num'], ['free_pages', 'num'], ['scrub_pages', 'num'],
  ['nr_nodes', 'num'], ['nr_cpus', 'num'],
  // struct tmem_op
  ['pool_id', 'num'], ['oid', 'list'], ['index', 'num'], ['cmfn', 'num'], ['uuid', 'list'], ['subop', 'num'],
  ['cli_id', 'num'], ['arg1', 'num'], ['arg2', 'num'],
  // other domctls' arguments
  ['max_memkb', 'num'], ['max_vcpus', 'num'], ['target', 'num'], ['size', 'num'],
];
const FIELD_COUNT_MAX = 0xff;
const FIELD_IDS = new Map<string, number>(FIELDS.map(([name], id) => [name, id]));
const OP_IDS = new Map<string, number>(ALL_OPS.map((op, id) => [op, id]));

// ---------------------------------------------------------------- encoding

/** Thrown inside an encode when the message has no binary form (or does not fit): send JSON. */
const NOT_BINARY = new Error('not binary');

let out: DataView = new DataView(new ArrayBuffer(0));
let outBytes: Uint8Array = new Uint8Array(0);
let pos = 0;

/** DataViews over slot payloads, made once per payload area. */
const views = new WeakMap<Uint8Array, DataView>();
function viewOf(bytes: Uint8Array): DataView {
  let v = views.get(bytes);
  if (v === undefined) {
    v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    views.set(bytes, v);
  }
  return v;
}

function room(n: number): void {
  if (pos + n > outBytes.length) throw NOT_BINARY;
}
function putU8(v: number): void {
  room(BIN_U8_BYTES);
  out.setUint8(pos, v);
  pos += BIN_U8_BYTES;
}
function putU32(v: number): void {
  room(BIN_U32_BYTES);
  out.setUint32(pos, v, true);
  pos += BIN_U32_BYTES;
}
function putF64(v: number): void {
  room(BIN_F64_BYTES);
  out.setFloat64(pos, v, true);
  pos += BIN_F64_BYTES;
}

/** A number as JSON would carry it: finite, and -0 becomes 0 (JSON.stringify(-0) is "0"). */
function putNum(v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw NOT_BINARY;
  putF64(v === 0 ? 0 : v);
}

function putStr(v: unknown): void {
  // A lone surrogate survives JSON (escaped) but not UTF-8: such strings stay JSON.
  if (typeof v !== 'string' || !(v as WellFormedCheck).isWellFormed()) throw NOT_BINARY;
  const lenAt = pos;
  putU32(0);
  let ascii = true;
  if (v.length <= outBytes.length - pos) {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      outBytes[pos + i] = c;
    }
  } else ascii = false;
  let n = v.length;
  if (!ascii) {
    const { read, written } = encodeUtf8Into(v, outBytes.subarray(pos));
    if (read !== v.length) throw NOT_BINARY;
    n = written;
  }
  out.setUint32(lenAt, n, true);
  pos += n;
}
/** String.prototype.isWellFormed (Node 20; newer than this project's TypeScript lib setting). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/** A list field: null (a NULL handle) or an array of finite numbers; long integer lists as runs. */
function putList(v: unknown): void {
  if (v === null) return putU8(BinListTag.Null);
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) throw NOT_BINARY;
  const a = v as unknown[];
  let ints = true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw NOT_BINARY;
    if (ints && !Number.isSafeInteger(x)) ints = false;
  }
  if (ints && a.length >= RUNS_MIN_LENGTH) {
    const runs = toRuns(a as number[]);
    if (runsAreShorter(runs, a.length)) {
      putU8(BinListTag.Runs);
      putU32(runs.length);
      room(runs.length * BIN_RUN_BYTES);
      for (const [start, step, count] of runs) {
        putF64(start === 0 ? 0 : start);
        putF64(step === 0 ? 0 : step);
        putU32(count);
      }
      return;
    }
  }
  putU8(BinListTag.Plain);
  putU32(a.length);
  room(a.length * BIN_F64_BYTES);
  for (let i = 0; i < a.length; i++) putNum(a[i]);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A record: its own enumerable keys in order, each from FIELDS; undefined values dropped (as JSON). */
function putRecord(v: unknown, depth: number): void {
  if (depth > BIN_RECORD_DEPTH_MAX || !isPlainObject(v) || typeof v.toJSON === 'function') throw NOT_BINARY;
  const countAt = pos;
  putU8(0);
  let count = 0;
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === undefined) continue;
    const id = FIELD_IDS.get(key);
    if (id === undefined) throw NOT_BINARY;
    putU8(id);
    count++;
    switch (FIELDS[id][1]) {
      case 'num':
        putNum(value);
        break;
      case 'str':
        putStr(value);
        break;
      case 'list':
        putList(value);
        break;
      case 'record':
        putRecord(value, depth + 1);
        break;
    }
  }
  out.setUint8(countAt, count);
}

/** True when `msg`'s own keys are exactly `keys`, in that order (JSON would write them so). */
function hasKeys(msg: object, keys: readonly string[]): boolean {
  if (!isPlainObject(msg)) return false;
  const own = Object.keys(msg);
  if (own.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (own[i] !== keys[i]) return false;
  return true;
}

/** The binary writer of each message kind, with the top-level keys (in order) it accepts. */
interface BinaryKind {
  readonly keys: readonly string[];
  write(m: Record<string, unknown>): void;
  read(): Record<string, unknown>;
}

const REQUESTS: Partial<Record<string, BinaryKind>> = {
  hypercall: {
    keys: ['kind', 'op', 'args'],
    write: (m) => {
      const id = OP_IDS.get(m.op as string);
      if (id === undefined) throw NOT_BINARY;
      putU8(id);
      putRecord(m.args, 1);
    },
    read: () => {
      const id = getU8();
      if (id >= ALL_OPS.length) fail(`unknown op id ${id}`);
      return { kind: 'hypercall', op: ALL_OPS[id], args: getRecord(1) };
    },
  },
  sleep: { keys: ['kind', 'ns'], write: (m) => putNum(m.ns), read: () => ({ kind: 'sleep', ns: getNum() }) },
  xsWrite: {
    keys: ['kind', 'path', 'value'],
    write: (m) => (putStr(m.path), putStr(m.value)),
    read: () => {
      const path = getStr();
      return { kind: 'xsWrite', path, value: getStr() };
    },
  },
  xsRead: { keys: ['kind', 'path'], write: (m) => putStr(m.path), read: () => ({ kind: 'xsRead', path: getStr() }) },
  note: { keys: ['kind', 'text'], write: (m) => putStr(m.text), read: () => ({ kind: 'note', text: getStr() }) },
};

const nowOnly = (kind: string): BinaryKind => ({ keys: ['kind', 'now'], write: (m) => putNum(m.now), read: () => ({ kind, now: getNum() }) });

const REPLIES: Partial<Record<string, BinaryKind>> = {
  result: {
    keys: ['kind', 'result', 'now'],
    write: (m) => (putNum(m.now), putRecord(m.result, 1)),
    read: () => {
      const now = getNum();
      return { kind: 'result', result: getRecord(1), now };
    },
  },
  slept: nowOnly('slept'),
  ack: nowOnly('ack'),
  gone: nowOnly('gone'),
  xsValue: {
    keys: ['kind', 'value', 'now'],
    write: (m) => {
      putNum(m.now);
      putU8(m.value === null ? 1 : 0);
      if (m.value !== null) putStr(m.value);
    },
    read: () => {
      const now = getNum();
      const isNull = getU8();
      if (isNull > 1) fail(`xsValue null flag ${isNull}`);
      return { kind: 'xsValue', value: isNull === 1 ? null : getStr(), now };
    },
  },
  booted: {
    keys: ['kind', 'domid', 'now'],
    write: (m) => (putNum(m.now), putNum(m.domid)),
    read: () => {
      const now = getNum();
      return { kind: 'booted', domid: getNum(), now };
    },
  },
};

function tryEncode(table: Partial<Record<string, BinaryKind>>, msg: { readonly kind: string }, dest: Uint8Array): number | null {
  const k = table[msg.kind];
  if (k === undefined || !hasKeys(msg, k.keys)) return null;
  out = viewOf(dest);
  outBytes = dest;
  pos = 0;
  try {
    k.write(msg as unknown as Record<string, unknown>);
    return pos;
  } catch (e) {
    if (e === NOT_BINARY) return null;
    throw e;
  }
}

/**
 * Writes a request into `dest` in binary form.
 * @returns the payload length, or null when the message has no exact binary form or does not fit.
 */
export function tryEncodeBinaryRequest(msg: { readonly kind: string }, dest: Uint8Array): number | null {
  return tryEncode(REQUESTS, msg, dest);
}

/** Writes a reply into `dest` in binary form; as tryEncodeBinaryRequest. */
export function tryEncodeBinaryReply(msg: { readonly kind: string }, dest: Uint8Array): number | null {
  return tryEncode(REPLIES, msg, dest);
}

// ---------------------------------------------------------------- decoding

/** Thrown inside a decode; turned into a detail string at the boundary. */
class BinaryDecodeFailure extends Error {}

let inp: DataView = new DataView(new ArrayBuffer(0));
let inBytes: Uint8Array = new Uint8Array(0);
let rpos = 0;
let rend = 0;
/** Elements still allowed to come out of lists in this message. */
let budget = 0;

function fail(detail: string): never {
  throw new BinaryDecodeFailure(detail);
}
function need(n: number): void {
  if (rpos + n > rend) fail(`truncated at byte ${rpos} (needs ${n} of ${rend - rpos} left)`);
}
function getU8(): number {
  need(BIN_U8_BYTES);
  return inp.getUint8(rpos++);
}
function getU32(): number {
  need(BIN_U32_BYTES);
  const v = inp.getUint32(rpos, true);
  rpos += BIN_U32_BYTES;
  return v;
}
function getF64(): number {
  need(BIN_F64_BYTES);
  const v = inp.getFloat64(rpos, true);
  rpos += BIN_F64_BYTES;
  return v;
}
function getNum(): number {
  const v = getF64();
  if (!Number.isFinite(v)) fail(`non-finite number at byte ${rpos - BIN_F64_BYTES}`);
  return v === 0 ? 0 : v;
}
function getSafeInt(): number {
  const v = getNum();
  if (!Number.isSafeInteger(v)) fail(`run field ${v} is not a safe integer`);
  return v;
}
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Strings up to this many bytes are read byte by byte while they are ASCII (paths, names). */
const SHORT_STRING_BYTES = 64;

function getStr(): string {
  const n = getU32();
  need(n);
  const start = rpos;
  rpos += n;
  if (n > SHORT_STRING_BYTES) return utf8(start, n);
  let s = '';
  for (let i = start; i < start + n; i++) {
    const c = inBytes[i];
    if (c >= 0x80) return utf8(start, n);
    s += String.fromCharCode(c);
  }
  return s;
}

function utf8(start: number, n: number): string {
  try {
    return decodeUtf8(textDecoder, inBytes.subarray(start, start + n));
  } catch {
    return fail(`string at byte ${start} is not UTF-8`);
  }
}

function take(count: number): void {
  if (count > budget) fail(`a list of ${count} elements exceeds the bound of ${RUNS_EXPANDED_MAX} per message`);
  budget -= count;
}

function getList(): number[] | null {
  const tag = getU8();
  if (tag === BinListTag.Null) return null;
  if (tag === BinListTag.Plain) {
    const count = getU32();
    need(count * BIN_F64_BYTES);
    take(count);
    const a = new Array<number>(count);
    for (let i = 0; i < count; i++) a[i] = getNum();
    return a;
  }
  if (tag !== BinListTag.Runs) fail(`list tag ${tag}`);
  const runs = getU32();
  need(runs * BIN_RUN_BYTES);
  const a: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = getSafeInt();
    const step = getSafeInt();
    const count = getU32();
    if (count < 1) fail('a run of 0 elements');
    take(count);
    for (let k = 0; k < count; k++) a.push(start + k * step);
  }
  return a;
}

function getRecord(depth: number): Record<string, unknown> {
  const count = getU8();
  const o: Record<string, unknown> = {};
  // Field ids seen so far in this record (FIELDS has fewer than 64 entries: two words).
  let seenLo = 0;
  let seenHi = 0;
  for (let i = 0; i < count; i++) {
    const id = getU8();
    if (id >= FIELDS.length) fail(`unknown field id ${id}`);
    const bit = 1 << (id & 31);
    if ((id < 32 ? seenLo : seenHi) & bit) fail(`field ${FIELDS[id][0]} twice`);
    if (id < 32) seenLo |= bit;
    else seenHi |= bit;
    const [name, type] = FIELDS[id];
    switch (type) {
      case 'num':
        o[name] = getNum();
        break;
      case 'str':
        o[name] = getStr();
        break;
      case 'list':
        o[name] = getList();
        break;
      case 'record':
        if (depth >= BIN_RECORD_DEPTH_MAX) fail(`records nested deeper than ${BIN_RECORD_DEPTH_MAX}`);
        o[name] = getRecord(depth + 1);
        break;
    }
  }
  return o;
}

function decode(table: Partial<Record<string, BinaryKind>>, kind: string, length: number, payload: Uint8Array): Record<string, unknown> | string {
  const k = table[kind];
  if (k === undefined) return `${kind} has no binary form`;
  inp = viewOf(payload);
  inBytes = payload;
  rpos = 0;
  rend = length;
  budget = RUNS_EXPANDED_MAX;
  try {
    const o = k.read();
    if (rpos !== rend) return `${rend - rpos} trailing bytes`;
    return o;
  } catch (e) {
    if (e instanceof BinaryDecodeFailure) return e.message;
    return `unexpected: ${String(e)}`;
  }
}

/**
 * Reads a binary request of `kind` from the first `length` bytes of `payload` (already checked to
 * be within the payload). Never throws.
 * @returns the message (its shape still to be checked by codec.ts), or what did not fit.
 */
export function decodeBinaryRequest(kind: string, length: number, payload: Uint8Array): Record<string, unknown> | string {
  return decode(REQUESTS, kind, length, payload);
}

/** Reads a binary reply; as decodeBinaryRequest. */
export function decodeBinaryReply(kind: string, length: number, payload: Uint8Array): Record<string, unknown> | string {
  return decode(REPLIES, kind, length, payload);
}

// The ids are bytes, and getRecord's seen-mask has 64 bits.
assert(FIELDS.length <= 64 && FIELDS.length <= FIELD_COUNT_MAX && ALL_OPS.length <= 0xff, 'binary-codec: vocabulary outgrew its ids');

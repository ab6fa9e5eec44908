// Messages through a mailbox slot: the two discriminated unions (one per direction), their
// opcodes, and the codec that moves them in and out of a slot's payload bytes — binary fixed
// fields for the hot messages (binary-codec.ts; OPCODE_BINARY_FLAG set in the opcode word), JSON
// over UTF-8 for the rest. Both encodings decode to the same object and pass the same shape
// checks here. Leaves out: the slot protocol (channel.ts) and any hypercall semantics
// (hv/memop.ts validates `args`; here they are only required to be JSON).
//
// Decoding is a trust boundary: the bytes may be garbage (a fuzzer, a dying writer). decode*()
// never throws; every failure is a DecodeError value naming the first thing that did not fit.

import type { ActorRequest, OwnerReply } from '../sim/requests.ts';
import { decodeBinaryReply, decodeBinaryRequest, tryEncodeBinaryReply, tryEncodeBinaryRequest } from './binary-codec.ts';
import { OPCODE_BINARY_FLAG } from './mailbox-layout.ts';
import { RUNS_KEY, runsReplacer, runsReviver } from './number-runs.ts';
import { decodeUtf8, encodeUtf8Into } from './utf8.ts';

/** Messages shorter than this go out as plain JSON without looking for frame-list runs. */
const RUNS_WORTH_TRYING_CHARS = 1024;

/** Any value JSON can carry; what crosses the thread boundary instead of `any`. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Messages a caller (toolstack or guest actor) sends to the hypervisor owner: the actor
 * vocabulary of sim/requests.ts, plus what only the transport needs. */
export type CallerToOwner =
  | ActorRequest
  /** First message on a slot: which actor of the scenario speaks through it. */
  | { readonly kind: 'attach'; readonly actor: string }
  /** Transport test and benchmark message; an echo owner answers with the same payload. */
  | { readonly kind: 'echo'; readonly payload: JsonValue };

/** Why the owner could not answer a message normally. */
export type OwnerErrorCode = 'decode' | 'unsupported' | 'crashed' | 'tooLarge';

/** Messages the owner sends back; each carries the virtual time (ns) at which it was answered. */
export type OwnerToCaller =
  | OwnerReply
  | { readonly kind: 'echo'; readonly now: number; readonly payload: JsonValue }
  /**
   * Tier-1 failure of the transport or the owner ("hv crashed"). `errno` is what Xen would have
   * answered the same mistake: -EFAULT for a request whose bytes cannot be read (copy_from_guest
   * failed), -EINVAL for a message the protocol does not allow now, -ENOSYS if the owner crashed.
   */
  | { readonly kind: 'error'; readonly now: number; readonly code: OwnerErrorCode; readonly errno: number; readonly message: string };

/** Opcodes live in disjoint ranges per direction, so a message read the wrong way is caught. */
export const CALLER_TO_OWNER_OPCODES = {
  hypercall: 0x101,
  sleep: 0x102,
  xsWrite: 0x103,
  xsRead: 0x104,
  note: 0x105,
  echo: 0x106,
  boot: 0x107,
  spawn: 0x108,
  exit: 0x109,
  attach: 0x10a,
} as const satisfies Record<CallerToOwner['kind'], number>;

export const OWNER_TO_CALLER_OPCODES = {
  result: 0x201,
  slept: 0x202,
  xsValue: 0x203,
  ack: 0x204,
  echo: 0x205,
  error: 0x206,
  booted: 0x207,
  gone: 0x208,
} as const satisfies Record<OwnerToCaller['kind'], number>;

/** A message that could not be decoded; `reason` names the first check that failed. */
export interface DecodeError {
  readonly kind: 'decodeError';
  readonly reason: 'length' | 'opcode' | 'binary' | 'utf8' | 'json' | 'shape';
  readonly detail: string;
}

/** A message that could not be encoded into the payload area. */
export interface EncodeError {
  readonly kind: 'encodeError';
  readonly reason: 'tooLarge' | 'unserialisable';
  readonly detail: string;
}

export interface Encoded {
  /** The opcode word to publish: the message's opcode, with OPCODE_BINARY_FLAG for a binary payload. */
  readonly opcode: number;
  readonly length: number;
}

/** 'auto': binary when the message has an exact binary form, else JSON. 'json': JSON always (tests, benchmarks). */
export type EncodingChoice = 'auto' | 'json';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bounds on string fields (a limit on everything; the payload capacity bounds the rest). */
export const OP_NAME_LENGTH_MAX = 64;

type BinaryEncoder = (msg: { readonly kind: string }, dest: Uint8Array) => number | null;

function encodeInto(opcode: number, msg: CallerToOwner | OwnerToCaller, dest: Uint8Array, binary: BinaryEncoder | null): Encoded | EncodeError {
  if (binary !== null) {
    const length = binary(msg, dest);
    if (length !== null) return { opcode: opcode | OPCODE_BINARY_FLAG, length };
  }
  let text: string;
  try {
    text = JSON.stringify(msg);
    // Only long messages can hold a long frame list; the replacer costs a callback per value.
    if (text.length > RUNS_WORTH_TRYING_CHARS) text = JSON.stringify(msg, runsReplacer);
  } catch (e) {
    return { kind: 'encodeError', reason: 'unserialisable', detail: String(e) };
  }
  // Fast path first: encodeInto stops short when `dest` is too small, and only then do we pay for
  // measuring the full size for the error message.
  const { read, written } = encodeUtf8Into(text, dest);
  if (read !== text.length) {
    const bytes = encoder.encode(text).length;
    return { kind: 'encodeError', reason: 'tooLarge', detail: `${msg.kind} message is ${bytes} bytes, slot payload capacity is ${dest.length}` };
  }
  return { opcode, length: written };
}

/** Writes a request into a slot's payload area (`dest`); publish the returned opcode and length with it. */
export function encodeCallerToOwner(msg: CallerToOwner, dest: Uint8Array, encoding: EncodingChoice = 'auto'): Encoded | EncodeError {
  return encodeInto(CALLER_TO_OWNER_OPCODES[msg.kind], msg, dest, encoding === 'auto' ? tryEncodeBinaryRequest : null);
}

/** Writes a reply into a slot's payload area; as encodeCallerToOwner. */
export function encodeOwnerToCaller(msg: OwnerToCaller, dest: Uint8Array, encoding: EncodingChoice = 'auto'): Encoded | EncodeError {
  return encodeInto(OWNER_TO_CALLER_OPCODES[msg.kind], msg, dest, encoding === 'auto' ? tryEncodeBinaryReply : null);
}

/** Whether an opcode word says its payload is binary. */
export function isBinaryOpcode(opcode: number): boolean {
  return (opcode & OPCODE_BINARY_FLAG) !== 0;
}

export function isDecodeError(x: unknown): x is DecodeError {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'decodeError';
}

export function isEncodeError(x: unknown): x is EncodeError {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'encodeError';
}

/** Reverse opcode tables: opcode -> kind. */
const CALLER_TO_OWNER_KINDS = new Map<number, CallerToOwner['kind']>(
  Object.entries(CALLER_TO_OWNER_OPCODES).map(([k, v]) => [v, k as CallerToOwner['kind']]),
);
const OWNER_TO_CALLER_KINDS = new Map<number, OwnerToCaller['kind']>(
  Object.entries(OWNER_TO_CALLER_OPCODES).map(([k, v]) => [v, k as OwnerToCaller['kind']]),
);

type Obj = Record<string, unknown>;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Shape check per kind; returns the name of the first bad field, or null when the shape fits. */
const CALLER_TO_OWNER_SHAPES: Record<CallerToOwner['kind'], (o: Obj) => string | null> = {
  hypercall: (o) => (!isStr(o.op) || o.op.length === 0 || o.op.length > OP_NAME_LENGTH_MAX ? 'op' : !has(o, 'args') ? 'args' : null),
  sleep: (o) => (!isNum(o.ns) || o.ns < 0 ? 'ns' : null),
  xsWrite: (o) => (!isStr(o.path) ? 'path' : !isStr(o.value) ? 'value' : null),
  xsRead: (o) => (!isStr(o.path) ? 'path' : null),
  note: (o) => (!isStr(o.text) ? 'text' : null),
  echo: (o) => (!has(o, 'payload') ? 'payload' : null),
  boot: (o) => (!isStr(o.name) ? 'name' : null),
  spawn: (o) => {
    const sp = o.spec as Obj | null;
    return typeof sp !== 'object' || sp === null || !isStr(sp.name) || !isStr(sp.kind) ? 'spec' : null;
  },
  exit: (o) => (has(o, 'error') && !isStr(o.error) ? 'error' : null),
  attach: (o) => (!isStr(o.actor) || o.actor.length === 0 ? 'actor' : null),
};

const OWNER_ERROR_CODES: ReadonlySet<unknown> = new Set<OwnerErrorCode>(['decode', 'unsupported', 'crashed', 'tooLarge']);

const OWNER_TO_CALLER_SHAPES: Record<OwnerToCaller['kind'], (o: Obj) => string | null> = {
  result: (o) => {
    const r = o.result;
    return typeof r !== 'object' || r === null || Array.isArray(r) || !isNum((r as Obj).rc) ? 'result' : null;
  },
  slept: () => null,
  xsValue: (o) => (o.value !== null && !isStr(o.value) ? 'value' : null),
  ack: () => null,
  echo: (o) => (!has(o, 'payload') ? 'payload' : null),
  error: (o) => (!OWNER_ERROR_CODES.has(o.code) ? 'code' : !isNum(o.errno) ? 'errno' : !isStr(o.message) ? 'message' : null),
  booted: (o) => (!isNum(o.domid) ? 'domid' : null),
  gone: () => null,
};

function decodeFrom<K extends string>(
  opcode: number,
  length: number,
  payload: Uint8Array,
  kinds: ReadonlyMap<number, K>,
  shapes: Record<K, (o: Obj) => string | null>,
  needsNow: boolean,
  binary: (kind: string, length: number, payload: Uint8Array) => Obj | string,
): Obj | DecodeError {
  if (!Number.isInteger(length) || length < 0 || length > payload.length) {
    return { kind: 'decodeError', reason: 'length', detail: `length ${length} outside 0…${payload.length}` };
  }
  const isBinary = isBinaryOpcode(opcode);
  const kind = kinds.get(isBinary ? opcode & ~OPCODE_BINARY_FLAG : opcode);
  if (kind === undefined) {
    return { kind: 'decodeError', reason: 'opcode', detail: `unknown opcode 0x${(opcode >>> 0).toString(16)}` };
  }
  const o = isBinary ? binary(kind, length, payload) : parseJson(length, payload);
  if (typeof o === 'string') return { kind: 'decodeError', reason: 'binary', detail: `${kind}: ${o}` };
  if (isDecodeError(o)) return o;
  if (o.kind !== kind) {
    return { kind: 'decodeError', reason: 'shape', detail: `opcode says ${kind}, payload says ${JSON.stringify(o.kind)}` };
  }
  if (needsNow && !isNum(o.now)) return { kind: 'decodeError', reason: 'shape', detail: `${kind}: bad field now` };
  const bad = shapes[kind](o);
  if (bad !== null) return { kind: 'decodeError', reason: 'shape', detail: `${kind}: bad field ${bad}` };
  return o;
}

function parseJson(length: number, payload: Uint8Array): Obj | DecodeError {
  let text: string;
  try {
    text = decodeUtf8(decoder, payload.subarray(0, length));
  } catch (e) {
    return { kind: 'decodeError', reason: 'utf8', detail: String(e) };
  }
  let value: unknown;
  try {
    // The reviver costs a callback per value: only pay for it when a run list is present.
    value = text.includes(RUNS_KEY) ? JSON.parse(text, runsReviver()) : JSON.parse(text);
  } catch (e) {
    return { kind: 'decodeError', reason: 'json', detail: String(e) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'decodeError', reason: 'shape', detail: 'message is not a JSON object' };
  }
  return value as Obj;
}

/**
 * Decodes a request from a slot. Never throws.
 * @param opcode  the slot's opcode word, as read (OPCODE_BINARY_FLAG selects the binary form)
 * @param length  the slot's payload length field, as read
 * @param payload the slot's whole payload area (its length is the capacity)
 */
export function decodeCallerToOwner(opcode: number, length: number, payload: Uint8Array): CallerToOwner | DecodeError {
  try {
    return decodeFrom(opcode, length, payload, CALLER_TO_OWNER_KINDS, CALLER_TO_OWNER_SHAPES, false, decodeBinaryRequest) as CallerToOwner | DecodeError;
  } catch (e) {
    // Unreachable by design (every step above is guarded); kept so the boundary never throws.
    return { kind: 'decodeError', reason: 'shape', detail: `unexpected: ${String(e)}` };
  }
}

/** Decodes a reply from a slot. Never throws. Parameters as decodeCallerToOwner. */
export function decodeOwnerToCaller(opcode: number, length: number, payload: Uint8Array): OwnerToCaller | DecodeError {
  try {
    return decodeFrom(opcode, length, payload, OWNER_TO_CALLER_KINDS, OWNER_TO_CALLER_SHAPES, true, decodeBinaryReply) as OwnerToCaller | DecodeError;
  } catch (e) {
    return { kind: 'decodeError', reason: 'shape', detail: `unexpected: ${String(e)}` };
  }
}

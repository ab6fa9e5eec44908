// The hypercall mailbox's SharedArrayBuffer layout, defined once and imported by every side
// (owner worker, caller threads, the spawner in the main thread). Leaves out: any message
// semantics (codec.ts) and any signalling protocol (channel.ts).
//
// Picture (Int32 words unless noted):
//
//   [ header: kHeaderFieldCount words ]
//   [ slot 0: kSlotFieldCount words | payload: payloadCapacityBytes bytes ]
//   [ slot 1: ...                                                        ]
//   ...
//
// Every offset below is derived from a k*Field index and a *FieldCount; no offset is written as a
// literal anywhere else. Bump MAILBOX_LAYOUT_VERSION on any change to a field's index or meaning,
// or to the binary payload grammar at the end of this file.

/** 'XENM' in ASCII: the first word of every mailbox. */
export const MAILBOX_MAGIC = 0x58454e4d;
/** Asserted by every side at startup (v86's STATE_VERSION). */
export const MAILBOX_LAYOUT_VERSION = 2;

// ---- header fields (indices into the Int32Array over the whole buffer) ----
/** MAILBOX_MAGIC; written once by createMailbox. */
export const kMagicField = 0;
/** MAILBOX_LAYOUT_VERSION; written once by createMailbox. */
export const kVersionField = 1;
/** Number of caller slots; written once by createMailbox. */
export const kSlotCountField = 2;
/** Payload capacity of each slot in bytes (a multiple of 4); written once by createMailbox. */
export const kPayloadCapacityField = 3;
/** Bumped by the owner at every poll and around every doorbell wait; read by callers. */
export const kOwnerHeartbeatField = 4;
/** An OwnerState; written by the owner (Running, Stopped) or by its spawner (Dead). */
export const kOwnerStateField = 5;
/** Doorbell sequence: callers add 1 after publishing a request; the owner waits on it. */
export const kDoorbellField = 6;
/** 1 while the owner is (about to be) parked on the doorbell; callers notify only then. */
export const kOwnerSleepingField = 7;
/** Set to 1 by anyone to ask the owner to stop; read by the owner in waitForWork. */
export const kShutdownField = 8;
export const kHeaderFieldCount = 9;

// ---- per-slot fields (indices relative to the slot's first word) ----
/**
 * The claim state: SLOT_FREE, SLOT_ABANDONED, or (threadId + 1) of the claiming thread.
 * Free -> claimed: the caller (compareExchange). Claimed -> free: the caller (close, when idle).
 * Claimed -> abandoned: whoever saw the claimant's thread exit. Abandoned -> free: the owner only,
 * once no request of the slot is in flight.
 */
export const kSlotStateField = 0;
/** Request sequence: written only by the claimant, after the request payload is complete. */
export const kSlotReqSeqField = 1;
/** Response sequence: written only by the owner (= the answered reqSeq) after the reply payload. */
export const kSlotRespSeqField = 2;
/**
 * Message opcode of whichever message the payload currently holds (see codec.ts), with
 * OPCODE_BINARY_FLAG set when the payload is in the binary form below rather than JSON.
 */
export const kSlotOpcodeField = 3;
/** Length in bytes of the message the payload currently holds. */
export const kSlotPayloadLengthField = 4;
/** 1 while the claimant is (about to be) parked on kSlotRespSeqField; the owner notifies only then. */
export const kSlotCallerWaitingField = 5;
export const kSlotFieldCount = 6;

export const SLOT_FREE = 0;
export const SLOT_ABANDONED = -1;

/** Values of kOwnerStateField. */
export const OwnerState = {
  /** No owner has attached yet. */
  Starting: 0,
  /** An owner is serving. */
  Running: 1,
  /** The owner stopped cleanly; calls fail with OwnerGoneError. */
  Stopped: 2,
  /** The owner's thread died (marked by its spawner); calls fail with OwnerGoneError. */
  Dead: 3,
} as const;
export type OwnerState = (typeof OwnerState)[keyof typeof OwnerState];

export const BYTES_PER_WORD = Int32Array.BYTES_PER_ELEMENT;
export const HEADER_BYTES = kHeaderFieldCount * BYTES_PER_WORD;
export const SLOT_FIELDS_BYTES = kSlotFieldCount * BYTES_PER_WORD;
/** Default payload capacity per slot. */
export const PAYLOAD_CAPACITY_DEFAULT = 64 * 1024;
/** Bounds on construction options (TigerStyle: a limit on everything). */
export const SLOT_COUNT_MAX = 1024;
export const PAYLOAD_CAPACITY_MAX = 16 * 1024 * 1024;

/** The geometry of one mailbox, as read back from (and checked against) its header. */
export interface MailboxLayout {
  readonly buffer: SharedArrayBuffer;
  /** Int32 view of the whole buffer: header and slot fields. */
  readonly words: Int32Array;
  /** Byte view of the whole buffer: payload areas. */
  readonly bytes: Uint8Array;
  readonly slotCount: number;
  readonly payloadCapacityBytes: number;
}

/** Why a buffer is not a mailbox this code understands (a value, so tests can inspect it). */
export interface LayoutError {
  readonly kind: 'layoutError';
  readonly reason: 'tooSmall' | 'magic' | 'version' | 'geometry';
  readonly detail: string;
}

export function slotStrideBytes(payloadCapacityBytes: number): number {
  return SLOT_FIELDS_BYTES + payloadCapacityBytes;
}

export function mailboxByteLength(slotCount: number, payloadCapacityBytes: number): number {
  return HEADER_BYTES + slotCount * slotStrideBytes(payloadCapacityBytes);
}

/** Index into `words` of field `field` (a kSlot*Field) of slot `slot`. */
export function slotWord(layout: MailboxLayout, slot: number, field: number): number {
  return (HEADER_BYTES + slot * slotStrideBytes(layout.payloadCapacityBytes)) / BYTES_PER_WORD + field;
}

/** Byte offset into `bytes` of slot `slot`'s payload area. */
export function slotPayloadOffset(layout: MailboxLayout, slot: number): number {
  return HEADER_BYTES + slot * slotStrideBytes(layout.payloadCapacityBytes) + SLOT_FIELDS_BYTES;
}

/** The payload area of a slot as a view (shared memory: read it only per channel.ts's protocol). */
export function slotPayload(layout: MailboxLayout, slot: number): Uint8Array {
  return layout.bytes.subarray(slotPayloadOffset(layout, slot), slotPayloadOffset(layout, slot) + layout.payloadCapacityBytes);
}

export interface CreateMailboxOptions {
  /** Number of caller slots (1…SLOT_COUNT_MAX). */
  slotCount: number;
  /** Bytes per slot payload, a multiple of 4 (default PAYLOAD_CAPACITY_DEFAULT). */
  payloadCapacityBytes?: number;
}

/**
 * Allocates and initialises a mailbox: header written, every slot free with both sequences 0.
 * Throws a RangeError naming the option on invalid options (construction-time validation).
 */
export function createMailbox(options: CreateMailboxOptions): SharedArrayBuffer {
  const { slotCount } = options;
  const capacity = options.payloadCapacityBytes ?? PAYLOAD_CAPACITY_DEFAULT;
  if (!Number.isSafeInteger(slotCount) || slotCount < 1 || slotCount > SLOT_COUNT_MAX) {
    throw new RangeError(`createMailbox: options.slotCount must be an integer in 1…${SLOT_COUNT_MAX}, got ${slotCount}`);
  }
  if (!Number.isSafeInteger(capacity) || capacity < BYTES_PER_WORD || capacity > PAYLOAD_CAPACITY_MAX || capacity % BYTES_PER_WORD !== 0) {
    throw new RangeError(
      `createMailbox: options.payloadCapacityBytes must be a multiple of ${BYTES_PER_WORD} in ${BYTES_PER_WORD}…${PAYLOAD_CAPACITY_MAX}, got ${capacity}`,
    );
  }
  const buffer = new SharedArrayBuffer(mailboxByteLength(slotCount, capacity));
  const words = new Int32Array(buffer);
  // Plain writes suffice: the buffer reaches other threads only through postMessage/workerData,
  // which happens after (and synchronises with) this function.
  words[kVersionField] = MAILBOX_LAYOUT_VERSION;
  words[kSlotCountField] = slotCount;
  words[kPayloadCapacityField] = capacity;
  words[kOwnerStateField] = OwnerState.Starting;
  words[kMagicField] = MAILBOX_MAGIC;
  return buffer;
}

/**
 * Reads a mailbox's header and checks magic, version and geometry against the buffer.
 * @returns the layout, or a LayoutError value saying what does not match.
 */
export function readLayout(buffer: SharedArrayBuffer): MailboxLayout | LayoutError {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
    return { kind: 'layoutError', reason: 'tooSmall', detail: `need at least ${HEADER_BYTES} bytes of SharedArrayBuffer` };
  }
  const words = new Int32Array(buffer);
  // Header words are written once before the buffer is shared; these loads need no ordering
  // beyond the postMessage hand-off (Atomics only so that a torn read is impossible).
  const magic = Atomics.load(words, kMagicField);
  if (magic !== MAILBOX_MAGIC) {
    return { kind: 'layoutError', reason: 'magic', detail: `magic 0x${(magic >>> 0).toString(16)} is not 0x${MAILBOX_MAGIC.toString(16)}` };
  }
  const version = Atomics.load(words, kVersionField);
  if (version !== MAILBOX_LAYOUT_VERSION) {
    return { kind: 'layoutError', reason: 'version', detail: `layout version ${version}, this code speaks ${MAILBOX_LAYOUT_VERSION}` };
  }
  const slotCount = Atomics.load(words, kSlotCountField);
  const capacity = Atomics.load(words, kPayloadCapacityField);
  const geometryOk =
    slotCount >= 1 && slotCount <= SLOT_COUNT_MAX && capacity >= BYTES_PER_WORD && capacity % BYTES_PER_WORD === 0 &&
    capacity <= PAYLOAD_CAPACITY_MAX && mailboxByteLength(slotCount, capacity) === buffer.byteLength;
  if (!geometryOk) {
    return { kind: 'layoutError', reason: 'geometry', detail: `${slotCount} slots of ${capacity} bytes do not fit ${buffer.byteLength} bytes` };
  }
  return { buffer, words, bytes: new Uint8Array(buffer), slotCount, payloadCapacityBytes: capacity };
}

export function isLayoutError(x: MailboxLayout | LayoutError): x is LayoutError {
  return 'kind' in x && x.kind === 'layoutError';
}

// ---- binary payloads (the hot path; the vocabulary they carry is in binary-codec.ts) ----
//
// A slot whose opcode has OPCODE_BINARY_FLAG holds one message as fixed fields, no JSON:
//
//   hypercall  u8 op id (index in hv/ops.ts ALL_OPS) | record (the args)
//   sleep      f64 ns
//   xsWrite    str path | str value            xsRead   str path            note  str text
//   result     f64 now | record (the result)    slept, ack, gone  f64 now
//   xsValue    f64 now | u8 1 = null, 0 = str | [str value]       booted  f64 now | f64 domid
//
//   record  u8 field count, then per field (in the object's key order): u8 field id, its value
//           (each field id has one type: num, str, list or record — binary-codec.ts's table)
//   num     f64 (finite)          str  u32 byte length, UTF-8 bytes
//   list    u8 BinListTag: Null | Plain u32 count, count × f64 | Runs u32 run count,
//           run count × (f64 start, f64 step, u32 count) — an arithmetic run, as number-runs.ts
//
// Every multi-byte value is little-endian and unaligned (read through a DataView).

/** Set in kSlotOpcodeField when the payload is binary; the low bits stay the message's opcode. */
export const OPCODE_BINARY_FLAG = 0x1000;
export const BIN_U8_BYTES = 1;
export const BIN_U32_BYTES = 4;
export const BIN_F64_BYTES = 8;
/** Bytes of one arithmetic run: f64 start, f64 step, u32 count. */
export const BIN_RUN_BYTES = 2 * BIN_F64_BYTES + BIN_U32_BYTES;
/** Records nest at most this deep (XENMEM_exchange's args hold the in and out reservations). */
export const BIN_RECORD_DEPTH_MAX = 2;
/** The first byte of a list. */
export const BinListTag = { Null: 0, Plain: 1, Runs: 2 } as const;

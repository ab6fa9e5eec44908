// In-thread tests of the layout header checks, the codec, and the owner's poll over garbage slots.
// A "caller" here is simulated by writing slot fields directly, which is exactly what a fuzzer or
// a corrupted caller would do; the real-thread protocol is covered by channel.test.ts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MailboxClient, MailboxServer, type PollEvent } from './channel.ts';
import {
  CALLER_TO_OWNER_OPCODES,
  decodeCallerToOwner,
  decodeOwnerToCaller,
  encodeCallerToOwner,
  encodeOwnerToCaller,
  OWNER_TO_CALLER_OPCODES,
  type CallerToOwner,
  type OwnerToCaller,
} from './codec.ts';
import {
  createMailbox,
  kMagicField,
  kSlotOpcodeField,
  kSlotPayloadLengthField,
  kSlotReqSeqField,
  kSlotRespSeqField,
  kSlotStateField,
  kVersionField,
  OPCODE_BINARY_FLAG,
  readLayout,
  slotPayload,
  slotWord,
  type MailboxLayout,
} from './mailbox-layout.ts';

const seed = fc.readConfigureGlobal().seed;

function layoutOf(buffer: SharedArrayBuffer): MailboxLayout {
  const l = readLayout(buffer);
  if ('kind' in l) throw new Error(l.detail);
  return l;
}

/** Simulated caller: claims `slot` for a fake thread and publishes raw fields. */
function publishRaw(l: MailboxLayout, slot: number, opcode: number, length: number, bytes: Uint8Array): number {
  const w = l.words;
  Atomics.compareExchange(w, slotWord(l, slot, kSlotStateField), 0, 1000 + slot);
  slotPayload(l, slot).set(bytes.subarray(0, l.payloadCapacityBytes));
  w[slotWord(l, slot, kSlotOpcodeField)] = opcode;
  w[slotWord(l, slot, kSlotPayloadLengthField)] = length;
  return Atomics.add(w, slotWord(l, slot, kSlotReqSeqField), 1) + 1;
}

function publish(l: MailboxLayout, slot: number, msg: CallerToOwner): number {
  const scratch = new Uint8Array(l.payloadCapacityBytes);
  const enc = encodeCallerToOwner(msg, scratch);
  if ('kind' in enc) throw new Error(enc.detail);
  return publishRaw(l, slot, enc.opcode, enc.length, scratch);
}

function replyOf(l: MailboxLayout, slot: number): OwnerToCaller | { kind: 'decodeError' } {
  const w = l.words;
  return decodeOwnerToCaller(w[slotWord(l, slot, kSlotOpcodeField)], w[slotWord(l, slot, kSlotPayloadLengthField)], slotPayload(l, slot));
}

describe(`codec (seed: ${seed})`, () => {
  test('every message kind round-trips through a payload area', () => {
    const dest = new Uint8Array(4096);
    const requests: CallerToOwner[] = [
      { kind: 'hypercall', op: 'XENMEM_claim_pages', args: { domid: 3, nr_extents: 512 } },
      { kind: 'sleep', ns: 1e9 },
      { kind: 'xsWrite', path: '/local/domain/3/memory/target', value: '524288' },
      { kind: 'xsRead', path: '/local/domain/3/memory/target' },
      { kind: 'note', text: 'balloon: target 512 MiB ✓' },
      { kind: 'echo', payload: [1, 'two', { three: null }] },
    ];
    for (const m of requests) {
      const e = encodeCallerToOwner(m, dest);
      if ('kind' in e) throw new Error(e.detail);
      expect(decodeCallerToOwner(e.opcode, e.length, dest)).toEqual(m);
    }
    const replies: OwnerToCaller[] = [
      { kind: 'result', now: 5, result: { rc: -12, nr_done: 0 } },
      { kind: 'slept', now: 6 },
      { kind: 'xsValue', now: 7, value: null },
      { kind: 'ack', now: 8 },
      { kind: 'echo', now: 9, payload: 'x' },
      { kind: 'error', now: 10, code: 'crashed', errno: -38, message: 'AssertionError: heap' },
    ];
    for (const m of replies) {
      const e = encodeOwnerToCaller(m, dest);
      if ('kind' in e) throw new Error(e.detail);
      expect(decodeOwnerToCaller(e.opcode, e.length, dest)).toEqual(m);
    }
  });

  test('a message larger than the payload area is a clear encode error', () => {
    const e = encodeCallerToOwner({ kind: 'echo', payload: 'x'.repeat(100) }, new Uint8Array(64));
    expect(e).toMatchObject({ kind: 'encodeError', reason: 'tooLarge' });
    expect('detail' in e && e.detail).toMatch(/capacity is 64/);
  });

  test('a request read the wrong way round is an opcode error', () => {
    const dest = new Uint8Array(256);
    const e = encodeOwnerToCaller({ kind: 'ack', now: 1 }, dest);
    if ('kind' in e) throw new Error(e.detail);
    expect(decodeCallerToOwner(e.opcode, e.length, dest)).toMatchObject({ kind: 'decodeError', reason: 'opcode' });
  });

  test('decoding arbitrary bytes, lengths and opcodes never throws', () => {
    const known = [...Object.values(CALLER_TO_OWNER_OPCODES), ...Object.values(OWNER_TO_CALLER_OPCODES)];
    const opcode = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(...known), fc.constantFrom(...known.map((o) => o | OPCODE_BINARY_FLAG)));
    fc.assert(
      fc.property(opcode, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.uint8Array({ maxLength: 128 }), (op, len, bytes) => {
        const payload = new Uint8Array(128);
        payload.set(bytes);
        const a = decodeCallerToOwner(op, len, payload);
        const b = decodeOwnerToCaller(op, len, payload);
        expect(typeof a.kind).toBe('string');
        expect(typeof b.kind).toBe('string');
      }),
    );
  });

  test('well-formed JSON of the wrong shape under a valid opcode is a shape error', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(CALLER_TO_OWNER_OPCODES)), fc.jsonValue(), (op, value) => {
        const text = new TextEncoder().encode(JSON.stringify(value));
        const payload = new Uint8Array(Math.max(text.length, 4));
        payload.set(text);
        const r = decodeCallerToOwner(op, text.length, payload);
        expect(r.kind).toBe('decodeError');
      }),
    );
  });
});

describe(`owner poll over fuzzed slots (seed: ${seed})`, () => {
  test('garbage in one slot yields an invalid event for it alone; the server never throws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 256 })),
        fc.uint8Array({ minLength: 0, maxLength: 256 }),
        (opcode, length, bytes) => {
          const buffer = createMailbox({ slotCount: 3, payloadCapacityBytes: 256 });
          const l = layoutOf(buffer);
          const server = new MailboxServer(buffer);
          const good: CallerToOwner = { kind: 'echo', payload: { n: 42 } };
          publish(l, 0, good);
          const before = slotPayload(l, 0).slice();
          publishRaw(l, 1, opcode, length, bytes);
          publish(l, 2, good);
          const events = server.poll();
          const bySlot = (s: number): PollEvent | undefined => events.find((e) => e.kind !== 'abandoned' && e.ticket.slot === s);
          expect(events).toHaveLength(3);
          expect(bySlot(0)).toMatchObject({ kind: 'request', msg: good });
          expect(bySlot(2)).toMatchObject({ kind: 'request', msg: good });
          const fuzzed = bySlot(1);
          expect(fuzzed?.kind).toBe('invalid');
          expect(slotPayload(l, 0)).toEqual(before);
          // The owner answers everything; the good callers get their echo, the fuzzer an error.
          for (const e of events) {
            if (e.kind === 'request') server.reply(e.ticket, { kind: 'echo', now: 1, payload: (e.msg as { payload: null }).payload });
            if (e.kind === 'invalid') server.reply(e.ticket, { kind: 'error', now: 1, code: 'decode', errno: -14, message: e.error.detail });
          }
          expect(replyOf(l, 0)).toEqual({ kind: 'echo', now: 1, payload: { n: 42 } });
          expect(replyOf(l, 1)).toMatchObject({ kind: 'error', code: 'decode' });
          expect(replyOf(l, 2)).toEqual({ kind: 'echo', now: 1, payload: { n: 42 } });
          for (const s of [0, 1, 2]) {
            expect(Atomics.load(l.words, slotWord(l, s, kSlotRespSeqField))).toBe(Atomics.load(l.words, slotWord(l, s, kSlotReqSeqField)));
          }
          expect(server.poll()).toEqual([]);
        },
      ),
    );
  });
});

describe('layout header checks', () => {
  test.each([
    ['magic', kMagicField, 0x12345678],
    ['version', kVersionField, 99],
  ])('a %s mismatch is detected by readLayout and refused by both ends', (reason, field, value) => {
    const buffer = createMailbox({ slotCount: 1, payloadCapacityBytes: 64 });
    new Int32Array(buffer)[field] = value;
    expect(readLayout(buffer)).toMatchObject({ kind: 'layoutError', reason });
    expect(() => MailboxClient.open(buffer)).toThrow(new RegExp(reason));
    expect(() => new MailboxServer(buffer)).toThrow(new RegExp(reason));
  });

  test('a buffer of the wrong size for its header geometry is refused', () => {
    const small = new SharedArrayBuffer(8);
    expect(readLayout(small)).toMatchObject({ reason: 'tooSmall' });
    const buffer = createMailbox({ slotCount: 2, payloadCapacityBytes: 64 });
    const copy = new SharedArrayBuffer(buffer.byteLength + 4);
    new Uint8Array(copy).set(new Uint8Array(buffer));
    expect(readLayout(copy)).toMatchObject({ reason: 'geometry' });
  });

  test('invalid construction options name the option', () => {
    expect(() => createMailbox({ slotCount: 0 })).toThrow(/options.slotCount/);
    expect(() => createMailbox({ slotCount: 1, payloadCapacityBytes: 10 })).toThrow(/options.payloadCapacityBytes/);
  });

  test('a second owner on the same mailbox is refused', () => {
    const buffer = createMailbox({ slotCount: 1, payloadCapacityBytes: 64 });
    new MailboxServer(buffer);
    expect(() => new MailboxServer(buffer)).toThrow(/already had an owner/);
  });
});

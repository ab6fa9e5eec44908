// The binary hot path against the JSON path it replaces: for every hot message kind, with hostile
// numbers, strings, key orders and lists, a message decodes to exactly the object (same keys in the
// same order, same numbers) or the same refusal that the JSON path gives — the trace is written
// from decoded requests, so this is what keeps traces and replays identical. Plus: the hot
// messages really travel binary, and binary garbage never makes decode throw.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ALL_OPS, Hypervisor, type OpName } from '../hv/index.ts';
import {
  CALLER_TO_OWNER_OPCODES,
  decodeCallerToOwner,
  decodeOwnerToCaller,
  encodeCallerToOwner,
  encodeOwnerToCaller,
  isBinaryOpcode,
  isDecodeError,
  isEncodeError,
  OWNER_TO_CALLER_OPCODES,
  type CallerToOwner,
  type EncodingChoice,
  type OwnerToCaller,
} from './codec.ts';
import { OPCODE_BINARY_FLAG } from './mailbox-layout.ts';
import { RUNS_EXPANDED_MAX } from './number-runs.ts';

const seed = fc.readConfigureGlobal().seed;
/** Large enough that neither encoding runs out of room for the generated messages. */
const BIG = 4 << 20;
const bigBuffer = new Uint8Array(BIG);

type Decoded = { kind: string } | { kind: 'decodeError' } | { kind: 'encodeError' };

function requestVia(msg: CallerToOwner, encoding: EncodingChoice, buf = bigBuffer): { decoded: Decoded; binary: boolean } {
  const e = encodeCallerToOwner(msg, buf, encoding);
  if (isEncodeError(e)) return { decoded: e, binary: false };
  return { decoded: decodeCallerToOwner(e.opcode, e.length, buf), binary: isBinaryOpcode(e.opcode) };
}

function replyVia(msg: OwnerToCaller, encoding: EncodingChoice, buf = bigBuffer): { decoded: Decoded; binary: boolean } {
  const e = encodeOwnerToCaller(msg, buf, encoding);
  if (isEncodeError(e)) return { decoded: e, binary: false };
  return { decoded: decodeOwnerToCaller(e.opcode, e.length, buf), binary: isBinaryOpcode(e.opcode) };
}

/** The default (binary when possible) path gives what the JSON path gives, byte for byte as JSON. */
function expectSameAsJson(via: (encoding: EncodingChoice) => { decoded: Decoded; binary: boolean }): boolean {
  const json = via('json').decoded;
  const auto = via('auto');
  if (isDecodeError(json) || isEncodeError(json)) {
    expect(['decodeError', 'encodeError']).toContain(auto.decoded.kind);
  } else {
    expect(auto.decoded).toStrictEqual(json);
    expect(JSON.stringify(auto.decoded)).toBe(JSON.stringify(json));
  }
  return auto.binary;
}

// ---------------------------------------------------------------- hostile values

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, -1, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 2 ** 53 + 2, 2 ** 40, 2 ** 40 + 1, 2 ** 32, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, 0.5, 0x7ff0),
  fc.integer(),
  fc.double(),
  fc.nat({ max: 2 ** 40 }),
);

/** Arithmetic runs (what builders send) with hostile starts and steps, sometimes broken. */
const runList: fc.Arbitrary<number[]> = fc
  .array(fc.record({ start: fc.oneof(fc.nat({ max: 2 ** 40 }), fc.constantFrom(2 ** 53 - 1, -(2 ** 53) + 1, 0)), step: fc.integer({ min: -3, max: 3 }), count: fc.integer({ min: 1, max: 200 }) }), { minLength: 1, maxLength: 4 })
  .map((runs) => runs.flatMap(({ start, step, count }) => Array.from({ length: count }, (_, k) => start + k * step)));

const hostileList: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(hostileNumber, { maxLength: 80 }),
  runList,
  fc.constant(null),
  fc.array(fc.oneof(hostileNumber, fc.constant(null), fc.string(), fc.boolean()), { maxLength: 8 }),
  fc.constant([1, , 3]), // a hole: JSON writes null
  fc.constant('not a list'),
);

const hostileString: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\uD800', 'a\uDC00b', 'x'.repeat(70) + '\uDBFF', '\uD83D\uDE00 pair', 'é', '\u0000'), // lone surrogates survive JSON only
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ minLength: 60, maxLength: 200 }),
  fc.constant('/local/domain/3/memory/target'),
  hostileNumber,
  fc.constant(null),
);

const RESERVATION_FIELDS = ['domid', 'nr_extents', 'extent_order', 'mem_flags', 'extent_start', 'start_extent'] as const;

/** Fields of `names` in a random order and subset, some hostile, some undefined, sometimes an unknown key. */
function recordOf(names: readonly string[], valueOf: (name: string) => fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.shuffledSubarray([...names]),
      fc.array(fc.oneof({ weight: 8, arbitrary: fc.constant('value') }, fc.constant('undefined'), fc.constant('wrongType')), { minLength: names.length, maxLength: names.length }),
      fc.option(fc.constantFrom('bogus', '__proto__', '0', 'toJSON', 'kind'), { freq: 6 }),
    )
    .chain(([keys, modes, extra]) =>
      fc.tuple(...keys.map((k) => valueOf(k)), fc.boolean()).map((values) => {
        const o: Record<string, unknown> = {};
        keys.forEach((k, i) => {
          const mode = modes[i];
          o[k] = mode === 'undefined' ? undefined : mode === 'wrongType' ? (typeof values[i] === 'number' ? String(values[i]) : 7) : values[i];
        });
        if (extra !== null) Object.defineProperty(o, extra, { value: extra === 'toJSON' ? () => ({}) : 1, enumerable: true, configurable: true, writable: true });
        return o;
      }),
    );
}

const fieldValue = (name: string): fc.Arbitrary<unknown> =>
  name === 'extent_start' || name === 'oid' || name === 'uuid' ? hostileList : name === 'name' || name === 'type' ? hostileString : hostileNumber;

const reservation = recordOf(RESERVATION_FIELDS, fieldValue);
const exchangeArgs = fc.record({ in: reservation, out: reservation, nr_exchanged: hostileNumber }, { requiredKeys: ['in', 'out'] });
const tmemArgs = recordOf(['pool_id', 'oid', 'index', 'cmfn', 'flags', 'uuid', 'subop', 'cli_id', 'arg1', 'arg2'], fieldValue);

const hypercallRequest: fc.Arbitrary<CallerToOwner> = fc.oneof(
  fc.tuple(fc.constantFrom<OpName>('XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation', 'XENMEM_claim_pages'), reservation),
  fc.tuple(fc.constant<OpName>('XENMEM_exchange'), exchangeArgs),
  fc.tuple(fc.constantFrom<OpName>('XEN_DOMCTL_getdomaininfo', 'XEN_DOMCTL_destroydomain'), recordOf(['domid'], fieldValue)),
  fc.tuple(fc.constant<OpName>('XEN_SYSCTL_physinfo'), fc.constantFrom({}, { bogus: 1 }, { domid: undefined })),
  fc.tuple(fc.constantFrom<OpName>('TMEM_PUT_PAGE', 'TMEM_GET_PAGE', 'TMEM_NEW_POOL', 'TMEM_CONTROL'), tmemArgs),
  fc.tuple(fc.oneof(fc.constantFrom(...ALL_OPS), fc.string({ maxLength: 80 })), fc.oneof(reservation, fc.constant(null), fc.constant(5), fc.constant([1, 2]), fc.constant(undefined))),
).map(([op, args]) => ({ kind: 'hypercall', op, args }) as CallerToOwner);

const request: fc.Arbitrary<CallerToOwner> = fc.oneof(
  { weight: 4, arbitrary: hypercallRequest },
  hostileNumber.map((ns) => ({ kind: 'sleep', ns }) as CallerToOwner),
  fc.tuple(hostileString, hostileString).map(([path, value]) => ({ kind: 'xsWrite', path, value }) as CallerToOwner),
  hostileString.map((path) => ({ kind: 'xsRead', path }) as CallerToOwner),
  hostileString.map((text) => ({ kind: 'note', text }) as CallerToOwner),
  // Key order differing from the canonical one (JSON keeps it; the binary form must not guess).
  hostileNumber.map((ns) => ({ ns, kind: 'sleep' }) as CallerToOwner),
  fc.constantFrom<CallerToOwner>({ kind: 'exit' }, { kind: 'exit', error: 'x' }, { kind: 'boot', name: 'g' }, { kind: 'attach', actor: 'a' }),
);

const DOMAININFO_FIELDS = ['rc', 'domid', 'tot_pages', 'max_pages', 'outstanding_pages', 'shr_pages', 'paged_pages', 'nr_online_vcpus', 'max_vcpu_id', 'cpu_time', 'flags', 'name', 'type'];
const PHYSINFO_FIELDS = ['rc', 'total_pages', 'free_pages', 'scrub_pages', 'outstanding_pages', 'nr_nodes', 'nr_cpus'];
const result = fc.oneof(recordOf(DOMAININFO_FIELDS, fieldValue), recordOf(PHYSINFO_FIELDS, fieldValue), recordOf(['rc', 'extent_start', 'nr_exchanged'], fieldValue));

const reply: fc.Arbitrary<OwnerToCaller> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(result, hostileNumber).map(([r, now]) => ({ kind: 'result', result: r, now }) as OwnerToCaller) },
  fc.tuple(fc.constantFrom('slept', 'ack', 'gone'), hostileNumber).map(([kind, now]) => ({ kind, now }) as OwnerToCaller),
  fc.tuple(hostileString, hostileNumber).map(([value, now]) => ({ kind: 'xsValue', value, now }) as OwnerToCaller),
  fc.tuple(hostileNumber, hostileNumber).map(([domid, now]) => ({ kind: 'booted', domid, now }) as OwnerToCaller),
  fc.tuple(result, hostileNumber).map(([r, now]) => ({ kind: 'result', now, result: r }) as OwnerToCaller),
  fc.constant<OwnerToCaller>({ kind: 'error', now: 1, code: 'decode', errno: -14, message: 'm' }),
);

describe(`binary hot path = JSON path (seed: ${seed})`, () => {
  test('every request decodes to exactly what the JSON path gives (or is refused by both)', () => {
    let binary = 0;
    fc.assert(fc.property(request, (m) => void (expectSameAsJson((enc) => requestVia(m, enc)) && binary++)), { numRuns: 2000 });
    expect(binary).toBeGreaterThan(200); // the generators do reach the binary form
  });

  test('every reply decodes to exactly what the JSON path gives (or is refused by both)', () => {
    let binary = 0;
    fc.assert(fc.property(reply, (m) => void (expectSameAsJson((enc) => replyVia(m, enc)) && binary++)), { numRuns: 2000 });
    expect(binary).toBeGreaterThan(200);
  });

  test('huge frame lists: runs over the bound are refused by both paths; long irregular lists fall back or overflow alike', () => {
    const contiguous = (n: number, start = 2 ** 40): number[] => Array.from({ length: n }, (_, i) => start + i);
    const over: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_populate_physmap', args: { domid: 1, nr_extents: RUNS_EXPANDED_MAX + 1, extent_start: contiguous(RUNS_EXPANDED_MAX + 1) } };
    expect(requestVia(over, 'json').decoded.kind).toBe('decodeError');
    expect(requestVia(over, 'auto')).toMatchObject({ binary: true, decoded: { kind: 'decodeError', reason: 'binary' } });
    const atBound: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_populate_physmap', args: { domid: 1, nr_extents: RUNS_EXPANDED_MAX, extent_start: contiguous(RUNS_EXPANDED_MAX) } };
    // 2M-element lists: compared as JSON text (a deep equality walk of them takes minutes on a loaded machine).
    const at = requestVia(atBound, 'auto', new Uint8Array(64 * 1024));
    expect(at.binary).toBe(true);
    expect(JSON.stringify(at.decoded) === JSON.stringify(atBound)).toBe(true);
    // 20k scattered frames fit neither form in a 64 KiB slot: a clear encode error, as before.
    const scattered = Array.from({ length: 20_000 }, (_, i) => i * i);
    const tooLong: CallerToOwner = { kind: 'hypercall', op: 'XENMEM_decrease_reservation', args: { domid: 1, nr_extents: 20_000, extent_start: scattered } };
    expect(requestVia(tooLong, 'auto', new Uint8Array(64 * 1024)).decoded).toMatchObject({ kind: 'encodeError', reason: 'tooLarge' });
    expect(expectSameAsJson((enc) => requestVia(tooLong, enc))).toBe(true);
  });
});

describe('the hot messages travel binary', () => {
  const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22', dom0MiB: 8 });
  const created = hv.hypercall(0, 'XEN_DOMCTL_createdomain', { type: 'pv', name: 'guest-1' });
  const domid = created.domid as number;
  const live: Array<[OpName, Record<string, unknown>]> = [
    ['XEN_DOMCTL_max_mem', { domid, max_memkb: 8192 }],
    ['XENMEM_claim_pages', { domid, nr_extents: 512 }],
    ['XENMEM_populate_physmap', { domid, nr_extents: 64, extent_order: 0, mem_flags: 0, extent_start: Array.from({ length: 64 }, (_, i) => 0x100 + i) }],
    ['XENMEM_increase_reservation', { domid, nr_extents: 2, extent_order: 0, extent_start: [0, 0] }],
    ['XENMEM_decrease_reservation', { domid, nr_extents: 2, extent_order: 0, extent_start: [0x100, 0x101] }],
    ['XENMEM_exchange', { in: { domid, nr_extents: 1, extent_order: 0, extent_start: [0x102] }, out: { domid, nr_extents: 1, extent_order: 0, extent_start: [0x300] } }],
    ['XEN_DOMCTL_getdomaininfo', { domid }],
    ['XEN_SYSCTL_physinfo', {}],
  ];
  test.each(live)('%s: the request and Xen\'s real result go binary and round-trip exactly', (op, args) => {
    const req: CallerToOwner = { kind: 'hypercall', op, args };
    expect(requestVia(req, 'auto')).toEqual({ binary: true, decoded: JSON.parse(JSON.stringify(req)) });
    const r: OwnerToCaller = { kind: 'result', result: hv.hypercall(0, op, args), now: hv.now };
    expect(r.result.rc).toBeGreaterThanOrEqual(0);
    expect(replyVia(r, 'auto')).toEqual({ binary: true, decoded: JSON.parse(JSON.stringify(r)) });
  });

  test.each<CallerToOwner | OwnerToCaller>([
    { kind: 'sleep', ns: 1e9 },
    { kind: 'xsWrite', path: '/local/domain/3/memory/target', value: '524288' },
    { kind: 'xsRead', path: 'memory/target' },
    { kind: 'note', text: 'balloon: target 512 MiB ✓' },
  ])('request %j goes binary', (m) => {
    expect(requestVia(m as CallerToOwner, 'auto')).toEqual({ binary: true, decoded: m });
  });

  test.each<OwnerToCaller>([
    { kind: 'slept', now: 5e9 },
    { kind: 'ack', now: 1 },
    { kind: 'gone', now: 2 },
    { kind: 'xsValue', value: null, now: 3 },
    { kind: 'xsValue', value: '524288', now: 3 },
    { kind: 'booted', domid: 4, now: 9 },
  ])('reply %j goes binary', (m) => {
    expect(replyVia(m, 'auto')).toEqual({ binary: true, decoded: m });
  });
});

describe(`binary garbage (seed: ${seed})`, () => {
  const binaryOpcodes = [...Object.values(CALLER_TO_OWNER_OPCODES), ...Object.values(OWNER_TO_CALLER_OPCODES)].map((o) => o | OPCODE_BINARY_FLAG);

  test('random bytes under a binary opcode never throw and never allocate past the bound', () => {
    fc.assert(
      fc.property(fc.constantFrom(...binaryOpcodes), fc.nat({ max: 512 }), fc.uint8Array({ maxLength: 512 }), (op, len, bytes) => {
        const payload = new Uint8Array(512);
        payload.set(bytes);
        for (const r of [decodeCallerToOwner(op, len, payload), decodeOwnerToCaller(op, len, payload)]) expect(typeof r.kind).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  test('a valid binary message with bytes flipped or cut short decodes to an error or to a well-shaped message', () => {
    fc.assert(
      fc.property(request, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (m, flips, cut) => {
        const buf = new Uint8Array(8192);
        const e = encodeCallerToOwner(m, buf);
        if (isEncodeError(e) || !isBinaryOpcode(e.opcode) || e.length === 0) return;
        for (const [at, v] of flips) buf[at % e.length] = v;
        const r = decodeCallerToOwner(e.opcode, cut % (e.length + 1), buf);
        if (!isDecodeError(r)) expect(r.kind).toBe(m.kind);
      }),
      { numRuns: 2000 },
    );
  });

  test('a run list claiming more elements than the bound is refused before anything is expanded', () => {
    const buf = new Uint8Array(64);
    const e = encodeCallerToOwner({ kind: 'hypercall', op: 'XENMEM_populate_physmap', args: { extent_start: Array.from({ length: 64 }, (_, i) => i) } }, buf);
    if (isEncodeError(e)) throw new Error(e.detail);
    // op id, record count, field id, list tag, run count (u32), then start f64, step f64, count u32.
    new DataView(buf.buffer).setUint32(4 + 4 + 16, 0xffffffff, true);
    expect(decodeCallerToOwner(e.opcode, e.length, buf)).toMatchObject({ kind: 'decodeError', reason: 'binary', detail: expect.stringMatching(/exceeds the bound/) });
  });
});

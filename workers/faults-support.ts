// Fault-injection helpers for workers/faults.test.ts and scripts/reliability.ts / soak.ts: a rogue
// caller that writes arbitrary slots straight into a run's mailbox (using the layout helpers, as a
// corrupted caller thread would), and the final-state accounting of a run rebuilt by replay.

import fc from 'fast-check';
import { physinfo, type Hypervisor } from '../hv/index.ts';
import { CALLER_TO_OWNER_OPCODES, decodeOwnerToCaller, encodeCallerToOwner, isDecodeError, type CallerToOwner } from './codec.ts';
import { ringDoorbell } from './mailbox-client.ts';
import {
  isLayoutError, kOwnerStateField, OPCODE_BINARY_FLAG, kSlotOpcodeField, kSlotPayloadLengthField, kSlotReqSeqField, kSlotRespSeqField, kSlotStateField,
  OwnerState, readLayout, SLOT_FREE, slotPayload, slotWord,
} from './mailbox-layout.ts';

/** One rogue slot write: raw opcode, length word and payload bytes. */
export interface RogueSlot {
  opcode: number;
  length: number;
  bytes: Uint8Array;
}

/** Well-formed messages an unattached slot has no right to send (they must be refused too). */
const forged: CallerToOwner[] = [
  { kind: 'hypercall', op: 'XENMEM_claim_pages', args: { domid: 0, nr_extents: 1 } },
  { kind: 'hypercall', op: 'XEN_DOMCTL_destroydomain', args: { domid: 1 } },
  { kind: 'sleep', ns: 1e9 },
  { kind: 'xsWrite', path: '/local/domain/1/memory/target', value: '0' },
  { kind: 'attach', actor: 'no-such-actor' },
];

export const rogueSlot: fc.Arbitrary<RogueSlot> = fc.oneof(
  fc.record({
    // Raw words, the real opcodes, and the real opcodes marked binary (garbage in the binary form).
    opcode: fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom(...Object.values(CALLER_TO_OWNER_OPCODES)),
      fc.constantFrom(...Object.values(CALLER_TO_OWNER_OPCODES).map((o) => o | OPCODE_BINARY_FLAG)),
    ),
    length: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.nat({ max: 300 })),
    bytes: fc.uint8Array({ maxLength: 256 }),
  }),
  fc.constantFrom(...forged).map((m) => {
    const bytes = new Uint8Array(4096);
    const e = encodeCallerToOwner(m, bytes);
    if ('kind' in e) throw new Error(e.detail);
    return { opcode: e.opcode, length: e.length, bytes: bytes.subarray(0, e.length) };
  }),
);

export interface RogueReport {
  sent: number;
  /** errno of every reply, in order (every one must be an error reply). */
  errnos: number[];
  /** Replies that were not errors (must stay empty). */
  accepted: string[];
  /** Writes the owner never answered before it stopped (the run ended under it). */
  unanswered: number;
}

/** A claim value no thread can have (thread ids are small); the supervisor never abandons it. */
const ROGUE_CLAIM = 0x3fff0001;

/**
 * Claims a free slot of `buffer` (from the top) and writes `slots` into it one after another,
 * each published like a request; waits for each answer (polling, bounded by `answerLimitMs`) and
 * stops when the owner has stopped. Runs on the calling thread's event loop.
 */
export async function runRogue(buffer: SharedArrayBuffer, slots: readonly RogueSlot[], answerLimitMs = 10_000): Promise<RogueReport> {
  const l = readLayout(buffer);
  if (isLayoutError(l)) throw new Error(l.detail);
  const report: RogueReport = { sent: 0, errnos: [], accepted: [], unanswered: 0 };
  let slot = -1;
  for (let s = l.slotCount - 1; s >= 0 && slot < 0; s--) {
    if (Atomics.compareExchange(l.words, slotWord(l, s, kSlotStateField), SLOT_FREE, ROGUE_CLAIM) === SLOT_FREE) slot = s;
  }
  if (slot < 0) throw new Error('runRogue: no free slot');
  const payload = slotPayload(l, slot);
  const ended = (): boolean => {
    const st = Atomics.load(l.words, kOwnerStateField);
    return st === OwnerState.Stopped || st === OwnerState.Dead;
  };
  for (const r of slots) {
    if (ended()) break;
    payload.fill(0);
    payload.set(r.bytes.subarray(0, payload.length));
    l.words[slotWord(l, slot, kSlotOpcodeField)] = r.opcode;
    l.words[slotWord(l, slot, kSlotPayloadLengthField)] = r.length;
    const seq = (Atomics.load(l.words, slotWord(l, slot, kSlotReqSeqField)) + 1) | 0;
    // Publish after the payload and fields, then ring: the owner's poll sees a complete request.
    Atomics.store(l.words, slotWord(l, slot, kSlotReqSeqField), seq);
    ringDoorbell(l.words);
    report.sent++;
    const deadline = performance.now() + answerLimitMs;
    while (Atomics.load(l.words, slotWord(l, slot, kSlotRespSeqField)) !== seq && !ended() && performance.now() < deadline) {
      await new Promise((res) => setTimeout(res, 1));
    }
    if (Atomics.load(l.words, slotWord(l, slot, kSlotRespSeqField)) !== seq) {
      report.unanswered++;
      break;
    }
    const reply = decodeOwnerToCaller(l.words[slotWord(l, slot, kSlotOpcodeField)], l.words[slotWord(l, slot, kSlotPayloadLengthField)], payload);
    if (!isDecodeError(reply) && reply.kind === 'error') report.errnos.push(reply.errno);
    else report.accepted.push(JSON.stringify(reply));
  }
  return report;
}

/** Frames and claims unaccounted for on a host after cleanup (all must be 0). */
export interface Leaks {
  /** Frames neither free, nor held by a live domain, nor held by tmem. */
  framesLeaked: number;
  /** Outstanding claims plus claims leaked with their domain (B1). */
  claimsLeaked: number;
  /** Domains other than dom0 still present. */
  domainsLeft: number;
}

/** What `hv` has not accounted for; call after every guest was destroyed. */
export function leaksAfterCleanup(hv: Hypervisor): Leaks {
  const p = physinfo(hv);
  let held = 0;
  for (const d of hv.domains.values()) held += d.totPages + d.extraPages - d.stolenPages;
  const tmemHeld = hv.tmem === null ? 0 : hv.heap.anonPages;
  return {
    // total_avail_pages, not physinfo's free_pages: on 4.3 the latter leaves out MEMZONE_XEN (MFN 1),
    // a free frame no domain can get, which is not a leak.
    framesLeaked: hv.heap.managedPages - hv.heap.totalAvailPages - held - tmemHeld - hv.heap.offlinedPages,
    claimsLeaked: p.outstanding_pages + hv.heap.leakedClaimPages,
    domainsLeft: [...hv.domains.keys()].filter((id) => id !== 0).length,
  };
}

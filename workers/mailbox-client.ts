// Caller side of the hypercall mailbox: one claimed slot, one synchronous call at a time. The
// calling thread blocks like a vCPU trapped in a hypercall: spin briefly, then Atomics.wait in
// bounded slices, watching the owner's heartbeat. Leaves out: message meaning (codec.ts) and
// anything async (an actor that wants a Promise wraps call() itself).

import { threadId } from 'node:worker_threads';
import { assert } from '../hv/assert.ts';
import { OwnerGoneError } from '../sim/port.ts';
import { SpinOutcome, spinWhileEqual } from './mailbox-spin.ts';
import {
  decodeOwnerToCaller,
  encodeCallerToOwner,
  isDecodeError,
  isEncodeError,
  type CallerToOwner,
  type EncodingChoice,
  type OwnerToCaller,
} from './codec.ts';
import {
  isLayoutError,
  kDoorbellField,
  kOwnerHeartbeatField,
  kOwnerSleepingField,
  kOwnerStateField,
  kSlotCallerWaitingField,
  kSlotOpcodeField,
  kSlotPayloadLengthField,
  kSlotReqSeqField,
  kSlotRespSeqField,
  kSlotStateField,
  OwnerState,
  readLayout,
  SLOT_ABANDONED,
  SLOT_FREE,
  slotPayload,
  slotWord,
  type MailboxLayout,
} from './mailbox-layout.ts';

export interface MailboxClientOptions {
  /**
   * Upper bound on Atomics.load polls of the response before sleeping (0 = pure wait). The spin
   * is also bounded in time (an adaptive budget in SPIN_MS_FLOOR…SPIN_MS_MAX) and ends at once
   * when this thread finds it lost its core mid-spin (two clock reads far apart): on a machine
   * with more runnable threads than cores a spinning caller only takes the core the owner needs
   * (bench/channel.bench.ts under load ~9 on 2 cores: spinning callers 4x slower than comlink),
   * while a futex round trip is still far below postMessage + structured clone. Default 50,000.
   */
  spinIterations?: number;
  /** Length of one Atomics.wait slice, after which liveness is re-checked. Default 50 ms. */
  waitSliceMs?: number;
  /**
   * An owner whose heartbeat has not moved for this long is declared gone. Default 10 s: a dead
   * owner is normally announced at once by its supervisor (markOwnerDead); this bound only catches
   * a hung one, and on a loaded 2-core machine a live owner can be descheduled for seconds.
   */
  ownerSilenceLimitMs?: number;
  /** Upper bound on one call, heartbeat or not (retry limit = this / waitSliceMs). Default 60 s. */
  callTimeoutMs?: number;
  /** 'auto' (default): the binary hot path where a message has one; 'json': JSON always (benchmarks). */
  encoding?: EncodingChoice;
}

/** Returned by MailboxClient.open when every slot is claimed (an operating condition). */
export interface NoFreeSlot {
  readonly kind: 'noFreeSlot';
  readonly slotCount: number;
}

/** A message too large for the slot's payload capacity (a caller bug: throws). */
export class MailboxPayloadTooLargeError extends RangeError {
  override name = 'MailboxPayloadTooLargeError';
}

/**
 * The spin's time budget adapts in SPIN_MS_FLOOR…SPIN_MS_MAX, on what spinning actually won: it
 * doubles after a reply caught while spinning, halves after a spin that ran out, and drops to
 * the floor after one that lost its core. (Growing it after a reply that came "soon" after
 * parking was wrong under load: a futex wake-up is soon, and the owner would not have had a core
 * to answer a longer spin.) The floor is above the owner's turnaround on a hot message when both
 * threads hold a core (~1-3 µs), so a fast owner always wins the budget back; the cap is about a
 * futex round trip on a 2-core VM, the most a spin can save.
 */
export const SPIN_MS_FLOOR = 0.004;
export const SPIN_MS_MAX = 0.05;

const DEFAULTS: Required<MailboxClientOptions> = {
  spinIterations: 50_000,
  waitSliceMs: 50,
  ownerSilenceLimitMs: 10_000,
  callTimeoutMs: 60_000,
  encoding: 'auto',
};

function validate(options: MailboxClientOptions): Required<MailboxClientOptions> {
  // An option given as undefined takes its default (as if absent).
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as MailboxClientOptions;
  const o = { ...DEFAULTS, ...given };
  if (o.encoding !== 'auto' && o.encoding !== 'json') throw new RangeError(`MailboxClient: options.encoding must be 'auto' or 'json', got ${String(o.encoding)}`);
  const check = (name: Exclude<keyof MailboxClientOptions, 'encoding'>, min: number, max: number): void => {
    const v = o[name];
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new RangeError(`MailboxClient: options.${name} must be an integer in ${min}…${max}, got ${v}`);
    }
  };
  check('spinIterations', 0, 10_000_000);
  check('waitSliceMs', 1, 10_000);
  check('ownerSilenceLimitMs', 1, 600_000);
  check('callTimeoutMs', 1, 3_600_000);
  return o;
}

/**
 * A caller's end of one mailbox slot.
 *
 * State (all owned by the calling thread):
 * - `seq`: the request sequence of the last published request; equals the slot's kSlotReqSeqField.
 * - `outstanding`: a request was published and its reply not consumed (only after a throw).
 * - `closed`: the slot was released; no further calls.
 * Invariant between calls: !outstanding ⇒ slot's respSeq === reqSeq === seq.
 */
export class MailboxClient {
  readonly slot: number;
  private readonly layout: MailboxLayout;
  private readonly options: Required<MailboxClientOptions>;
  private readonly claimValue: number;
  private readonly reqIdx: number;
  private readonly respIdx: number;
  private readonly waitingIdx: number;
  private readonly stateIdx: number;
  private readonly payload: Uint8Array;
  private seq: number;
  /** Current spin time budget, in SPIN_MS_FLOOR…SPIN_MS_MAX (the polls are capped by options.spinIterations). */
  private spinMs = SPIN_MS_MAX;
  private outstanding = false;
  private closed = false;

  private constructor(layout: MailboxLayout, slot: number, claimValue: number, options: Required<MailboxClientOptions>) {
    this.layout = layout;
    this.slot = slot;
    this.claimValue = claimValue;
    this.options = options;
    this.reqIdx = slotWord(layout, slot, kSlotReqSeqField);
    this.respIdx = slotWord(layout, slot, kSlotRespSeqField);
    this.waitingIdx = slotWord(layout, slot, kSlotCallerWaitingField);
    this.stateIdx = slotWord(layout, slot, kSlotStateField);
    this.payload = slotPayload(layout, slot);
    // Loads after the claim CAS: the owner restored respSeq === reqSeq before freeing the slot.
    this.seq = Atomics.load(layout.words, this.reqIdx);
    assert(Atomics.load(layout.words, this.respIdx) === this.seq, `slot ${slot} claimed while a request is in flight`);
  }

  /**
   * Claims a free slot of `buffer` for the current thread. Asserts the layout's magic and version.
   * @returns the client, or NoFreeSlot when every slot is claimed or awaiting reclaim.
   */
  static open(buffer: SharedArrayBuffer, options: MailboxClientOptions = {}): MailboxClient | NoFreeSlot {
    const layout = readLayout(buffer);
    assert(!isLayoutError(layout), () => `MailboxClient.open: ${isLayoutError(layout) ? layout.detail : ''}`);
    const resolved = validate(options);
    const claimValue = threadId + 1;
    for (let slot = 0; slot < layout.slotCount; slot++) {
      const idx = slotWord(layout, slot, kSlotStateField);
      // CAS is the whole claim: exactly one thread moves a slot off SLOT_FREE.
      if (Atomics.compareExchange(layout.words, idx, SLOT_FREE, claimValue) === SLOT_FREE) {
        return new MailboxClient(layout, slot, claimValue, resolved);
      }
    }
    return { kind: 'noFreeSlot', slotCount: layout.slotCount };
  }

  /**
   * Sends one message and blocks until the owner answers it.
   * @throws OwnerGoneError when the owner stopped, was marked dead, stayed silent beyond
   *   ownerSilenceLimitMs, or did not answer within callTimeoutMs.
   * @throws MailboxPayloadTooLargeError when `msg` does not fit the slot.
   */
  call(msg: CallerToOwner): OwnerToCaller {
    assert(!this.closed, 'MailboxClient.call after close');
    if (this.outstanding) throw new OwnerGoneError(`slot ${this.slot}: an earlier call was abandoned; the owner is gone`);
    this.throwIfOwnerEnded();
    const { words } = this.layout;
    const encoded = encodeCallerToOwner(msg, this.payload, this.options.encoding);
    if (isEncodeError(encoded)) throw new MailboxPayloadTooLargeError(`MailboxClient.call: ${encoded.detail}`);
    words[slotWord(this.layout, this.slot, kSlotOpcodeField)] = encoded.opcode;
    words[slotWord(this.layout, this.slot, kSlotPayloadLengthField)] = encoded.length;
    const prev = this.seq;
    const seq = (prev + 1) | 0;
    this.seq = seq;
    this.outstanding = true;
    // Publish after writing payload, opcode and length: the owner reads them only after it
    // observes the new reqSeq (SC store/load pair).
    Atomics.store(words, this.reqIdx, seq);
    // Ring after publishing, so an owner woken by the bell finds the new reqSeq in its poll.
    Atomics.add(words, kDoorbellField, 1);
    // Load the sleeping flag after the add (Dekker with the owner's store-flag-then-wait): either
    // the owner's wait sees the new doorbell value, or we see its flag and wake it.
    const ownerParked = Atomics.load(words, kOwnerSleepingField) === 1;
    if (ownerParked) Atomics.notify(words, kDoorbellField, 1);
    // A parked owner first needs a futex wake-up (tens of µs on a loaded 2-core VM) before it even
    // reads the request: a spin would only keep the core from it. Park at once.
    this.awaitResponse(prev, seq, !ownerParked);
    this.outstanding = false;
    const reply = decodeOwnerToCaller(
      words[slotWord(this.layout, this.slot, kSlotOpcodeField)],
      words[slotWord(this.layout, this.slot, kSlotPayloadLengthField)],
      this.payload,
    );
    assert(!isDecodeError(reply), () => `slot ${this.slot}: owner wrote an undecodable reply: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Spin, then wait in bounded slices until respSeq === seq; throws OwnerGoneError on the bounds. */
  private awaitResponse(prev: number, seq: number, spin: boolean): void {
    const { words } = this.layout;
    const { waitSliceMs, ownerSilenceLimitMs, callTimeoutMs } = this.options;
    // Only the owner moves respSeq, and only to seq: a change is our reply.
    if (spin && this.spin(prev)) return;
    const slicesMax = Math.ceil(callTimeoutMs / waitSliceMs);
    let beat = Atomics.load(words, kOwnerHeartbeatField);
    let beatSeenAt = performance.now();
    for (let slice = 0; slice < slicesMax; slice++) {
      // Raise the flag before waiting (Dekker with the owner's store-respSeq-then-load-flag).
      Atomics.store(words, this.waitingIdx, 1);
      // Atomics.wait re-checks respSeq === prev atomically, so a reply stored before it returns at once.
      Atomics.wait(words, this.respIdx, prev, waitSliceMs);
      Atomics.store(words, this.waitingIdx, 0);
      // Same acquire argument as in the spin loop.
      if (Atomics.load(words, this.respIdx) === seq) return;
      this.throwIfOwnerEnded();
      const now = performance.now();
      const beatNow = Atomics.load(words, kOwnerHeartbeatField);
      if (beatNow !== beat) {
        beat = beatNow;
        beatSeenAt = now;
      } else if (now - beatSeenAt > ownerSilenceLimitMs) {
        throw new OwnerGoneError(`slot ${this.slot}: no owner heartbeat for ${Math.round(now - beatSeenAt)} ms`);
      }
    }
    throw new OwnerGoneError(`slot ${this.slot}: no reply within ${callTimeoutMs} ms (${slicesMax} waits)`);
  }

  /**
   * Polls respSeq for a reply, bounded by options.spinIterations polls and the adaptive time
   * budget. Gives up at once (budget to the floor) when a clock read shows this thread was
   * descheduled mid-spin. @returns true when the reply arrived.
   */
  private spin(prev: number): boolean {
    const polls = this.options.spinIterations;
    if (polls === 0) return false;
    const outcome = spinWhileEqual(this.layout.words, this.respIdx, prev, polls, this.spinMs);
    if (outcome === SpinOutcome.Changed) this.spinMs = Math.min(SPIN_MS_MAX, this.spinMs * 2);
    else if (outcome === SpinOutcome.Exhausted) this.spinMs = Math.max(SPIN_MS_FLOOR, this.spinMs / 2);
    else this.spinMs = SPIN_MS_FLOOR;
    return outcome === SpinOutcome.Changed;
  }

  private throwIfOwnerEnded(): void {
    // A plain status read; ordering does not matter, the caller re-checks after every slice.
    const state = Atomics.load(this.layout.words, kOwnerStateField);
    if (state === OwnerState.Stopped || state === OwnerState.Dead) {
      throw new OwnerGoneError(`slot ${this.slot}: hypervisor owner ${state === OwnerState.Stopped ? 'stopped' : 'died'}`);
    }
  }

  /**
   * Releases the slot. Idle: back to free. With a request still outstanding (after an
   * OwnerGoneError): marked abandoned, for the owner (if any) to free once it drops the reply.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { words } = this.layout;
    const next = this.outstanding ? SLOT_ABANDONED : SLOT_FREE;
    // CAS from our own claim value: the slot may already have been abandoned on our behalf.
    Atomics.compareExchange(words, this.stateIdx, this.claimValue, next);
    // Ring after the state change so an owner parked on the doorbell notices the abandonment.
    if (next === SLOT_ABANDONED) ringDoorbell(words);
  }
}

/** Bumps the doorbell and wakes the owner unconditionally (rare paths only). */
export function ringDoorbell(words: Int32Array): void {
  // Add before notify: a woken owner must see the new doorbell value, or it would sleep again.
  Atomics.add(words, kDoorbellField, 1);
  Atomics.notify(words, kDoorbellField);
}

export function isNoFreeSlot(x: MailboxClient | NoFreeSlot): x is NoFreeSlot {
  return !(x instanceof MailboxClient);
}

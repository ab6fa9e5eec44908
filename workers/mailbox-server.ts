// Owner side of the hypercall mailbox: non-blocking poll of every slot, replies in any order,
// a bounded sleep on the doorbell, and the heartbeat callers watch. Leaves out: what a request
// means and when it is answered (the owner's serve/schedule logic decides; see issue 4).
//
// Owner loop this is built for:
//   for (;;) { for (const ev of server.poll()) hand(ev); …run sections, server.reply(t, msg)…;
//              if (idle && server.waitForWork(ms) === 'shutdown') break; }  server.stop();

import { assert } from '../hv/assert.ts';
import {
  decodeCallerToOwner,
  encodeOwnerToCaller,
  isEncodeError,
  type CallerToOwner,
  type DecodeError,
  type EncodingChoice,
  type OwnerToCaller,
} from './codec.ts';
import {
  isLayoutError,
  kDoorbellField,
  kOwnerHeartbeatField,
  kOwnerSleepingField,
  kOwnerStateField,
  kShutdownField,
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
import { SpinOutcome, spinWhileEqual } from './mailbox-spin.ts';

/** Identifies one request: the slot it came from and its request sequence. */
export interface RequestTicket {
  readonly slot: number;
  readonly seq: number;
}

/** What poll() reports. Every `request` and `invalid` ticket must be answered with reply(). */
export type PollEvent =
  | { readonly kind: 'request'; readonly ticket: RequestTicket; readonly msg: CallerToOwner }
  /** Garbage in the slot: answer it (e.g. an `error` with code 'decode'); the caller is waiting. */
  | { readonly kind: 'invalid'; readonly ticket: RequestTicket; readonly error: DecodeError }
  /**
   * The slot's thread is gone. `inFlight` is its unanswered request, if any: the owner may cancel
   * the work, and must still reply() to it (the reply is dropped and the slot freed).
   */
  | { readonly kind: 'abandoned'; readonly slot: number; readonly inFlight: RequestTicket | null };

export type WaitOutcome = 'work' | 'timeout' | 'shutdown';

/** Upper bound on one doorbell wait, so the heartbeat moves at least this often when idle. */
export const OWNER_WAIT_MS_MAX = 250;

/**
 * Doorbell polls an owner makes before it sleeps (waitForWork's spinIterations): an actor usually
 * sends its next request within that, so the owner catches it without a futex wake-up (tens of µs
 * on a 2-core VM). 20,000 polls are ~20-60 µs: longer than an actor's time between two calls.
 * Both this and the callers' budget are bounded and give up to a wait (callers adapt theirs).
 */
export const OWNER_SPIN_ITERATIONS_DEFAULT = 20_000;
/**
 * The owner's doorbell spin is also bounded in time, adaptively in OWNER_SPIN_MS_FLOOR…MAX:
 * doubled after a spin that caught a ring, halved after one that did not, dropped to the floor
 * when the spin lost its core (see spinForDoorbell).
 */
export const OWNER_SPIN_MS_MAX = 0.06;
export const OWNER_SPIN_MS_FLOOR = 0.004;
/** How often an owner whose callers park spins anyway, to find out whether spinning pays again. */
export const OWNER_SPIN_PROBE_MS = 10;

/**
 * The hypervisor owner's end of a mailbox. Exactly one per mailbox, used from one thread.
 *
 * State (owned by the owner thread; mirrors of the shared fields it alone writes):
 * - `lastSeen[s]`: the reqSeq of slot s last taken by poll (or dropped); respSeq trails or equals it.
 * - `inFlight[s]`: 1 iff lastSeen[s] was handed out and not yet replied to.
 * - `abandonReported[s]`: 1 iff an `abandoned` event for the current abandonment was emitted.
 * - `doorbellSeen`: the doorbell value read at the start of the last poll.
 * Invariant: inFlight[s] === 0 ⇒ respSeq[s] === lastSeen[s].
 */
export class MailboxServer {
  readonly slotCount: number;
  private readonly layout: MailboxLayout;
  private readonly lastSeen: Int32Array;
  private readonly inFlight: Uint8Array;
  private readonly abandonReported: Uint8Array;
  private doorbellSeen: number;
  /** Current doorbell spin time budget, in OWNER_SPIN_MS_FLOOR…OWNER_SPIN_MS_MAX. */
  private spinMs = OWNER_SPIN_MS_MAX;
  /** A reply since the last waitForWork had to wake a parked caller. */
  private notifiedSinceWait = false;
  /** performance.now() before which a wait after such a wake-up does not spin (see spinWorthwhile). */
  private probeAt = 0;
  private stopped = false;

  /** Attaches as the mailbox's one owner. Asserts magic, version and that no owner ran before. */
  constructor(buffer: SharedArrayBuffer) {
    const layout = readLayout(buffer);
    assert(!isLayoutError(layout), () => `MailboxServer: ${isLayoutError(layout) ? layout.detail : ''}`);
    this.layout = layout;
    this.slotCount = layout.slotCount;
    this.lastSeen = new Int32Array(layout.slotCount);
    this.inFlight = new Uint8Array(layout.slotCount);
    this.abandonReported = new Uint8Array(layout.slotCount);
    for (let s = 0; s < layout.slotCount; s++) {
      // Requests published before we attached have reqSeq !== respSeq and are seen by the first poll.
      this.lastSeen[s] = Atomics.load(layout.words, slotWord(layout, s, kSlotRespSeqField));
    }
    // Read the doorbell before announcing ourselves: anything rung later makes waitForWork return.
    this.doorbellSeen = Atomics.load(layout.words, kDoorbellField);
    // CAS so that a second owner on the same mailbox is a loud programmer error.
    const was = Atomics.compareExchange(layout.words, kOwnerStateField, OwnerState.Starting, OwnerState.Running);
    assert(was === OwnerState.Starting, `MailboxServer: mailbox already had an owner (state ${was})`);
    this.heartbeat();
  }

  /** Proves liveness to callers; poll and waitForWork call it, a long-busy owner calls it too. */
  heartbeat(): void {
    // Ordering-free counter: callers only compare successive values.
    Atomics.add(this.layout.words, kOwnerHeartbeatField, 1);
  }

  /** Number of requests handed out by poll and not yet replied to. */
  inFlightCount(): number {
    let n = 0;
    for (let s = 0; s < this.slotCount; s++) n += this.inFlight[s];
    return n;
  }

  /** Non-blocking: every new request, undecodable request and abandonment since the last poll. */
  poll(): PollEvent[] {
    assert(!this.stopped, 'MailboxServer.poll after stop');
    const { words } = this.layout;
    this.heartbeat();
    // Read the doorbell before scanning: a request published after this read rings it again, so
    // waitForWork cannot sleep through it; one published before is found by the scan below.
    this.doorbellSeen = Atomics.load(words, kDoorbellField);
    const events: PollEvent[] = [];
    for (let s = 0; s < this.slotCount; s++) {
      // Claim state first: a free slot has nothing for us, an abandoned one needs cleanup.
      const state = Atomics.load(words, slotWord(this.layout, s, kSlotStateField));
      if (state === SLOT_FREE) continue;
      if (state === SLOT_ABANDONED) {
        this.collectAbandoned(s, events);
        continue;
      }
      if (this.inFlight[s] === 1) continue;
      // Load reqSeq before reading the payload: the caller wrote the payload before storing it.
      const seq = Atomics.load(words, slotWord(this.layout, s, kSlotReqSeqField));
      if (seq === this.lastSeen[s]) continue;
      this.lastSeen[s] = seq;
      this.inFlight[s] = 1;
      const ticket: RequestTicket = { slot: s, seq };
      const msg = decodeCallerToOwner(
        words[slotWord(this.layout, s, kSlotOpcodeField)],
        words[slotWord(this.layout, s, kSlotPayloadLengthField)],
        slotPayload(this.layout, s),
      );
      events.push(msg.kind === 'decodeError' ? { kind: 'invalid', ticket, error: msg } : { kind: 'request', ticket, msg });
    }
    return events;
  }

  private collectAbandoned(s: number, events: PollEvent[]): void {
    const { words } = this.layout;
    if (this.inFlight[s] === 1) {
      if (this.abandonReported[s] === 0) events.push({ kind: 'abandoned', slot: s, inFlight: { slot: s, seq: this.lastSeen[s] } });
      this.abandonReported[s] = 1;
      return;
    }
    if (this.abandonReported[s] === 0) events.push({ kind: 'abandoned', slot: s, inFlight: null });
    this.abandonReported[s] = 0;
    // The claimant is dead, so reqSeq is final; a request it published but we never took is dropped.
    const seq = Atomics.load(words, slotWord(this.layout, s, kSlotReqSeqField));
    this.lastSeen[s] = seq;
    // Restore respSeq === reqSeq before freeing: the next claimant asserts it right after its CAS.
    Atomics.store(words, slotWord(this.layout, s, kSlotRespSeqField), seq);
    // Free last (CAS, since only an abandoned slot is ours to free).
    Atomics.compareExchange(words, slotWord(this.layout, s, kSlotStateField), SLOT_ABANDONED, SLOT_FREE);
  }

  /**
   * Answers a request from poll(), in any order relative to other slots. `encoding` 'json'
   * forces JSON (benchmarks); by default hot replies go binary.
   * @returns 'delivered', or 'dropped' when the slot was abandoned meanwhile (freed at next poll).
   */
  reply(ticket: RequestTicket, msg: OwnerToCaller, encoding: EncodingChoice = 'auto'): 'delivered' | 'dropped' {
    const { slot, seq } = ticket;
    assert(slot >= 0 && slot < this.slotCount && this.inFlight[slot] === 1 && this.lastSeen[slot] === seq, () => `reply to a request not in flight: ${JSON.stringify(ticket)}`);
    const { words } = this.layout;
    this.inFlight[slot] = 0;
    // Any order is fine here: an abandonment we miss now is collected by the next poll.
    if (Atomics.load(words, slotWord(this.layout, slot, kSlotStateField)) === SLOT_ABANDONED) {
      Atomics.store(words, slotWord(this.layout, slot, kSlotRespSeqField), seq);
      return 'dropped';
    }
    const payload = slotPayload(this.layout, slot);
    let encoded = encodeOwnerToCaller(msg, payload, encoding);
    if (isEncodeError(encoded)) {
      encoded = encodeOwnerToCaller({ kind: 'error', now: msg.now, code: 'tooLarge', errno: -7, message: encoded.detail.slice(0, 512) }, payload);
      assert(!isEncodeError(encoded), 'error reply does not fit the payload');
    }
    words[slotWord(this.layout, slot, kSlotOpcodeField)] = encoded.opcode;
    words[slotWord(this.layout, slot, kSlotPayloadLengthField)] = encoded.length;
    const respIdx = slotWord(this.layout, slot, kSlotRespSeqField);
    // Publish after payload, opcode and length: the caller reads them only after seeing respSeq === seq.
    Atomics.store(words, respIdx, seq);
    // Load the flag after the store (Dekker with the caller's store-flag-then-wait): a caller that
    // raised it later will find respSeq already changed and not sleep.
    if (Atomics.load(words, slotWord(this.layout, slot, kSlotCallerWaitingField)) === 1) {
      Atomics.notify(words, respIdx, 1);
      this.notifiedSinceWait = true;
    }
    return 'delivered';
  }

  /**
   * Sleeps until a caller rings the doorbell, shutdown is requested, or `timeoutMs` passes.
   * Spins `spinIterations` loads first. Call only after poll() (it compares with poll's doorbell read).
   */
  waitForWork(timeoutMs: number, spinIterations = 0): WaitOutcome {
    assert(timeoutMs >= 0 && timeoutMs <= OWNER_WAIT_MS_MAX, `waitForWork: timeoutMs must be in 0…${OWNER_WAIT_MS_MAX} (heartbeat bound)`);
    const { words } = this.layout;
    this.heartbeat();
    if (this.shutdownRequested()) return 'shutdown';
    const spin = spinIterations > 0 && this.spinWorthwhile();
    this.notifiedSinceWait = false;
    if (spin && this.spinForDoorbell(spinIterations)) return 'work';
    // Flag before waiting (Dekker with the caller's add-doorbell-then-load-flag).
    Atomics.store(words, kOwnerSleepingField, 1);
    // wait re-checks doorbell === doorbellSeen atomically: a ring since poll returns at once.
    const r = Atomics.wait(words, kDoorbellField, this.doorbellSeen, timeoutMs);
    // Clear after waking: a stale 1 only costs callers a needless notify.
    Atomics.store(words, kOwnerSleepingField, 0);
    this.heartbeat();
    if (this.shutdownRequested()) return 'shutdown';
    return r === 'timed-out' ? 'timeout' : 'work';
  }

  /**
   * Whether to spin before this wait. Not when a reply since the last wait had to wake a parked
   * caller: that caller's next request is at least a futex wake-up away, and spinning for it
   * only keeps a core from it (and from the owner itself: a preempted spinner waits its turn in
   * the run queue, a parked thread woken by a futex is scheduled ahead). Both ends then park
   * (callers skip their spin when they find the owner parked), so every OWNER_SPIN_PROBE_MS the
   * owner spins anyway: on a machine with cores to spare that catches the next ring, the caller
   * finds the owner awake and spins, its reply needs no wake-up, and both stay spinning.
   */
  private spinWorthwhile(): boolean {
    if (!this.notifiedSinceWait) return true;
    const now = performance.now();
    if (now < this.probeAt) return false;
    this.probeAt = now + OWNER_SPIN_PROBE_MS;
    return true;
  }

  /**
   * Polls the doorbell for a ring after our poll's read, bounded by `polls`, by the adaptive time
   * budget and by the core: a clock read showing this thread was descheduled mid-spin (more
   * runnable threads than cores) ends the spin at once, so the owner parks and leaves the core to
   * the callers it waits for. @returns true when the doorbell rang.
   */
  private spinForDoorbell(polls: number): boolean {
    const outcome = spinWhileEqual(this.layout.words, kDoorbellField, this.doorbellSeen, polls, this.spinMs);
    // A ring caught: spin as long next time. None: the callers are busy elsewhere or descheduled,
    // spin less. Lost the core: park at once and spin little until rings are caught again.
    if (outcome === SpinOutcome.Changed) this.spinMs = Math.min(OWNER_SPIN_MS_MAX, this.spinMs * 2);
    else if (outcome === SpinOutcome.Exhausted) this.spinMs = Math.max(OWNER_SPIN_MS_FLOOR, this.spinMs / 2);
    else this.spinMs = OWNER_SPIN_MS_FLOOR;
    return outcome === SpinOutcome.Changed;
  }

  shutdownRequested(): boolean {
    // Status read; requestShutdown rings the doorbell after setting it, which wakes us to see it.
    return Atomics.load(this.layout.words, kShutdownField) !== 0;
  }

  /** Stops serving: callers blocked now or later get OwnerGoneError. Unanswered requests stay so. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    announceOwnerEnd(this.layout.words, this.layout, OwnerState.Stopped);
  }
}

/** Sets the owner state to Stopped/Dead and wakes every caller so it sees the state at once. */
export function announceOwnerEnd(words: Int32Array, layout: MailboxLayout, state: typeof OwnerState.Stopped | typeof OwnerState.Dead): void {
  // State before the wake-ups: a woken caller re-reads it and throws OwnerGoneError.
  Atomics.store(words, kOwnerStateField, state);
  for (let s = 0; s < layout.slotCount; s++) {
    // Unconditional: callers' waiting flags do not matter once the owner is gone.
    Atomics.notify(words, slotWord(layout, s, kSlotRespSeqField));
  }
}

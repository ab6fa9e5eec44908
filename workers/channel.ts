// The SharedArrayBuffer + Atomics hypercall channel: many caller threads, one hypervisor owner.
// This module is the public face: the two ends (mailbox-client.ts, mailbox-server.ts) and the
// supervisor's helpers, used by whichever thread spawned the owner and the actors (it alone sees
// them exit). Protocol in one paragraph:
//
// A caller claims a slot (CAS free -> threadId+1), writes a request into the slot payload, stores
// reqSeq+1, rings the doorbell; then spins on respSeq and, failing that, Atomics.waits on it in
// bounded slices while watching the owner's heartbeat. Both ends spin only briefly and never
// while the machine is oversubscribed (mailbox-spin.ts): there a futex beats a spin. The owner polls every slot's reqSeq, hands
// new requests out as tickets, and later (in any order) writes a reply and stores respSeq = reqSeq.
// A dead caller's slot is marked abandoned by its supervisor; the owner frees it once it holds no
// request of that slot. A dead owner is marked by its supervisor, or noticed by its silent heartbeat.

import { ringDoorbell } from './mailbox-client.ts';
import { announceOwnerEnd } from './mailbox-server.ts';
import { assert } from '../hv/assert.ts';
import {
  isLayoutError,
  kOwnerStateField,
  kShutdownField,
  kSlotStateField,
  OwnerState,
  readLayout,
  SLOT_ABANDONED,
  slotWord,
  type MailboxLayout,
} from './mailbox-layout.ts';

export { MailboxClient, MailboxPayloadTooLargeError, isNoFreeSlot, type MailboxClientOptions, type NoFreeSlot } from './mailbox-client.ts';
export { MailboxServer, OWNER_SPIN_ITERATIONS_DEFAULT, OWNER_WAIT_MS_MAX, type PollEvent, type RequestTicket, type WaitOutcome } from './mailbox-server.ts';
export { OwnerGoneError } from '../sim/port.ts';

function layoutOf(buffer: SharedArrayBuffer, who: string): MailboxLayout {
  const layout = readLayout(buffer);
  assert(!isLayoutError(layout), () => `${who}: ${isLayoutError(layout) ? layout.detail : ''}`);
  return layout;
}

/**
 * Marks every slot claimed by thread `deadThreadId` as abandoned and wakes the owner.
 * Call only after that thread has exited (Worker 'exit'): its writes must be final.
 * @returns the slots marked.
 */
export function abandonSlotsOfThread(buffer: SharedArrayBuffer, deadThreadId: number): number[] {
  const layout = layoutOf(buffer, 'abandonSlotsOfThread');
  const marked: number[] = [];
  for (let s = 0; s < layout.slotCount; s++) {
    // CAS from exactly that thread's claim value: a slot freed and re-claimed by another thread is left alone.
    if (Atomics.compareExchange(layout.words, slotWord(layout, s, kSlotStateField), deadThreadId + 1, SLOT_ABANDONED) === deadThreadId + 1) {
      marked.push(s);
    }
  }
  if (marked.length > 0) ringDoorbell(layout.words);
  return marked;
}

/** Marks the owner dead (call on the owner Worker's 'exit'); blocked callers throw OwnerGoneError. */
export function markOwnerDead(buffer: SharedArrayBuffer): void {
  const layout = layoutOf(buffer, 'markOwnerDead');
  announceOwnerEnd(layout.words, layout, OwnerState.Dead);
}

/** Asks the owner to stop: its next waitForWork returns 'shutdown'. */
export function requestShutdown(buffer: SharedArrayBuffer): void {
  const layout = layoutOf(buffer, 'requestShutdown');
  // Flag before the ring: the owner woken by the ring must see the flag.
  Atomics.store(layout.words, kShutdownField, 1);
  ringDoorbell(layout.words);
}

/** The owner's state as the mailbox header says. */
export function ownerStateOf(buffer: SharedArrayBuffer): OwnerState {
  const layout = layoutOf(buffer, 'ownerStateOf');
  // Status read; no ordering with other fields is implied.
  return Atomics.load(layout.words, kOwnerStateField) as OwnerState;
}

export { createMailbox, OwnerState, type CreateMailboxOptions } from './mailbox-layout.ts';

// The actor side of the real-thread transport: a HypercallPort whose requests travel through a
// SharedArrayBuffer mailbox slot to the owner worker. Each call blocks this thread in
// Atomics.wait (bounded) like a vCPU trapped in a hypercall; the Promise API is only so that the
// same actor code runs on both transports.

import { RequestPort } from '../sim/request-port.ts';
import type { ActorRequest, OwnerReply } from '../sim/requests.ts';
import { isNoFreeSlot, MailboxClient, OwnerState, ownerStateOf, type MailboxClientOptions, type NoFreeSlot } from './channel.ts';

/**
 * How long a starting actor waits for a free slot. The supervisor starts no more actors than
 * there are slots, but a finished actor may still be releasing its slot, and a dead one's slot is
 * freed by the owner only once the call it left in flight has run to completion.
 */
export const SLOT_WAIT_MS = 10_000;
const SLOT_RETRY_MS = 1;

/** The owner answered with a transport error (garbage, crash): the actor cannot go on. */
export class OwnerError extends Error {
  override name = 'OwnerError';
}

export class MailboxPort extends RequestPort {
  private callerDomid: number;
  private readonly client: MailboxClient;

  /** Claims a slot and attaches it to `actor` (the owner learns which actor speaks there). */
  constructor(buffer: SharedArrayBuffer, actor: string, caller: number, options: MailboxClientOptions = {}) {
    super(actor);
    this.client = openWaiting(buffer, actor, options);
    this.callerDomid = caller;
    const r = this.client.call({ kind: 'attach', actor });
    if (r.kind !== 'ack') throw new OwnerError(`${actor}: attach refused: ${JSON.stringify(r)}`);
  }

  get caller(): number {
    return this.callerDomid;
  }

  protected transmit(req: ActorRequest): OwnerReply {
    const r = this.client.call(req);
    if (r.kind === 'error') throw new OwnerError(`${this.actor}: owner ${r.code}: ${r.message}`);
    if (r.kind === 'echo') throw new OwnerError(`${this.actor}: unexpected echo`);
    if (r.kind === 'booted') this.callerDomid = r.domid;
    return r;
  }

  close(): void {
    this.client.close();
  }
}

/** Claims a slot, waiting (bounded) for one to be released. @throws OwnerError when none frees up. */
function openWaiting(buffer: SharedArrayBuffer, actor: string, options: MailboxClientOptions): MailboxClient {
  const pause = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const deadline = performance.now() + SLOT_WAIT_MS;
  let client: MailboxClient | NoFreeSlot = MailboxClient.open(buffer, options);
  const ownerServes = (): boolean => ownerStateOf(buffer) === OwnerState.Running || ownerStateOf(buffer) === OwnerState.Starting;
  while (isNoFreeSlot(client) && performance.now() < deadline && ownerServes()) {
    // A plain timed sleep (nobody notifies this cell).
    Atomics.wait(pause, 0, 0, SLOT_RETRY_MS);
    client = MailboxClient.open(buffer, options);
  }
  if (isNoFreeSlot(client)) throw new OwnerError(`${actor}: none of the ${client.slotCount} mailbox slots became free within ${SLOT_WAIT_MS} ms`);
  return client;
}

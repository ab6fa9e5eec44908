// The actor side of the real-thread transport: a HypercallPort whose requests travel through a
// SharedArrayBuffer mailbox slot to the owner worker. Each call blocks this thread in
// Atomics.wait (bounded) like a vCPU trapped in a hypercall; the Promise API is only so that the
// same actor code runs on both transports.

import { assert } from '../hv/assert.ts';
import { RequestPort } from '../sim/request-port.ts';
import type { ActorRequest, OwnerReply } from '../sim/requests.ts';
import { isNoFreeSlot, MailboxClient, type MailboxClientOptions } from './channel.ts';

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
    const client = MailboxClient.open(buffer, options);
    assert(!isNoFreeSlot(client), `${actor}: no free mailbox slot`);
    this.client = client;
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

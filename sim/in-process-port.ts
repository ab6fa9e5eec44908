// The in-process transport: requests go straight to an Owner in the same thread. The scheduled
// world (world/world.ts) and replay use it.

import type { Owner } from './owner.ts';
import { RequestPort } from './request-port.ts';
import type { ActorRequest, OwnerReply } from './requests.ts';

export { ActorStopped } from './request-port.ts';

export class InProcessPort extends RequestPort {
  constructor(
    private readonly owner: Owner,
    actor: string,
  ) {
    super(actor);
  }

  get caller(): number {
    return this.owner.callerOf(this.actor);
  }

  protected transmit(req: ActorRequest): Promise<OwnerReply> {
    return new Promise((resolve) => this.owner.submit(this.actor, req, resolve));
  }
}

// A guest kernel BUG()/BUG_ON(): in Linux the guest oopses; here the actor throws. This is a
// programmer-error tier for the *guest* (the hypervisor broke a promise the kernel relies on,
// or the guest model is wrong), never a Xen-level failure, which always arrives as an rc.

/** Thrown when a modelled kernel BUG_ON fires; the guest actor is dead after it. */
export class GuestBugError extends Error {
  override name = 'GuestBugError';
}

/** BUG_ON(cond): throws GuestBugError naming the kernel site. */
export function bugOn(cond: boolean, site: string): void {
  if (cond) throw new GuestBugError(`kernel BUG at ${site}`);
}

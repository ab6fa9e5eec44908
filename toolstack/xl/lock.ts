// xl's lockfile (acquire_lock/release_lock, xl_vmcontrol.c: an fcntl F_SETLKW write lock on
// `lockfile`, default /var/lock/xl), taken only by `xl create` with autoballoon on, around
// freemem() and the domain build. It serialises xl-with-autoballoon processes of one host and
// nothing else: builds by other toolstacks or by xl with autoballoon off ignore it.
//
// Modelled as a FIFO ticket lock the xl actors of one host share through the owner, so it works
// unchanged on both transports and replays: a ticket is taken by spawning a no-op actor named
// `<lockfile>#<k>` (the owner refuses a taken name atomically — a test-and-set), the holder of
// ticket k waits until xenstore's `served` node reaches k - 1, and releasing writes k.
// DIVERGENCE: a waiter polls every LOCK_POLL_NS of virtual time instead of sleeping in the
// kernel until the lock is released, so it may start up to that much later than under fcntl.

import type { HypercallPort } from '../../sim/port.ts';

export const LOCK_POLL_NS = 10_000_000;
/** The no-op actor kind whose spawn takes a ticket (registered in world/actor-kinds.ts). */
export const LOCK_TICKET_KIND = 'xl-lock-ticket';

const servedPath = (lockfile: string) => `/tool/xen-memsim/xl-lock${lockfile}/served`;
const nextPath = (lockfile: string) => `/tool/xen-memsim/xl-lock${lockfile}/next`;

/** A held lock; release exactly once. */
export interface XlLock {
  release(): Promise<void>;
}

/** acquire_lock: blocks (in virtual time) until this xl holds `lockfile`. */
export async function acquireLock(port: HypercallPort, lockfile: string): Promise<XlLock> {
  let ticket = Number((await port.xsRead(nextPath(lockfile))) ?? '1');
  for (;;) {
    try {
      await port.spawn({ name: `${lockfile}#${ticket}`, kind: LOCK_TICKET_KIND });
      break;
    } catch {
      ticket++; // someone else holds this ticket: the hint was stale
    }
  }
  await port.xsWrite(nextPath(lockfile), String(ticket + 1));
  while (Number((await port.xsRead(servedPath(lockfile))) ?? '0') < ticket - 1) await port.sleep(LOCK_POLL_NS);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await port.xsWrite(servedPath(lockfile), String(ticket));
    },
  };
}

/** The ticket actor's program: taking the name was the whole point. */
export async function lockTicketMain(): Promise<void> {}

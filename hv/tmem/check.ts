// tmem's standing invariants (see the Tmem class doc), one check each, run between sections by
// hv/invariants.ts and by the tmem tests after every hypercall.

import { InvariantViolation } from '../assert.ts';
import { OWNER_ANON } from '../page-allocator.ts';
import type { Tmem } from './core.ts';

function check(cond: boolean, invariant: string, detail: () => string): void {
  if (!cond) throw new InvariantViolation(invariant, detail());
}

/** Checks tmem's own invariants (the Tmem class doc); throws InvariantViolation naming the first broken. */
export function checkTmemInvariants(tmem: Tmem): void {
  const persistentByDomid = tmem.persistentCounts;
  const heap = tmem.hv.heap;
  const seen = new Set<number>();
  const frame = (mfn: number, where: string): void => {
    check(mfn > 0 && mfn < heap.nrPages, 'tmem-frame-valid', () => `${where} frame ${mfn}`);
    check(!seen.has(mfn), 'tmem-frame-once', () => `frame ${mfn} held twice by tmem (${where})`);
    seen.add(mfn);
  };
  for (const mfn of tmem.pageList) {
    frame(mfn, 'free list');
    check(heap.ownerOf(mfn) === OWNER_ANON, 'tmem-free-list-anon', () => `free-list frame ${mfn} owned by ${heap.ownerOf(mfn)}`);
  }
  let ephemeral = 0;
  const persistent = new Map<number, number>();
  for (const pool of tmem.pools) {
    let pgps = 0;
    for (const obj of pool.objects.values()) {
      check(obj.pages.size > 0, 'tmem-no-empty-object', () => `empty object ${obj.key} in pool ${pool.poolId} of d${pool.client.cliId}`);
      for (const pgp of obj.pages.values()) {
        pgps++;
        frame(pgp.mfn, 'page');
        const owner = heap.ownerOf(pgp.mfn);
        if (pool.persistent) {
          check(tmem.hv.domains.has(owner), 'tmem-persistent-owned', () => `persistent frame ${pgp.mfn} owned by ${owner}`);
          persistent.set(owner, (persistent.get(owner) ?? 0) + 1);
        } else {
          ephemeral++;
          check(owner === OWNER_ANON, 'tmem-ephemeral-anon', () => `ephemeral frame ${pgp.mfn} owned by ${owner}`);
          check(tmem.globalEphemeralPageList.has(pgp) && pool.client.ephemeralPageList.has(pgp), 'tmem-ephemeral-listed',
            () => `ephemeral page ${obj.key}/${pgp.index} missing from an LRU list`);
        }
      }
    }
    check(pgps === pool.pgpCount, 'tmem-pool-count', () => `pool ${pool.poolId} of d${pool.client.cliId}: pgp_count ${pool.pgpCount}, holds ${pgps}`);
  }
  check(ephemeral === tmem.freeablePageCount, 'tmem-freeable-count', () => `freeable_page_count ${tmem.freeablePageCount}, ephemeral pages ${ephemeral}`);
  check(ephemeral === tmem.globalEphemeralPageList.size, 'tmem-global-eph-count', () => `global_eph_count ${tmem.globalEphemeralPageList.size}, ephemeral pages ${ephemeral}`);
  let clientEph = 0;
  for (const c of tmem.clients.values()) clientEph += c.ephemeralPageList.size;
  check(clientEph === ephemeral, 'tmem-client-eph-count', () => `Σ client eph_count ${clientEph}, ephemeral pages ${ephemeral}`);
  check(tmem.pageList.length + tmem.freeablePageCount <= heap.anonPages, 'tmem-anon', () => `tmem holds ${tmem.pageList.length + tmem.freeablePageCount} anonymous frames, heap counts ${heap.anonPages}`);
  for (const [domid, n] of persistentByDomid) {
    check(persistent.get(domid) === n, 'tmem-persistent-count', () => `d${domid}: ${n} persistent frames recorded, ${persistent.get(domid) ?? 0} held`);
  }
  for (const [domid, n] of persistent) {
    check(persistentByDomid.get(domid) === n, 'tmem-persistent-count', () => `d${domid}: ${persistentByDomid.get(domid) ?? 0} persistent frames recorded, ${n} held`);
  }
}

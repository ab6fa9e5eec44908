// The standing state checker (TigerBeetle's StateChecker): structural invariants that hold in
// every Xen version at every point where no lock is held — i.e. between any two critical
// sections. Tests call it after every section. Each invariant is its own assert, so a failure
// names exactly one. Version promises that buggy versions break (claims <= available, no leaked
// claims) are properties, not invariants: see prop-tests/properties.ts.

import { InvariantViolation } from './assert.ts';
import type { Hypervisor } from './hypervisor.ts';
import { MAX_ORDER, OWNER_FREE, OWNER_OFFLINED, PageAllocator } from './page-allocator.ts';
import { checkTmemInvariants } from './tmem/check.ts';
import { pow2 } from './pow2.ts';

export { InvariantViolation };

/** Each check is `if (!cond) violated(…)`: the detail is built only on failure, no closure per check. */
function violated(invariant: string, detail: string): never {
  throw new InvariantViolation(invariant, detail);
}

/** Σ node claims per node, reused from check to check (grown to the host's node count). */
let perNodeScratch = new Float64Array(8);

/** Frame-table scans cost O(frames); by default they run for hosts up to 64 MiB. */
const DEEP_DEFAULT_MAX_PAGES = 1 << 14;

/**
 * Checks every structural invariant; throws InvariantViolation naming the first broken one.
 * @param deep also scan the frame table and free lists (buddy structure, ownership).
 */
export function checkInvariants(hv: Hypervisor, deep = hv.heap.nrPages <= DEEP_DEFAULT_MAX_PAGES): void {
  const heap = hv.heap;
  let claims = heap.leakedClaimPages;
  let charged = 0;
  for (const d of hv.domains.values()) {
    if (!(d.outstandingPages >= 0 && Number.isSafeInteger(d.outstandingPages))) violated('claim-nonnegative', `d${d.domid}.outstanding_pages = ${d.outstandingPages}`);
    if (!(d.totPages <= d.maxPages || d.maxLoweredBelowTot)) violated('tot-within-max', `d${d.domid}: tot_pages ${d.totPages} > max_pages ${d.maxPages}`);
    claims += d.outstandingPages;
    charged += d.totPages + d.extraPages - d.stolenPages;
    let owned = d.p2m.size + d.pagingPool.length + (hv.tmem?.clientPages(d.domid) ?? 0);
    if (d.unmappedExtents.size > 0) for (const order of d.unmappedExtents.values()) owned += pow2(order);
    if (owned !== d.totPages + d.extraPages - d.stolenPages) {
      violated('owned-equals-charged', `d${d.domid}: ${owned} frames held, tot ${d.totPages} + extra ${d.extraPages} - stolen ${d.stolenPages}`);
    }
  }
  if (perNodeScratch.length < heap.nodes) perNodeScratch = new Float64Array(heap.nodes);
  const perNode = perNodeScratch;
  perNode.fill(0, 0, heap.nodes);
  for (const d of hv.domains.values()) {
    if (d.nodeClaims === null) continue;
    let pinned = 0;
    d.nodeClaims.forEach((c, n) => {
      perNode[n] += c;
      pinned += c;
    });
    if (!(pinned <= d.outstandingPages)) violated('node-claims-within-claim', `d${d.domid}: node claims ${pinned} > outstanding ${d.outstandingPages}`);
  }
  for (let n = 0; n < heap.nodes; n++) {
    if (perNode[n] !== heap.nodeOutstanding[n]) violated('node-claims-sum', `node ${n}: outstanding ${heap.nodeOutstanding[n]} != Σ node claims ${perNode[n]}`);
  }
  if (claims !== heap.outstandingClaims) violated('claims-sum', `outstanding_claims ${heap.outstandingClaims} != Σ claims ${claims}`);
  let availSum = 0;
  for (let i = 0; i < heap.avail.length; i++) availSum += heap.avail[i];
  if (availSum !== heap.totalAvailPages) violated('avail-sum', `total_avail_pages ${heap.totalAvailPages} != Σ avail ${availSum}`);
  if (heap.totalAvailPages + heap.anonPages + charged + heap.offlinedPages !== heap.managedPages) {
    violated('conservation', `free ${heap.totalAvailPages} + anon ${heap.anonPages} + charged ${charged} + offlined ${heap.offlinedPages} != ${heap.managedPages}`);
  }
  if (deep) {
    checkFrameTable(hv);
    if (hv.tmem !== null) checkTmemInvariants(hv.tmem); // O(tmem pages): tmem's own structure
  }
}

/**
 * Buddy structure and frame ownership, exact over every frame: the free blocks, sorted, must tile
 * exactly the frames the frame table marks OWNER_FREE; each domain's frames are counted by owner
 * runs; every p2m run must be owned by its domain. Costs O(free blocks + owner runs + p2m runs).
 */
function checkFrameTable(hv: Hypervisor): void {
  const heap = hv.heap;
  const blocks: Array<[number, number]> = [];
  let freeTotal = 0;
  for (const [mfn, order, node, zone] of heap.freeBlocks()) {
    const n = pow2(order);
    if (!(mfn > 0 && mfn % n === 0 && mfn + n <= heap.nrPages)) violated('buddy-aligned', `free block ${mfn}/${order}`);
    if (!(heap.nodeOf(mfn) === node && heap.nodeOf(mfn + n - 1) === node)) violated('buddy-node', `free block ${mfn}/${order} not on node ${node}`);
    if (!(PageAllocator.zoneOf(mfn) === zone && PageAllocator.zoneOf(mfn + n - 1) === zone)) violated('buddy-zone', `free block ${mfn}/${order} crosses zone ${zone}`);
    for (let o = 0; o <= MAX_ORDER; o++) {
      if (!(o === order || !heap.isFreeHead(mfn, o))) violated('buddy-head', `free block ${mfn} listed as order ${order} and ${o}`);
    }
    if (order < MAX_ORDER) {
      const buddy = Math.floor(mfn / n) % 2 === 1 ? mfn - n : mfn + n;
      const merged = buddy > 0 && buddy < heap.nrPages && heap.nodeOf(buddy) === node && heap.isFreeHead(buddy, order);
      if (merged) violated('buddy-merged', `free buddies ${mfn} and ${buddy} of order ${order} not merged`);
    }
    blocks.push([mfn, n]);
    freeTotal += n;
  }
  const unlinked = heap.checkFreeLists();
  if (unlinked !== null) violated('free-lists-linked', unlinked);
  if (freeTotal !== heap.totalAvailPages) violated('free-lists-sum', `free lists hold ${freeTotal}, total_avail_pages ${heap.totalAvailPages}`);
  blocks.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < blocks.length; i++) {
    const [prev, n] = blocks[i - 1];
    if (!(prev + n <= blocks[i][0])) violated('buddy-disjoint', `free blocks ${prev}+${n} and ${blocks[i][0]} overlap`);
  }
  // Walk the owner runs and the sorted blocks together: each OWNER_FREE run is tiled by blocks.
  let b = 0;
  const ownedCount = new Map<number, number>();
  let offlined = 0;
  heap.frames.forEachRun((lo, hi, owner) => {
    while (b < blocks.length && blocks[b][0] < lo) {
      const [mfn] = blocks[b];
      violated('free-unowned', `free frame ${mfn} owned by ${heap.ownerOf(mfn)}`);
    }
    if (owner === OWNER_FREE) {
      let p = lo;
      while (p < hi) {
        if (!(b < blocks.length && blocks[b][0] === p)) violated('free-on-list', `frame ${p} marked free but on no list`);
        p += blocks[b][1];
        b++;
      }
      if (p !== hi) violated('free-unowned', `free frame ${hi} owned by ${heap.ownerOf(hi)}`);
    } else if (hv.domains.has(owner)) {
      ownedCount.set(owner, (ownedCount.get(owner) ?? 0) + hi - lo);
    } else if (owner === OWNER_OFFLINED) {
      offlined += hi - lo;
    }
  });
  if (offlined !== heap.offlinedPages) violated('offlined-count', `${offlined} frames offlined in the frame table, offlinedPages ${heap.offlinedPages}`);
  if (b !== blocks.length) violated('free-unowned', `free frame ${blocks[b][0]} owned by ${heap.ownerOf(blocks[b][0])}`);
  for (const d of hv.domains.values()) {
    d.p2m.forEachRun((gpfn, mfn, n) => {
      if (heap.frames.isRange(mfn, n, d.domid)) return;
      let j = 0;
      while (heap.ownerOf(mfn + j) === d.domid) j++;
      violated('p2m-owned', `d${d.domid} maps gpfn ${gpfn + j} to frame ${mfn + j} owned by ${heap.ownerOf(mfn + j)}`);
    });
    const held = d.totPages + d.extraPages - d.stolenPages;
    if ((ownedCount.get(d.domid) ?? 0) !== held) violated('frame-owner-count', `d${d.domid} owns ${ownedCount.get(d.domid) ?? 0} frames, charged ${held}`);
  }
}

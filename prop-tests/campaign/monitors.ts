// The campaign's properties as monitors (sim/monitors.ts): each checks one promise Xen (or the
// toolstack's use of claims) makes, after every critical section and/or at the end of a run,
// and names the breach in one line. They reuse the predicates of prop-tests/properties.ts.
// Which apply to a run is decided per version by monitorsFor() (a scenario records the list).

import type { HvEvent, XenVersion } from '../../hv/index.ts';
import type { MonitorFactory } from '../../sim/monitors.ts';
import type { Owner } from '../../sim/owner.ts';
import { claimsExceedAvailable, leakedClaims } from '../properties.ts';
import { BUILD_NOTE_PREFIX, type BuildOutcome } from './actors.ts';

/** Collects a breach found inside a section (an hv event) and reports it after the step. */
function pending(): { set: (s: string) => void; take: () => string | null } {
  let breach: string | null = null;
  return { set: (s) => void (breach ??= s), take: () => breach };
}

/**
 * claim-guarantee: a domain whose remaining claim covers a request is never refused it for lack
 * of memory — no 'alloc_failed' with outstanding ≥ 2^order while fewer than 2^order frames are
 * free (+ tmem freeable). Fragmentation and placement refusals are not promised against.
 */
const claimGuarantee: MonitorFactory = (owner) => {
  const p = pending();
  owner.hv.listeners.push((e: HvEvent) => {
    if (e.kind !== 'alloc_failed' || e.reason === 'order') return;
    const request = 2 ** e.order;
    const free = owner.hv.heap.availForClaims();
    if (e.outstanding >= request && free < request) {
      p.set(`d${e.domid} refused an order-${e.order} allocation its claim of ${e.outstanding} covers (${free} free, outstanding_claims ${owner.hv.heap.outstandingClaims})`);
    }
  });
  return { name: 'claim-guarantee', afterStep: p.take };
};

/**
 * claim-backed: a claim is granted only when free memory backs it — right after a successful
 * XENMEM_claim_pages, outstanding_claims ≤ available. Xen's unsigned `avail - claims` wraps
 * when claims already exceed memory (B3's window, B2), and then any claim "fits".
 */
const claimBacked: MonitorFactory = (owner) => {
  const p = pending();
  owner.hv.listeners.push((e: HvEvent) => {
    if (e.kind !== 'claim' || e.rc !== 0 || e.pages === 0) return;
    const breach = claimsExceedAvailable(owner.hv);
    if (breach !== null) p.set(`claim[d${e.domid},${e.pages}] granted, leaving ${breach}`);
  });
  return { name: 'claim-backed', afterStep: p.take };
};

/** claims-within-available: outstanding_claims ≤ available at every lock-free point (4.22 promises it). */
const claimsWithinAvailable: MonitorFactory = (owner) => ({
  name: 'claims-within-available',
  afterStep: () => claimsExceedAvailable(owner.hv),
});

/** no-leaked-claims: no claim outlives its domain (B1). */
const noLeakedClaims: MonitorFactory = (owner) => ({
  name: 'no-leaked-claims',
  afterStep: () => leakedClaims(owner.hv),
});

/**
 * frames-back: at the end (no call in flight) every frame is free or charged to a live domain:
 * no anonymous frame is left over, and no claim is held by a domain that no longer exists.
 */
const framesBack: MonitorFactory = (owner) => ({
  name: 'frames-back',
  atEnd: () => {
    const heap = owner.hv.heap;
    if (owner.hv.tmem === null && heap.anonPages !== 0) return `${heap.anonPages} frames neither free nor owned after the run`;
    return leakedClaims(owner.hv);
  },
});

/** Reads the builders' outcome notes that reached the trace since the last call. */
function outcomeReader(owner: Owner): () => BuildOutcome[] {
  let cursor = 0;
  return () => {
    const evs = owner.trace.events;
    const out: BuildOutcome[] = [];
    for (; cursor < evs.length; cursor++) {
      const e = evs[cursor];
      if (e.k === 'arrive' && e.req.kind === 'note' && e.req.text.startsWith(BUILD_NOTE_PREFIX)) {
        out.push(JSON.parse(e.req.text.slice(BUILD_NOTE_PREFIX.length)) as BuildOutcome);
      }
    }
    return out;
  };
}

/**
 * creation-atomic: a domain creation either fails before populating anything or completes — it
 * never fails for lack of memory after populating (unless someone else destroyed the domain).
 * claim_mode=1 promises it; claim_mode=0 (check free memory, then populate) does not: that race
 * is why claims exist.
 */
const creationAtomic: MonitorFactory = (owner) => {
  const read = outcomeReader(owner);
  const check = (): string | null => {
    for (const o of read()) {
      if (o.outcome === 'failed-after-populating' && o.alive === true) {
        return `creation of ${o.name} (claim_mode=${o.claimMode}) failed after populating ${o.populated} pages`;
      }
    }
    return null;
  };
  return { name: 'creation-atomic', afterStep: check, atEnd: check };
};

export const CAMPAIGN_MONITORS: Readonly<Record<string, MonitorFactory>> = {
  'claim-guarantee': claimGuarantee,
  'claim-backed': claimBacked,
  'claims-within-available': claimsWithinAvailable,
  'no-leaked-claims': noLeakedClaims,
  'frames-back': framesBack,
  'creation-atomic': creationAtomic,
};

/** The properties a run on `version` is held to: claims ≤ available only where promised (4.22). */
export function monitorsFor(version: XenVersion): string[] {
  const all = ['no-leaked-claims', 'claim-backed', 'claim-guarantee', 'creation-atomic', 'frames-back'];
  return version === '4.22' ? ['claims-within-available', ...all] : all;
}

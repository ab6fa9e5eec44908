// The campaign's properties as monitors (registered with sim/registry.ts when this module is
// evaluated): each checks one promise Xen (or the
// toolstack's use of claims) makes, after every critical section and/or at the end of a run,
// and names the breach in one line. They reuse the predicates of prop-tests/properties.ts.
// Which apply to a run is decided per version by monitorsFor() (a scenario records the list).

import { FRONTSWAP_SHRINK_NOTE } from '../../guests/linux-guest.ts';
import { features, type HvEvent, type XenVersion } from '../../hv/index.ts';
import type { Owner, StepInfo } from '../../sim/owner.ts';
import { registerMonitor, type MonitorFactory } from '../../sim/registry.ts';
import type { TraceEvent } from '../../sim/trace.ts';
import { claimGuaranteeBreach, claimsExceedAvailable, leakedClaims } from '../properties.ts';
import { BUILD_NOTE_PREFIX, type BuildOutcome } from './actors.ts';
import { STATE_MONITOR_NAMES } from './result-monitors.ts';
import { ledgerOf } from './ledger.ts';

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
    const b = claimGuaranteeBreach(owner.hv, e);
    if (b !== null) {
      p.set(`d${b.event.domid} refused an order-${b.event.order} allocation its claim of ${b.event.outstanding} covers (${b.freeAtEvent} free, outstanding_claims ${b.claimsAtEvent})`);
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

/**
 * node-claims-backed (claim sets): on every node, the claims pinned to it never exceed its free
 * memory at a lock-free point — the per-node promise the series' get_free_buddy gate exists for.
 */
const nodeClaimsBacked: MonitorFactory = (owner) => ({
  name: 'node-claims-backed',
  afterStep: () => {
    const heap = owner.hv.heap;
    for (let n = 0; n < heap.nodes; n++) {
      const free = heap.nodeAvailPages(n);
      if (heap.nodeOutstanding[n] > free) return `node ${n}: claims pinned to it ${heap.nodeOutstanding[n]} > its free pages ${free}`;
    }
    return null;
  },
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

/**
 * Watches the trace as it is recorded (requests, answers, kills — not sections): `check` looks at
 * each event once, and its first breach is reported after the next step or at the end. Nothing
 * is rescanned: a step that recorded nothing costs nothing.
 */
function watchTrace(owner: Owner, check: (e: TraceEvent) => string | null): () => string | null {
  const p = pending();
  owner.trace.subscribe((e) => {
    let b: string | null;
    try {
      b = check(e);
    } catch (err) {
      // A subscriber must not throw into the actor whose request is being recorded.
      b = `cannot read ${e.k}${'a' in e ? ` of ${e.a}` : ''}: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (b !== null) p.set(b);
  });
  return p.take;
}

/**
 * creation-atomic: a creation that holds a claim for the whole guest either fails before
 * populating anything or completes — it never fails for lack of memory after populating (unless
 * someone else destroyed the domain). That is what claim_mode=1 promises; a build whose claim is
 * partial, late, cancelled or absent was promised nothing (check-then-act holds claim_mode=0).
 */
const creationAtomic: MonitorFactory = (owner) => {
  const recalled = recalledClaims(owner);
  const xl = xlCreations(owner, recalled.has);
  const check = watchTrace(owner, (e) => {
    const o = buildOutcome(e);
    if (o !== undefined && o.outcome === 'failed-after-populating' && o.alive === true && o.claimed === true && !recalled.has(o.name)) {
      return `creation of ${o.name} (claim_mode=${o.claimMode}, its claim covering the guest) failed after populating ${o.populated} pages`;
    }
    return xl(e);
  });
  return { name: 'creation-atomic', afterStep: (info) => (recalled.note(info), check()), atEnd: check };
};

/**
 * The domains (by name and as `d<id>`) whose claim a page offlining recalled (the claim-set
 * series' reserve_offlined_page): memory taken from under a claim, so their build was promised
 * nothing after it. offline-recalls-claims and node-claims-backed judge the recall itself.
 */
function recalledClaims(owner: Owner): { note: (info: StepInfo) => void; has: (key: string) => boolean } {
  const ledger = ledgerOf(owner);
  const keys = new Set<string>();
  return {
    note: (info) => {
      const v = ledger.section(info);
      if (v?.info.label !== 'offline_page') return;
      for (const [domid, a] of v.after.doms) {
        if (a.out >= (v.before.doms.get(domid)?.out ?? 0)) continue;
        keys.add(`d${domid}`);
        const name = owner.hv.domains.get(domid)?.name;
        if (name !== undefined) keys.add(name);
      }
    },
    has: (key) => keys.has(key),
  };
}

/** The build outcome a mini-builder noted in event `e`, if it is one. */
function buildOutcome(e: TraceEvent): BuildOutcome | undefined {
  if (e.k !== 'arrive' || e.req.kind !== 'note' || !e.req.text.startsWith(BUILD_NOTE_PREFIX)) return undefined;
  return JSON.parse(e.req.text.slice(BUILD_NOTE_PREFIX.length)) as BuildOutcome;
}

/**
 * check-then-act: the race claims exist to close, shown — with claim_mode=0 for every build
 * (libxl checks free memory, then populates), a creation fails after populating. Only in a
 * campaign that fixes claim_mode=0 (`check --claim-mode 0`): the race is not a Xen bug.
 */
const checkThenAct: MonitorFactory = (owner) => {
  const check = watchTrace(owner, (e) => {
    const o = buildOutcome(e);
    if (o !== undefined && o.outcome === 'failed-after-populating' && o.alive === true && o.claimMode === 0) {
      return `creation of ${o.name} (claim_mode=0) failed after populating ${o.populated} pages`;
    }
    return null;
  });
  return { name: 'check-then-act', afterStep: check, atEnd: check };
};

/** A reply's rc, when it is a hypercall result. */
function replyRc(e: TraceEvent): number | undefined {
  return e.k === 'reply' && e.r.kind === 'result' ? (e.r.result.rc as number) : undefined;
}

/**
 * creation-atomic for real xl processes (kind 'xl'), read from their hypercalls: a toolstack
 * that staked a claim for the domain it created (claim_mode=1 in effect) and populated part of it
 * did not complete the creation — it destroyed the domain, or ended without unpausing it — while
 * nobody else had destroyed it: it failed after populating.
 */
function xlCreations(owner: Owner, recalled: (key: string) => boolean): (e: TraceEvent) => string | null {
  const xlActors = new Set(owner.spec.actors.filter((a) => a.kind === 'xl').map((a) => a.name));
  const st = new Map<string, { op?: string; domid?: number; claimed: boolean; populated: number; unpaused: boolean }>();
  const destroyedBy = new Map<number, string>();
  const killed = new Set<string>();
  const failed = (a: string, domid: number, populated: number) =>
    `xl creation by ${a} (a claim staked: claim_mode=1) failed after populating d${domid} with ${populated} pages`;
  return (e) => {
    if (e.k === 'kill') killed.add(e.a);
    if (e.k === 'arrive' && e.req.kind === 'exit' && xlActors.has(e.a) && !killed.has(e.a)) {
      const s = st.get(e.a);
      if (s?.domid !== undefined && s.claimed && s.populated > 0 && !s.unpaused && !destroyedBy.has(s.domid) && !recalled(`d${s.domid}`)) return failed(e.a, s.domid, s.populated);
      return null;
    }
    if (e.k === 'arrive' && e.req.kind === 'hypercall') {
      const args = e.req.args as { domid?: number; nr_extents?: number };
      if (e.req.op === 'XEN_DOMCTL_destroydomain' && args.domid !== undefined && !destroyedBy.has(args.domid)) destroyedBy.set(args.domid, e.a);
      if (!xlActors.has(e.a)) return null;
      const s = st.get(e.a) ?? { claimed: false, populated: 0, unpaused: false };
      st.set(e.a, s);
      s.op = e.req.op;
      if (s.domid === undefined || args.domid !== s.domid) return null;
      if (e.req.op === 'XENMEM_claim_pages' && (args.nr_extents ?? 0) > 0) s.claimed = true;
      // The proposed vNUMA path on 4.22+claim-sets: one claim set, an entry per physical node.
      if (e.req.op === 'XEN_DOMCTL_claim_memory' && claimSetPages(e.req.args) > 0) s.claimed = true;
      if (e.req.op === 'XEN_DOMCTL_unpausedomain') s.unpaused = true;
      if (e.req.op === 'XEN_DOMCTL_destroydomain' && s.claimed && s.populated > 0 && destroyedBy.get(s.domid) === e.a && !recalled(`d${s.domid}`)) return failed(e.a, s.domid, s.populated);
    } else if (e.k === 'reply' && xlActors.has(e.a)) {
      const s = st.get(e.a);
      const rc = replyRc(e);
      if (s === undefined || rc === undefined) return null;
      if (s.op === 'XEN_DOMCTL_createdomain' && rc === 0 && e.r.kind === 'result') s.domid = e.r.result.domid as number;
      if (s.op === 'XENMEM_populate_physmap' && rc > 0) s.populated += rc;
    }
    return null;
  };
}

/** The pages a XEN_DOMCTL_claim_memory request's entries ask for in all. */
function claimSetPages(args: unknown): number {
  const set = (args as { claim_set?: unknown }).claim_set;
  return Array.isArray(set) ? set.reduce((n: number, c: unknown) => n + (typeof (c as { pages?: unknown }).pages === 'number' ? (c as { pages: number }).pages : 0), 0) : 0;
}

const RESERVATION_OPS = new Set(['XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation']);

/**
 * memop-returns-extents: the reservation ops return the number of extents done — never an
 * errno, whatever went wrong (memory.c; B12 returned the XSM denial's -EPERM).
 */
const memopReturnsExtents: MonitorFactory = (owner) => {
  const lastOp = new Map<string, string>();
  const check = watchTrace(owner, (e) => {
    if (e.k === 'arrive' && e.req.kind === 'hypercall') lastOp.set(e.a, e.req.op);
    const rc = replyRc(e);
    if (e.k !== 'reply' || rc === undefined || !RESERVATION_OPS.has(lastOp.get(e.a) ?? '')) return null;
    if (!Number.isSafeInteger(rc) || rc < 0) return `${e.a}: ${lastOp.get(e.a)} returned ${rc}, an errno instead of the extents done`;
    return null;
  });
  return { name: 'memop-returns-extents', afterStep: check, atEnd: check };
};

/**
 * forward-progress: a preempted memory op completes an extent on every re-entry — it is never
 * preempted twice in a row without one (8c0eed2cc8; B13 let the first iteration be preempted,
 * so a busy pCPU re-entered the op for ever).
 */
const forwardProgress: MonitorFactory = () => {
  const last = new Map<string, string>();
  return {
    name: 'forward-progress',
    afterStep: (info) => {
      const prev = last.get(info.actor);
      if (info.finished === true || info.op === undefined) last.delete(info.actor);
      else last.set(info.actor, info.label);
      if (info.label === 'continuation' && prev === 'continuation') {
        return `${info.actor}'s ${info.op} was preempted twice in a row without completing an extent`;
      }
      return null;
    },
  };
};

/** no-xsa231: a guest's NUMA node byte is never used unchecked (B15, XSA-231's hv event). */
const noXsa231: MonitorFactory = (owner) => {
  const p = pending();
  owner.hv.listeners.push((e: HvEvent) => {
    if (e.kind === 'xsa231') p.set(`d${e.caller} passed node ${e.node} (the host has ${owner.hv.heap.nodes}) and Xen indexed its per-node arrays with it`);
  });
  return { name: 'no-xsa231', afterStep: p.take };
};

/**
 * frontswap-inertia: after a frontswap_shrink() a self-ballooning guest waits frontswap_inertia
 * worker runs before the next one (B14's early driver never re-armed the counter and shrank on
 * every run). Read from the guests' shrink notes.
 */
const frontswapInertia: MonitorFactory = (owner) => {
  const lastShrink = new Map<string, number>();
  const check = watchTrace(owner, (e) => {
    if (e.k !== 'arrive' || e.req.kind !== 'note' || !e.req.text.startsWith(FRONTSWAP_SHRINK_NOTE)) return null;
    const n = JSON.parse(e.req.text.slice(FRONTSWAP_SHRINK_NOTE.length)) as { t: number; to: number; inertia: number; intervalS: number };
    const prev = lastShrink.get(e.a);
    lastShrink.set(e.a, n.t);
    const gapNs = n.inertia * n.intervalS * 1e9;
    if (prev !== undefined && n.t - prev < gapNs) {
      return `${e.a} shrank frontswap again ${((n.t - prev) / 1e9).toFixed(0)} s after the last shrink (inertia ${n.inertia} × ${n.intervalS} s)`;
    }
    return null;
  });
  return { name: 'frontswap-inertia', afterStep: check, atEnd: check };
};

/**
 * claim-guarantee-tmem: on 4.3 with tmem, a domain whose claim covers a request is never refused
 * it by the allocator's tmem detour (which only relinquishes order-0 frames: B11).
 */
const claimGuaranteeTmem: MonitorFactory = (owner) => {
  const p = pending();
  owner.hv.listeners.push((e: HvEvent) => {
    if (e.kind !== 'alloc_failed' || e.reason !== 'tmem' || e.outstanding < 2 ** e.order) return;
    p.set(`d${e.domid} refused an order-${e.order} allocation its claim of ${e.outstanding} covers: the tmem detour holds ${owner.hv.tmem?.freeablePages() ?? 0} freeable pages but relinquishes only order 0`);
  });
  return { name: 'claim-guarantee-tmem', afterStep: p.take };
};

export const CAMPAIGN_MONITORS: Readonly<Record<string, MonitorFactory>> = {
  'claim-guarantee': claimGuarantee,
  'claim-backed': claimBacked,
  'claims-within-available': claimsWithinAvailable,
  'node-claims-backed': nodeClaimsBacked,
  'no-leaked-claims': noLeakedClaims,
  'frames-back': framesBack,
  'creation-atomic': creationAtomic,
  'check-then-act': checkThenAct,
  'memop-returns-extents': memopReturnsExtents,
  'forward-progress': forwardProgress,
  'no-xsa231': noXsa231,
  'frontswap-inertia': frontswapInertia,
  'claim-guarantee-tmem': claimGuaranteeTmem,
};

for (const [name, factory] of Object.entries(CAMPAIGN_MONITORS)) registerMonitor(name, factory, import.meta.url);

/**
 * The properties a run on `version` is held to: claims ≤ available only where promised (4.22);
 * check-then-act only when the campaign asks to see the claim_mode=0 race.
 */
export function monitorsFor(version: XenVersion, o: { checkThenAct?: boolean } = {}): string[] {
  const all = [
    'no-leaked-claims', 'claim-backed', 'claim-guarantee', 'creation-atomic', 'frames-back',
    'memop-returns-extents', 'forward-progress', 'no-xsa231', 'frontswap-inertia', 'claim-guarantee-tmem',
    // Results against state (claim-monitors.ts, result-monitors.ts): after the bug-named ones, so
    // that when both see one breach in the same step the bug's own property names it.
    ...STATE_MONITOR_NAMES,
    ...(o.checkThenAct === true ? ['check-then-act'] : []),
  ];
  // E4 (claims consumed at allocation, 75d29d9b5e and its 4.21.1 backport 82fe260552) promises it.
  const promised = features(version).claimConsumedAtAlloc ? ['claims-within-available', ...all] : all;
  return features(version).claimSets ? ['node-claims-backed', ...promised] : promised;
}

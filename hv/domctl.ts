// ≈ xen/common/domctl.c + sysctl.c + domain.c (domain_kill, domain_relinquish_resources,
// complete_domain_destroy): the domain lifecycle and the read paths for claims.
// XSM: every domctl and sysctl here needs the control domain (dummy policy: -EPERM otherwise);
// domctls naming a domain look it up first (-ESRCH), as do_domctl does.
// Leaves out: vCPU scheduling, event channels, grant tables, cpupools, xenstore introduction.

import { assertNever } from './assert.ts';
import { DOMDYING, type Domain } from './domain.ts';
import { EEXIST, EFAULT, EINVAL, ENOMEM, EPERM, ESRCH } from './errno.ts';
import { MEMF } from './flags.ts';
import { FrameRuns } from './frame-runs.ts';
import { isRecord, isU16, isU64 } from './guest-args.ts';
import type { HypercallContext, Sections } from './hypercall-context.ts';
import { DOMCTL_OPS, DOMID_MAX, XEN_DOMINF, type DomainInfo, type HypercallResult, type PhysInfo } from './ops.ts';

export { DOMCTL_OPS };

export type DomctlOp = (typeof DOMCTL_OPS)[number];

export function isDomctlOp(op: string): op is DomctlOp {
  return (DOMCTL_OPS as readonly string[]).includes(op);
}

/** One-section result helper. */
function* once(label: string, result: HypercallResult): Sections {
  yield label;
  return result;
}

export function* dispatchDomctl(hv: HypercallContext, caller: number, op: DomctlOp, args: unknown): Sections {
  if (!isRecord(args)) return yield* once('domctl', { rc: -EFAULT });
  const privileged = hv.isControl(caller); // xsm_sysctl / xsm_domctl (XSM_PRIV)
  // do_sysctl checks XSM first; do_domctl has no domain to look up for these two (d = NULL).
  const noLookup = op === 'XEN_SYSCTL_physinfo' || op === 'XEN_SYSCTL_numainfo' || op === 'XEN_DOMCTL_createdomain' || op === 'XEN_DOMCTL_getdomaininfo';
  if (noLookup && !privileged) return yield* once('domctl', { rc: -EPERM });
  switch (op) {
    case 'XEN_SYSCTL_physinfo':
      return yield* once('physinfo', { rc: 0, ...physinfo(hv) });
    case 'XEN_SYSCTL_numainfo':
      return yield* once('numainfo', { rc: 0, nodes: numainfo(hv) });
    case 'XEN_DOMCTL_createdomain':
      return yield* once('createdomain', createDomain(hv, args));
    case 'XEN_DOMCTL_getdomaininfo':
      return yield* once('getdomaininfo', getDomainInfo(hv, args.domid));
    default:
      break;
  }
  if (!isU16(args.domid)) return yield* once('domctl', { rc: -EFAULT });
  const d = hv.domains.get(args.domid);
  // do_domctl looks the domain up (rcu_lock_domain_by_id) before xsm_domctl, so an unknown
  // domain — DOMID_SELF included — is -ESRCH even for an unprivileged caller.
  if (d === undefined) return yield* once('domctl', { rc: -ESRCH });
  if (!privileged) return yield* once('domctl', { rc: -EPERM });
  switch (op) {
    case 'XEN_DOMCTL_max_mem':
      return yield* once('max_mem', maxMem(d, args.max_memkb));
    case 'XEN_DOMCTL_pausedomain':
    case 'XEN_DOMCTL_unpausedomain':
      d.paused = op === 'XEN_DOMCTL_pausedomain';
      return yield* once(op === 'XEN_DOMCTL_pausedomain' ? 'pausedomain' : 'unpausedomain', { rc: 0 });
    case 'XEN_DOMCTL_destroydomain':
      return yield* domainKill(hv, caller, d);
    case 'XEN_DOMCTL_set_paging_mempool_size':
      return yield* setPagingMempoolSize(hv, d, args.size);
    default:
      return assertNever(op, 'domctl');
  }
}

/**
 * XEN_SYSCTL_physinfo: free_pages and outstanding_pages read together under heap_lock, so they
 * are mutually consistent. free_pages does not subtract claims and does not include tmem.
 */
export function physinfo(hv: HypercallContext): PhysInfo {
  return {
    total_pages: hv.heap.managedPages + 1,
    free_pages: hv.heap.totalAvailPages,
    scrub_pages: 0,
    outstanding_pages: hv.heap.outstandingClaims,
    nr_nodes: hv.heap.nodes,
    nr_cpus: hv.nrCpus,
  };
}

function numainfo(hv: HypercallContext): Array<{ memsize: number; memfree: number }> {
  return Array.from({ length: hv.heap.nodes }, (_, node) => {
    const [lo, hi] = hv.heap.nodeRange(node);
    let memfree = 0;
    for (let z = 0; z < hv.heap.nrZones; z++) memfree += hv.heap.avail[node * hv.heap.nrZones + z];
    return { memsize: hi - lo, memfree };
  });
}

/** XEN_DOMCTL_createdomain: a requested domid, or the next free one after the rover. */
function createDomain(hv: HypercallContext, args: Record<string, unknown>): HypercallResult {
  const { domid = 0, type = 'pv', name, max_vcpus = 1, target } = args;
  if (!isU16(domid) || !isU16(max_vcpus) || max_vcpus === 0) return { rc: -EINVAL };
  if (type !== 'pv' && type !== 'pvh' && type !== 'hvm') return { rc: -EINVAL };
  if (name !== undefined && typeof name !== 'string') return { rc: -EFAULT };
  if (target !== undefined && !(isU16(target) && hv.domains.has(target))) return { rc: -ESRCH };
  let id = domid;
  if (id === 0) {
    for (let k = 0; k < DOMID_MAX; k++) {
      const cand = ((hv.domidRover + k) % DOMID_MAX) + 1;
      if (!hv.domains.has(cand)) {
        id = cand;
        break;
      }
    }
    if (id === 0) return { rc: -ENOMEM };
    hv.domidRover = id;
  } else if (id > DOMID_MAX) {
    return { rc: -EINVAL };
  } else if (hv.domains.has(id)) {
    return { rc: -EEXIST };
  }
  hv.newDomain(id, type, name ?? `d${id}`, max_vcpus, target === undefined ? -1 : (target as number));
  return { rc: 0, domid: id };
}

/**
 * XEN_DOMCTL_getdomaininfo: like Xen, answers for the first domain whose id is >= the one asked
 * for (libxc checks the id it got back); -ESRCH when there is none.
 */
function getDomainInfo(hv: HypercallContext, domid: unknown): HypercallResult {
  if (!isU16(domid)) return { rc: -EFAULT };
  let best: Domain | undefined;
  for (const d of hv.domains.values()) if (d.domid >= domid && (best === undefined || d.domid < best.domid)) best = d;
  if (best === undefined) return { rc: -ESRCH };
  return { rc: 0, ...domainInfo(best) };
}

export function domainInfo(d: Domain): DomainInfo {
  let flags = d.paused ? XEN_DOMINF.paused : XEN_DOMINF.blocked;
  if (d.isDying !== DOMDYING.alive) flags |= XEN_DOMINF.dying;
  if (d.type === 'hvm' || d.type === 'pvh') flags |= XEN_DOMINF.hvm_guest;
  return {
    domid: d.domid,
    tot_pages: d.totPages,
    max_pages: d.maxPages,
    outstanding_pages: d.outstandingPages,
    shr_pages: 0,
    paged_pages: 0,
    nr_online_vcpus: d.maxVcpus,
    max_vcpu_id: d.maxVcpus - 1,
    cpu_time: 0,
    flags,
    name: d.name,
    type: d.type,
  };
}

/** XEN_DOMCTL_max_mem: stores max_memkb >> 2, clamped to unsigned int; even below tot_pages. */
function maxMem(d: Domain, maxMemkb: unknown): HypercallResult {
  if (!isU64(maxMemkb)) return { rc: -EFAULT };
  d.maxPages = Math.min(Math.floor(maxMemkb / 4), 0xffffffff);
  if (d.maxPages < d.totPages) d.maxLoweredBelowTot = true;
  return { rc: 0 };
}

/**
 * domain_kill + domain_relinquish_resources + complete_domain_destroy. The first section marks
 * the domain dying, flushes its tmem client and cancels its claim (the only place a claim is
 * released besides a 0-claim); then preemptible batches free its pages (each: drop ownership
 * and tot_pages under page_alloc_lock, then free_heap_pages with scrubbing); the last section
 * frees the domain structure. A claim staked meanwhile (bug B1) is leaked at that point.
 */
function* domainKill(hv: HypercallContext, caller: number, d: Domain): Sections {
  if (d.domid === caller) return yield* once('domain_kill', { rc: -EINVAL });
  if (d.isDying === DOMDYING.dead) return yield* once('domain_kill', { rc: 0 });
  if (d.isDying === DOMDYING.alive) {
    d.isDying = DOMDYING.dying;
    d.paused = true;
    hv.tmem?.destroyClient(d.domid);
    hv.heap.setOutstandingPages(d, 0);
    yield 'domain_kill';
  }
  const batch = new FrameRuns();
  for (;;) {
    takeRelinquishBatch(hv, d, hv.costs.relinquishBatchPages, batch);
    if (batch.frames === 0) break;
    yield 'relinquish_memory';
    const pages = batch.frames;
    hv.heap.freeRuns(batch);
    hv.charge(pages * hv.costs.pageScrubNs);
    yield 'free_heap_pages';
  }
  // Another destroy running concurrently may have completed the domain meanwhile.
  if ((d.isDying as number) !== DOMDYING.dead) {
    d.isDying = DOMDYING.dead;
    hv.domains.delete(d.domid);
    if (d.outstandingPages > 0) {
      // Nothing can release it any more: outstanding_claims keeps it until reboot (B1).
      hv.heap.leakedClaimPages += d.outstandingPages;
      hv.emit({ kind: 'claim_leaked', domid: d.domid, pages: d.outstandingPages });
    }
    hv.emit({ kind: 'domain_destroyed', domid: d.domid });
  }
  yield 'complete_domain_destroy';
  return { rc: 0 };
}

/**
 * One relinquish batch: takes up to `max` pages of d's frames off the domain (tot_pages and all)
 * into `out`: the paging pool first, then whole unmapped extents (the last may overshoot `max`),
 * then p2m mappings in relinquish order. Counted in pages, whatever the extents' sizes.
 */
function takeRelinquishBatch(hv: HypercallContext, d: Domain, max: number, out: FrameRuns): void {
  out.clear();
  let extra = 0;
  while (d.pagingPool.length > 0 && out.frames < max) {
    out.push(d.pagingPool.pop()!, 1);
    extra++;
  }
  let counted = 0;
  for (const [mfn, order] of d.unmappedExtents) {
    if (out.frames >= max) break;
    d.unmappedExtents.delete(mfn);
    out.push(mfn, 2 ** order);
    counted += 2 ** order;
  }
  if (out.frames < max) counted += d.p2m.drain(max - out.frames, out);
  if (out.frames === 0) return;
  hv.heap.dropRuns(out, d.domid);
  d.extraPages -= extra;
  hv.heap.domainAdjustTotPages(d, -counted);
}

/**
 * XEN_DOMCTL_set_paging_mempool_size: grows or shrinks the domain's paging pool one page per
 * section pair. Pool pages are allocated for d with MEMF_no_refcount (alloc_domheap_pages with
 * MEMF_no_owner implies it), so they never consume a claim — and with bug B4 they pass the claim
 * gate on the strength of d's claim.
 * DIVERGENCE: Xen 4.3 allocated these anonymously; here every version passes d, which gives B4 a
 * hypercall path (the op's name is 4.17's).
 */
function* setPagingMempoolSize(hv: HypercallContext, d: Domain, size: unknown): Sections {
  if (!isU64(size) || size % 4096 !== 0) return yield* once('paging_mempool', { rc: -EINVAL });
  const want = size / 4096;
  while (d.pagingPool.length > want) {
    const mfn = d.pagingPool.pop()!;
    hv.heap.dropRange(mfn, 1, d.domid);
    d.extraPages--;
    hv.heap.freeHeapPages(mfn, 0);
    yield 'free_heap_pages';
  }
  while (d.pagingPool.length < want) {
    const before = d.outstandingPages;
    const mfn = hv.heap.allocHeapPages(0, MEMF.no_refcount, d);
    if (typeof mfn !== 'number') {
      hv.emit({ kind: 'alloc_failed', domid: d.domid, order: 0, outstanding: before, reason: mfn });
      yield 'alloc_heap_pages';
      return { rc: -ENOMEM };
    }
    yield 'alloc_heap_pages';
    if (!hv.heap.assignPages(d, mfn, 0, MEMF.no_refcount)) {
      yield 'assign_pages';
      hv.heap.freeHeapPages(mfn, 0);
      yield 'free_heap_pages';
      return { rc: -EINVAL };
    }
    d.pagingPool.push(mfn);
    yield 'assign_pages';
  }
  return { rc: 0 };
}

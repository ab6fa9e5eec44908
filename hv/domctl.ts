// ≈ xen/common/domctl.c + sysctl.c + domain.c (domain_kill, domain_relinquish_resources,
// complete_domain_destroy): the domain lifecycle and the read paths for claims.
// XSM: every domctl and sysctl here needs the control domain (dummy policy: -EPERM otherwise);
// domctls naming a domain look it up first (-ESRCH), as do_domctl does.
// Leaves out: vCPU scheduling, event channels, grant tables, cpupools, xenstore introduction.

import { assertNever } from './assert.ts';
import { DOMDYING, type Domain } from './domain.ts';
import { claimMemory } from './claim-sets.ts';
import { pageOfflineOp } from './page-offline.ts';
import { EBUSY, EEXIST, ENOSYS, EFAULT, EINVAL, ENOMEM, EOVERFLOW, EPERM, ESRCH } from './errno.ts';
import { MEMF } from './flags.ts';
import { FrameRuns } from './frame-runs.ts';
import { isRecord, isU16, isU32, isU64 } from './guest-args.ts';
import { once, type HypercallContext, type Sections } from './hypercall-context.ts';
import { DOMCTL_OPS, DOMID_ANY, DOMID_MAX, XEN_DOMINF, type DomainInfo, type HypercallResult, type PhysInfo } from './ops.ts';
import { pow2 } from './pow2.ts';

export { DOMCTL_OPS };

export type DomctlOp = (typeof DOMCTL_OPS)[number];

export function isDomctlOp(op: string): op is DomctlOp {
  return (DOMCTL_OPS as readonly string[]).includes(op);
}

export function dispatchDomctl(hv: HypercallContext, caller: number, op: DomctlOp, args: unknown): Sections {
  if (!isRecord(args)) return once('domctl', { rc: -EFAULT });
  const privileged = hv.isControl(caller); // xsm_sysctl / xsm_domctl (XSM_PRIV)
  // do_sysctl checks XSM first; do_domctl has no domain to look up for createdomain (d = NULL).
  const noLookup = op === 'XEN_SYSCTL_physinfo' || op === 'XEN_SYSCTL_numainfo' || op === 'XEN_SYSCTL_getdomaininfolist' ||
    op === 'XEN_SYSCTL_readconsole' || op === 'XEN_SYSCTL_page_offline_op' || op === 'XEN_DOMCTL_createdomain';
  if (noLookup && !privileged) return once('domctl', { rc: -EPERM });
  switch (op) {
    case 'XEN_SYSCTL_physinfo':
      return once('physinfo', { rc: 0, ...physinfo(hv) });
    case 'XEN_SYSCTL_numainfo':
      return once('numainfo', { rc: 0, nodes: numainfo(hv) });
    case 'XEN_SYSCTL_getdomaininfolist':
      return once('getdomaininfolist', getDomainInfoList(hv, args));
    case 'XEN_SYSCTL_readconsole':
      return once('readconsole', readConsole(hv, args));
    case 'XEN_SYSCTL_page_offline_op':
      return pageOfflineOp(hv, args);
    case 'XEN_DOMCTL_createdomain':
      return once('createdomain', createDomain(hv, args));
    case 'XEN_DOMCTL_getdomaininfo':
      return once('getdomaininfo', getDomainInfo(hv, caller, args.domid));
    default:
      break;
  }
  if (!isU16(args.domid)) return once('domctl', { rc: -EFAULT });
  const d = hv.domains.get(args.domid);
  // do_domctl looks the domain up (rcu_lock_domain_by_id) before xsm_domctl, so an unknown
  // domain — DOMID_SELF included — is -ESRCH even for an unprivileged caller; from 4.22
  // (a89ca78901) a non-control caller gets -EPERM, as the XSM check would give.
  if (d === undefined) return once('domctl', { rc: unknownDomainRc(hv, caller) });
  if (!privileged) return once('domctl', { rc: -EPERM });
  switch (op) {
    case 'XEN_DOMCTL_max_mem':
      return once('max_mem', maxMem(hv, d, args.max_memkb));
    case 'XEN_DOMCTL_pausedomain':
      return once('pausedomain', { rc: pauseDomain(hv, caller, d) });
    case 'XEN_DOMCTL_unpausedomain':
      return once('unpausedomain', { rc: unpauseDomain(hv, d) });
    case 'XEN_DOMCTL_destroydomain':
      return domainKill(hv, caller, d);
    case 'XEN_DOMCTL_set_paging_mempool_size':
      return setPagingMempoolSize(hv, d, args.size);
    case 'XEN_DOMCTL_claim_memory':
      // Both locks, one section; an unknown domctl is -ENOSYS (arch_do_domctl's default).
      return once('claim_memory', hv.feat.claimSets ? claimMemory(hv, d, args) : { rc: -ENOSYS });
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
    total_pages: hv.heap.nrPages,
    free_pages: hv.heap.domheapAvailPages(),
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

/**
 * XEN_SYSCTL_readconsole (sysctl.c → console.c read_console_ring): up to `count` bytes of the
 * console ring. 4.22's do_sysctl checks xsm_sysctl(XSM_PRIV) for every sysctl, so reading — and
 * clearing — needs the control domain (-EPERM above). clear and incremental are uint8_t flags.
 */
function readConsole(hv: HypercallContext, args: Record<string, unknown>): HypercallResult {
  const { clear = 0, incremental = 0, index = 0, count } = args;
  if (!isU8(clear) || !isU8(incremental) || !isU32(index) || !isU32(count)) return { rc: -EFAULT };
  const r = hv.console.read(count, incremental !== 0, index, clear !== 0);
  return { rc: 0, count: r.text.length, index: r.index, buffer: r.text };
}

const isU8 = (x: unknown): x is number => isU32(x) && x <= 0xff;

/** do_domctl's answer for a domid rcu_lock_domain_by_id does not find. */
function unknownDomainRc(hv: HypercallContext, caller: number): number {
  return hv.feat.unknownDomainEpermForGuests && !hv.isControl(caller) ? -EPERM : -ESRCH;
}

/**
 * XEN_DOMCTL_createdomain: the domid rules of each version (feat.createdomainDomids). An absent
 * domid asks for any free one, as the toolstack of each version does (0 / 0xffff before 4.22,
 * DOMID_ANY from 23e2479ff9).
 */
function createDomain(hv: HypercallContext, args: Record<string, unknown>): HypercallResult {
  const { domid, type = 'pv', name, max_vcpus = 1, target } = args;
  if ((domid !== undefined && !isU16(domid)) || !isU16(max_vcpus) || max_vcpus === 0) return { rc: -EINVAL };
  if (type !== 'pv' && type !== 'pvh' && type !== 'hvm') return { rc: -EINVAL };
  if (name !== undefined && typeof name !== 'string') return { rc: -EFAULT };
  if (target !== undefined && !(isU16(target) && hv.domains.has(target))) return { rc: -ESRCH };
  const id = chooseDomid(hv, domid as number | undefined);
  if (id < 0) return { rc: id };
  hv.newDomain(id, type, name ?? `d${id}`, max_vcpus, target === undefined ? -1 : (target as number));
  return { rc: 0, domid: id };
}

/** The domid a createdomain gets, or the errno. */
function chooseDomid(hv: HypercallContext, want: number | undefined): number {
  const rule = hv.feat.createdomainDomids;
  const reserved = want !== undefined && want > DOMID_MAX;
  let auto: boolean;
  if (rule === 'rover') {
    // 4.3/4.13 domctl.c: `if ( (dom > 0) && (dom < DOMID_FIRST_RESERVED) )` exact, else the rover.
    if (want !== undefined && want > 0 && !reserved && hv.domains.has(want)) return -EINVAL; // !is_free_domid
    auto = want === undefined || want === 0 || reserved;
  } else if (rule === 'domid-alloc') {
    // 4.21 domctl.c: domid_alloc(op->domain ?: DOMID_INVALID); domid.c: ids >= FIRST_RESERVED search.
    if (want !== undefined && want > 0 && !reserved && hv.domains.has(want)) return -EEXIST;
    auto = want === undefined || want === 0 || reserved;
  } else {
    // 4.22 domid.c domid_alloc (23e2479ff9): reserved ids other than DOMID_ANY, and ids in use
    // (0 is dom0's), give DOMID_INVALID → -EEXIST.
    if (reserved && want !== DOMID_ANY) return -EEXIST;
    if (want !== undefined && !reserved && hv.domains.has(want)) return -EEXIST;
    auto = want === undefined || want === DOMID_ANY;
  }
  if (!auto) return want as number;
  for (let k = 0; k < DOMID_MAX; k++) {
    const cand = ((hv.domidRover + k) % DOMID_MAX) + 1;
    if (!hv.domains.has(cand)) {
      hv.domidRover = cand;
      return cand;
    }
  }
  return rule === 'rover' ? -ENOMEM : -EEXIST; // rover wrapped / domid_alloc gave DOMID_INVALID
}

/**
 * XEN_DOMCTL_getdomaininfo per version (feat.getdomaininfo): 4.3 answers the first domain whose
 * id is >= the one asked for (control domain only); 4.13 looks the exact id up first and lets a
 * device model read its target (xsm_domctl XSM_XS_PRIV), then, for the control domain, refuses
 * ids >= DOMID_FIRST_RESERVED (-EINVAL) and searches; from 4.18 (31c6554974) only the exact id
 * answers (-ESRCH; -EPERM for a non-control caller on 4.22, a89ca78901).
 */
function getDomainInfo(hv: HypercallContext, caller: number, domid: unknown): HypercallResult {
  if (!isU16(domid)) return { rc: -EFAULT };
  const mode = hv.feat.getdomaininfo;
  const exact = hv.domains.get(domid);
  if (mode !== 'search-4.3' && exact !== undefined) {
    return hv.xsmXsPriv(caller, exact) ? { rc: 0, ...domainInfo(exact) } : { rc: -EPERM };
  }
  if (mode === 'exact') return { rc: unknownDomainRc(hv, caller) };
  if (!hv.isControl(caller)) return { rc: -EPERM }; // xsm_domctl with d == NULL: XSM_PRIV
  if (mode === 'search-4.13' && domid > DOMID_MAX) return { rc: -EINVAL };
  let best: Domain | undefined;
  for (const d of hv.domains.values()) if (d.domid >= domid && (best === undefined || d.domid < best.domid)) best = d;
  if (best === undefined) return { rc: -ESRCH };
  return { rc: 0, ...domainInfo(best) };
}

/** Most domains one XEN_SYSCTL_getdomaininfolist answers (the toolstack's buffer; libxl asks 1024). */
export const GETDOMAININFOLIST_MAX = 1024;

/**
 * XEN_SYSCTL_getdomaininfolist (xen/common/sysctl.c): the domains with id >= first_domain in
 * domid order, at most max_domains of them; rc 0 and num_domains.
 */
function getDomainInfoList(hv: HypercallContext, args: Record<string, unknown>): HypercallResult {
  const { first_domain = 0, max_domains = GETDOMAININFOLIST_MAX } = args;
  if (!isU16(first_domain) || !isU64(max_domains)) return { rc: -EFAULT };
  // DIVERGENCE: Xen copies into a guest buffer of max_domains entries; here the answer is a list
  // bounded by GETDOMAININFOLIST_MAX so a huge max_domains cannot make it unbounded.
  const cap = Math.min(max_domains, GETDOMAININFOLIST_MAX);
  const ids = [...hv.domains.keys()].filter((id) => id >= first_domain).sort((a, b) => a - b).slice(0, cap);
  const domains = ids.map((id) => domainInfo(hv.domains.get(id)!));
  return { rc: 0, num_domains: domains.length, domains };
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
    cpu_time: d.cpuTimeNs,
    flags,
    name: d.name,
    type: d.type,
  };
}

/**
 * XEN_DOMCTL_max_mem: stores max_memkb >> 2, even below tot_pages; 4.3 assigns the unsigned long
 * to the unsigned int max_pages (truncation mod 2^32), 4.13+ clamp it to UINT_MAX.
 */
function maxMem(hv: HypercallContext, d: Domain, maxMemkb: unknown): HypercallResult {
  if (!isU64(maxMemkb)) return { rc: -EFAULT };
  const newMax = Math.floor(maxMemkb / 4);
  d.maxPages = hv.feat.maxMemTruncates ? newMax % 2 ** 32 : Math.min(newMax, 0xffffffff);
  if (d.maxPages < d.totPages) d.maxLoweredBelowTot = true;
  return { rc: 0 };
}

/** XEN_DOMCTL_pausedomain: not yourself (-EINVAL); 4.5+ count up to 255 (-EOVERFLOW). */
function pauseDomain(hv: HypercallContext, caller: number, d: Domain): number {
  if (d.domid === caller) return -EINVAL; // no domain_pause() on current->domain
  if (hv.feat.countedPauses) {
    if (d.controllerPauseCount + 1 > 255) return -EOVERFLOW;
    d.controllerPauseCount++;
  }
  d.paused = true;
  return 0;
}

/**
 * XEN_DOMCTL_unpausedomain: 4.3 clears is_paused_by_controller (always 0); 4.5+ count down and
 * refuse below 0 (-EINVAL). The first time the count reaches 0 creation is finished.
 */
function unpauseDomain(hv: HypercallContext, d: Domain): number {
  if (hv.feat.countedPauses) {
    if (d.controllerPauseCount - 1 < 0) return -EINVAL;
    if (d.controllerPauseCount === 1 && !d.creationFinished && d.pendingScrub !== null) {
      // 4.22 domain_unpause_by_systemcontroller: "cannot be started with pending unscrubbed
      // pages, destroying": domain_crash(d), the stash freed, -EBUSY.
      // DIVERGENCE: domain_crash (shutdown with reason crash) is not modelled; the domain stays
      // paused with its count at 0 and the toolstack destroys it.
      d.controllerPauseCount--;
      hv.dropPendingScrub(d);
      return -EBUSY;
    }
    d.controllerPauseCount--;
    d.paused = d.controllerPauseCount > 0;
  } else {
    d.paused = false;
  }
  if (!d.paused) d.creationFinished = true;
  return 0;
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
    hv.dropPendingScrub(d); // domain_teardown: domain_pending_scrub_free (4.22)
    yield 'domain_kill';
  }
  const batch = new FrameRuns();
  for (;;) {
    takeRelinquishBatch(hv, d, hv.costs.relinquishBatchPages, batch);
    if (batch.frames === 0) break;
    yield 'relinquish_memory';
    const pages = batch.frames;
    if (hv.feat.deferredPopulateScrub) {
      // 4.10+: a dying domain's pages are freed with PGC_need_scrub and scrubbed later (by the
      // allocation that takes them, here: the idle scrubber is not modelled).
      for (let k = 0; k < batch.count; k++) hv.dirty.mark(batch.start(k), batch.len(k));
      hv.heap.freeRuns(batch);
      hv.charge(pages * hv.costs.pageFreeNs);
    } else {
      // DIVERGENCE: 4.13–4.21 also defer the scrub (PGC_need_scrub, since 4.10); they are charged
      // the scrub at free time as 4.3 did, which keeps their recorded timings.
      hv.heap.freeRuns(batch);
      hv.charge(pages * hv.costs.pageScrubNs);
    }
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
    out.push(mfn, pow2(order));
    counted += pow2(order);
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
    hv.scrubOnAlloc(mfn, 1);
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

// Actor programs of the race-hunting campaign: a small libxl-like domain builder (whose claim may
// differ from what it populates, come late, be cancelled mid-build; superpages or not; several
// extents per call), a "poke" (another toolstack thread acting on a domain by domid: destroy it,
// balloon part of it, grow its paging pool), and a 'guest-poke' (a guest kernel — or a device
// model — making calls of its own: reservation ops and exchange on itself, or every op on
// someone else's domain). Plain async logic over a HypercallPort, registered with the kernel's
// registry (sim/registry.ts) when this module is evaluated, so a trace of a campaign run replays
// anywhere. The real libxl builder runs as the 'xl' actor (the xl family).

import { tmemNewPoolFlags } from '../../guests/tmem-client.ts';
import { MAX_NUMNODES } from '../../hv/claim-sets.ts';
import { XENMEMF, xenmemfNode } from '../../hv/flags.ts';
import { DOMID_MAX, DOMID_SELF, XEN_DOMCTL_CLAIM_MEMORY_HOST } from '../../hv/ops.ts';
import type { HypercallPort } from '../../sim/port.ts';
import { registerActorKind } from '../../sim/registry.ts';

/** Parameters of a 'mini-builder' actor: `xl create` of one guest, libxl-style. */
export interface BuilderParams {
  /** Domain name. */
  name: string;
  type: 'pv' | 'hvm';
  /** Guest memory in pages (populated from gpfn 0). */
  pages: number;
  /** xl.conf claim_mode: claim `pages` before populating, cancel afterwards. */
  claimMode: 0 | 1;
  /** Fault: the toolstack process is killed before its n-th hypercall (no clean-up). */
  dieAfter?: number;
  /** Virtual ns to wait before starting (a creation issued later). */
  startAfterNs?: number;
  /**
   * Claim sets (4.22+claim-sets): split the guest over this many nodes, claim each share on its
   * node with XEN_DOMCTL_claim_memory (one set of node entries) and populate each share
   * with exact-node flags — libxl's per-vNUMA-node claims.
   */
  claimNodes?: number;
  /** The claim's absolute target in pages (default `pages`: exactly what it populates). */
  claimPages?: number;
  /** Extents populated before the claim is staked (default 0: claim first). */
  claimAfter?: number;
  /** Cancel the claim after this many extents (default: after the last, as libxenguest). */
  cancelAfter?: number;
  /** max_mem above `pages`, in pages (default 256: LIBXL_MAXMEM_CONSTANT); may be negative. */
  maxSlack?: number;
  /** Largest extent order (default 18); 0 populates 4 KiB pages only. */
  maxOrder?: number;
  /** Extents of one order per populate call (default 1): long calls meet continuations. */
  batch?: number;
  /** Stake a second claim halfway through without cancelling the first. */
  reclaim?: boolean;
  /**
   * The claim's target taken at staking time instead of `claimPages`, at an edge of the claim
   * rules: 'populated' (tot_pages so far), 'max' (max_pages), 'free' (tot_pages + physinfo's free
   * pages less outstanding claims), plus `claimDelta` (-1, 0 or 1): the boundaries of -EINVAL/-ENOMEM.
   */
  claimAt?: 'populated' | 'max' | 'free';
  claimDelta?: number;
  /** Build a device model for domain `dmTarget` (XEN_DOMCTL_createdomain's target; polls for it). */
  dmTarget?: number;
  /**
   * Pages dom0 leaves claimed for the guest when it boots: after the build (and the build's own
   * cancel), XENMEM_claim_pages(tot_pages + bootClaim) before unpausing — a memory manager
   * reserving the room a guest will balloon up into (max_mem above memory), so the guest's own
   * memory ops (increase_reservation, superpages, XENMEM_exchange) run with a claim in force.
   */
  bootClaim?: number;
}

/** XENMEMF_exact_node(n): node n + 1 in bits 8..15, exact_node_request (bit 17). */
const exactNode = (n: number): number => (((n + 1) & 0xff) << 8) | (1 << 17);

/** The per-node shares of a guest of `pages` over `nodes` nodes (the remainder on the last). */
export function nodeShares(pages: number, nodes: number): number[] {
  const per = Math.floor(pages / nodes);
  return Array.from({ length: nodes }, (_, n) => (n === nodes - 1 ? pages - per * (nodes - 1) : per));
}

/** Parameters of a 'poke' actor. */
export interface PokeParams {
  action: 'destroy' | 'balloon' | 'pool';
  /** Target domain (domids are handed out 1, 2, … in creation order). */
  domid: number;
  /** getdomaininfo polls before giving up (each poll is one critical section). */
  polls: number;
  /** balloon: order of the extent released at gpfn 0; pool: pages of paging pool. */
  size: number;
}

/** How one build ended, as noted in the trace (`build-outcome {json}`) for the monitors. */
export interface BuildOutcome {
  name: string;
  claimMode: 0 | 1;
  outcome: 'complete' | 'failed-before-populating' | 'failed-after-populating' | 'died';
  populated: number;
  /**
   * At the failure, a granted claim of at least the guest's size was in force (staked before the
   * extent that failed, not cancelled): the build asked Xen for a guarantee.
   */
  claimed?: boolean;
  /** For failures: the domain was still alive and not dying (nobody else destroyed it). */
  alive?: boolean;
  why?: string;
}

export const BUILD_NOTE_PREFIX = 'build-outcome ';

/** XEN_DOMINF_dying. */
const DOMINF_DYING = 1 << 0;

/** Thrown inside a builder when its fault point is reached: the process is gone. */
class ToolstackKilled extends Error {}

/**
 * Largest-first binary decomposition of `pages` into extent orders (≤ 2^maxOrder each).
 * DIVERGENCE: libxc populates 1 GiB/2 MiB superpages then 4 KiB pages; any power of two keeps
 * a schedule short (a 255-page tail is 8 extents, not 255).
 */
export function extentOrders(pages: number, maxOrder = 18): number[] {
  const out: number[] = [];
  for (let o = maxOrder; o >= 0; o--) {
    while (pages >= 2 ** o) {
      out.push(o);
      pages -= 2 ** o;
    }
  }
  return out;
}

/** The 'mini-builder' actor: create, max_mem, [claim], populate with fallback, [cancel], unpause. */
export async function runMiniBuilder(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as BuilderParams;
  let calls = 0;
  const hc = async (op: string, args: object): Promise<Record<string, unknown>> => {
    if (p.dieAfter !== undefined && calls >= p.dieAfter) throw new ToolstackKilled();
    calls++;
    return (await port.hypercall(op as never, args as never)) as Record<string, unknown>;
  };
  const state = { populated: 0 };
  const done = (o: Omit<BuildOutcome, 'name' | 'claimMode' | 'populated'>): void =>
    port.note(BUILD_NOTE_PREFIX + JSON.stringify({ name: p.name, claimMode: p.claimMode, populated: state.populated, ...o }));
  if (p.startAfterNs !== undefined) await port.sleep(p.startAfterNs);
  try {
    done(await build(p, hc, state));
  } catch (e) {
    if (!(e instanceof ToolstackKilled)) throw e;
    done({ outcome: 'died' });
  }
}

type Hc = (op: string, args: object) => Promise<Record<string, unknown>>;

/** Polls getdomaininfo (up to `polls` sections) until `domid` exists and is not dying. */
async function awaitDomain(hc: Hc, domid: number, polls: number): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    const r = await hc('XEN_DOMCTL_getdomaininfo', { domid });
    if (r.rc === 0 && r.domid === domid && ((r.flags as number) & DOMINF_DYING) === 0) return true;
  }
  return false;
}

/** The claim target at an edge of the rules (BuilderParams.claimAt), from the builder's own view. */
async function edgeOfClaim(hc: Hc, at: NonNullable<BuilderParams['claimAt']>, populated: number, maxPages: number): Promise<number> {
  if (at === 'populated') return populated;
  if (at === 'max') return maxPages;
  const pi = await hc('XEN_SYSCTL_physinfo', {});
  return populated + (pi.free_pages as number) - (pi.outstanding_pages as number);
}

/** What a build tracks of its own claim: staked (granted), cancelled, and whether it covers the guest. */
interface ClaimState {
  granted: boolean;
  cancelled: boolean;
}

async function build(p: BuilderParams, hc: Hc, state: { populated: number }): Promise<Omit<BuildOutcome, 'name' | 'claimMode' | 'populated'>> {
  if (p.claimMode === 0) {
    // libxl_domain_need_memory / freemem: check, then act — the race claims exist to close.
    const pi = await hc('XEN_SYSCTL_physinfo', {});
    const free = (pi.free_pages as number) - (pi.outstanding_pages as number);
    if (free < p.pages) return { outcome: 'failed-before-populating', why: `free ${free} < ${p.pages}` };
  }
  if (p.dmTarget !== undefined && !(await awaitDomain(hc, p.dmTarget, 6))) return { outcome: 'failed-before-populating', why: `no d${p.dmTarget} to serve` };
  const c = await hc('XEN_DOMCTL_createdomain', { name: p.name, type: p.type, ...(p.dmTarget !== undefined ? { target: p.dmTarget } : {}) });
  if (c.rc !== 0) return { outcome: 'failed-before-populating', why: `createdomain rc ${String(c.rc)}` };
  const domid = c.domid as number;
  const maxPages = p.pages + (p.maxSlack ?? 256);
  await hc('XEN_DOMCTL_max_mem', { domid, max_memkb: maxPages * 4 });
  const shares = p.claimNodes === undefined ? [p.pages] : nodeShares(p.pages, p.claimNodes);
  let claimTarget = p.claimPages ?? p.pages;
  const claim: ClaimState = { granted: false, cancelled: false };
  const stake = async (): Promise<number> => {
    if (p.claimAt !== undefined) claimTarget = Math.max(0, (await edgeOfClaim(hc, p.claimAt, state.populated, maxPages)) + (p.claimDelta ?? 0));
    const r = p.claimNodes === undefined
      ? await hc('XENMEM_claim_pages', { domid, nr_extents: claimTarget })
      : await hc('XEN_DOMCTL_claim_memory', { domid, claim_set: shares.map((pages, target) => ({ pages, target })) });
    claim.granted ||= r.rc === 0;
    return r.rc as number;
  };
  const cancel = (): Promise<unknown> => (p.claimNodes === undefined
    ? hc('XENMEM_claim_pages', { domid, nr_extents: 0 })
    : hc('XEN_DOMCTL_claim_memory', { domid, claim_set: [{ pages: 0, target: XEN_DOMCTL_CLAIM_MEMORY_HOST }] }));
  if (p.claimMode === 1 && (p.claimAfter ?? 0) === 0) {
    const rc = await stake();
    if (rc !== 0) {
      await hc('XEN_DOMCTL_destroydomain', { domid });
      return { outcome: 'failed-before-populating', why: `claim rc ${String(rc)}` };
    }
  }
  // Extents largest first, node by node (claim sets: each share on its node, exact-node flags).
  const todo = shares.flatMap((n, node) => extentOrders(n, p.maxOrder ?? 18).map((order) => ({ order, node })));
  const halfway = Math.floor(todo.length / 2);
  let gpfn = 0;
  let extents = 0;
  let failed = false;
  while (todo.length > 0) {
    if (p.claimMode === 1 && extents === (p.claimAfter ?? 0) && extents > 0 && !claim.granted) await stake();
    if (p.claimMode === 1 && p.reclaim === true && extents === halfway && extents > 0) await stake();
    if (p.claimMode === 1 && extents === p.cancelAfter && claim.granted && !claim.cancelled) {
      await cancel();
      claim.cancelled = true;
    }
    const { order, node } = todo[0];
    let k = 1;
    while (k < (p.batch ?? 1) && k < todo.length && todo[k].order === order && todo[k].node === node) k++;
    const list = Array.from({ length: k }, (_, j) => gpfn + j * 2 ** order);
    const memFlags = p.claimNodes === undefined ? 0 : exactNode(node);
    const r = await hc('XENMEM_populate_physmap', { domid, nr_extents: k, extent_order: order, mem_flags: memFlags, extent_start: list });
    const done = Math.max(0, Math.min(k, r.rc as number));
    todo.splice(0, done);
    gpfn += done * 2 ** order;
    state.populated += done * 2 ** order;
    extents += done;
    if (done > 0 && p.type === 'hvm' && state.populated === done * 2 ** order) {
      // The HAP/p2m pool grows as the guest is populated: Xen allocates those pages for d with
      // MEMF_no_refcount (the allocations B4 lets through on d's claim). Best effort: a
      // refusal here does not fail the build.
      await hc('XEN_DOMCTL_set_paging_mempool_size', { domid, size: 4096 });
    }
    if (done === k) continue;
    if (order > 0) todo.splice(0, 1, { order: order - 1, node }, { order: order - 1, node }); // fall back to smaller extents, as libxc does
    else {
      failed = true;
      break;
    }
  }
  const claimed = claim.granted && !claim.cancelled && claimTarget >= p.pages;
  if (p.claimMode === 1 && !claim.cancelled) await cancel();
  if (!failed && p.bootClaim !== undefined && p.bootClaim > 0) {
    const i = await hc('XEN_DOMCTL_getdomaininfo', { domid });
    if (i.rc === 0 && i.domid === domid) await hc('XENMEM_claim_pages', { domid, nr_extents: (i.tot_pages as number) + p.bootClaim });
  }
  if (failed) {
    const i = await hc('XEN_DOMCTL_getdomaininfo', { domid });
    const alive = i.rc === 0 && i.domid === domid && ((i.flags as number) & DOMINF_DYING) === 0;
    if (alive) await hc('XEN_DOMCTL_destroydomain', { domid });
    return state.populated === 0
      ? { outcome: 'failed-before-populating', alive, claimed, why: 'populate refused' }
      : { outcome: 'failed-after-populating', alive, claimed, why: 'populate refused' };
  }
  await hc('XEN_DOMCTL_unpausedomain', { domid });
  return { outcome: 'complete' };
}

/** The 'poke' actor: polls for domain `domid`, then acts on it once. */
export async function runPoke(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as PokeParams;
  for (let i = 0; i < p.polls; i++) {
    const r = (await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid: p.domid })) as Record<string, unknown>;
    if (r.rc !== 0 || r.domid !== p.domid || ((r.flags as number) & DOMINF_DYING) !== 0) continue;
    if (p.action === 'destroy') {
      await port.hypercall('XEN_DOMCTL_destroydomain', { domid: p.domid });
      return;
    }
    if (p.action === 'balloon') {
      if ((r.tot_pages as number) < 2 ** p.size) continue;
      await port.hypercall('XENMEM_decrease_reservation', { domid: p.domid, nr_extents: 1, extent_order: p.size, extent_start: [0] });
      return;
    }
    await port.hypercall('XEN_DOMCTL_set_paging_mempool_size', { domid: p.domid, size: p.size * 4096 });
    return;
  }
}

/** Parameters of a 'guest-poke' actor: a guest kernel (booted on a domain) doing one thing. */
export interface GuestPokeParams {
  /**
   * node-hint: populate one page of its own with a NUMA node byte beyond the host's nodes (B15);
   *   then, with `variant`, one reservation call whose arguments do_memory_op refuses before
   *   doing anything (badArgsCall()).
   * foreign-populate: populate one page into another guest — an XSM denial (B12).
   * tmem-fill: free one page, then fill an ephemeral tmem pool with `size` puts (B11's setting).
   * increase: increase_reservation of its own (`size` selects order and count, see guestOp()).
   * superpage: populate one extent of its own above its memory (order 9, or a refused 10/18).
   * exchange: XENMEM_exchange of its own pages for extents of another order.
   * decrease: decrease_reservation of its own, over the end of its memory (a partial extent).
   * rogue: try every op in `ops` on domain `size` (as a guest, or as a device model).
   */
  action: 'node-hint' | 'foreign-populate' | 'tmem-fill' | 'increase' | 'superpage' | 'exchange' | 'decrease' | 'rogue';
  /** foreign-populate: the victim's domid; node-hint: the node; tmem-fill: puts; rogue: the victim; others: see guestOp(). */
  size: number;
  /** decrease, exchange: pages the guest was built with; rogue: the ops to try, in order. */
  pages?: number;
  ops?: RogueOp[];
  /**
   * exchange: shape bits (see guestOp()): 1 several chunks at the top of its memory, the last
   * past its end; 2 in place, output in address-restricted memory (`addressBits`), as Linux's
   * xen_create_contiguous_region trades a region for DMA; 4 an order above a guest's max_order (10);
   * 8 several chunks from gpfn 0 whose output must come from the host's lowest frames, where one
   * chunk's output fits at most (a later chunk fails with -ENOMEM after its inputs were stolen).
   */
  variant?: number;
  /** exchange variant 2: XENMEMF_address_bits of the output (frames below 2^(bits - 12)). */
  addressBits?: number;
}

/** A gfn far above any campaign guest's memory: populating it never collides. */
const SPARE_GFN = 1 << 20;

/** Every operation a guest (or a device model) may try on another domain. */
export const ROGUE_OPS = [
  'claim', 'populate', 'increase', 'decrease', 'exchange', 'createdomain', 'max_mem', 'destroy',
  'pause', 'unpause', 'paging_pool', 'getdomaininfo', 'physinfo', 'numainfo', 'claim-node',
] as const;
export type RogueOp = (typeof ROGUE_OPS)[number];

/** The hypercall a rogue op issues on domain `v` (well-formed arguments but claim-node's flags: only privilege refuses it). */
function rogueCall(op: RogueOp, v: number): [string, object] {
  const one = (gpfn: number | null) => ({ domid: v, nr_extents: 1, extent_order: 0, mem_flags: 0, extent_start: gpfn === null ? null : [gpfn] });
  switch (op) {
    case 'claim': return ['XENMEM_claim_pages', { domid: v, nr_extents: 64, extent_order: 0, mem_flags: 0, extent_start: null }];
    // A node claim as the NUMA claim proposals passed it (XENMEMF_exact_node in mem_flags):
    // XENMEM_claim_pages takes no flags (-EINVAL, checked before the privilege check).
    case 'claim-node': return ['XENMEM_claim_pages', { domid: v, nr_extents: 64, extent_order: 0, mem_flags: exactNode(0), extent_start: null }];
    case 'populate': return ['XENMEM_populate_physmap', one(SPARE_GFN + 2)];
    case 'increase': return ['XENMEM_increase_reservation', { ...one(null), extent_start: [0] }];
    case 'decrease': return ['XENMEM_decrease_reservation', one(0)];
    case 'exchange': return ['XENMEM_exchange', { in: one(0), out: one(SPARE_GFN + 3), nr_exchanged: 0 }];
    case 'createdomain': return ['XEN_DOMCTL_createdomain', { name: 'rogue', type: 'pv' }];
    case 'max_mem': return ['XEN_DOMCTL_max_mem', { domid: v, max_memkb: 4 }];
    case 'destroy': return ['XEN_DOMCTL_destroydomain', { domid: v }];
    case 'pause': return ['XEN_DOMCTL_pausedomain', { domid: v }];
    case 'unpause': return ['XEN_DOMCTL_unpausedomain', { domid: v }];
    case 'paging_pool': return ['XEN_DOMCTL_set_paging_mempool_size', { domid: v, size: 4096 }];
    case 'getdomaininfo': return ['XEN_DOMCTL_getdomaininfo', { domid: v }];
    case 'physinfo': return ['XEN_SYSCTL_physinfo', {}];
    case 'numainfo': return ['XEN_SYSCTL_numainfo', {}];
  }
}

/**
 * A guest's memory op on itself, from `size` (a small number the generator draws):
 *   increase   order [0, 1, 9, 10][size % 4], 1–3 extents (10 is above a guest's memop limit)
 *   superpage  order [9, 10, 18][size % 3] at one of two gpfns above its memory (two such calls
 *              on one guest may populate the same gpfns at once)
 *   exchange   2^k order-0 pages at gpfn 0 for one order-k extent above its memory, or one
 *              order-k extent at gpfn 0 for 2^k pages (k = size % 4); with variant bit 1, 2–4
 *              such chunks at the top of its memory, the last one past its end (a later chunk
 *              fails: nr_exchanged counts the chunks before it); bit 2: in place (the output at
 *              the inputs' gpfns), restricted to `addressBits`; bit 4: k = 10, above a guest's
 *              max_order; bit 8 (not with 4): 2–4 chunks from gpfn 0, the output restricted to
 *              frames below 2^(k+1) — one aligned order-k block, or 2^(k+1) - 1 pages — so the
 *              second chunk runs out of memory after its inputs were stolen (-ENOMEM: they are
 *              given back, nr_exchanged counts one chunk; none if something else took those
 *              frames first)
 *   decrease   one extent of order [1, 2, 3, 10][size % 4] over the guest's last page (partly
 *              mapped; 10 is above a guest's max_order)
 */
function guestOp(p: GuestPokeParams): [string, object] {
  const self = DOMID_SELF;
  switch (p.action) {
    case 'increase': {
      const order = [0, 1, 9, 10][p.size % 4];
      const nr = 1 + (Math.floor(p.size / 4) % 3);
      return ['XENMEM_increase_reservation', { domid: self, nr_extents: nr, extent_order: order, mem_flags: 0, extent_start: new Array<number>(nr).fill(0) }];
    }
    case 'superpage': {
      const order = [9, 10, 18][p.size % 3];
      return ['XENMEM_populate_physmap', { domid: self, nr_extents: 1, extent_order: order, mem_flags: 0, extent_start: [SPARE_GFN + (Math.floor(p.size / 3) % 2) * 2 ** 18] }];
    }
    case 'exchange': {
      const v = p.variant ?? 0;
      const k = v & 4 ? 10 : p.size % 4;
      const n = 2 ** k;
      const low = (v & 12) === 8;
      const chunks = v & 1 || low ? 2 + (p.size % 3) : 1;
      // The top of memory: the last chunk starts at the last whole order-k boundary, past (or
      // across) the end of the guest's memory.
      const base = v & 1 && !low ? Math.max(0, Math.floor((p.pages ?? 0) / n) - (chunks - 1)) * n : 0;
      // Bit 2 trades in place, as Linux's xen_create_contiguous_region does (its output extents
      // at the gpfns of its inputs); otherwise the output goes above the guest's memory.
      const spare = v & 2 ? base : SPARE_GFN + 2 ** 19;
      const toLarge = Math.floor(p.size / 4) % 2 === 0;
      const pagesIn = Array.from({ length: chunks * n }, (_, i) => base + i);
      const extents = (at: number) => Array.from({ length: chunks }, (_, j) => at + j * n);
      // XENMEMF_address_bits(PAGE_SHIFT + k + 1): frames below 2^(k+1).
      const memFlags = low ? 12 + k + 1 : v & 2 ? (p.addressBits ?? 0) : 0;
      const inR = toLarge ? { domid: self, nr_extents: chunks * n, extent_order: 0, extent_start: pagesIn } : { domid: self, nr_extents: chunks, extent_order: k, extent_start: extents(base) };
      const outR = toLarge
        ? { domid: self, nr_extents: chunks, extent_order: k, mem_flags: memFlags, extent_start: extents(spare) }
        : { domid: self, nr_extents: chunks * n, extent_order: 0, mem_flags: memFlags, extent_start: pagesIn.map((_, i) => spare + i) };
      return ['XENMEM_exchange', { in: inR, out: outR, nr_exchanged: 0 }];
    }
    default: {
      const order = [1, 2, 3, 10][p.size % 4];
      const last = Math.max(0, (p.pages ?? 1) - 1);
      return ['XENMEM_decrease_reservation', { domid: self, nr_extents: 1, extent_order: order, mem_flags: 0, extent_start: [last - (last % 2 ** order)] }];
    }
  }
}

/**
 * A guest's reservation call on itself that Xen refuses at decode (do_memory_op answers
 * start_extent, 0, having done nothing), from `variant` (bits 0-1 the rule, bits 2-3 the op:
 * populate_physmap, increase_reservation, decrease_reservation):
 *   0  an extent list shorter than nr_extents (guest_handle_subrange_okay)
 *   1  XENMEMF_exact_node_request from a domain that is not the control domain (propagate_node)
 *   2  XENMEMF_address_bits of 1…PAGE_SHIFT (construct_memop_from_reservation)
 *   3  an exact node request naming a node byte at or above MAX_NUMNODES
 */
function badArgsCall(variant: number, size: number): [string, object] {
  const ops = ['XENMEM_populate_physmap', 'XENMEM_increase_reservation', 'XENMEM_decrease_reservation', 'XENMEM_populate_physmap'] as const;
  const op = ops[(variant >> 2) & 3];
  const list = op === 'XENMEM_decrease_reservation' ? [0] : [SPARE_GFN + 4];
  switch (variant & 3) {
    case 0: return [op, { domid: DOMID_SELF, nr_extents: 2, extent_order: 0, mem_flags: 0, extent_start: list }];
    case 1: return [op, { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, mem_flags: exactNode(0), extent_start: list }];
    case 2: return [op, { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, mem_flags: 1 + (size % 12), extent_start: list }];
    default: return [op, { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, mem_flags: exactNode(64 + (size % 8)), extent_start: list }];
  }
}

/** The 'guest-poke' actor (ActorSpec.boot names its domain): its calls come from that guest. */
export async function runGuestPoke(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as GuestPokeParams;
  const hc = async (op: string, args: object) => (await port.hypercall(op as never, args as never)) as Record<string, unknown>;
  if (p.action === 'node-hint') {
    await hc('XENMEM_populate_physmap', { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, mem_flags: xenmemfNode(p.size), extent_start: [SPARE_GFN] });
    if (p.variant !== undefined) await hc(...badArgsCall(p.variant, p.size));
    return;
  }
  if (p.action === 'foreign-populate') {
    await hc('XENMEM_populate_physmap', { domid: p.size, nr_extents: 1, extent_order: 0, mem_flags: 0, extent_start: [SPARE_GFN] });
    return;
  }
  if (p.action === 'rogue') {
    for (const op of p.ops ?? []) await hc(...rogueCall(op, p.size));
    return;
  }
  if (p.action !== 'tmem-fill') {
    await hc(...guestOp(p));
    return;
  }
  // Freeing a page while the heap is large sets tmem's mid-size mark (free_heap_pages), then the
  // puts move free memory into tmem as ephemeral (freeable) pages.
  await hc('XENMEM_decrease_reservation', { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, extent_start: [1] });
  const pool = (await hc('TMEM_NEW_POOL', { flags: tmemNewPoolFlags(0), uuid: [0, 0] })).rc as number;
  if (pool < 0) return;
  for (let i = 0; i < p.size; i++) {
    const r = await hc('TMEM_PUT_PAGE', { pool_id: pool, oid: [9, 0, 0], index: i, cmfn: 0 });
    if (r.rc !== 1) return;
  }
}

/** Parameters of a 'domid-probe' actor. */
export interface ProbeParams {
  /** Walks over the ids. */
  rounds: number;
  /** Highest id asked in a walk (a campaign's domids are small). */
  highest: number;
  /**
   * The version bounds the control domain's node byte (propagate_node, 4.10+): the probe then
   * also asks for a page on node MAX_NUMNODES. Before that bound the byte indexes per-node
   * arrays unchecked (XSA-231, 4.3's native B15), so there it is not sent.
   */
  nodeBound?: boolean;
}

/**
 * The 'domid-probe' actor: a dom0 tool reading domains by id, as xenstat/xentop did through
 * libxc's xc_domain_getinfo (XEN_DOMCTL_getdomaininfo on ids that may not exist: destroyed,
 * not yet created, or reserved), so that what getdomaininfo answers for an id with no domain
 * is judged (domctl-results): the next domain before 4.18, -ESRCH from 4.18. Each walk asks
 * every id 0..highest, then DOMID_FIRST_RESERVED.
 */
export async function runDomidProbe(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as ProbeParams;
  for (let r = 0; r < p.rounds; r++) {
    for (let id = 0; id <= p.highest; id++) await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid: id });
    await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid: DOMID_MAX + 1 });
  }
  // Then arguments Xen refuses with -EINVAL even from the control domain (domctl-results):
  // pausing its own domain, a paging pool that is not whole pages, a domain with no vCPU.
  await port.hypercall('XEN_DOMCTL_pausedomain', { domid: 0 });
  await port.hypercall('XEN_DOMCTL_set_paging_mempool_size', { domid: 1, size: 4096 + 512 });
  await port.hypercall('XEN_DOMCTL_createdomain', { name: 'probe', type: 'pv', max_vcpus: 0 });
  // The control domain's node byte at MAX_NUMNODES (64), hint and exact: -EINVAL at decode,
  // start_extent back and nothing allocated (reservation-accounting's decodeRefusal).
  if (p.nodeBound === true) {
    for (const exact of [0, XENMEMF.exact_node_request]) {
      await port.hypercall('XENMEM_populate_physmap', { domid: 0, nr_extents: 1, extent_order: 0, mem_flags: xenmemfNode(MAX_NUMNODES) | exact, extent_start: [SPARE_GFN + 6] });
    }
  }
  // A domain of its own, paused twice by the controller (4.5+ counts: createdomain's pause
  // plus one), so that the first unpause must leave it paused and the second run it
  // (domctl-results' pause counts); then destroyed. Nobody else builds or unpauses it.
  const own = await port.hypercall('XEN_DOMCTL_createdomain', { name: 'probe-paused', type: 'pv' });
  if (own.rc !== 0 || typeof own.domid !== 'number') return;
  await port.hypercall('XEN_DOMCTL_pausedomain', { domid: own.domid });
  await port.hypercall('XEN_DOMCTL_unpausedomain', { domid: own.domid });
  await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid: own.domid });
  await port.hypercall('XEN_DOMCTL_unpausedomain', { domid: own.domid });
  await port.hypercall('XEN_DOMCTL_destroydomain', { domid: own.domid });
}

/** The race campaign's small libxl-like builder and its "other toolstack thread". */
registerActorKind('mini-builder', runMiniBuilder, import.meta.url);
registerActorKind('poke', runPoke, import.meta.url);
/** A dom0 tool reading every domid, present or not, then sending control ops arguments Xen refuses. */
registerActorKind('domid-probe', runDomidProbe, import.meta.url);
/** A guest kernel making one call of its own (boots on its domain). */
registerActorKind('guest-poke', runGuestPoke, import.meta.url);

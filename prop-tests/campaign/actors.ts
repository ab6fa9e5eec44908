// Actor programs of the race-hunting campaign: a small libxl-like domain builder and a "poke"
// (another toolstack thread acting on a domain by domid: destroy it, balloon part of it, grow its
// paging pool), and a 'guest-poke' (a guest kernel making one call of its own). Plain async logic over a HypercallPort, registered with the kernel's registry
// (sim/registry.ts) when this module is evaluated, so a trace of a campaign run replays anywhere. Used until toolstack/builder's 'xl' actor can carry
// the same scenarios.

import { tmemNewPoolFlags } from '../../guests/tmem-client.ts';
import { xenmemfNode } from '../../hv/flags.ts';
import { DOMID_SELF, XEN_DOMCTL_CLAIM_MEMORY_HOST } from '../../hv/ops.ts';
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

async function build(p: BuilderParams, hc: Hc, state: { populated: number }): Promise<Omit<BuildOutcome, 'name' | 'claimMode' | 'populated'>> {
  if (p.claimMode === 0) {
    // libxl_domain_need_memory / freemem: check, then act — the race claims exist to close.
    const pi = await hc('XEN_SYSCTL_physinfo', {});
    const free = (pi.free_pages as number) - (pi.outstanding_pages as number);
    if (free < p.pages) return { outcome: 'failed-before-populating', why: `free ${free} < ${p.pages}` };
  }
  const c = await hc('XEN_DOMCTL_createdomain', { name: p.name, type: p.type });
  if (c.rc !== 0) return { outcome: 'failed-before-populating', why: `createdomain rc ${String(c.rc)}` };
  const domid = c.domid as number;
  await hc('XEN_DOMCTL_max_mem', { domid, max_memkb: p.pages * 4 + 1024 });
  const shares = p.claimNodes === undefined ? [p.pages] : nodeShares(p.pages, p.claimNodes);
  if (p.claimMode === 1) {
    const r = p.claimNodes === undefined
      ? await hc('XENMEM_claim_pages', { domid, nr_extents: p.pages })
      : await hc('XEN_DOMCTL_claim_memory', { domid, claim_set: shares.map((pages, target) => ({ pages, target })) });
    if (r.rc !== 0) {
      await hc('XEN_DOMCTL_destroydomain', { domid });
      return { outcome: 'failed-before-populating', why: `claim rc ${String(r.rc)}` };
    }
  }
  let gpfn = 0;
  let failed = false;
  for (let n = 0; n < shares.length && !failed; n++) {
    const memFlags = p.claimNodes === undefined ? 0 : exactNode(n);
    const todo = extentOrders(shares[n]);
    while (todo.length > 0) {
      const order = todo.shift()!;
      const r = await hc('XENMEM_populate_physmap', { domid, nr_extents: 1, extent_order: order, mem_flags: memFlags, extent_start: [gpfn] });
      if (r.rc === 1) {
        gpfn += 2 ** order;
        state.populated += 2 ** order;
        if (p.type === 'hvm' && state.populated === 2 ** order) {
          // The HAP/p2m pool grows as the guest is populated: Xen allocates those pages for d with
          // MEMF_no_refcount (the allocations B4 lets through on d's claim). Best effort: a
          // refusal here does not fail the build.
          await hc('XEN_DOMCTL_set_paging_mempool_size', { domid, size: 4096 });
        }
      } else if (order > 0) {
        todo.unshift(order - 1, order - 1); // fall back to smaller extents, as libxc does
      } else {
        failed = true;
        break;
      }
    }
  }
  if (p.claimMode === 1) {
    await (p.claimNodes === undefined
      ? hc('XENMEM_claim_pages', { domid, nr_extents: 0 })
      : hc('XEN_DOMCTL_claim_memory', { domid, claim_set: [{ pages: 0, target: XEN_DOMCTL_CLAIM_MEMORY_HOST }] }));
  }
  if (failed) {
    const i = await hc('XEN_DOMCTL_getdomaininfo', { domid });
    const alive = i.rc === 0 && i.domid === domid && ((i.flags as number) & DOMINF_DYING) === 0;
    if (alive) await hc('XEN_DOMCTL_destroydomain', { domid });
    return state.populated === 0
      ? { outcome: 'failed-before-populating', alive, why: 'populate refused' }
      : { outcome: 'failed-after-populating', alive, why: 'populate refused' };
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
   * node-hint: populate one page of its own with a NUMA node byte beyond the host's nodes (B15).
   * foreign-populate: populate one page into another guest — an XSM denial (B12).
   * tmem-fill: free one page, then fill an ephemeral tmem pool with `size` puts (B11's setting).
   */
  action: 'node-hint' | 'foreign-populate' | 'tmem-fill';
  /** foreign-populate: the victim's domid; node-hint: the node; tmem-fill: puts. */
  size: number;
}

/** A gfn far above any campaign guest's memory: populating it never collides. */
const SPARE_GFN = 1 << 20;

/** The 'guest-poke' actor (ActorSpec.boot names its domain): its calls come from that guest. */
export async function runGuestPoke(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as GuestPokeParams;
  const hc = async (op: string, args: object) => (await port.hypercall(op as never, args as never)) as Record<string, unknown>;
  if (p.action === 'node-hint') {
    await hc('XENMEM_populate_physmap', { domid: DOMID_SELF, nr_extents: 1, extent_order: 0, mem_flags: xenmemfNode(p.size), extent_start: [SPARE_GFN] });
    return;
  }
  if (p.action === 'foreign-populate') {
    await hc('XENMEM_populate_physmap', { domid: p.size, nr_extents: 1, extent_order: 0, mem_flags: 0, extent_start: [SPARE_GFN] });
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

/** The race campaign's small libxl-like builder and its "other toolstack thread". */
registerActorKind('mini-builder', runMiniBuilder, import.meta.url);
registerActorKind('poke', runPoke, import.meta.url);
/** A guest kernel making one call of its own (boots on its domain). */
registerActorKind('guest-poke', runGuestPoke, import.meta.url);

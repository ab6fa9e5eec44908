// A permitted reservation call with nothing in its way must reach its extent loop. Xen 4.22
// answers an XSM denial of a reservation op with start_extent (as it answers a lack of memory),
// so a caller wrongly refused (DOMID_SELF looked up as another domain, a wrong XSM_TARGET test)
// looks like one that ran out of memory — unless we know, from the state when the call began,
// that nothing but the loop stood between the call and its first extent. Used by
// reservation-accounting (result-monitors.ts).

import type { Call, HvEvent } from '../../hv/index.ts';
import { XENMEMF } from '../../hv/flags.ts';
import type { Owner } from '../../sim/owner.ts';
import { targetDomid } from './ledger.ts';

type Args = Record<string, unknown>;

/** memop-max-order's default for domUs: every caller may use orders up to it (4.3 too). */
const GUEST_MAX_ORDER = 9;
/** The highest gpfn + 1 the p2m maps (2^40 frames, the hypervisor's paddr bits). */
const GPFN_LIMIT = 2 ** 40;
/** A bound well below do_memory_op's MAX_NR_EXTENTS (~0U >> MEMOP_EXTENT_SHIFT). */
const NR_LIMIT = 1 << 20;

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Per actor: its reservation call in flight and what its first section found. */
interface Reach {
  call: Readonly<Call>;
  /** Why the call must do its first extent (undefined: it may stop before it). */
  must: string | undefined;
  /** Steps of the call run so far (its sections, then the step that returns). */
  steps: number;
  /** An allocation was tried for the target in the call's sections (alloc_failed seen). */
  tried: boolean;
}

/**
 * Why a reservation call, as the hypervisor stands right before its first section, must do (or
 * try, for populate/increase: alloc_domheap_pages) its first extent — or undefined. Judged only
 * for the plain shape: flags do_memory_op accepts (the caller judges only calls decodeRefusal
 * lets through; node and address-bit requests reach the allocator, which may refuse them),
 * no populate-on-demand or vNUMA request, extent order ≤ 9, a whole extent list, a live target with
 * room under max_pages, the first gpfn free (populate) or mapped (decrease), no tmem. Permission
 * is the caller's business (`permitted`, result-monitors.ts).
 */
function mustReach(owner: Owner, call: Readonly<Call>): string | undefined {
  const hv = owner.hv;
  if (hv.tmem !== null) return undefined;
  const a = (typeof call.args === 'object' && call.args !== null ? call.args : {}) as Args;
  const nr = a.nr_extents;
  const start = a.start_extent ?? 0;
  const order = a.extent_order ?? 0;
  if (!isIndex(nr) || !isIndex(start) || !isIndex(order) || start >= nr || nr > NR_LIMIT || order > GUEST_MAX_ORDER) return undefined;
  const xmf = a.mem_flags ?? 0;
  // Flags do_memory_op refuses are decodeRefusal's (the caller skips those); populate-on-demand
  // (not modelled) and vNUMA node requests are not judged.
  if (!isIndex(xmf) || (xmf & (XENMEMF.populate_on_demand | XENMEMF.vnode)) !== 0) return undefined;
  const list = a.extent_start;
  if (list !== null && list !== undefined && !(Array.isArray(list) && list.length >= nr)) return undefined;
  const t = targetDomid(call);
  const d = t === undefined ? undefined : hv.domains.get(t);
  if (d === undefined || d.isDying !== 0) return undefined;
  const n = 2 ** order;
  if (call.op === 'XENMEM_decrease_reservation') {
    const g = Array.isArray(list) ? list[start] : undefined;
    return isIndex(g) && g + n <= GPFN_LIMIT && d.p2m.mappedPrefix(g, 1) > 0 ? `its first gpfn ${g} was mapped` : undefined;
  }
  if (d.totPages + n > d.maxPages) return undefined;
  if (call.op === 'XENMEM_populate_physmap') {
    const g = Array.isArray(list) ? list[start] : undefined;
    if (!isIndex(g) || g % n !== 0 || g + n > GPFN_LIMIT || d.p2m.anyMapped(g, n)) return undefined;
    return `d${d.domid} had room for it (tot ${d.totPages} + ${n} ≤ max ${d.maxPages}) and gpfn ${g} was free`;
  }
  return `d${d.domid} had room for it (tot ${d.totPages} + ${n} ≤ max ${d.maxPages})`;
}

/**
 * Follows reservation calls section by section: `first(actor, call)` says, once the call's
 * first section has run and the call returned there, why it must have done its first extent.
 */
export class ReservationReach {
  readonly #open = new Map<string, Reach>();
  #current: Reach | undefined;

  constructor(owner: Owner, ops: ReadonlySet<string>) {
    owner.beforeSection.push((actor, call) => {
      if (!ops.has(call.op)) {
        this.#current = undefined;
        return;
      }
      let r = this.#open.get(actor);
      if (r === undefined || r.call !== call) {
        r = { call, must: mustReach(owner, call), steps: 0, tried: false };
        this.#open.set(actor, r);
      }
      r.steps++;
      this.#current = r;
    });
    owner.hv.listeners.push((e: HvEvent) => {
      const r = this.#current;
      if (e.kind === 'alloc_failed' && r !== undefined && targetDomid(r.call) === e.domid) r.tried = true;
    });
  }

  /**
   * At the end of `call`'s section: when the call has returned, after one section only, why it
   * must have done (or tried) its first extent; undefined otherwise. Forgets finished calls.
   */
  finished(actor: string, call: Readonly<Call>): { must: string; tried: boolean } | undefined {
    const r = this.#open.get(actor);
    this.#current = undefined;
    if (r === undefined || r.call !== call) return undefined;
    this.#open.delete(actor);
    // One section, then the step that returns its answer.
    return r.steps === 2 && r.must !== undefined ? { must: r.must, tried: r.tried } : undefined;
  }
}

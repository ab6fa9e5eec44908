// XENMEM_exchange's answer against the gpfns it names, for exchange-accounting. Xen 4.22's
// memory_exchange (xen/common/memory.c) works chunk by chunk (a chunk: 2^in_chunk_order input
// extents traded for 2^out_chunk_order output extents of the same size): it steals the chunk's
// input pages, allocates its output extents, and only then removes the inputs from the physmap and
// maps the outputs; a chunk that fails gives its stolen inputs back and frees what it allocated,
// and `nr_exchanged = i << in_chunk_order` counts the input extents of the chunks that completed.
// So when the call returns, whatever its rc:
//   - every input gpfn of a counted extent was mapped and no longer is (unless it is also an
//     output gpfn of a counted chunk: then it maps that output);
//   - every output extent of a counted chunk is mapped, at its gpfns, to 2^order contiguous frames
//     aligned to 2^order, the domain's when mapped (and below out.mem_flags' XENMEMF_address_bits);
//   - every other gpfn it names — the failed chunk's, the chunks after it — is as it found it.
// What "it did" is measured section by section: each of the call's own sections' change of those
// gpfns (read right before the section runs, Owner.beforeSection, and right after it), never what
// another call did in between, nor what any actor believes.

import type { Call, Hypervisor } from '../../hv/index.ts';
import { targetDomid } from './ledger.ts';

/** Most gpfns one exchange is followed for (beyond: only its counters are judged). */
export const EXCHANGE_GPFNS_MAX = 1 << 14;
/** Orders above this are not followed gpfn by gpfn (a guest's are refused above 9; MAX_ORDER is 18/20). */
const ORDER_MAX = 20;

type Args = Record<string, unknown>;
const recordOf = (x: unknown): Args | undefined => (typeof x === 'object' && x !== null ? (x as Args) : undefined);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isOrder = (x: unknown): x is number => isCount(x) && x <= ORDER_MAX;

/** The shape of a well-formed exchange: what its chunks are made of. */
interface Shape {
  readonly target: number;
  readonly inOrder: number;
  readonly outOrder: number;
  readonly inList: readonly unknown[];
  readonly outList: readonly unknown[];
  readonly nrIn: number;
  /** exch.nr_exchanged as passed in (a continuation's progress). */
  readonly start: number;
  /** Input extents of one chunk (2^in_chunk_order), output extents of one chunk (2^out_chunk_order). */
  readonly inPerChunk: number;
  readonly outPerChunk: number;
  /** XENMEMF_address_bits of the output (0: none). */
  readonly outBits: number;
}

function shapeOf(call: Readonly<Call>): Shape | undefined {
  const a = recordOf(call.args);
  const inR = recordOf(a?.in);
  const outR = recordOf(a?.out);
  const target = targetDomid(call);
  if (inR === undefined || outR === undefined || target === undefined) return undefined;
  const { extent_order: inOrder, nr_extents: nrIn, extent_start: inList } = inR;
  const { extent_order: outOrder, nr_extents: nrOut, extent_start: outList } = outR;
  const start = a?.nr_exchanged ?? 0;
  if (!isOrder(inOrder) || !isOrder(outOrder) || !isCount(nrIn) || !isCount(nrOut) || !isCount(start) || start > nrIn) return undefined;
  if (!Array.isArray(inList) || !Array.isArray(outList) || nrIn * 2 ** inOrder !== nrOut * 2 ** outOrder) return undefined;
  if (2 * nrIn * 2 ** inOrder > EXCHANGE_GPFNS_MAX) return undefined;
  const chunkOrder = Math.max(inOrder, outOrder);
  const memFlags = typeof outR.mem_flags === 'number' ? outR.mem_flags : 0;
  return {
    target, inOrder, outOrder, inList, outList, nrIn, start,
    inPerChunk: 2 ** (chunkOrder - inOrder), outPerChunk: 2 ** (chunkOrder - outOrder), outBits: memFlags & 0xff,
  };
}

/** The gpfns of extents [from, to) of a list (an entry no copy could read names none). */
function* extentGpfns(list: readonly unknown[], order: number, from: number, to: number): Generator<[gpfn: number, extent: number, page: number]> {
  for (let e = from; e < to && e < list.length; e++) {
    const g = list[e];
    if (!isCount(g)) continue;
    for (let j = 0; j < 2 ** order; j++) yield [g + j, e, j];
  }
}

/** One exchange in flight: the net change its own sections made to each gpfn it names. */
export class ExchangeWatch {
  private readonly gpfns: number[];
  private readonly before: Float64Array;
  /**
   * gpfn → [mfn before the call's first section that changed it (-1: unmapped), mfn after its
   * last, whether the target owned that frame then].
   */
  private readonly net = new Map<number, [number, number, boolean]>();
  /** The target was gone before some section (destroyed): its gpfns say nothing. */
  private lost = false;

  /** `gpfns`: each gpfn the call names from its first chunk still to do, once. */
  private constructor(readonly call: Readonly<Call>, private readonly s: Shape, gpfns: Iterable<number>) {
    this.gpfns = [...gpfns];
    this.before = new Float64Array(this.gpfns.length);
  }

  /**
   * A watch for `call`, or undefined when its arguments are not a well-formed exchange to follow
   * gpfn by gpfn. That includes a gpfn named twice — unless as one chunk's input and its output,
   * the in-place trade of Linux's xen_create_contiguous_region —, which makes the end state
   * depend on the order of the chunks, not on nr_exchanged alone.
   */
  static of(call: Readonly<Call>): ExchangeWatch | undefined {
    const s = shapeOf(call);
    if (s === undefined) return undefined;
    const startIn = Math.floor(s.start / s.inPerChunk) * s.inPerChunk;
    const inChunk = new Map<number, number>();
    for (const [g, e] of extentGpfns(s.inList, s.inOrder, startIn, s.nrIn)) {
      if (inChunk.has(g)) return undefined;
      inChunk.set(g, Math.floor(e / s.inPerChunk));
    }
    const outs = new Set<number>();
    for (const [g, x] of extentGpfns(s.outList, s.outOrder, (startIn / s.inPerChunk) * s.outPerChunk, (s.nrIn / s.inPerChunk) * s.outPerChunk)) {
      const chunk = Math.floor(x / s.outPerChunk);
      if (outs.has(g) || (inChunk.has(g) && inChunk.get(g) !== chunk)) return undefined;
      outs.add(g);
    }
    return new ExchangeWatch(call, s, new Set([...inChunk.keys(), ...outs]));
  }

  /** Right before one of the call's sections: what the gpfns map now. */
  beforeSection(hv: Hypervisor): void {
    const p2m = hv.domains.get(this.s.target)?.p2m;
    if (p2m === undefined) {
      this.lost = true;
      return;
    }
    for (let i = 0; i < this.gpfns.length; i++) this.before[i] = p2m.lookup(this.gpfns[i]);
  }

  /** Right after that section: its changes, added to the call's net change. */
  afterSection(hv: Hypervisor): void {
    const p2m = hv.domains.get(this.s.target)?.p2m;
    if (p2m === undefined || this.lost) {
      this.lost = true;
      return;
    }
    for (let i = 0; i < this.gpfns.length; i++) {
      const g = this.gpfns[i];
      const now = p2m.lookup(g);
      if (now === this.before[i]) continue;
      // Ownership as this section left it: a later call may free the frame (a decrease).
      const owned = now >= 0 && hv.heap.ownerOf(now) === this.s.target;
      const e = this.net.get(g);
      if (e === undefined) this.net.set(g, [this.before[i], now, owned]);
      else {
        e[1] = now;
        e[2] = owned;
      }
    }
  }

  private change(g: number): [number, number, boolean] | undefined {
    const e = this.net.get(g);
    return e === undefined || e[0] === e[1] ? undefined : e;
  }

  /**
   * Once the call has returned: null when what it did to its gpfns is what nr_exchanged says,
   * else what is wrong. Nothing is judged for a target that is dying or was gone (Xen's `dying:`
   * path drops a chunk's inputs) or an answer without a numeric nr_exchanged.
   */
  judge(hv: Hypervisor, who: string): string | null {
    const s = this.s;
    const dom = hv.domains.get(s.target);
    const done = this.call.result?.nr_exchanged;
    if (this.lost || dom === undefined || dom.isDying !== 0 || typeof done !== 'number') return null;
    const startIn = Math.floor(s.start / s.inPerChunk) * s.inPerChunk;
    if (done !== s.start && (!Number.isSafeInteger(done) || done < startIn || done > s.nrIn || done % s.inPerChunk !== 0)) {
      return `${who} reports nr_exchanged ${done}: not a whole number of chunks (${s.inPerChunk} input extents each) between ${startIn} and ${s.nrIn}`;
    }
    const end = done === s.start ? startIn : done;
    const outFrom = (startIn / s.inPerChunk) * s.outPerChunk;
    const outEnd = (end / s.inPerChunk) * s.outPerChunk;
    const counted = new Set<number>();
    const n = 2 ** s.outOrder;
    for (let x = outFrom; x < outEnd; x++) {
      const g = s.outList[x];
      const base = isCount(g) ? this.change(g)?.[1] ?? -1 : -1;
      if (base < 0) return `${who} reports nr_exchanged ${done}, but output extent ${x} (gpfn ${String(g)}) was not mapped by it`;
      if (base % n !== 0) return `${who}: output extent ${x} is frame ${base}, not aligned to its order ${s.outOrder}`;
      if (s.outBits > 12 && base + n > 2 ** (s.outBits - 12)) return `${who}: output extent ${x} is frame ${base}, above the ${s.outBits} address bits asked for`;
      for (let j = 0; j < n; j++) {
        const c = this.change((g as number) + j);
        const mfn = c?.[1] ?? -1;
        if (mfn !== base + j) return `${who}: output extent ${x} (gpfn ${String(g)}) is not one contiguous extent: gpfn ${(g as number) + j} maps ${mfn}, not ${base + j}`;
        if (c?.[2] !== true) return `${who}: output extent ${x}'s frame ${mfn} was mapped without being d${s.target}'s`;
        counted.add((g as number) + j);
      }
    }
    for (const [g, e] of extentGpfns(s.inList, s.inOrder, startIn, end)) {
      if (counted.has(g)) continue;
      const c = this.change(g);
      if (c === undefined || c[0] < 0 || c[1] >= 0) {
        const what = c === undefined ? 'was left as it was' : `went ${c[0]}→${c[1]}`;
        return `${who} reports nr_exchanged ${done}, but input extent ${e}'s gpfn ${g} ${what}: it was not traded away`;
      }
      counted.add(g);
    }
    for (const [g, c] of this.net) {
      if (counted.has(g) || c[0] === c[1]) continue;
      return `${who} reports nr_exchanged ${done}, yet it left gpfn ${g}, of a chunk it did not count, changed (${c[0]}→${c[1]}): a failed chunk gives back its inputs and frees its outputs`;
    }
    return null;
  }
}

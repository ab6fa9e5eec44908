// fc.commands for the model-based test: each command issues one hypercall from the control
// domain, drives it section by section with the invariant checker after every section, then
// compares the hypervisor with the counter model (prop-tests/model.ts). toString prints a
// hypercall trace token (`claim[d3,512]`, `populate[d3,o9x4]`) so a shrunk failure reads as a trace.
// Commands name their target by a slot (an index into the live guests, resolved when run); the
// resolved domid is remembered for toString.

import fc from 'fast-check';
import { checkInvariants, type HvEvent, type HypercallResult, type Hypervisor } from '../hv/index.ts';
import { stepChecked } from './drive.ts';
import {
  applyExtent, guestIds, modelClaim, modelCreate, modelDecrease, modelDestroy, modelPool, predictExtent, type Model, type ModelDomain,
} from './model.ts';
import { claimsExceedAvailable } from './properties.ts';

/** The system under test plus what the command driver observes of it. */
export interface Real {
  hv: Hypervisor;
  /** HvEvents of the current command (cleared at its start). */
  events: HvEvent[];
  /** Check the "claims <= available" promise after every section (versions that keep it). */
  checkClaimsBacked: boolean;
}

type Cmd = fc.Command<Model, Real>;

/** A Real over `hv` that records its events. */
export function makeReal(hv: Hypervisor, checkClaimsBacked: boolean): Real {
  const real: Real = { hv, events: [], checkClaimsBacked };
  hv.listeners.push((e) => real.events.push(e));
  return real;
}

/** Throws (failing the property) when actual !== expected. */
function same(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: hypervisor ${String(actual)}, model ${String(expected)}`);
}

/** Issues `op` from dom0 and runs it section by section, checking after each. */
export function drive(real: Real, op: string, args: object): HypercallResult {
  const { hv } = real;
  real.events.length = 0;
  const call = hv.begin(0, op, args);
  while (!call.done) {
    stepChecked(hv, call);
    if (real.checkClaimsBacked) {
      const breach = claimsExceedAvailable(hv);
      if (breach !== null) throw new Error(`after section '${call.lastLabel}' of ${op}: ${breach}`);
    }
  }
  checkInvariants(hv, true);
  return call.result!;
}

/** Compares every counter the model keeps with what physinfo and getdomaininfo report. */
export function compare(m: Readonly<Model>, hv: Hypervisor): void {
  const p = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {});
  same(p.free_pages, m.free - m.xenZoneFrames, 'physinfo.free_pages');
  same(p.outstanding_pages, m.outstanding, 'physinfo.outstanding_pages');
  same(hv.domains.size - 1, m.domains.size, 'number of guests');
  for (const [id, d] of m.domains) {
    const i = hv.hypercall(0, 'XEN_DOMCTL_getdomaininfo', { domid: id });
    same(i.domid, id, `getdomaininfo(${id}).domid`);
    same(i.tot_pages, d.tot, `d${id}.tot_pages`);
    same(i.max_pages, d.max, `d${id}.max_pages`);
    same(i.outstanding_pages, d.claim, `d${id}.outstanding_pages`);
  }
}

/**
 * Starts a run: two guests with max_pages 2048 (the commands then create, grow and destroy more),
 * created through the same checked driver and mirrored in the model.
 */
export function bootGuests(m: Model, r: Real): void {
  for (let k = 0; k < 2; k++) {
    const res = drive(r, 'XEN_DOMCTL_createdomain', {});
    same(res.domid, modelCreate(m), 'createdomain domid (rover)');
    drive(r, 'XEN_DOMCTL_max_mem', { domid: res.domid as number, max_memkb: 2048 * 4 });
    m.domains.get(res.domid as number)!.max = 2048;
  }
  compare(m, r.hv);
}

/** A domid for `slot`: a live guest, or (no guests) an id no domain has. */
function resolve(m: Readonly<Model>, slot: number): number {
  const ids = guestIds(m);
  return ids.length === 0 ? 0x7fef : ids[slot % ids.length];
}

abstract class Base implements Cmd {
  protected domid: number | undefined;
  check(m: Readonly<Model>): boolean {
    return m.domains.size > 0;
  }
  abstract run(m: Model, r: Real): void;
  abstract toString(): string;
  protected d(): string {
    return this.domid === undefined ? 'd?' : `d${this.domid}`;
  }
}

class Create extends Base {
  override check(m: Readonly<Model>): boolean {
    return m.domains.size < 6;
  }
  run(m: Model, r: Real): void {
    const res = drive(r, 'XEN_DOMCTL_createdomain', {});
    this.domid = modelCreate(m);
    same(res.rc, 0, 'createdomain rc');
    same(res.domid, this.domid, 'createdomain domid (rover)');
    compare(m, r.hv);
  }
  toString(): string {
    return `create[→${this.d()}]`;
  }
}

class MaxMem extends Base {
  constructor(readonly slot: number, readonly pages: number, readonly kbSlack: number) {
    super();
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    same(drive(r, 'XEN_DOMCTL_max_mem', { domid: this.domid, max_memkb: this.pages * 4 + this.kbSlack }).rc, 0, 'max_mem rc');
    m.domains.get(this.domid)!.max = this.pages;
    compare(m, r.hv);
  }
  toString(): string {
    return `max_mem[${this.d()},${this.pages}]`;
  }
}

class Claim extends Base {
  constructor(readonly slot: number, readonly pages: number) {
    super();
  }
  override check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    const rc = drive(r, 'XENMEM_claim_pages', { domid: this.domid, nr_extents: this.pages }).rc;
    same(rc, modelClaim(m, this.domid, this.pages), `claim rc`);
    compare(m, r.hv);
  }
  toString(): string {
    return `claim[${this.d()},${this.pages}]`;
  }
}

class Populate extends Base {
  constructor(readonly slot: number, readonly order: number, readonly count: number) {
    super();
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    const d = m.domains.get(this.domid)!;
    const n = 2 ** this.order;
    const base = Math.ceil(d.nextGpfn / n) * n;
    d.nextGpfn = base + this.count * n;
    const extentStart = Array.from({ length: this.count }, (_, i) => base + i * n);
    const args = { domid: this.domid, nr_extents: this.count, extent_order: this.order, mem_flags: 0, extent_start: extentStart };
    const rc = drive(r, 'XENMEM_populate_physmap', args).rc as number;
    same(Number.isInteger(rc) && rc >= 0 && rc <= this.count, true, `populate rc ${rc} within [0, ${this.count}]`);
    replayPopulate(m, d, this.order, this.count, rc, r.events);
    compare(m, r.hv);
  }
  toString(): string {
    return `populate[${this.d()},o${this.order}x${this.count}]`;
  }
}

/** Walks the extents the hypervisor did (rc) and checks why it stopped there. */
function replayPopulate(m: Model, d: ModelDomain, order: number, count: number, rc: number, events: readonly HvEvent[]): void {
  const failed = events.find((e) => e.kind === 'alloc_failed');
  for (let i = 0; i < count; i++) {
    const outcome = predictExtent(m, d, order);
    if (i === rc) {
      const reason = failed?.kind === 'alloc_failed' ? failed.reason : 'none';
      if (outcome === 'gate') same(reason, order > 18 ? 'none' : 'gate', `extent ${i} refusal`);
      else if (outcome === 'nomem') same(reason, 'buddy', `extent ${i} refusal`);
      else if (outcome === 'assign') same(reason, 'none', `extent ${i} assign failure`);
      // Fragmentation: counters say it fits, the buddy lists have no block of that order.
      else same(order > 0 && reason === 'buddy', true, `extent ${i}: model predicts success, hypervisor stopped (${reason})`);
      if (outcome === 'assign') applyExtent(m, d, order, outcome);
      return;
    }
    same(outcome, 'ok', `extent ${i} outcome`);
    applyExtent(m, d, order, 'ok');
  }
}

class Decrease extends Base {
  constructor(readonly slot: number, readonly count: number) {
    super();
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    const mapped: number[] = [];
    for (const [gpfn] of r.hv.domain(this.domid)!.p2m.entries()) {
      if (mapped.length >= this.count) break;
      mapped.push(gpfn);
    }
    const rc = drive(r, 'XENMEM_decrease_reservation', { domid: this.domid, nr_extents: mapped.length, extent_order: 0, extent_start: mapped }).rc;
    same(rc, mapped.length, 'decrease rc');
    modelDecrease(m, m.domains.get(this.domid)!, mapped.length);
    compare(m, r.hv);
  }
  toString(): string {
    return `decrease[${this.d()},${this.count}]`;
  }
}

class Pool extends Base {
  constructor(readonly slot: number, readonly pages: number) {
    super();
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    const rc = drive(r, 'XEN_DOMCTL_set_paging_mempool_size', { domid: this.domid, size: this.pages * 4096 }).rc;
    same(rc, modelPool(m, m.domains.get(this.domid)!, this.pages), 'paging pool rc');
    compare(m, r.hv);
  }
  toString(): string {
    return `pool[${this.d()},${this.pages}]`;
  }
}

class Destroy extends Base {
  constructor(readonly slot: number) {
    super();
  }
  run(m: Model, r: Real): void {
    this.domid = resolve(m, this.slot);
    same(drive(r, 'XEN_DOMCTL_destroydomain', { domid: this.domid }).rc, 0, 'destroy rc');
    modelDestroy(m, this.domid);
    same(r.hv.heap.leakedClaimPages, 0, 'leaked claims');
    compare(m, r.hv);
  }
  toString(): string {
    return `destroy[${this.d()}]`;
  }
}

class Physinfo extends Base {
  override check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const p = drive(r, 'XEN_SYSCTL_physinfo', {});
    same(p.scrub_pages, 0, 'physinfo.scrub_pages');
    compare(m, r.hv);
  }
  toString(): string {
    return 'physinfo';
  }
}

const slot = fc.nat({ max: 7 });
const claimPages = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 5000 }));
const maxPages = fc.oneof(fc.integer({ min: 0, max: 1200 }), fc.integer({ min: 0, max: 5000 }));
const populateShape = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constant(0), fc.integer({ min: 1, max: 48 })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 })) },
  { weight: 2, arbitrary: fc.tuple(fc.constant(9), fc.integer({ min: 1, max: 3 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(18), fc.constant(1)) },
);

/** Every command arbitrary of the model-based test. */
export const allCommands: Array<fc.Arbitrary<Cmd>> = [
  fc.constant(null).map(() => new Create()),
  fc.tuple(slot, maxPages, fc.nat({ max: 3 })).map(([s, p, k]) => new MaxMem(s, p, k)),
  fc.tuple(slot, claimPages).map(([s, p]) => new Claim(s, p)),
  fc.tuple(slot, populateShape).map(([s, [o, c]]) => new Populate(s, o, c)),
  fc.tuple(slot, fc.integer({ min: 1, max: 64 })).map(([s, c]) => new Decrease(s, c)),
  fc.tuple(slot, fc.nat({ max: 12 })).map(([s, p]) => new Pool(s, p)),
  slot.map((s) => new Destroy(s)),
  fc.constant(null).map(() => new Physinfo()),
];

// Squeezed hosts for libxl builds (the 'squeeze' family): a dom0 thread that, before an `xl
// create` starts, leaves the host's free memory fragmented and within a few pages of what the
// build needs — the hosts where a builder's fallback from a short superpage batch and the size
// of its claim matter. It holds the free memory in a filler domain of its own as 2 MiB extents,
// gives back pages from the top of some of them (each such block keeps its first `keep` pages,
// so its free tail is at most 511 pages: never a free 2 MiB buddy), leaves `superpages` 2 MiB
// blocks whole, and so leaves `need + slack` pages free; then, once the build has started, it
// grabs a few pages one at a time, racing the build for the last ones. Registered with
// sim/registry.ts when evaluated.

import type { HypercallPort } from '../../sim/port.ts';
import { registerActorKind } from '../../sim/registry.ts';

/** 2 MiB in pages (SUPERPAGE_2MB_NR_PFNS). */
const SP = 512;
const SP_ORDER = 9;
/** Gpfns of the filler's single pages (the top-up and the grabs), above its 2 MiB extents. */
const SINGLES_GFN = 1 << 22;

/** Parameters of a 'squeezer' actor. */
export interface SqueezerParams {
  /** Virtual time at which it squeezes (after the campaign's other builds have run). */
  atNs: number;
  /** Pages the build it squeezes for populates (build-monitors.ts configuredRam). */
  need: number;
  /** Free pages left beyond `need` (negative: too few by that many). */
  slack: number;
  /** 2 MiB blocks of the free memory left whole (a short superpage batch when fewer than a batch). */
  superpages: number;
  /** Pages each given-back 2 MiB block keeps, from its start (1-511). */
  keep: number;
  /** Single pages grabbed after `grabAtNs`, one call each (0: none). */
  grabs: number;
  grabAtNs: number;
}

type Hc = (op: string, args: object) => Promise<Record<string, unknown>>;

/** Free pages an unclaimed allocation may take (free_pages less outstanding claims). */
async function unclaimedFree(hc: Hc): Promise<number> {
  const pi = await hc('XEN_SYSCTL_physinfo', {});
  return (pi.free_pages as number) - (pi.outstanding_pages as number);
}

/**
 * Gives back `a` pages (1-511) from the top of each 2 MiB extent at gpfn base: [base + 512 - a,
 * base + 512) as aligned extents, smallest first (each lower bit of `a` first: the next start is
 * then aligned to the next bit). One decrease_reservation per order.
 */
function tails(blocks: ReadonlyArray<{ base: number; a: number }>): Map<number, number[]> {
  const byOrder = new Map<number, number[]>();
  for (const { base, a } of blocks) {
    let at = base + SP - a;
    for (let j = 0; j < SP_ORDER; j++) {
      if ((a & (1 << j)) === 0) continue;
      byOrder.set(j, [...(byOrder.get(j) ?? []), at]);
      at += 1 << j;
    }
  }
  return byOrder;
}

/**
 * Takes `n` pages (none when n ≤ 0) of the free memory outside whole 2 MiB blocks into the filler,
 * as few extents as its fragments allow: for each order from 2^8 pages down, as many extents as
 * fit in what is left, in one call (a short count when no free block that large is left), single
 * pages last. A host's hundreds of odd pages cost a few extents, not two sections a page.
 */
async function takeFragments(hc: Hc, domid: number, n: number): Promise<void> {
  let left = n;
  let gpfn = SINGLES_GFN;
  for (let order = SP_ORDER - 1; order >= 0 && left > 0; order--) {
    const count = left >> order;
    if (count === 0) continue;
    const base = gpfn;
    const r = await hc('XENMEM_populate_physmap', { domid, nr_extents: count, extent_order: order, mem_flags: 0, extent_start: Array.from({ length: count }, (_, i) => base + (i << order)) });
    const done = Math.max(0, Math.min(count, r.rc as number));
    left -= done << order;
    gpfn += count << order;
  }
}

/** The 'squeezer' actor (a dom0 thread: every call is privileged). */
export async function runSqueezer(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as SqueezerParams;
  const hc: Hc = async (op, args) => (await port.hypercall(op as never, args as never)) as Record<string, unknown>;
  const wait = p.atNs - port.now();
  if (wait > 0) await port.sleep(wait);
  const c = await hc('XEN_DOMCTL_createdomain', { name: 'squeeze', type: 'pv' });
  if (c.rc !== 0) return;
  const domid = c.domid as number;
  const pi = await hc('XEN_SYSCTL_physinfo', {});
  await hc('XEN_DOMCTL_max_mem', { domid, max_memkb: (pi.total_pages as number) * 4 });
  await hc('XEN_DOMCTL_unpausedomain', { domid }); // a running filler, not a half-built domain
  // Hold every whole free 2 MiB block (a short count: all there are), then give `superpages` back.
  const want = Math.floor((await unclaimedFree(hc)) / SP);
  const r = want === 0 ? { rc: 0 } : await hc('XENMEM_populate_physmap', {
    domid, nr_extents: want, extent_order: SP_ORDER, mem_flags: 0, extent_start: Array.from({ length: want }, (_, i) => i * SP),
  });
  const got = Math.max(0, Math.min(want, r.rc as number));
  const whole = Math.min(got, p.superpages);
  const held = got - whole;
  // Less than the build's need + slack is to be left than the host has outside 2 MiB blocks:
  // take the excess too, while every whole block is still held (so no extent below 2 MiB splits one).
  await takeFragments(hc, domid, (await unclaimedFree(hc)) + whole * SP - (p.need + p.slack));
  if (whole > 0) {
    await hc('XENMEM_decrease_reservation', { domid, nr_extents: whole, extent_order: SP_ORDER, mem_flags: 0, extent_start: Array.from({ length: whole }, (_, i) => (held + i) * SP) });
  }
  let give = p.need + p.slack - (await unclaimedFree(hc));
  // Give back pages from the top of as few blocks as it takes, each keeping `keep` pages.
  const keep = Math.min(SP - 1, Math.max(1, p.keep));
  const blocks: Array<{ base: number; a: number }> = [];
  for (let b = held - 1; b >= 0 && give > 0; b--) {
    const a = Math.min(SP - keep, give);
    blocks.push({ base: b * SP, a });
    give -= a;
  }
  for (const [order, gpfns] of tails(blocks)) {
    await hc('XENMEM_decrease_reservation', { domid, nr_extents: gpfns.length, extent_order: order, mem_flags: 0, extent_start: gpfns });
  }
  if (p.grabs <= 0) return;
  const until = p.grabAtNs - port.now();
  if (until > 0) await port.sleep(until);
  for (let i = 0; i < p.grabs; i++) {
    await hc('XENMEM_populate_physmap', { domid, nr_extents: 1, extent_order: 0, mem_flags: 0, extent_start: [SINGLES_GFN + (1 << 20) + i] });
  }
}

registerActorKind('squeezer', runSqueezer, import.meta.url);

// What a toolstack promises about the domains it reports built, checked against the hypervisor's
// state: `xl create` that unpauses a domain has given it the memory its config asks for, at the
// guest-physical addresses libxl lays out — PV/PVH from gpfn 0; HVM with a device model from
// gpfn 0 but for the VGA hole (0xA0–0xC0); and the claim it staked covered what it populated.
// Registered with sim/registry.ts.

import type { Owner, StepInfo } from '../../sim/owner.ts';
import { registerMonitor, type MonitorFactory } from '../../sim/registry.ts';
import { parseDomainConfig } from '../../toolstack/domain-config.ts';
import { targetDomid } from './ledger.ts';

/** libxl's HVM low-memory layout: RAM below 640 KiB, the VGA hole up to 768 KiB (pages). */
const VGA_HOLE: readonly [number, number] = [0xa0, 0xc0];
/** Guest RAM below 4 GiB stops at libxl's default MMIO hole (pages); campaign guests stay below. */
const MMIO_HOLE_START = 0xf0000;

/** The gpfn ranges a built domain's RAM occupies, from its config (undefined: not modelled here). */
export function configuredRam(cfgText: string, file: string): Array<[number, number]> | undefined {
  const r = parseDomainConfig(cfgText, file);
  if (!r.ok) return undefined;
  const c = r.config;
  if (c.type !== 'hvm') {
    const pages = Math.floor(c.targetMemkb / 4);
    return pages <= MMIO_HOLE_START ? [[0, pages]] : undefined;
  }
  // xc_dom_mem_init(maxmem - video, in whole MiB); a pre-ballooned guest gets its target.
  const total = Math.floor((c.maxMemkb - c.videoMemkb) / 1024) * 256;
  const target = Math.floor((c.targetMemkb - c.videoMemkb) / 4);
  const end = total > target ? target : total;
  if (end > MMIO_HOLE_START || end <= VGA_HOLE[1]) return undefined;
  return [[0, VGA_HOLE[0]], [VGA_HOLE[1], end]];
}

/** The xl actors that create one domain (an 'xl' create, or an 'xl-timeline' with one create), with their config's text. */
function xlCreates(owner: Owner): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const a of owner.spec.actors) {
    const lines = a.kind === 'xl' ? [(a.params?.argv as string[] | undefined) ?? []]
      : a.kind === 'xl-timeline' ? ((a.params?.commands as Array<{ argv: string[] }> | undefined) ?? []).map((c) => c.argv) : [];
    const creates = lines.filter((argv) => argv[0] === 'create');
    if (creates.length !== 1) continue;
    const argv = creates[0]!;
    const file = argv[argv.length - 1]!;
    out.set(a.name, ((a.params?.files ?? {}) as Record<string, string>)[file]);
  }
  return out;
}

/**
 * Which domain each xl actor built (createdomain's result) and whether another actor acted on it
 * since (any call naming it but getdomaininfo): what the build monitors judge is the builder's alone.
 */
function buildTracker(xl: ReadonlyMap<string, unknown>): { see: (info: StepInfo) => void; ownBuild: (info: StepInfo) => number | undefined } {
  const builtBy = new Map<number, string>();
  const touched = new Set<number>();
  return {
    see: (info) => {
      const call = info.call!;
      const t = targetDomid(call);
      if (call.op === 'XEN_DOMCTL_createdomain' && call.result?.rc === 0 && xl.has(info.actor)) builtBy.set(call.result.domid as number, info.actor);
      if (t !== undefined && builtBy.has(t) && builtBy.get(t) !== info.actor && call.op !== 'XEN_DOMCTL_getdomaininfo') touched.add(t);
    },
    ownBuild: (info) => {
      const t = targetDomid(info.call!);
      return t !== undefined && builtBy.get(t) === info.actor && !touched.has(t) ? t : undefined;
    },
  };
}

/**
 * build-matches-config: when an `xl create` unpauses the domain it built, the domain holds
 * exactly the RAM its config gives it (tot_pages and the p2m), mapped at libxl's layout — unless
 * another actor acted on that domain meanwhile.
 */
const buildMatchesConfig: MonitorFactory = (owner: Owner) => {
  const xl = new Map([...xlCreates(owner)].map(([name, text]) => [name, text === undefined ? undefined : configuredRam(text, 'cfg')]));
  const builds = buildTracker(xl);
  return {
    name: 'build-matches-config',
    afterStep: (info) => {
      const call = info.call;
      if (call === undefined || info.finished !== true) return null;
      builds.see(info);
      if (call.op !== 'XEN_DOMCTL_unpausedomain' || call.result?.rc !== 0) return null;
      const t = builds.ownBuild(info);
      const ram = xl.get(info.actor);
      const d = t === undefined ? undefined : owner.hv.domains.get(t);
      if (ram === undefined || d === undefined) return null;
      const pages = ram.reduce((n, [lo, hi]) => n + hi - lo, 0);
      if (d.totPages !== pages || d.p2m.size !== pages) return `${info.actor} started d${t} with ${d.totPages} pages (${d.p2m.size} mapped); its config gives it ${pages}`;
      let prev = 0;
      for (const [lo, hi] of ram) {
        if (d.p2m.anyMapped(prev, lo - prev)) return `${info.actor} started d${t} with RAM mapped in [${prev.toString(16)}, ${lo.toString(16)}) (a hole in libxl's layout)`;
        if (d.p2m.mappedPrefix(lo, hi - lo) !== hi - lo) return `${info.actor} started d${t} without all of its RAM at [${lo.toString(16)}, ${hi.toString(16)})`;
        prev = hi;
      }
      return null;
    },
  };
};

/**
 * build-claim-covers: the claim an `xl create` stakes (claim_mode=1: xc_domain_claim_pages of
 * meminit_pv's total_pages, meminit_hvm's target_pages - vga_hole_size, or a claim set) covers
 * every page the builder then populates — libxl's promise that a build which got its claim
 * cannot run out of memory halfway. Checked against the domain's state when the builder cancels
 * its claim or unpauses the domain: tot_pages is at most the claim's target (tot_pages +
 * outstanding pages right after the claim was granted).
 */
const buildClaimCovers: MonitorFactory = (owner: Owner) => {
  const builds = buildTracker(xlCreates(owner));
  const staked = new Map<number, number>();
  return {
    name: 'build-claim-covers',
    afterStep: (info) => {
      const call = info.call;
      if (call === undefined || info.finished !== true) return null;
      builds.see(info);
      const claim = call.op === 'XENMEM_claim_pages' || call.op === 'XEN_DOMCTL_claim_memory';
      if ((!claim && call.op !== 'XEN_DOMCTL_unpausedomain') || call.result?.rc !== 0) return null;
      const t = builds.ownBuild(info);
      const d = t === undefined ? undefined : owner.hv.domains.get(t);
      if (d === undefined) return null;
      const target = staked.get(t!);
      if (claim && d.outstandingPages > 0) {
        staked.set(t!, d.totPages + d.outstandingPages);
        return null;
      }
      staked.delete(t!);
      if (target === undefined || d.totPages <= target) return null;
      return `${info.actor} claimed ${target} pages for d${t} but populated ${d.totPages} before ${claim ? 'cancelling its claim' : 'starting it'}: its claim does not cover the build`;
    },
  };
};

export const BUILD_MONITORS: Readonly<Record<string, MonitorFactory>> = { 'build-matches-config': buildMatchesConfig, 'build-claim-covers': buildClaimCovers };

for (const [name, factory] of Object.entries(BUILD_MONITORS)) registerMonitor(name, factory, import.meta.url);

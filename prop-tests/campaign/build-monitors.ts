// What a toolstack promises about the domains it reports built, checked against the hypervisor's
// state: `xl create` that unpauses a domain has given it the memory its config asks for, at the
// guest-physical addresses libxl lays out — PV/PVH from gpfn 0; HVM with a device model from
// gpfn 0 but for the VGA hole (0xA0–0xC0). Registered with sim/registry.ts.

import type { Owner } from '../../sim/owner.ts';
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

/**
 * build-matches-config: when an `xl create` unpauses the domain it built, the domain holds
 * exactly the RAM its config gives it (tot_pages and the p2m), mapped at libxl's layout — unless
 * another actor acted on that domain meanwhile.
 */
const buildMatchesConfig: MonitorFactory = (owner: Owner) => {
  const xl = new Map<string, Array<[number, number]> | undefined>();
  for (const a of owner.spec.actors) {
    if (a.kind !== 'xl') continue;
    const argv = (a.params?.argv as string[] | undefined) ?? [];
    const file = argv[0] === 'create' ? argv[argv.length - 1] : undefined;
    const text = file === undefined ? undefined : ((a.params?.files ?? {}) as Record<string, string>)[file];
    if (text !== undefined) xl.set(a.name, configuredRam(text, file!));
  }
  const builtBy = new Map<number, string>();
  const touched = new Set<number>();
  return {
    name: 'build-matches-config',
    afterStep: (info) => {
      const call = info.call;
      if (call === undefined || info.finished !== true) return null;
      const t = targetDomid(call);
      if (call.op === 'XEN_DOMCTL_createdomain' && call.result?.rc === 0 && xl.has(info.actor)) builtBy.set(call.result.domid as number, info.actor);
      if (t !== undefined && builtBy.has(t) && builtBy.get(t) !== info.actor && call.op !== 'XEN_DOMCTL_getdomaininfo') touched.add(t);
      if (call.op !== 'XEN_DOMCTL_unpausedomain' || call.result?.rc !== 0 || t === undefined || builtBy.get(t) !== info.actor || touched.has(t)) return null;
      const ram = xl.get(info.actor);
      const d = owner.hv.domains.get(t);
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

export const BUILD_MONITORS: Readonly<Record<string, MonitorFactory>> = { 'build-matches-config': buildMatchesConfig };

for (const [name, factory] of Object.entries(BUILD_MONITORS)) registerMonitor(name, factory, import.meta.url);

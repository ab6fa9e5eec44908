// libxl's vNUMA domain build (tools/libs/light at RELEASE-4.22.0): the refusals of
// libxl__domain_config_setdefault (libxl_create.c), libxl__vnuma_build_vmemrange_hvm and
// libxl__vnuma_config_check (libxl_vnuma.c), what libxl__build_hvm hands libxenguest
// (dom->vmemranges, dom->vnode_to_pnode), and the claim set a vNUMA build stakes on the claim-set
// version (proposed, see claimSetFor). Sizes are C uint64 byte counts, hence bigint.
// Leaves out: the vCPU affinity checks and set_vnuma_affinity (no vCPU affinity is modelled), the
// e820_host PV layout (PV vNUMA is refused anyway). DIVERGENCE: set_vnuma_info's
// xc_domain_setvnuma (XEN_DOMCTL_setvnumainfo) is not issued: the hypervisor keeps no vNUMA
// topology (hv/memop.ts ignores XENMEMF_vnode for every domain), so nothing would read it.

import { xenBranch, type XenVersion } from '../../hv/version.ts';
import type { DomainConfig } from '../domain-config.ts';
import type { VnodeInfo } from '../vnuma-config.ts';

/** ERROR_INVAL and ERROR_VNUMA_CONFIG_INVALID (libxl_types.idl). */
export const ERROR_INVAL = -6;
export const ERROR_VNUMA_CONFIG_INVALID = -20;
/** LIBXL_MEMKB_DEFAULT: a vnode without a size keeps it. */
const MEMKB_DEFAULT = (1n << 64n) - 1n;
const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** xen_vmemrange_t: [start, end) in bytes of guest-physical space, on virtual node nid. */
export interface Vmemrange {
  readonly start: bigint;
  readonly end: bigint;
  readonly nid: number;
}

/** One libxl error line's origin: file, line and function, and whether it is LOGD (domain id). */
interface LogSite {
  readonly file: string;
  readonly line: number;
  readonly func: string;
}

/** Per release line: the lines of the messages below (4.13 keeps tools/libxl's tree). */
const LINES: Readonly<Record<'4.13' | '4.21' | '4.22', { podVnuma: number; pvVnuma: number; vnumaC: number; hvmVmemranges: number }>> = {
  '4.13': { podVnuma: 1024, pvVnuma: 1034, vnumaC: 2, hvmVmemranges: 1318 },
  '4.21': { podVnuma: 1207, pvVnuma: 1217, vnumaC: 0, hvmVmemranges: 1183 },
  '4.22': { podVnuma: 1209, pvVnuma: 1219, vnumaC: 0, hvmVmemranges: 1191 },
};

function lines(version: XenVersion): (typeof LINES)['4.22'] {
  const branch = xenBranch(version);
  if (branch === '4.3') throw new Error('vNUMA: Xen 4.3 has no vNUMA (xl ignores the key)');
  return LINES[branch];
}

/** `libxl: error: <file>:<line>:<func>: [Domain <id>:]<message>`. */
function libxlLine(site: LogSite, domid: number | undefined, message: string): string {
  return `libxl: error: ${site.file}:${site.line}:${site.func}: ${domid === undefined ? '' : `Domain ${domid}:`}${message}\n`;
}

/** libxl_vnuma.c's line of a message at 4.21/4.22; 4.13's file is two lines longer above it. */
const vnumaSite = (version: XenVersion, line: number, func: string): LogSite =>
  ({ file: 'libxl_vnuma.c', line: line + lines(version).vnumaC, func });

/**
 * libxl__domain_config_setdefault's vNUMA refusals, before the domain is made (LOGD with an
 * invalid domid prints no "Domain N:"): PoD (HVM/PVH with memory below maxmem) with vNUMA, and any
 * PV guest with vNUMA (27524b5e15 "xl/libxl: disable PV vNUMA", 4.7).
 * @returns the error line, or undefined when the config may go on
 */
export function vnumaSetdefaultError(cfg: DomainConfig, version: XenVersion): string | undefined {
  if (cfg.vnumaNodes.length === 0) return undefined;
  const l = lines(version);
  const file = 'libxl_create.c';
  const func = 'libxl__domain_config_setdefault';
  const podEnabled = cfg.type !== 'pv' && cfg.targetMemkb < cfg.maxMemkb;
  if (podEnabled) return libxlLine({ file, line: l.podVnuma, func }, undefined, 'Cannot enable PoD and vNUMA at the same time');
  if (cfg.type === 'pv') return libxlLine({ file, line: l.pvVnuma, func }, undefined, 'PV vNUMA is not yet supported');
  return undefined;
}

/** What libxl__build_hvm gives libxenguest for a vNUMA guest, or its error lines and rc. */
export type VnumaBuild =
  | { readonly ok: true; readonly vmemranges: readonly Vmemrange[]; readonly vnodeToPnode: readonly number[] }
  | { readonly ok: false; readonly rc: number; readonly stderr: readonly string[] };

/**
 * libxl__build_hvm's vNUMA block: build the vmemranges, check the config, then hand them over.
 * @param lowmemEndBytes dom->lowmem_end (= hole start); the hole ends at 4 GiB
 */
export function vnumaBuildHvm(cfg: DomainConfig, domid: number, nrNodes: number, lowmemEndBytes: bigint, version: XenVersion): VnumaBuild {
  const built = buildVmemrangeHvm(cfg, domid, lowmemEndBytes, version);
  if (!built.ok) return built;
  const err = vnumaConfigCheck(cfg, built.vmemranges, nrNodes, version);
  if (err !== undefined) return { ok: false, rc: ERROR_VNUMA_CONFIG_INVALID, stderr: [err] };
  return { ok: true, vmemranges: built.vmemranges, vnodeToPnode: cfg.vnumaNodes.map((v) => v.pnode) };
}

const memkbOf = (v: VnodeInfo): bigint => v.memkb ?? MEMKB_DEFAULT;

/**
 * libxl__vnuma_build_vmemrange_hvm: each vnode's bytes laid out from 0, split at the hole
 * [hole_start, 4 GiB); video RAM comes off vnode 0 ("vnode 0 too small to contain video ram",
 * ERROR_INVAL, then libxl__build_hvm's "hvm build vmemranges failed").
 */
function buildVmemrangeHvm(cfg: DomainConfig, domid: number, holeStart: bigint, version: XenVersion): VnumaBuild {
  const holeEnd = 1n << 32n;
  const ranges: Vmemrange[] = [];
  let next = 0n;
  for (const [nid, p] of cfg.vnumaNodes.entries()) {
    let remaining = U64(memkbOf(p) << 10n);
    if (nid === 0) {
      const videoKb = BigInt(cfg.videoMemkb);
      if (memkbOf(p) < videoKb) {
        return {
          ok: false, rc: ERROR_INVAL, stderr: [
            libxlLine(vnumaSite(version, 284, 'libxl__vnuma_build_vmemrange_hvm'), domid, 'vnode 0 too small to contain video ram'),
            libxlLine({ file: 'libxl_dom.c', line: lines(version).hvmVmemranges, func: 'libxl__build_hvm' }, undefined, 'hvm build vmemranges failed'),
          ],
        };
      }
      remaining = U64(remaining - (videoKb << 10n));
    }
    while (remaining > 0n) {
      let count = remaining;
      if (next >= holeStart && next < holeEnd) next = holeEnd;
      if (next < holeStart && next + remaining >= holeStart) count = holeStart - next;
      ranges.push({ start: next, end: U64(next + count), nid });
      remaining -= count;
      next = U64(next + count);
    }
  }
  return { ok: true, vmemranges: ranges, vnodeToPnode: [] };
}

/** `0x%PRIx64`. */
const hex = (x: bigint): string => `0x${x.toString(16)}`;

/**
 * libxl__vnuma_config_check: pnodes valid, memory sums to max_memkb, each vCPU in exactly one
 * vnode, vmemranges sorted and disjoint, no remote distance below the local one.
 * @returns the error line (ERROR_VNUMA_CONFIG_INVALID), or undefined
 */
export function vnumaConfigCheck(cfg: DomainConfig, vmemranges: readonly Vmemrange[], nrNodes: number, version: XenVersion): string | undefined {
  const fail = (line: number, message: string): string => libxlLine(vnumaSite(version, line, 'libxl__vnuma_config_check'), undefined, message);
  let totalMemkb = 0n;
  for (const v of cfg.vnumaNodes) {
    if (v.pnode >= nrNodes) return fail(113, `Invalid pnode ${v.pnode} specified`);
    totalMemkb = U64(totalMemkb + memkbOf(v));
  }
  const maxMemkb = BigInt(cfg.maxMemkb);
  if (totalMemkb !== maxMemkb) return fail(121, `Amount of memory mismatch (${hex(totalMemkb)} != ${hex(maxMemkb)})`);
  // The cpumap has max_vcpus bits (whole bytes): bits beyond it are neither tested nor set.
  const cpumapBits = Math.ceil(cfg.maxVcpus / 8) * 8;
  const seen = new Set<number>();
  for (const v of cfg.vnumaNodes) {
    for (const j of v.vcpus) {
      if (j >= cpumapBits) continue;
      if (seen.has(j)) return fail(134, `Vcpu ${j} assigned more than once`);
      seen.add(j);
    }
  }
  for (let i = 0; i < cfg.maxVcpus; i++) if (!seen.has(i)) return fail(142, `Vcpu ${i} is not assigned to any vnode`);
  const sorted = [...vmemranges].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  for (const r of sorted) if (r.end < r.start) return fail(170, 'Vmemrange end < start');
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [a, b] = [sorted[i]!, sorted[i + 1]!];
    if (a.end > b.start) return fail(177, `Vmemranges overlapped, ${hex(a.start)}-${hex(a.end)}, ${hex(b.start)}-${hex(b.end)}`);
  }
  for (const [i, v] of cfg.vnumaNodes.entries()) {
    const local = v.distances[i]!;
    for (let j = 0; j < v.distances.length; j++) {
      if (i !== j && local > v.distances[j]!) return fail(196, `Distance from ${i} to ${j} smaller than ${i}'s local distance`);
    }
  }
  return undefined;
}

/** The VGA hole's first page (0xA0000): what lies below is populated, the hole is not. */
const VGA_HOLE_START = 0xa0;

/** A claim-set entry: pages on a physical node. */
export interface NodeClaim {
  readonly pages: number;
  readonly node: number;
}

/**
 * PROPOSED (not upstream): the claim set a vNUMA build stakes on a hypervisor with claim sets.
 * One entry per physical node the vnodes use, ascending, each the pages of that node's
 * vmemranges; the VGA hole [0xA0, 0xC0) of the range starting at 0 is never populated and comes
 * off its node. The entries sum to what the legacy claim asks (target_pages - vga_hole_size).
 * @param pages a vmemrange's size in 4 KiB pages
 */
export function claimSetFor(ranges: ReadonlyArray<{ readonly startPfn: number; readonly pages: number; readonly pnode: number }>, vgaHolePages: number): NodeClaim[] {
  const byNode = new Map<number, number>();
  for (const r of ranges) {
    // meminit_hvm populates [0, 0xA0) before its loop and starts this range's loop at 0xC0.
    const hole = r.startPfn === 0 ? Math.max(0, Math.min(vgaHolePages, r.pages - VGA_HOLE_START)) : 0;
    byNode.set(r.pnode, (byNode.get(r.pnode) ?? 0) + r.pages - hole);
  }
  return [...byNode.entries()].sort(([a], [b]) => a - b).map(([node, pages]) => ({ node, pages }));
}

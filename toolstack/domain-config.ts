// The memory-relevant subset of xl's parse_config_data (tools/xl/xl_parse.c) plus the libxl
// defaults it relies on (libxl__domain_build_info_setdefault, libxl_create.c): domain type,
// name, memory/maxmem, vcpus/maxvcpus, vnuma (vnuma-config.ts) and HVM video memory.
// Leaves out: every other key (devices are kept as raw spec strings, not parsed), so read-time
// warnings of keys we never read (e.g. `cap = "x"`) are not printed; `claim_mode` and
// `superpages` are not guest keys at all (reference §1) and are ignored silently, like any
// unknown key. The caller prints `Parsing config from <src>` first (xl create without -q).

import { parseConfig } from './config/parser.ts';
import { getList, getListItem, getLong, getString, type Read, type ReadOptions } from './config/getters.ts';
import { withOverrides } from './config/overrides.ts';
import type { ConfigFile, StderrWrites } from './config/types.ts';
import { ConfigExit } from './config-exit.ts';
import type { XenVersion } from '../hv/version.ts';
import { parseVnumaConfig, type VnodeInfo, type VnumaHost } from './vnuma-config.ts';

/** Most vCPUs `vcpus` / `maxvcpus` may name (the bound vnuma's vCPU bits have too): createdomain's max_vcpus is kept as a u16 here. */
export const VCPUS_MAX = 65535;

export type DomainType = 'pv' | 'pvh' | 'hvm';
/** libxl_vga_interface_type for HVM guests; PV/PVH guests have no emulated VGA. */
export type VgaKind = 'cirrus' | 'stdvga' | 'none' | 'qxl';

/** What the domain builder needs from a guest config (libxl_domain_build_info, in KiB). */
export interface DomainConfig {
  readonly name: string;
  readonly type: DomainType;
  /** `memory` × 1024: the populated size (libxl target_memkb). */
  readonly targetMemkb: number;
  /** `maxmem` × 1024 (libxl max_memkb); above targetMemkb means a pre-ballooned/PoD guest. */
  readonly maxMemkb: number;
  /** Video RAM inside maxMemkb: HVM cirrus 8 MiB, stdvga 16 MiB, qxl 128 MiB, none 0 by default. */
  readonly videoMemkb: number;
  /** HVM VGA kind; undefined for PV/PVH. */
  readonly vga: VgaKind | undefined;
  readonly vcpus: number;
  readonly maxVcpus: number;
  readonly kernel: string | undefined;
  readonly ramdisk: string | undefined;
  readonly extra: string | undefined;
  /** `disk` / `vif` specs as written; entries that are nested lists read as undefined. */
  readonly disks: readonly (string | undefined)[];
  readonly vifs: readonly (string | undefined)[];
  /** b_info->vnuma_nodes from `vnuma` (empty without one). */
  readonly vnumaNodes: readonly VnodeInfo[];
  /** A vnode named its pnode, so xl set numa_placement to false. */
  readonly numaPlacementOff: boolean;
}

/** What parse_config_data asks of the host and the xl it is: the version and physinfo. */
export interface ParseEnv {
  /** Default '4.22'. */
  readonly version?: XenVersion;
  /** physinfo nr_nodes and nr_cpus; default one node, one CPU. */
  readonly host?: VnumaHost;
}

/** parse_config_data's outcome: a config and its warnings, or xl's error text and exit 1. */
export type DomainConfigResult =
  | { readonly ok: true; readonly config: DomainConfig; readonly stderr: StderrWrites }
  | { readonly ok: false; readonly stderr: StderrWrites; readonly exitStatus: 1 };

/** libxl's default when neither memory nor maxmem is given (libxl_create.c). */
export const LIBXL_DEFAULT_MEMKB = 32 * 1024;

const VIDEO_DEFAULT_MEMKB: Readonly<Record<VgaKind, number>> = {
  cirrus: 8 * 1024,
  stdvga: 16 * 1024,
  qxl: 128 * 1024,
  none: 0,
};

const valueOf = <T>(r: Read<T>): T | undefined => (r.ok ? r.value : undefined);

/** `x * 1024` as C computes it into a uint64 memkb (long multiply, then conversion). */
function mibToMemkb(mib: bigint): number {
  return Number(BigInt.asUintN(64, BigInt.asIntN(64, mib * 1024n)));
}

/**
 * xl's prefix match: `strncmp(value, candidate, strlen(value)) == 0`, tried in order, so the
 * empty string picks the first candidate and "p" picks "pv" before "pvh".
 */
function prefixMatch<T extends string>(value: string, candidates: readonly T[]): T | undefined {
  return candidates.find((c) => c.startsWith(value));
}

/**
 * parse_config_data for a guest config buffer: parses it (failing with xl's
 * `Failed to parse config: Invalid argument`), then reads keys in xl's order, so that warnings
 * appear in xl's order and the first fatal check wins.
 * @param text the file's contents
 * @param source the path as given to `xl create` (used in every message)
 * @param overrides `key=value` arguments of `xl create`, appended as xl does
 */
export function parseDomainConfig(text: string, source: string, overrides: readonly string[] = [], env: ParseEnv = {}): DomainConfigResult {
  const parsed = parseConfig(withOverrides(text, overrides), source);
  const stderr = [...parsed.stderr];
  if (!parsed.ok) {
    stderr.push('Failed to parse config: Invalid argument\n');
    return { ok: false, stderr, exitStatus: 1 };
  }
  try {
    return { ok: true, config: readDomainConfig(parsed.cfg, { report: stderr }, env), stderr };
  } catch (e) {
    if (!(e instanceof ConfigExit)) throw e;
    stderr.push(e.message);
    return { ok: false, stderr, exitStatus: 1 };
  }
}

/**
 * Whether the config (with its overrides) sets `key` at all: xl create asks the hypervisor for
 * physinfo only when `vnuma` is set. DIVERGENCE: parse_vnuma_config calls libxl_get_physinfo for
 * every config; skipping the call without vnuma keeps every other creation's hypercall sequence
 * (and so its virtual time) as it was.
 */
export function configSetsKey(text: string, source: string, overrides: readonly string[], key: string): boolean {
  const parsed = parseConfig(withOverrides(text, overrides), source);
  return parsed.ok && parsed.cfg.settings.some((s) => s.name === key);
}

function readType(cfg: ConfigFile, opts: ReadOptions): DomainType {
  let type: DomainType | undefined;
  const typeText = valueOf(getString(cfg, 'type', opts));
  if (typeText !== undefined) {
    type = prefixMatch(typeText, ['hvm', 'pv', 'pvh'] as const);
    if (!type) throw new ConfigExit(`Invalid domain type ${typeText}.\n`);
  }
  // `builder` is deprecated since 4.10 but still honoured, and must agree with `type`.
  const builderText = valueOf(getString(cfg, 'builder', opts));
  if (builderText !== undefined) {
    const builder = prefixMatch(builderText, ['hvm', 'generic'] as const);
    if (!builder) throw new ConfigExit(`Invalid domain type ${builderText}.\n`);
    const builderType: DomainType = builder === 'hvm' ? 'hvm' : 'pv';
    if (type !== undefined && type !== builderType) {
      throw new ConfigExit('Contradicting "builder" and "type" options specified.\n');
    }
    type = builderType;
  }
  // x86 default; Arm would default to PVH, which the emulator does not model.
  return type ?? 'pv';
}

function readVga(cfg: ConfigFile, opts: ReadOptions): VgaKind {
  const vga = valueOf(getString(cfg, 'vga', opts));
  if (vga !== undefined) {
    if (vga === 'stdvga' || vga === 'cirrus' || vga === 'none' || vga === 'qxl') return vga;
    throw new ConfigExit(`Unknown vga "${vga}" specified\n`);
  }
  const stdvga = valueOf(getLong(cfg, 'stdvga', opts));
  return stdvga !== undefined && stdvga !== 0n ? 'stdvga' : 'cirrus';
}

function readDomainConfig(cfg: ConfigFile, opts: ReadOptions, env: ParseEnv): DomainConfig {
  const type = readType(cfg, opts);
  const name = valueOf(getString(cfg, 'name', opts));
  if (name === undefined) throw new ConfigExit('Domain name must be specified.\n');

  const memory = valueOf(getLong(cfg, 'memory', opts));
  const maxmem = valueOf(getLong(cfg, 'maxmem', opts));
  const vcpusRead = valueOf(getLong(cfg, 'vcpus', opts));
  const maxvcpusRead = valueOf(getLong(cfg, 'maxvcpus', opts));
  // xl keeps vcpus in an int (default 1) and max_vcpus (0 = unset) in an int.
  const vcpus = vcpusRead === undefined ? 1 : Number(BigInt.asIntN(32, vcpusRead));
  let maxVcpusSet = maxvcpusRead === undefined ? 0 : Number(BigInt.asIntN(32, maxvcpusRead));
  // DIVERGENCE: xl takes any int here and allocates (and `xl -N create` prints) a bitmap of that
  // many vCPUs; Xen then refuses the domain. The emulator keeps the list, so it stops sooner.
  for (const [key, n] of [['vcpus', vcpus], ['maxvcpus', maxVcpusSet]] as const) {
    if (n > VCPUS_MAX) throw new ConfigExit(`xl: ${key}=${n} is above the emulator's limit of ${VCPUS_MAX} vCPUs (docs/limits.md)\n`);
  }
  const host = env.host ?? { nrNodes: 1, nrCpus: 1 };
  const vnuma = parseVnumaConfig(cfg, opts, host, maxVcpusSet, maxmem === undefined ? undefined : BigInt(mibToMemkb(maxmem)), env.version ?? '4.22');
  if (vnuma !== undefined) maxVcpusSet = Number(BigInt.asIntN(32, BigInt(vnuma.maxVcpus)));
  const maxVcpus = maxVcpusSet === 0 ? vcpus : maxVcpusSet;
  if (maxVcpus < vcpus) throw new ConfigExit('xl: maxvcpus < vcpus\n');

  // xl copies memory into maxmem when only memory is given (vnuma sets it to the vnodes' sum);
  // libxl then defaults maxmem to 32 MiB and copies maxmem into an unset target.
  let targetMemkb = memory === undefined ? undefined : mibToMemkb(memory);
  let maxMemkb = vnuma !== undefined ? Number(vnuma.maxMemkb) : maxmem === undefined ? targetMemkb : mibToMemkb(maxmem);
  maxMemkb ??= LIBXL_DEFAULT_MEMKB;
  targetMemkb ??= maxMemkb;

  const videoram = valueOf(getLong(cfg, 'videoram', opts));
  const kernel = valueOf(getString(cfg, 'kernel', opts));
  const ramdisk = valueOf(getString(cfg, 'ramdisk', opts));
  const extra = valueOf(getString(cfg, 'extra', opts));
  const disks = stringList(cfg, 'disk', opts);
  const vifs = stringList(cfg, 'vif', opts);

  let vga: VgaKind | undefined;
  let videoMemkb = 0;
  if (type === 'hvm') {
    vga = readVga(cfg, opts);
    videoMemkb = videoram === undefined ? VIDEO_DEFAULT_MEMKB[vga] : mibToMemkb(videoram);
  } else if (type === 'pv' && videoram !== undefined) {
    // Kept as given for the PV framebuffer; PV builds never subtract it from the populated
    // size (only HVM/PVH do, libxl_dom.c:597-599).
    videoMemkb = mibToMemkb(videoram);
  }

  return {
    name, type, targetMemkb, maxMemkb, videoMemkb, vga, vcpus, maxVcpus, kernel, ramdisk, extra, disks, vifs,
    vnumaNodes: vnuma?.nodes ?? [], numaPlacementOff: vnuma?.numaPlacementOff ?? false,
  };
}

function stringList(cfg: ConfigFile, key: string, opts: ReadOptions): (string | undefined)[] {
  const list = getList(cfg, key, opts);
  return list.ok ? list.value.values.map((_, i) => getListItem(list.value, i)) : [];
}

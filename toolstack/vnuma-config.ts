// xl.cfg's `vnuma` key as xl reads it: parse_vnuma_config (tools/xl/xl_parse.c, RELEASE-4.22.0;
// 4.13's differs only in split_string_into_pair). A list of vnodes, each a list of "key=value"
// strings: pnode (a host node), size (MiB), vcpus ("0-3,6"), vdistances ("10,20"). Messages
// and exit status as xl's, byte for byte. xl has the key since b642ed6775 ("xl: vNUMA support",
// 4.6.0): Xen 4.3's xl ignores it as an unknown key.
//
// Kept as xl computes it: sizes in an unsigned long (`val << 10`, wrapping), vCPU counts that
// count a vCPU named twice twice, bitmap bits set through libxl_bitmap_set's `int` (a vCPU number
// is truncated to 32 bits, bits beyond the bitmap's bytes are dropped), distances as uint32.
// Limits (DIVERGENCE, documented in docs/limits.md): at most VNUMA_NODES_MAX vnodes and
// VNUMA_VCPU_BITS_MAX set vCPU bits in all; a vcpus range ending at ULONG_MAX, where xl's loop
// never ends, is refused; vdistances beyond the number of vnodes, which xl writes past its
// array, are dropped.

import type { XenVersion } from '../hv/version.ts';
import { atLeast } from '../hv/version.ts';
import { getList, type ReadOptions } from './config/getters.ts';
import type { ConfigFile, ConfigValue } from './config/types.ts';
import { ConfigExit } from './config-exit.ts';
import { parseRange, parseUlong, splitStringIntoPair, splitStringIntoStringList, ULONG_MAX } from './xl-strings.ts';

/** At most this many vnodes (Xen itself accepts 32: domctl.c vnuma_alloc, nr_vnodes² ≤ PAGE_SIZE/4). */
export const VNUMA_NODES_MAX = 256;
/** At most this many vCPU bits set over all vnodes (Xen's createdomain takes a u16 max_vcpus here). */
export const VNUMA_VCPU_BITS_MAX = 65535;

/** libxl_vnode_info as xl fills it. */
export interface VnodeInfo {
  /** `size` << 10 in KiB (uint64); undefined when no size was given (LIBXL_MEMKB_DEFAULT). */
  readonly memkb: bigint | undefined;
  /** Distances to every vnode (uint32, 0 where not given); num_distances = number of vnodes. */
  readonly distances: readonly number[];
  /** Physical node (0 when not given). */
  readonly pnode: number;
  /** The vcpus bitmap's set bits, ascending. */
  readonly vcpus: readonly number[];
}

/** What xl learns from the host before parsing (libxl_get_physinfo, libxl_get_online_cpus). */
export interface VnumaHost {
  readonly nrNodes: number;
  /** physinfo nr_cpus: libxl_get_online_cpus, and libxl_get_max_cpus for a bitmap sized 0. */
  readonly nrCpus: number;
}

export interface VnumaResult {
  readonly nodes: readonly VnodeInfo[];
  /** b_info->max_vcpus after the key (the count of vCPUs the vnodes name, or maxvcpus). */
  readonly maxVcpus: number;
  /** b_info->max_memkb after the key: the sum of the sizes (uint64). */
  readonly maxMemkb: bigint;
  /** A pnode was given: numa_placement set to false. */
  readonly numaPlacementOff: boolean;
}

/**
 * parse_vnuma_config: undefined when `vnuma` is absent, not a list, or empty (nothing changes).
 * @param maxVcpus b_info->max_vcpus so far (maxvcpus, 0 when not given)
 * @param maxMemkb b_info->max_memkb so far (maxmem × 1024, undefined when not given)
 * @throws ConfigExit with xl's message
 */
export function parseVnumaConfig(
  cfg: ConfigFile, opts: ReadOptions, host: VnumaHost, maxVcpus: number, maxMemkb: bigint | undefined, version: XenVersion,
): VnumaResult | undefined {
  if (!atLeast(version, '4.6')) return undefined;
  const list = getList(cfg, 'vnuma', { ...opts, dontWarn: true });
  if (!list.ok || list.value.values.length === 0) return undefined;
  const specs = list.value.values;
  if (specs.length > VNUMA_NODES_MAX) throw new ConfigExit(`xl: vnuma: more than ${VNUMA_NODES_MAX} vnodes\n`);
  if (maxVcpus < 0) {
    // libxl_cpu_bitmap_alloc refuses a negative size; xl names the wrong allocator.
    throw new ConfigExit('libxl: error: libxl_utils.c:812:libxl_cpu_bitmap_alloc: invalid number of cpus provided\nlibxl_node_bitmap_alloc failed.\n');
  }
  // libxl_bitmap_alloc rounds up to whole bytes; a size of 0 means the host's CPUs.
  const bitmapBits = Math.ceil((maxVcpus === 0 ? host.nrCpus : maxVcpus) / 8) * 8;
  const acc = { vcpuCount: 0n, memkbSum: 0n, bitsSet: 0, pnodeGiven: false };
  const nodes = specs.map((spec) => readVnode(cfg, opts, spec, specs.length, host, bitmapBits, acc, version));

  let finalVcpus = maxVcpus;
  if (maxVcpus !== 0) {
    // int compared with unsigned long: a negative maxvcpus cannot get here (refused above).
    if (BigInt(maxVcpus) !== acc.vcpuCount) throw new ConfigExit('xl: vnuma vcpus and maxvcpus= mismatch\n');
  } else {
    if (BigInt(host.nrCpus) < acc.vcpuCount) {
      throw new ConfigExit('xl: vnuma specifies more vcpus than pcpus, use maxvcpus= to override this check.\n');
    }
    finalVcpus = Number(acc.vcpuCount);
  }
  if (maxMemkb !== undefined && maxMemkb !== acc.memkbSum) throw new ConfigExit('xl: maxmem and vnuma memory size mismatch\n');
  return { nodes, maxVcpus: finalVcpus, maxMemkb: acc.memkbSum, numaPlacementOff: acc.pnodeGiven };
}

interface Accumulators {
  vcpuCount: bigint;
  memkbSum: bigint;
  bitsSet: number;
  pnodeGiven: boolean;
}

function readVnode(
  cfg: ConfigFile, opts: ReadOptions, spec: ConfigValue, nrVnodes: number, host: VnumaHost, bitmapBits: number,
  acc: Accumulators, version: XenVersion,
): VnodeInfo {
  if (spec.kind !== 'list') {
    // xlu_cfg_value_get_list(…, dont_warn 0): the warning, then xl gives up. Columns are always 1:
    // libxlu's lexer sets only first_line.
    opts.report.push(`${cfg.source}:${spec.line}:1: warning: value is not a list\n`);
    throw new ConfigExit('xl: cannot get vnode config option list\n');
  }
  let memkb: bigint | undefined;
  let pnode = 0;
  const distances = new Array<number>(nrVnodes).fill(0);
  const vcpus = new Set<number>();
  for (const option of spec.values) {
    if (option.kind !== 'string') continue;
    const pair = splitStringIntoPair(option.string, version);
    if (pair === undefined) throw new ConfigExit(`xl: failed to split "${option.string}" into pair\n`);
    const { option: key, value } = pair;
    if (key === 'pnode') {
      const val = parseUlong(value);
      if (val >= BigInt(host.nrNodes)) throw new ConfigExit(`xl: invalid pnode number: ${val}\n`);
      pnode = Number(val);
      acc.pnodeGiven = true;
    } else if (key === 'size') {
      memkb = BigInt.asUintN(64, parseUlong(value) << 10n);
      acc.memkbSum = BigInt.asUintN(64, acc.memkbSum + memkb);
    } else if (key === 'vcpus') {
      for (const item of splitStringIntoStringList(value, ',')) addVcpuRange(item, vcpus, bitmapBits, acc);
    } else if (key === 'vdistances') {
      const items = splitStringIntoStringList(value, ',');
      items.forEach((item, j) => {
        const val = parseUlong(item);
        if (j < nrVnodes) distances[j] = Number(BigInt.asUintN(32, val));
      });
    }
  }
  return { memkb, distances, pnode, vcpus: [...vcpus].sort((x, y) => x - y) };
}

/**
 * `for (; s <= e; s++) { libxl_bitmap_set(&vcpu_parsed[i], s); max_vcpus++; }`, in closed form:
 * the count grows by e - s + 1 (mod 2^64), and the bits set are the range's values as C ints
 * (low 32 bits, two's complement) that fall inside the bitmap.
 */
function addVcpuRange(item: string, vcpus: Set<number>, bitmapBits: number, acc: Accumulators): void {
  const { a: s, b: e } = parseRange(item);
  if (e < s) return;
  if (e === ULONG_MAX) throw new ConfigExit(`xl: vcpus range "${item}" never ends (xl loops forever here)\n`);
  const n = e - s + 1n;
  acc.vcpuCount = BigInt.asUintN(64, acc.vcpuCount + n);
  // The values' low 32 bits run from lo for n steps, wrapping at 2^32; negative ints are dropped.
  const lo = Number(BigInt.asUintN(32, s));
  const steps = n >= 1n << 32n ? 2 ** 32 : Number(n);
  const spans: Array<[number, number]> = [[lo, Math.min(lo + steps, 2 ** 32)]];
  if (lo + steps > 2 ** 32) spans.push([0, lo + steps - 2 ** 32]);
  for (const [from, to] of spans) {
    const end = Math.min(to, bitmapBits, 2 ** 31);
    if (end - from > VNUMA_VCPU_BITS_MAX - acc.bitsSet) throw new ConfigExit(`xl: vnuma: more than ${VNUMA_VCPU_BITS_MAX} vcpus\n`);
    for (let bit = from; bit < end; bit++) {
      if (!vcpus.has(bit)) {
        vcpus.add(bit);
        acc.bitsSet++;
      }
    }
  }
}

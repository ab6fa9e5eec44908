// libxl_domain_config as libxl_domain_config_to_json writes it (gentypes.py: a field equal to its
// default is left out), for `xl create -n` (the config xl parsed) and `xl list -l` (a running
// domain's). DIVERGENCE: only the fields the emulator models are written — type, name, vCPUs,
// memory, the PV kernel and the shutdown actions; no uuid (libxl draws a random one), no devices
// (disks and nics are not modelled), no type.pv/type.hvm sub-structures.

import type { DomainInfo } from '../../hv/ops.ts';
import type { DomainConfig } from '../domain-config.ts';
import type { VnodeInfo } from '../vnuma-config.ts';
import type { JsonValue } from './json-c.ts';

/** xl's parse_config_data defaults for the on_* actions (libxl_action_on_shutdown names). */
const ACTIONS = { on_poweroff: 'destroy', on_reboot: 'restart', on_watchdog: 'destroy', on_crash: 'destroy', on_soft_reset: 'soft_reset' } as const;

const vcpuList = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** What `xl create -n` prints for a parsed config (before libxl fills in its defaults). */
export function domainConfigJson(cfg: DomainConfig): { [key: string]: JsonValue } {
  const b: { [key: string]: JsonValue } = {
    max_vcpus: cfg.maxVcpus,
    avail_vcpus: vcpuList(cfg.vcpus),
  };
  if (cfg.numaPlacementOff) b.numa_placement = 'False';
  b.max_memkb = cfg.maxMemkb;
  b.target_memkb = cfg.targetMemkb;
  if (cfg.type === 'hvm') b.video_memkb = cfg.videoMemkb;
  if (cfg.vnumaNodes.length > 0) b.vnuma_nodes = vnumaNodesJson(cfg.vnumaNodes);
  b.sched_params = {};
  if (cfg.kernel !== undefined) b.kernel = cfg.kernel;
  if (cfg.extra !== undefined) b.cmdline = cfg.extra;
  if (cfg.ramdisk !== undefined) b.ramdisk = cfg.ramdisk;
  return { c_info: { type: cfg.type, name: cfg.name, run_hotplug_scripts: 'True' }, b_info: b, ...ACTIONS };
}

/**
 * b_info.vnuma_nodes (libxl_vnode_info_gen_jso): memkb unless LIBXL_MEMKB_DEFAULT, distances
 * (num_distances is never 0 from xl), pnode unless 0, vcpus unless the bitmap is empty.
 */
export function vnumaNodesJson(nodes: readonly VnodeInfo[]): JsonValue[] {
  return nodes.map((v) => {
    const o: { [key: string]: JsonValue } = {};
    if (v.memkb !== undefined) o.memkb = v.memkb;
    o.distances = [...v.distances];
    if (v.pnode !== 0) o.pnode = v.pnode;
    if (v.vcpus.length > 0) o.vcpus = [...v.vcpus];
    return o;
  });
}

/** The vNUMA nodes' JSON as the builder stores it (memkb, a uint64, as a decimal string). */
export function storeVnumaNodes(nodes: JsonValue[]): string {
  return JSON.stringify(nodes, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** {@link storeVnumaNodes}'s text back (undefined when it is not what the builder wrote). */
export function loadVnumaNodes(text: string): JsonValue[] | undefined {
  try {
    const v: unknown = JSON.parse(text, (k, x: unknown) => (k === 'memkb' && typeof x === 'string' && /^\d{1,20}$/.test(x) ? BigInt(x) : x));
    return Array.isArray(v) ? (v as JsonValue[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What libxl_retrieve_domain_configuration gives for a running domain, rebuilt from what Xen
 * and xenstore hold. DIVERGENCE: libxl reads the config it stored at creation (its userdata
 * file in dom0's /var/lib/xen); the emulator keeps none, so the fields come from
 * XEN_DOMCTL_getdomaininfo and the domain's memory/static-max and memory/target in xenstore, as libxl then updates them.
 */
export function liveConfigJson(d: DomainInfo, memory: { targetKb?: number; staticMaxKb?: number }, vnumaNodes?: JsonValue[]): { [key: string]: JsonValue } {
  const b: { [key: string]: JsonValue } = {
    max_vcpus: d.max_vcpu_id + 1,
    avail_vcpus: vcpuList(d.nr_online_vcpus),
  };
  // A vnode with a pnode made xl turn numa_placement off (parse_vnuma_config).
  if (vnumaNodes?.some((n) => typeof n === 'object' && n !== null && 'pnode' in n)) b.numa_placement = 'False';
  // libxl updates both from xenstore: memory/static-max, and memory/target (+ video RAM, not kept here).
  b.max_memkb = memory.staticMaxKb ?? d.max_pages * 4;
  b.target_memkb = memory.targetKb ?? d.tot_pages * 4;
  if (vnumaNodes !== undefined && vnumaNodes.length > 0) b.vnuma_nodes = vnumaNodes;
  b.sched_params = {};
  return { c_info: { type: d.type, name: d.name, run_hotplug_scripts: 'True' }, b_info: b, ...ACTIONS };
}

// libxl_domain_config as libxl_domain_config_to_json writes it (gentypes.py: a field equal to its
// default is left out), for `xl create -n` (the config xl parsed) and `xl list -l` (a running
// domain's). DIVERGENCE: only the fields the emulator models are written — type, name, vCPUs,
// memory, the PV kernel and the shutdown actions; no uuid (libxl draws a random one), no devices
// (disks and nics are not modelled), no type.pv/type.hvm sub-structures.

import type { DomainInfo } from '../../hv/ops.ts';
import type { DomainConfig } from '../domain-config.ts';
import type { JsonValue } from './json-c.ts';

/** xl's parse_config_data defaults for the on_* actions (libxl_action_on_shutdown names). */
const ACTIONS = { on_poweroff: 'destroy', on_reboot: 'restart', on_watchdog: 'destroy', on_crash: 'destroy', on_soft_reset: 'soft_reset' } as const;

const vcpuList = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** What `xl create -n` prints for a parsed config (before libxl fills in its defaults). */
export function domainConfigJson(cfg: DomainConfig): { [key: string]: JsonValue } {
  const b: { [key: string]: JsonValue } = {
    max_vcpus: cfg.maxVcpus,
    avail_vcpus: vcpuList(cfg.vcpus),
    max_memkb: cfg.maxMemkb,
    target_memkb: cfg.targetMemkb,
  };
  if (cfg.type === 'hvm') b.video_memkb = cfg.videoMemkb;
  b.sched_params = {};
  if (cfg.kernel !== undefined) b.kernel = cfg.kernel;
  if (cfg.extra !== undefined) b.cmdline = cfg.extra;
  if (cfg.ramdisk !== undefined) b.ramdisk = cfg.ramdisk;
  return { c_info: { type: cfg.type, name: cfg.name, run_hotplug_scripts: 'True' }, b_info: b, ...ACTIONS };
}

/**
 * What libxl_retrieve_domain_configuration gives for a running domain, rebuilt from what Xen
 * and xenstore hold. DIVERGENCE: libxl reads the config it stored at creation (its userdata
 * file in dom0's /var/lib/xen); the emulator keeps none, so the fields come from
 * XEN_DOMCTL_getdomaininfo and the domain's memory/static-max and memory/target in xenstore, as libxl then updates them.
 */
export function liveConfigJson(d: DomainInfo, memory: { targetKb?: number; staticMaxKb?: number }): { [key: string]: JsonValue } {
  return {
    c_info: { type: d.type, name: d.name, run_hotplug_scripts: 'True' },
    b_info: {
      max_vcpus: d.max_vcpu_id + 1,
      avail_vcpus: vcpuList(d.nr_online_vcpus),
      // libxl updates both from xenstore: memory/static-max, and memory/target (+ video RAM, not kept here).
      max_memkb: memory.staticMaxKb ?? d.max_pages * 4,
      target_memkb: memory.targetKb ?? d.tot_pages * 4,
      sched_params: {},
    },
    ...ACTIONS,
  };
}

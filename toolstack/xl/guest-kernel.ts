// Which guest kernel, if any, runs in a domain after `xl create`. Emulator-only keys in the
// guest config choose it; xl's parser ignores unknown keys silently, so such a file still works
// with real xl. Without `memsim_workload` the domain gets no kernel and just sits there, as an
// idle guest would.
//   memsim_workload = "idle" | "steady" | "bursty" | "sawtooth" | "spike"   (required for a kernel)
//   memsim_tmem     = 0 | 1      boot the kernel with tmem (Xen 4.3 with tmem on only)
//   memsim_seed     = N          workload seed (default: the domid)
//   memsim_surge_at_ms = N       a workload surge starting at host virtual time N ms …
//   memsim_surge_pct   = N       … climbing to Committed_AS = N% of `memory` (may exceed 100
//                                with maxmem > memory) …
//   memsim_surge_ramp_ms = N     … over N ms (default 5000); see guests/workload.ts

import { WORKLOAD_KINDS, type WorkloadKind } from '../../guests/workload.ts';
import type { LinuxGuestOptions } from '../../guests/linux-guest.ts';
import type { XenVersion } from '../../hv/version.ts';
import type { ActorSpec } from '../../sim/scenario.ts';
import { getLong, getString, parseConfig, withOverrides } from '../config/index.ts';
import type { DomainConfig } from '../domain-config.ts';

/**
 * The kernel actor to spawn for a freshly built domain, or undefined.
 * @param text the guest config's bytes and `overrides` the `key=value` arguments, as xl parsed them
 */
export function guestKernelSpec(
  text: string, source: string, overrides: readonly string[], cfg: DomainConfig, domid: number, version: XenVersion,
): ActorSpec | undefined {
  const parsed = parseConfig(withOverrides(text, overrides), source);
  if (!parsed.ok) return undefined;
  const quiet = { report: [] as string[], dontWarn: true };
  const workload = getString(parsed.cfg, 'memsim_workload', quiet);
  if (!workload.ok || !(WORKLOAD_KINDS as readonly string[]).includes(workload.value)) return undefined;
  const tmemRead = getLong(parsed.cfg, 'memsim_tmem', quiet);
  const seedRead = getLong(parsed.cfg, 'memsim_seed', quiet);
  const surgeAt = getLong(parsed.cfg, 'memsim_surge_at_ms', quiet);
  const surgePct = getLong(parsed.cfg, 'memsim_surge_pct', quiet);
  const surgeRamp = getLong(parsed.cfg, 'memsim_surge_ramp_ms', quiet);
  const surge = surgeAt.ok && surgePct.ok && surgeAt.value >= 0n && surgePct.value > 0n
    ? {
        atNs: Number(surgeAt.value) * 1e6, level: Number(surgePct.value) / 100,
        ...(surgeRamp.ok && surgeRamp.value >= 0n ? { rampS: Number(surgeRamp.value) / 1000 } : {}),
      }
    : undefined;
  const video = cfg.type === 'pv' ? 0 : cfg.videoMemkb;
  const params: LinuxGuestOptions = {
    seed: seedRead.ok ? Number(BigInt.asIntN(32, seedRead.value)) : domid,
    workload: workload.value as WorkloadKind,
    initialPages: Math.floor((cfg.targetMemkb - video) / 4),
    maxPfn: Math.floor((Math.max(cfg.maxMemkb, cfg.targetMemkb) - video) / 4),
    tmem: version === '4.3' && tmemRead.ok && tmemRead.value !== 0n,
    ...(surge === undefined ? {} : { surge }),
  };
  return { name: `linux:${cfg.name}:d${domid}`, kind: 'linux', boot: cfg.name, params: params as unknown as Record<string, unknown> };
}

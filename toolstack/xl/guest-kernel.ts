// Which guest kernel, if any, runs in a domain after `xl create`. Emulator-only keys in the
// guest config choose it; xl's parser ignores unknown keys silently, so such a file still works
// with real xl. Without `memsim_workload` the domain gets no kernel and just sits there, as an
// idle guest would.
//   memsim_workload = "idle" | "steady" | "bursty" | "sawtooth" | "spike"   (required for a kernel)
//   memsim_tmem     = 0 | 1      boot the kernel with tmem (Xen 4.3 with tmem on only)
//   memsim_seed     = N          workload seed, a 32-bit integer (default: the domid)
//   memsim_surge_at_ms = N       a workload surge starting at host virtual time N ms …
//   memsim_surge_pct   = N       … climbing to Committed_AS = N% of `memory`, 1 … 6400 (may
//                                exceed 100 with maxmem > memory) …
//   memsim_surge_ramp_ms = N     … over N ms (default 5000); see guests/workload.ts
// The keys are read, and every value checked against the kernel's limits
// (guests/linux-guest-options.ts, docs/limits.md "Guest cfg keys"), when xl parses the config —
// before anything is built: a bad value is libxlu's warning plus an `Invalid …` line and exit 1,
// as parse_config_data does for its own bounded keys, never a throw inside the kernel.

import { WORKLOAD_KINDS, type WorkloadKind } from '../../guests/workload.ts';
import type { LinuxGuestOptions } from '../../guests/linux-guest.ts';
import { LINUX_GUEST_LIMITS, validateLinuxGuestOptions } from '../../guests/linux-guest-options.ts';
import type { XenVersion } from '../../hv/version.ts';
import type { ActorSpec } from '../../sim/scenario.ts';
import { getBoundedLong, getString, parseConfig, withOverrides, type Read } from '../config/index.ts';
import type { DomainConfig } from '../domain-config.ts';

const L = LINUX_GUEST_LIMITS;
const MS_MAX = Math.floor(L.timeNsMax / 1e6);

/** Each numeric memsim_* key: its bounds and what it is, for the `Invalid …` line. */
const NUMERIC_KEYS = {
  memsim_tmem: [0n, 1n, '0 or 1'],
  memsim_seed: [BigInt(L.seedMin), BigInt(L.seedMax), 'a 32-bit workload seed'],
  memsim_surge_at_ms: [0n, BigInt(MS_MAX), 'host virtual time in ms'],
  memsim_surge_pct: [1n, BigInt(L.surgeLevelMax * 100), "Committed_AS at the surge's top, percent of memory"],
  memsim_surge_ramp_ms: [0n, BigInt(MS_MAX), 'ms'],
} as const;
type NumericKey = keyof typeof NUMERIC_KEYS;
const KNOWN_KEYS = ['memsim_workload', ...Object.keys(NUMERIC_KEYS)];

/** A guest kernel to start once the domain is built: its options but the domid-dependent seed default. */
export interface GuestKernelChoice {
  options: Omit<LinuxGuestOptions, 'seed'> & { seed?: number };
}

export type GuestKernelRead =
  | { readonly ok: true; readonly kernel?: GuestKernelChoice; readonly stderr: string[] }
  | { readonly ok: false; readonly stderr: string[]; readonly exitStatus: 1 };

/**
 * Reads and checks the memsim_* keys of a guest config, as `xl create` parses it (before building).
 * @param text the config's bytes and `overrides` the `key=value` arguments, as xl parsed them
 * @param cfg the domain config xl read from the same text
 */
export function readGuestKernel(text: string, source: string, overrides: readonly string[], cfg: DomainConfig, version: XenVersion): GuestKernelRead {
  const stderr: string[] = [];
  const parsed = parseConfig(withOverrides(text, overrides), source);
  if (!parsed.ok) return { ok: true, stderr }; // parseDomainConfig has refused it already
  const c = parsed.cfg;
  const fail = (line: string): GuestKernelRead => ({ ok: false, stderr: [...stderr, line], exitStatus: 1 });
  for (const s of c.settings) {
    if (s.name.startsWith('memsim_') && !KNOWN_KEYS.includes(s.name)) stderr.push(`${source}:${s.line}: warning: unknown emulator key \`${s.name}' ignored (known: ${KNOWN_KEYS.join(', ')})\n`);
  }
  const opts = { report: stderr };
  const num: Partial<Record<NumericKey, bigint>> = {};
  for (const [k, [min, max, what]] of Object.entries(NUMERIC_KEYS) as Array<[NumericKey, (typeof NUMERIC_KEYS)[NumericKey]]>) {
    const r: Read<bigint> = getBoundedLong(c, k, min, max, opts);
    if (r.ok) num[k] = r.value;
    else if (r.errno !== 'ESRCH') return fail(`Invalid ${k}: must be an integer in [${min}, ${max}] (${what}).\n`);
  }
  const workload = getString(c, 'memsim_workload', opts);
  if (!workload.ok) {
    if (workload.errno !== 'ESRCH') return fail('Invalid memsim_workload: must be a single value.\n');
    for (const k of Object.keys(num)) stderr.push(`${source}: warning: ${k} has no effect without memsim_workload (no guest kernel)\n`);
    return { ok: true, stderr };
  }
  if (!(WORKLOAD_KINDS as readonly string[]).includes(workload.value)) {
    return fail(`Unknown memsim_workload "${workload.value}" specified (known: ${WORKLOAD_KINDS.join(', ')}).\n`);
  }
  const surgeKeys = (['memsim_surge_at_ms', 'memsim_surge_pct', 'memsim_surge_ramp_ms'] as const).filter((k) => num[k] !== undefined);
  if (surgeKeys.length > 0 && (num.memsim_surge_at_ms === undefined || num.memsim_surge_pct === undefined)) {
    return fail(`Invalid memsim_surge: ${surgeKeys.join(' and ')} without ${num.memsim_surge_at_ms === undefined ? 'memsim_surge_at_ms' : 'memsim_surge_pct'} (a surge needs both).\n`);
  }
  const video = cfg.type === 'pv' ? 0 : cfg.videoMemkb;
  const initialPages = Math.floor((cfg.targetMemkb - video) / 4);
  const maxPfn = Math.floor((Math.max(cfg.maxMemkb, cfg.targetMemkb) - video) / 4);
  // DIVERGENCE: a real guest kernel runs in any size of domain; this one models every frame.
  if (maxPfn > L.maxPfnMax) return fail(`Invalid memory for memsim_workload: a guest kernel models every page, so maxmem must be at most ${L.maxPfnMax / 256} MiB (got ${Math.round((maxPfn * 4) / 1024)} MiB).\n`);
  if (initialPages < L.initialPagesMin) return fail(`Invalid memory for memsim_workload: a guest kernel needs at least ${L.initialPagesMin / 256} MiB of memory (got ${Math.round((initialPages * 4) / 1024)} MiB).\n`);
  if (num.memsim_surge_pct !== undefined && (Number(num.memsim_surge_pct) / 100) * initialPages > L.committedPagesMax) {
    return fail(`Invalid memsim_surge_pct: Committed_AS at the surge's top (${num.memsim_surge_pct}% of ${Math.round((initialPages * 4) / 1024)} MiB) must be at most ${L.committedPagesMax / 256} MiB, what a guest kernel models.\n`);
  }
  const options: GuestKernelChoice['options'] = {
    ...(num.memsim_seed === undefined ? {} : { seed: Number(num.memsim_seed) }),
    workload: workload.value as WorkloadKind,
    initialPages,
    maxPfn,
    tmem: version === '4.3' && num.memsim_tmem === 1n,
    ...(num.memsim_surge_at_ms !== undefined && num.memsim_surge_pct !== undefined
      ? {
          surge: {
            atNs: Number(num.memsim_surge_at_ms) * 1e6, level: Number(num.memsim_surge_pct) / 100,
            ...(num.memsim_surge_ramp_ms === undefined ? {} : { rampS: Number(num.memsim_surge_ramp_ms) / 1000 }),
          },
        }
      : {}),
  };
  const bad = validateLinuxGuestOptions({ seed: 0, ...options });
  if (bad.length > 0) return fail(`Invalid guest kernel options: ${bad.join('; ')}.\n`);
  return { ok: true, kernel: { options }, stderr };
}

/** The kernel actor to spawn for a freshly built domain `domid`. */
export function guestKernelSpec(kernel: GuestKernelChoice, cfg: DomainConfig, domid: number): ActorSpec {
  const params: LinuxGuestOptions = { ...kernel.options, seed: kernel.options.seed ?? domid };
  return { name: `linux:${cfg.name}:d${domid}`, kind: 'linux', boot: cfg.name, params: params as unknown as Record<string, unknown> };
}


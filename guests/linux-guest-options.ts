// The limits of a Linux guest kernel's options (LinuxGuestOptions) and their one validation.
// Whatever starts a kernel — `xl create` reading the memsim_* keys of a guest config
// (toolstack/xl/guest-kernel.ts), a scenario's dom0, a trace header's actor — checks its options
// here first, so a bad number is a message where it entered, never a RangeError or an endless
// loop inside the kernel. The limits are the model's (docs/limits.md, "Guest cfg keys").

import { WORKLOAD_KINDS } from './workload.ts';

/**
 * The model's limits:
 * - maxPfn ≤ 2^22 (16 GiB), and Committed_AS at a surge's top (level × initialPages) ≤ 2^22
 *   pages: the kernel models every page it holds or swaps — a state byte and a list entry per
 *   pfn, a list entry per anonymous page resident and a Set entry per page swapped (V8's Sets
 *   stop at 2^24 entries) —
 *   and moves each page it swaps one by one (~70 µs a page measured on a busy 2-core machine:
 *   2^22 pages is minutes, not hours);
 * - initialPages ≥ 2048 (8 MiB, the smallest guest the campaigns run): the boot reservation (kernel image, mem_map) needs room;
 * - a surge's level ≤ 64 × memory (the scenario file's bound), its times within the exact range
 *   of the ns clock;
 * - seed a 32-bit integer (the workload hash).
 */
export const LINUX_GUEST_LIMITS = {
  maxPfnMax: 2 ** 22,
  committedPagesMax: 2 ** 22,
  initialPagesMin: 2048,
  surgeLevelMax: 64,
  seedMin: -(2 ** 31),
  seedMax: 2 ** 31 - 1,
  timeNsMax: Number.MAX_SAFE_INTEGER,
  /** tmem calls per tick, and pages in the optional reservations. */
  countMax: 2 ** 22,
} as const;

const OPTION_KEYS = [
  'seed', 'workload', 'surge', 'initialPages', 'maxPfn', 'tmem', 'generation', 'bugs',
  'kernelReservedPages', 'totalreservePages', 'tmemOpsPerTickMax', 'selfballooning', 'frontswapSelfshrinking',
] as const;

const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : v !== null && typeof v === 'object' ? 'an object' : String(v);

/**
 * Checks a kernel's options against the model's limits. Pure; never throws.
 * @returns one message per bad field ("maxPfn must be …, got …"); [] when valid
 */
export function validateLinuxGuestOptions(opts: unknown): string[] {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return [`options must be an object, got ${show(opts)}`];
  const o = opts as Record<string, unknown>;
  const out: string[] = [];
  const L = LINUX_GUEST_LIMITS;
  const int = (k: string, v: unknown, min: number, max: number, unit = ''): boolean => {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max) return true;
    out.push(`${k} must be an integer in [${min}, ${max}]${unit}, got ${show(v)}`);
    return false;
  };
  const bool = (k: string): void => {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') out.push(`${k} must be true or false, got ${show(o[k])}`);
  };
  for (const k of Object.keys(o)) if (!(OPTION_KEYS as readonly string[]).includes(k)) out.push(`unknown option ${show(k)} (known: ${OPTION_KEYS.join(', ')})`);
  int('seed', o.seed, L.seedMin, L.seedMax);
  if (!(WORKLOAD_KINDS as readonly unknown[]).includes(o.workload)) out.push(`workload must be one of ${WORKLOAD_KINDS.join(', ')}, got ${show(o.workload)}`);
  const maxOk = int('maxPfn', o.maxPfn, 1, L.maxPfnMax, ' pages (16 GiB)');
  int('initialPages', o.initialPages, L.initialPagesMin, maxOk ? (o.maxPfn as number) : L.maxPfnMax, maxOk ? ' pages (8 MiB up to maxPfn)' : ' pages');
  if (typeof o.tmem !== 'boolean') out.push(`tmem must be true or false, got ${show(o.tmem)}`);
  if (o.generation !== undefined && o.generation !== '3.x' && o.generation !== 'upstream') out.push(`generation must be "3.x" or "upstream", got ${show(o.generation)}`);
  if (o.bugs !== undefined && !(Array.isArray(o.bugs) && o.bugs.length <= 16 && o.bugs.every((b) => typeof b === 'string' && /^B\d{1,2}$/.test(b)))) out.push(`bugs must be a list of bug names such as "B14", got ${show(o.bugs)}`);
  for (const k of ['kernelReservedPages', 'totalreservePages', 'tmemOpsPerTickMax']) if (o[k] !== undefined) int(k, o[k], 0, L.countMax);
  bool('selfballooning');
  bool('frontswapSelfshrinking');
  if (o.surge !== undefined) {
    const u = o.surge as Record<string, unknown>;
    if (typeof u !== 'object' || u === null || Array.isArray(u)) out.push(`surge must be an object, got ${show(u)}`);
    else {
      int('surge.atNs', u.atNs, 0, L.timeNsMax, ' ns');
      if (typeof u.level !== 'number' || !(u.level > 0) || u.level > L.surgeLevelMax) out.push(`surge.level must be a number in (0, ${L.surgeLevelMax}] (a multiple of memory), got ${show(u.level)}`);
      else if (typeof o.initialPages === 'number' && u.level * o.initialPages > L.committedPagesMax) {
        out.push(`surge.level × initialPages (Committed_AS at the surge's top) must be at most ${L.committedPagesMax} pages (${L.committedPagesMax / 256} MiB), got ${Math.round(u.level * o.initialPages)}`);
      }
      if (u.rampS !== undefined && (typeof u.rampS !== 'number' || !(u.rampS >= 0) || u.rampS > L.timeNsMax / 1e9)) out.push(`surge.rampS must be a number of seconds in [0, ${Math.floor(L.timeNsMax / 1e9)}], got ${show(u.rampS)}`);
      for (const k of Object.keys(u)) if (!['atNs', 'level', 'rampS'].includes(k)) out.push(`unknown option surge.${k}`);
    }
  }
  return out;
}

// The story a run tells, in words: what an xl command did (`xl info` with the free memory it
// printed, `xl create` with how much it populated before it failed), and readable forms of the
// notes guests leave in the trace. Pure functions over what the telemetry already holds; the
// sampler (telemetry.ts) decides when they happen.

import { SELFBALLOON_TARGET_NOTE } from '../guests/linux-guest.ts';
import type { XlWrite } from '../toolstack/xl/io.ts';

/** Pages per MiB (4 KiB pages). */
const PAGES_PER_MIB = 256;
/** Longest command output kept with an event (characters). */
export const DETAIL_MAX_CHARS = 4000;

const mib = (pages: number): string => `${Math.round(pages / PAGES_PER_MIB)} MiB`;

/** The config file an `xl create` names (its first operand that is not a key=value). */
function createTarget(argv: readonly string[]): string | undefined {
  const rest = argv.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '-f') return rest[i + 1];
    if (!a.startsWith('-') && !a.includes('=')) return a;
  }
  return undefined;
}

/** A guest's name as its config file suggests it (`big1.cfg` → big1). */
const guestOf = (file: string): string => file.replace(/^.*\//, '').replace(/\.(cfg|hvm|pv|pvh|conf)$/, '');

const truncate = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max)}\n… (${s.length - max} more characters)`);

export interface XlStartStory {
  text: string;
  /** Absent for `xl info`: its end is labelled with what it printed. */
  label?: string;
}

/** An xl command starts. */
export function xlStartStory(actor: string, argv: readonly string[]): XlStartStory {
  const line = `xl ${argv.join(' ')}`;
  const target = argv[0] === 'create' ? createTarget(argv) : undefined;
  if (argv[0] === 'info') return { text: `${actor}: ${line}` };
  return { text: `${actor}: ${line}`, label: target === undefined ? `xl ${argv[0] ?? ''}` : `xl create ${guestOf(target)}` };
}

/** What an xl command did while it ran, as the sampler counted it. */
export interface XlEffects {
  /** Pages its populate_physmap calls got. */
  populatedPages: number;
  /** Claims it staked (pages asked) and whether Xen accepted them. */
  claims: Array<{ pages: number; ok: boolean }>;
  /** The domain it created, if any. */
  domid?: number;
}

export interface XlEndStory {
  kind: 'xl_end' | 'build_done' | 'build_failed';
  text: string;
  /** Only where the end tells something the start did not: a build's outcome, the free memory printed, a failure. */
  label?: string;
  detail: string;
}

/** The free memory `xl info` printed (MiB), whole or as `xl info free_memory`. */
export function freeMemoryPrinted(argv: readonly string[], stdout: string): number | undefined {
  const full = /^free_memory\s*:\s*(\d+)$/m.exec(stdout);
  if (full !== null) return Number(full[1]);
  const field = argv[1];
  if (argv[0] === 'info' && field !== undefined && 'free_memory'.startsWith(field) && field.length > 0) {
    const first = /^(\d+)$/m.exec(stdout);
    return first === null ? undefined : Number(first[1]);
  }
  return undefined;
}

/** An xl command ended with `status`, having written `out`. */
export function xlEndStory(actor: string, argv: readonly string[], status: number, out: readonly XlWrite[], fx: XlEffects, domainName?: string): XlEndStory {
  const stdout = out.filter((w) => w.stream === 'stdout').map((w) => w.text).join('');
  const detail = truncate(out.map((w) => w.text).join(''), DETAIL_MAX_CHARS);
  const line = `xl ${argv.join(' ')}`;
  const cmd = argv[0] ?? '';
  if (cmd === 'create' && !argv.includes('-n') && !argv.includes('--dryrun')) {
    const guest = domainName ?? guestOf(createTarget(argv) ?? '?');
    const claimed = fx.claims.find((c) => c.pages > 0);
    if (status === 0) {
      const claim = claimed === undefined ? ', no claim' : `, after claiming ${mib(claimed.pages)}`;
      return { kind: 'build_done', label: `${guest} created`, detail, text: `${actor}: ${line}: ${guest} created${fx.domid === undefined ? '' : ` as d${fx.domid}`}, ${mib(fx.populatedPages)} populated${claim}` };
    }
    const why = claimed !== undefined && !claimed.ok ? `its claim of ${mib(claimed.pages)} was refused, nothing populated` : `after populating ${mib(fx.populatedPages)}`;
    return { kind: 'build_failed', label: `${guest} FAILED`, detail, text: `${actor}: ${line} failed (exit ${status}): ${why}` };
  }
  const free = cmd === 'info' ? freeMemoryPrinted(argv, stdout) : undefined;
  if (free !== undefined) return { kind: 'xl_end', label: `xl info: ${free} MiB free`, detail, text: `${actor}: ${line} printed free_memory ${free} MiB` };
  return { kind: 'xl_end', ...(status === 0 ? {} : { label: `xl ${cmd}: exit ${status}` }), detail, text: `${actor}: ${line} → exit ${status}` };
}

/** A selfballoon target note, readable; undefined when the note is something else. */
export function selfballoonStory(guest: string, note: string): { text: string; targetPages: number } | undefined {
  if (!note.startsWith(SELFBALLOON_TARGET_NOTE)) return undefined;
  try {
    const n = JSON.parse(note.slice(SELFBALLOON_TARGET_NOTE.length)) as { target?: unknown; current?: unknown };
    if (typeof n.target !== 'number' || typeof n.current !== 'number') return undefined;
    const verb = n.target > n.current ? 'raises' : n.target < n.current ? 'lowers' : 'keeps';
    return { targetPages: n.target, text: `${guest}: selfballoon ${verb} the balloon target to ${mib(n.target)} (it holds ${mib(n.current)})` };
  } catch {
    return undefined;
  }
}

/** A guest's load surge, as a scenario gives it to the kernel (guests/linux-guest.ts `surge`). */
export interface SurgeSpec {
  atNs: number;
  level: number;
}

/** Reads a kernel actor's surge from its spawn spec's params; undefined when it has none. */
export function surgeOf(params: Record<string, unknown> | undefined): SurgeSpec | undefined {
  const s = params?.surge as { atNs?: unknown; level?: unknown } | undefined;
  if (typeof s !== 'object' || s === null || typeof s.atNs !== 'number' || typeof s.level !== 'number') return undefined;
  if (!Number.isFinite(s.atNs) || !Number.isFinite(s.level)) return undefined;
  return { atNs: s.atNs, level: s.level };
}

/** One event for every guest whose load surges at the same moment. */
export function surgeStory(guests: readonly string[], level: number): { text: string; label: string } {
  const pct = Math.round(level * 100);
  return { label: 'load surges', text: `the load of ${guests.join(', ')} surges: Committed_AS climbs to ${pct}% of ${guests.length === 1 ? 'its' : 'their'} memory` };
}

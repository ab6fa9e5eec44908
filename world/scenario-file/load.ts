// Scenario files (docs/scenario-format.md, scenarios/scenario.schema.json): JSON describing a
// host, xl.conf, guests and a timeline of xl commands and faults, validated with positions
// (`demo.json:12:5: "memory" must be …`) and compiled into one ScenarioSpec per variant.
// loadScenario() never throws on bad input: every problem comes back as a message.

import { DEFAULT_COSTS, HV_BUGS, type XenVersion } from '../../hv/index.ts';
import { WORKLOAD_KINDS } from '../../guests/workload.ts';
import { TOOLSTACK_BUGS } from '../../toolstack/bugs.ts';
import { readXlConf, XL_GLOBAL_CONFIG } from '../../toolstack/xl-conf.ts';
import { cmdtableLookup } from '../../toolstack/xl/cmdtable.ts';
import { xenCommandline } from '../shell/host.ts';
import { monitorNames } from '../../sim/registry.ts';
import type { ActorSpec, ScenarioSpec } from '../../sim/scenario.ts';
import { parseJson, type JsonEntry, type JsonNode, type Pos } from './json.ts';
import { XL_TIMELINE_KIND, type XlTimelineParams } from './xl-timeline.ts';

export const NS_PER_SEC = 1_000_000_000;

/** A fault or command at a virtual time, as compiled. */
export type TimelineItem =
  | { atNs: number; actor: string; xl: string; argv: string[] }
  | { atNs: number; kill: string };

/** One runnable variant of a scenario file (a file without "variants" has one). */
export interface CompiledVariant {
  /** "claim_mode=0" …; the file's name when it has no variants. */
  label: string;
  spec: ScenarioSpec;
  /** Kills to inject at virtual times (scheduled mode: recorded choices, so replayable). */
  timeline: TimelineItem[];
  xen: XenVersion;
  claimMode: number;
  /** Names of the timeline's actors (the xl processes), in first-appearance order. */
  xlActors: string[];
  /** Guest config files by name, as xl reads them. */
  files: Record<string, string>;
}

export interface LoadedScenario {
  name: string;
  description?: string;
  variants: CompiledVariant[];
}

export type LoadResult = { ok: true; scenario: LoadedScenario } | { ok: false; errors: string[] };

export interface LoadOptions {
  /** Reads a file a guest's "file" names (resolved against the scenario's directory); undefined = missing. */
  readFile?: (path: string) => string | undefined;
  /** A partial document merged over the file (and over each variant), e.g. the demo's --host-mib. */
  overrides?: unknown;
}

/** Validation state: the source name for messages and the errors so far. */
class Ctx {
  readonly errors: string[] = [];
  constructor(readonly source: string) {}
  err(pos: Pos, message: string): void {
    if (this.errors.length < 50) this.errors.push(pos.line === 0 ? `${this.source}: (override) ${message}` : `${this.source}:${pos.line}:${pos.col}: ${message}`);
  }
}

const shown = (n: JsonNode): string => {
  switch (n.kind) {
    case 'string': return JSON.stringify(n.value.length > 40 ? n.value.slice(0, 40) + '…' : n.value);
    case 'number': return n.raw;
    case 'object': return 'an object';
    case 'array': return 'an array';
    case 'null': return 'null';
    default: return String(n.value);
  }
};

/** Keys starting with "//" are comments, anywhere; "description" is a comment where not a field. */
const isComment = (key: string): boolean => key.startsWith('//');

/**
 * The object's entries, checked against the known keys. @returns undefined (and an error) when
 * `node` is not an object
 */
function fields(c: Ctx, node: JsonNode, what: string, known: readonly string[]): Map<string, JsonEntry> | undefined {
  if (node.kind !== 'object') {
    c.err(node.pos, `${what} must be an object, got ${shown(node)}`);
    return undefined;
  }
  const m = new Map<string, JsonEntry>();
  for (const e of node.entries) {
    if (isComment(e.key)) continue;
    if (!known.includes(e.key)) c.err(e.keyPos, `unknown key "${e.key}" in ${what} (known: ${known.join(', ')})`);
    else m.set(e.key, e);
  }
  return m;
}

function int(c: Ctx, e: JsonEntry | undefined, min: number, max: number, unit: string): number | undefined {
  if (e === undefined) return undefined;
  const n = e.value;
  if (n.kind !== 'number' || !Number.isSafeInteger(n.value) || n.value < min || n.value > max) {
    const range = min === 1 && max >= Number.MAX_SAFE_INTEGER / 2 ? 'a positive integer' : min === 0 && max >= Number.MAX_SAFE_INTEGER / 2 ? 'a non-negative integer' : `an integer in [${min}, ${max}]`;
    c.err(n.pos, `"${e.key}" must be ${range}${unit === '' ? '' : ` (${unit})`}, got ${shown(n)}`);
    return undefined;
  }
  return n.value;
}

function str(c: Ctx, e: JsonEntry | undefined, allowed?: readonly string[]): string | undefined {
  if (e === undefined) return undefined;
  const n = e.value;
  if (n.kind !== 'string' || (allowed !== undefined && !allowed.includes(n.value))) {
    c.err(n.pos, `"${e.key}" must be ${allowed === undefined ? 'a string' : `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`}, got ${shown(n)}`);
    return undefined;
  }
  return n.value;
}

function bool(c: Ctx, e: JsonEntry | undefined): boolean | undefined {
  if (e === undefined) return undefined;
  if (e.value.kind !== 'boolean') {
    c.err(e.value.pos, `"${e.key}" must be true or false, got ${shown(e.value)}`);
    return undefined;
  }
  return e.value.value;
}

/** "30s", "1.5s", "250ms", "2m", "1h", or a number of seconds. @returns ns */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text * NS_PER_SEC) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min|h)?\s*$/.exec(text);
  if (m === null) return undefined;
  const scale: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9 };
  const ns = Math.round(Number(m[1]) * scale[m[2] ?? 's']);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

function duration(c: Ctx, e: JsonEntry | undefined): number | undefined {
  if (e === undefined) return undefined;
  const n = e.value;
  const ns = n.kind === 'string' || n.kind === 'number' ? parseDuration(n.value) : undefined;
  if (ns === undefined) c.err(n.pos, `"${e.key}" must be a duration such as "30s", "250ms", "2m" or a number of seconds, got ${shown(n)}`);
  return ns;
}

/** Splits an xl command line into words: whitespace-separated, '…' and "…" quote. */
export function splitWords(line: string): string[] | string {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) return `unterminated ${quote} quote`;
  if (inWord) words.push(cur);
  return words;
}

/** Renders a cfg value in xl.cfg syntax: strings quoted, numbers bare, lists in brackets. */
function cfgValue(c: Ctx, key: string, n: JsonNode): string | undefined {
  switch (n.kind) {
    case 'string': return JSON.stringify(n.value);
    case 'number': return n.raw;
    case 'boolean': return n.value ? '1' : '0';
    case 'array': {
      const items = n.items.map((i) => (i.kind === 'string' ? JSON.stringify(i.value) : i.kind === 'number' ? i.raw : undefined));
      if (items.some((i) => i === undefined)) {
        c.err(n.pos, `"${key}": list items must be strings or numbers`);
        return undefined;
      }
      return `[ ${items.join(', ')} ]`;
    }
    default:
      c.err(n.pos, `"${key}" must be a string, number, boolean or list, got ${shown(n)}`);
      return undefined;
  }
}

function objectAsConfig(c: Ctx, node: Extract<JsonNode, { kind: 'object' }>): string {
  const lines: string[] = [];
  for (const e of node.entries) {
    if (isComment(e.key)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(e.key)) {
      c.err(e.keyPos, `"${e.key}" is not a valid xl config key`);
      continue;
    }
    const v = cfgValue(c, e.key, e.value);
    if (v !== undefined) lines.push(`${e.key}=${v}`);
  }
  return lines.join('\n') + '\n';
}

const GUEST_KEYS = ['cfg', 'file', 'workload', 'tmem', 'seed', 'surge', 'description'] as const;
const HOST_KEYS = ['memory', 'xen', 'nodes', 'tmem', 'cpus', 'dom0', 'costs', 'inject', 'description'] as const;
const TOP_KEYS = ['name', 'description', 'seed', 'host', 'xl.conf', 'guests', 'timeline', 'until', 'monitors', 'variants'] as const;
const ACTOR_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const GUEST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface HostOut {
  memoryMiB: number;
  xen: XenVersion;
  nodes: number;
  tmem: boolean;
  nrCpus?: number;
  dom0MiB: number;
  dom0Workload: string;
  costs: Record<string, number>;
  inject: string[];
}

function host(c: Ctx, node: JsonNode | undefined, docPos: Pos): HostOut | undefined {
  if (node === undefined) {
    c.err(docPos, 'missing "host" (at least { "memory": MiB })');
    return undefined;
  }
  const f = fields(c, node, '"host"', HOST_KEYS);
  if (f === undefined) return undefined;
  const memoryMiB = int(c, f.get('memory'), 4, 16 * 1024 * 1024, 'MiB');
  if (!f.has('memory')) c.err(node.pos, '"host" needs "memory" (MiB)');
  const xen = (str(c, f.get('xen'), ['4.3', '4.13', '4.21', '4.22']) ?? '4.22') as XenVersion;
  const nodes = int(c, f.get('nodes'), 1, 64, '') ?? 1;
  const tmem = bool(c, f.get('tmem')) ?? false;
  if (tmem && xen !== '4.3') c.err(f.get('tmem')!.value.pos, `"tmem" needs "xen": "4.3" (tmem was removed in 4.13), got xen ${xen}`);
  const nrCpus = int(c, f.get('cpus'), 1, 4096, '');
  let dom0MiB = memoryMiB === undefined ? 0 : Math.min(1024, Math.floor(memoryMiB / 8));
  let dom0Workload = 'idle';
  const d0 = f.get('dom0');
  if (d0 !== undefined) {
    const g = fields(c, d0.value, '"dom0"', ['memory', 'workload', 'description']);
    if (g !== undefined) {
      dom0MiB = int(c, g.get('memory'), 16, 16 * 1024 * 1024, 'MiB') ?? dom0MiB;
      dom0Workload = str(c, g.get('workload'), WORKLOAD_KINDS) ?? dom0Workload;
      if (memoryMiB !== undefined && dom0MiB >= memoryMiB) c.err(g.get('memory')!.value.pos, `dom0's "memory" (${dom0MiB} MiB) must be less than the host's (${memoryMiB} MiB)`);
    }
  }
  const costs: Record<string, number> = {};
  const co = f.get('costs');
  if (co !== undefined) {
    const g = fields(c, co.value, '"costs"', [...Object.keys(DEFAULT_COSTS), 'description']);
    for (const [k, e] of g ?? []) if (k !== 'description') costs[k] = int(c, e, k === 'relinquishBatchPages' ? 1 : 0, 1e15, k === 'relinquishBatchPages' ? 'pages' : 'virtual ns') ?? (DEFAULT_COSTS as unknown as Record<string, number>)[k];
  }
  const inject: string[] = [];
  const inj = f.get('inject');
  if (inj !== undefined) {
    const known = [...Object.keys(HV_BUGS), ...Object.keys(TOOLSTACK_BUGS)];
    if (inj.value.kind !== 'array') c.err(inj.value.pos, `"inject" must be a list of bug names (${known.join(' ')}), got ${shown(inj.value)}`);
    else for (const b of inj.value.items) {
      if (b.kind !== 'string' || !known.includes(b.value)) c.err(b.pos, `unknown bug ${shown(b)} in "inject" (known: ${known.join(' ')})`);
      else inject.push(b.value);
    }
  }
  if (memoryMiB === undefined) return undefined;
  return { memoryMiB, xen, nodes, tmem, ...(nrCpus === undefined ? {} : { nrCpus }), dom0MiB, dom0Workload, costs, inject };
}

function xlConf(c: Ctx, e: JsonEntry | undefined): string {
  if (e === undefined) return '';
  if (e.value.kind === 'string') return e.value.value;
  if (e.value.kind === 'object') return objectAsConfig(c, e.value);
  c.err(e.value.pos, `"xl.conf" must be the file's text (a string) or an object of settings such as { "claim_mode": 1 }, got ${shown(e.value)}`);
  return '';
}

interface GuestOut {
  name: string;
  text: string;
}

function guests(c: Ctx, node: JsonNode | undefined, seed: number, opts: LoadOptions): GuestOut[] {
  if (node === undefined) return [];
  if (node.kind !== 'object') {
    c.err(node.pos, `"guests" must be an object of guest name → guest, got ${shown(node)}`);
    return [];
  }
  const out: GuestOut[] = [];
  let index = 0;
  for (const e of node.entries) {
    if (isComment(e.key)) continue;
    index++;
    if (!GUEST_NAME.test(e.key)) c.err(e.keyPos, `guest name "${e.key}" must be letters, digits, "_", "." or "-"`);
    const f = fields(c, e.value, `guest "${e.key}"`, GUEST_KEYS);
    if (f === undefined) continue;
    const cfg = f.get('cfg');
    const file = f.get('file');
    let text: string | undefined;
    if ((cfg === undefined) === (file === undefined)) {
      c.err(e.value.pos, `guest "${e.key}" needs exactly one of "cfg" (inline config) and "file" (a config file's path)`);
      continue;
    }
    if (cfg !== undefined) {
      if (cfg.value.kind === 'string') text = cfg.value.value.endsWith('\n') ? cfg.value.value : cfg.value.value + '\n';
      else if (cfg.value.kind === 'object') {
        text = objectAsConfig(c, cfg.value);
        if (!cfg.value.entries.some((x) => x.key === 'name')) text = `name=${JSON.stringify(e.key)}\n` + text;
      } else c.err(cfg.value.pos, `"cfg" must be xl.cfg text (a string) or an object of keys such as { "memory": 512 }, got ${shown(cfg.value)}`);
    } else {
      const path = str(c, file);
      if (path !== undefined) {
        text = opts.readFile?.(path);
        if (text === undefined) c.err(file!.value.pos, `cannot read guest config file "${path}"`);
      }
    }
    const workload = str(c, f.get('workload'), WORKLOAD_KINDS);
    const tmem = bool(c, f.get('tmem'));
    const gseed = int(c, f.get('seed'), 0, 2 ** 31 - 1, '');
    const sg = surge(c, f.get('surge'));
    if (text === undefined) continue;
    if (workload !== undefined) {
      text += `memsim_workload=${JSON.stringify(workload)}\nmemsim_seed=${gseed ?? (seed * 100 + index) % 2 ** 31}\n`;
      if (tmem === true) text += 'memsim_tmem=1\n';
      if (sg !== undefined) text += `memsim_surge_at_ms=${Math.round(sg.atNs / 1e6)}\nmemsim_surge_pct=${sg.pct}\nmemsim_surge_ramp_ms=${Math.round(sg.rampNs / 1e6)}\n`;
    } else if (tmem !== undefined || gseed !== undefined || f.has('surge')) {
      c.err(e.value.pos, `guest "${e.key}": "tmem", "seed" and "surge" configure its kernel; give a "workload" too`);
    }
    out.push({ name: e.key, text });
  }
  return out;
}

/** A guest's `"surge": { "at": "41s", "level": 2.5, "ramp": "5s" }` (guests/workload.ts). */
function surge(c: Ctx, e: JsonEntry | undefined): { atNs: number; pct: number; rampNs: number } | undefined {
  if (e === undefined) return undefined;
  const f = fields(c, e.value, '"surge"', ['at', 'level', 'ramp', 'description']);
  if (f === undefined) return undefined;
  const atNs = f.has('at') ? duration(c, f.get('at')) : (c.err(e.value.pos, '"surge" needs "at": when the load arrives, on the scenario\'s clock (e.g. "41s")'), undefined);
  const rampNs = f.has('ramp') ? duration(c, f.get('ramp')) : 5 * NS_PER_SEC;
  const lv = f.get('level');
  let pct: number | undefined;
  if (lv === undefined) c.err(e.value.pos, '"surge" needs "level": Committed_AS at its top, as a multiple of the guest\'s memory (e.g. 1.5)');
  else if (lv.value.kind !== 'number' || !(lv.value.value > 0) || lv.value.value > 64) c.err(lv.value.pos, `"level" must be a number in (0, 64] (a multiple of the guest's memory), got ${shown(lv.value)}`);
  else pct = Math.max(1, Math.round(lv.value.value * 100));
  return atNs === undefined || rampNs === undefined || pct === undefined ? undefined : { atNs, pct, rampNs };
}

function timeline(c: Ctx, node: JsonNode | undefined, xen: XenVersion, files: Record<string, string>): TimelineItem[] {
  if (node === undefined) return [];
  if (node.kind !== 'array') {
    c.err(node.pos, `"timeline" must be a list of events such as { "at": "30s", "actor": "xl-1", "xl": "create big.cfg" }, got ${shown(node)}`);
    return [];
  }
  const items: TimelineItem[] = [];
  for (const n of node.items) {
    const f = fields(c, n, 'a timeline event', ['at', 'actor', 'xl', 'kill', 'description']);
    if (f === undefined) continue;
    const at = f.has('at') ? duration(c, f.get('at')) : 0;
    const kill = str(c, f.get('kill'));
    const xl = str(c, f.get('xl'));
    const actor = str(c, f.get('actor'));
    if ((kill === undefined) === (xl === undefined)) {
      if (!f.has('kill') && !f.has('xl')) c.err(n.pos, 'a timeline event needs "xl" (a command line, with "actor") or "kill" (an actor\'s name)');
      else if (f.has('kill') && f.has('xl')) c.err(n.pos, 'a timeline event has either "xl" or "kill", not both');
      continue;
    }
    if (at === undefined) continue;
    if (kill !== undefined) {
      if (f.has('actor')) c.err(f.get('actor')!.keyPos, '"kill" events name their victim in "kill"; drop "actor"');
      items.push({ atNs: at, kill });
      continue;
    }
    if (actor === undefined) {
      if (!f.has('actor')) c.err(n.pos, 'an "xl" event needs an "actor": the name of the xl process that runs it (e.g. "xl-1")');
      continue;
    }
    if (!ACTOR_NAME.test(actor)) {
      c.err(f.get('actor')!.value.pos, `actor name "${actor}" must start with a letter and use letters, digits, "_", "." or "-" (≤ 32)`);
      continue;
    }
    const pos = f.get('xl')!.value.pos;
    const words = splitWords(xl!.replace(/^\s*xl\s+/, ''));
    if (typeof words === 'string') {
      c.err(pos, `"xl": ${words}`);
      continue;
    }
    if (words.length === 0) {
      c.err(pos, '"xl" is empty: give a command line such as "create big.cfg" or "info"');
      continue;
    }
    if (words[0] !== 'help' && cmdtableLookup(words[0], xen) === undefined) {
      c.err(pos, `"xl": unknown xl command "${words[0]}" on Xen ${xen}`);
      continue;
    }
    if (words[0] === 'create') {
      for (const w of words.slice(1)) {
        if (w.startsWith('-') || w.includes('=')) continue;
        if (!Object.hasOwn(files, w)) c.err(pos, `"xl": create needs a guest config "${w}" that this scenario does not define (known: ${Object.keys(files).join(', ') || 'none'}; a guest NAME's config is NAME.cfg)`);
      }
    }
    items.push({ atNs: at, actor, xl: words.join(' '), argv: words });
  }
  for (const it of items) {
    if ('kill' in it && !items.some((x) => 'actor' in x && x.actor === it.kill)) {
      c.err(node.pos, `"kill": "${it.kill}" is not an actor of this timeline (actors: ${[...new Set(items.flatMap((x) => ('actor' in x ? [x.actor] : [])))].join(', ') || 'none'})`);
    }
  }
  return items;
}

function monitors(c: Ctx, e: JsonEntry | undefined): string[] {
  if (e === undefined) return [];
  const known = monitorNames();
  if (e.value.kind !== 'array') {
    c.err(e.value.pos, `"monitors" must be a list of property names (${known.join(', ')}), got ${shown(e.value)}`);
    return [];
  }
  const out: string[] = [];
  for (const m of e.value.items) {
    if (m.kind !== 'string' || !known.includes(m.value)) c.err(m.pos, `unknown monitor ${shown(m)} (known: ${known.join(', ')})`);
    else out.push(m.value);
  }
  return out;
}

/** Deep merge of JSON nodes: objects merge key by key, anything else replaces. */
function merge(base: JsonNode | undefined, over: JsonNode): JsonNode {
  if (base?.kind !== 'object' || over.kind !== 'object') return over;
  const entries = base.entries.map((e) => ({ ...e }));
  for (const o of over.entries) {
    const i = entries.findIndex((e) => e.key === o.key);
    if (i >= 0) entries[i] = { ...o, value: merge(entries[i].value, o.value) };
    else entries.push(o);
  }
  return { kind: 'object', pos: base.pos, entries };
}

/** A plain JSON value as a node without a file position (an override from the command line). */
function nodeOf(v: unknown): JsonNode {
  const pos = { line: 0, col: 0 };
  if (v === null || v === undefined) return { kind: 'null', pos };
  if (typeof v === 'string') return { kind: 'string', pos, value: v };
  if (typeof v === 'number') return { kind: 'number', pos, value: v, raw: String(v) };
  if (typeof v === 'boolean') return { kind: 'boolean', pos, value: v };
  if (Array.isArray(v)) return { kind: 'array', pos, items: v.map(nodeOf) };
  return { kind: 'object', pos, entries: Object.entries(v as object).map(([key, x]) => ({ key, keyPos: pos, value: nodeOf(x) })) };
}

function compileVariant(c: Ctx, doc: Extract<JsonNode, { kind: 'object' }>, label: string, opts: LoadOptions): CompiledVariant | undefined {
  const f = fields(c, doc, 'the scenario', TOP_KEYS)!;
  const seed = int(c, f.get('seed'), 0, 2 ** 31 - 1, '') ?? 1;
  const h = host(c, f.get('host')?.value, doc.pos);
  const xen = h?.xen ?? '4.22';
  const conf = xlConf(c, f.get('xl.conf'));
  const gs = guests(c, f.get('guests')?.value, seed, opts);
  const files = Object.fromEntries(gs.map((g) => [`${g.name}.cfg`, g.text]));
  const tl = timeline(c, f.get('timeline')?.value, xen, files);
  const untilNs = duration(c, f.get('until'));
  const mons = monitors(c, f.get('monitors'));
  if (h === undefined || c.errors.length > 0) return undefined;

  const confRead = readXlConf(conf, XL_GLOBAL_CONFIG, xen);
  if (confRead.exitStatus !== undefined) {
    const at = f.get('xl.conf')!.value.pos;
    c.err(at, `"xl.conf" does not parse: ${confRead.stderr.join('').trim()}`);
    return undefined;
  }
  const commandline = xenCommandline({ memoryMiB: h.memoryMiB, xen, nodes: h.nodes }, h.dom0MiB);
  const dom0Pages = h.dom0MiB * 256;
  const actors: ActorSpec[] = [{
    name: 'dom0-linux', kind: 'linux', caller: 0,
    params: { seed: 0, workload: h.dom0Workload, initialPages: dom0Pages, maxPfn: dom0Pages, tmem: false },
  }];
  const xlActors = [...new Set(tl.flatMap((t) => ('actor' in t ? [t.actor] : [])))];
  for (const name of xlActors) {
    const commands = tl.filter((t): t is Extract<TimelineItem, { actor: string }> => 'actor' in t && t.actor === name)
      .sort((a, b) => a.atNs - b.atNs)
      .map((t) => ({ atNs: t.atNs, argv: t.argv }));
    const params: XlTimelineParams = {
      commands, version: xen, files, xenCommandline: commandline, xlConf: { path: XL_GLOBAL_CONFIG, text: conf },
      ...(h.inject.length > 0 ? { inject: h.inject } : {}),
    };
    actors.push({ name, kind: XL_TIMELINE_KIND, caller: 0, params: params as unknown as Record<string, unknown> });
  }
  const name = f.get('name')?.value.kind === 'string' ? (f.get('name')!.value as { value: string }).value : label;
  const faults = tl.flatMap((t) => ('kill' in t ? [{ atNs: t.atNs, kill: t.kill }] : [])).sort((a, b) => a.atNs - b.atNs);
  const spec: ScenarioSpec = {
    name: label === name ? name : `${name} ${label}`,
    host: {
      memoryMiB: h.memoryMiB, xen, nodes: h.nodes, dom0MiB: h.dom0MiB, tmem: h.tmem,
      ...(h.nrCpus === undefined ? {} : { nrCpus: h.nrCpus }),
      ...(Object.keys(h.costs).length > 0 ? { costs: h.costs } : {}),
      ...(h.inject.some((b) => Object.hasOwn(HV_BUGS, b)) ? { inject: h.inject.filter((b) => Object.hasOwn(HV_BUGS, b)) } : {}),
    },
    actors,
    ...(untilNs === undefined ? {} : { untilNs }),
    ...(mons.length > 0 ? { monitors: mons } : {}),
    ...(faults.length > 0 ? { faults } : {}),
  };
  return { label, spec, timeline: [...tl].sort((a, b) => a.atNs - b.atNs), xen, claimMode: confRead.conf.claimMode, xlActors, files };
}

/**
 * Loads a scenario file.
 * @param text the file's contents; @param source its name in messages (e.g. "demo.json")
 * @returns the compiled variants, or every error found, each prefixed `source:line:col:`
 */
export function loadScenario(text: string, source: string, opts: LoadOptions = {}): LoadResult {
  const c = new Ctx(source);
  try {
    const parsed = parseJson(text);
    if (!parsed.ok) return { ok: false, errors: [`${source}:${parsed.pos.line}:${parsed.pos.col}: ${parsed.message}`] };
    let doc = parsed.node;
    if (doc.kind !== 'object') return { ok: false, errors: [`${source}:${doc.pos.line}:${doc.pos.col}: a scenario must be a JSON object, got ${shown(doc)}`] };
    const top = fields(c, doc, 'the scenario', TOP_KEYS)!;
    const nameNode = top.get('name');
    const name = nameNode === undefined ? source.replace(/^.*\//, '').replace(/\.json$/, '') : str(c, nameNode) ?? 'scenario';
    const descNode = top.get('description');
    const description = descNode?.value.kind === 'string' ? descNode.value.value : undefined;
    if (descNode !== undefined && description === undefined) c.err(descNode.value.pos, `"description" must be a string, got ${shown(descNode.value)}`);
    const variantsEntry = top.get('variants');
    const base: JsonNode = { ...doc, entries: doc.entries.filter((e) => e.key !== 'variants') };
    const over = opts.overrides === undefined ? undefined : nodeOf(opts.overrides);
    if (c.errors.length > 0) return { ok: false, errors: c.errors };
    const plan: Array<[string, JsonNode]> = [];
    if (variantsEntry === undefined) plan.push([name, base]);
    else if (variantsEntry.value.kind !== 'object' || variantsEntry.value.entries.filter((e) => !isComment(e.key)).length === 0) {
      c.err(variantsEntry.value.pos, `"variants" must be a non-empty object of label → partial scenario, e.g. { "claim_mode=0": { "xl.conf": { "claim_mode": 0 } } }`);
    } else {
      for (const v of variantsEntry.value.entries) {
        if (isComment(v.key)) continue;
        if (v.value.kind === 'object' && v.value.entries.some((e) => e.key === 'variants')) c.err(v.keyPos, `variant "${v.key}" cannot have "variants" of its own`);
        else plan.push([v.key, merge(base, v.value)]);
      }
    }
    const variants: CompiledVariant[] = [];
    for (const [label, node] of plan) {
      doc = over === undefined ? node : merge(node, over);
      const v = compileVariant(c, doc as Extract<JsonNode, { kind: 'object' }>, label, opts);
      if (v !== undefined) variants.push(v);
    }
    if (c.errors.length > 0) return { ok: false, errors: [...new Set(c.errors)] };
    return { ok: true, scenario: { name, ...(description === undefined ? {} : { description }), variants } };
  } catch (e) {
    // A bug of the loader, not of the file: still a message, never a throw (a property tests this).
    return { ok: false, errors: [`${source}: internal error while loading: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

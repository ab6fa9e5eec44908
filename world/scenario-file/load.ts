// Scenario files (docs/scenario-format.md): JSON describing a host, xl.conf, guests and a timeline
// of xl commands and faults, compiled into one ScenarioSpec per variant. The shape of a file —
// every key, type, range and list length — is the JSON Schema's (scenarios/scenario.schema.json,
// checked in schema.ts); this module adds what a schema cannot say: durations within the
// virtual-time limit, the timeline's references (guest configs, actors), xl command lines for the
// Xen version, monitor names, version-dependent rules, guest config files (files.ts), and the
// compiled spec's own check. Every message carries the position where the offending key or value
// was written (`demo.json:12:5: "memory" must be …`). loadScenario() never throws on bad input.

import { HV_BUGS, type XenVersion } from '../../hv/index.ts';
import { readXlConf, XL_GLOBAL_CONFIG } from '../../toolstack/xl-conf.ts';
import { cmdtableLookup } from '../../toolstack/xl/cmdtable.ts';
import { xenCommandline } from '../shell/host.ts';
import { hasMonitor, isPluginLoaded, monitorNames, namesRegisteredBy } from '../../sim/registry.ts';
import type { ActorSpec, ScenarioSpec } from '../../sim/scenario.ts';
import { validateScenarioSpec } from '../../sim/scenario-validate.ts';
import { GUEST_FILE_MAX_BYTES, readGuestFile, confinedPath, SCENARIO_FILE_MAX_BYTES } from './files.ts';
import { scenarioModuleUrl } from './modules.ts';
import { checkSchema, expected, schemaAtPointer, schemasAt, subject, type DocView, type SchemaPart } from './schema.ts';
import { parseSource, showString, showValue, type JsonPath, type JsonSource, type Pos } from './source.ts';
import { XL_TIMELINE_KIND, type XlTimelineParams } from './xl-timeline.ts';

export const NS_PER_SEC = 1_000_000_000;

/** Every time in a scenario file ("at", "until", a surge's "at" and "ramp"): the schema's duration maximum. */
export const SCENARIO_TIME_MAX_NS = (schemaAtPointer('#/$defs/duration/oneOf/1')!.maximum as number) * NS_PER_SEC;
/** Distinct xl processes of a timeline (each is an actor, a thread with --threads, and carries every guest config). */
export const TIMELINE_ACTORS_MAX = 64;
/** All guest configs together, as compiled (every timeline actor carries them in the trace header). */
export const GUEST_CONFIGS_TOTAL_MAX_BYTES = 256 * 1024;

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
  /**
   * The scenario file's folder. A guest's "file" is relative to it and confined to it (files.ts:
   * no absolute paths, no `..` out of it, symbolic links resolved, regular files ≤ 64 KiB only).
   * Without it (or `readFile`), a guest "file" is refused.
   */
  baseDir?: string;
  /** More folders whose files a guest "file" may name, by absolute path or `../…` (`run --allow-dir DIR`). */
  allowDirs?: readonly string[];
  /** Reads a guest file instead of the file system (in-memory scenarios, tests), after the path rules; undefined = missing. */
  readFile?: (path: string) => string | undefined;
  /** A partial document merged over the file (and over each variant), e.g. the demo's --host-mib. */
  overrides?: unknown;
}

// ---- documents with positions ------------------------------------------------------------------

/** Where something was written: a file position, the command line's overrides, or nowhere in particular. */
type At = Pos | 'override' | undefined;

function valueAt(doc: unknown, path: JsonPath): unknown {
  let v = doc;
  for (const seg of path) v = typeof v === 'object' && v !== null && Object.hasOwn(v, seg) ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

/**
 * A document merged from layers — the file (or one of its variants over it) and the overrides —
 * that knows which layer wrote each key: positions point where the winning value was written.
 */
class LayeredDoc implements DocView<At> {
  constructor(
    readonly value: unknown,
    private readonly src: JsonSource | undefined,
    /** Set for a variant: its keys win over the file's. */
    private readonly variant: string | undefined,
    private readonly override: unknown,
  ) {}

  /** The file path the value at `path` was written at, 'override', or undefined. */
  private layer(path: JsonPath): JsonPath | 'override' | undefined {
    if (path.length > 0 && this.override !== undefined && valueAt(this.override, path) !== undefined) return 'override';
    if (this.src === undefined) return this.override !== undefined ? 'override' : undefined;
    if (this.variant !== undefined && path.length > 0) {
      const p = ['variants', this.variant, ...path];
      if (this.src.node(p) !== undefined) return p;
    }
    return this.src.node(path) !== undefined ? path : undefined;
  }

  at(path: JsonPath, key = false): At {
    for (let p = path; ; p = p.slice(0, -1)) {
      const l = this.layer(p);
      if (l === 'override') return 'override';
      if (l !== undefined) {
        const n = key && p === path ? this.src!.keyNode(l) ?? this.src!.node(l) : this.src!.node(l);
        return n === undefined ? undefined : this.src!.pos(n.offset);
      }
      if (p.length === 0) return undefined;
    }
  }

  shown(path: JsonPath): string {
    const l = this.layer(path);
    if (l !== undefined && l !== 'override') return this.src!.shown(this.src!.node(l)!);
    return showValue(valueAt(this.value, path));
  }
}

/** Validation state: the source name for messages and the problems so far. */
class Ctx {
  private readonly problems: Array<{ at: At; message: string }> = [];
  constructor(readonly source: string) {}

  err(at: At, message: string): void {
    if (this.problems.length < 200) this.problems.push({ at, message });
  }

  get count(): number {
    return this.problems.length;
  }

  /** Every problem once, in file order (overrides and position-less ones after), at most 50. */
  messages(): string[] {
    const key = (a: At): number => (a === undefined ? Infinity : a === 'override' ? Number.MAX_VALUE : a.line * 1e7 + a.col);
    const lines = [...this.problems].sort((x, y) => key(x.at) - key(y.at)).map(({ at, message }) =>
      at === undefined ? `${this.source}: ${message}` : at === 'override' ? `${this.source}: (override) ${message}` : `${this.source}:${at.line}:${at.col}: ${message}`);
    return [...new Set(lines)].slice(0, 50);
  }
}

function schemaCheck(c: Ctx, part: SchemaPart, doc: DocView<At>): boolean {
  const before = c.count;
  for (const e of checkSchema(part, doc)) c.err(e.at, e.message);
  return c.count === before;
}

// ---- the validated document --------------------------------------------------------------------

type Duration = string | number;
type CfgValue = string | number | boolean | Array<string | number>;
type CfgObject = Record<string, CfgValue>;
interface HostDoc {
  memory: number;
  xen?: XenVersion;
  nodes?: number;
  tmem?: boolean;
  cpus?: number;
  dom0?: { memory?: number; workload?: string };
  costs?: Record<string, number>;
  inject?: string[];
}
interface GuestDoc {
  cfg?: string | CfgObject;
  file?: string;
  workload?: string;
  tmem?: boolean;
  seed?: number;
  surge?: { at: Duration; level: number; ramp?: Duration };
}
interface UserActorDoc {
  module: string;
  kind?: string;
  params?: Record<string, unknown>;
  caller?: number;
  boot?: string;
}
interface EventDoc {
  at?: Duration;
  actor?: string;
  xl?: string;
  kill?: string;
}
/** A scenario as the schema's `#/$defs/scenario` guarantees it. */
interface ScenarioDoc {
  name?: string;
  description?: string;
  seed?: number;
  host: HostDoc;
  'xl.conf'?: string | CfgObject;
  guests?: Record<string, GuestDoc>;
  timeline?: EventDoc[];
  until?: Duration;
  monitors?: string[];
  properties?: string[];
  actors?: Record<string, UserActorDoc>;
  variants?: Record<string, unknown>;
}

/** Keys starting with "//" are comments, anywhere. */
const isComment = (key: string): boolean => key.startsWith('//');
const entries = <T>(o: Record<string, T> | undefined): Array<[string, T]> => Object.entries(o ?? {}).filter(([k]) => !isComment(k));

/** "30s", "1.5s", "250ms", "2m", "1h", or a number of seconds. @returns ns (a safe integer), or undefined */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 && text * NS_PER_SEC <= Number.MAX_SAFE_INTEGER ? Math.round(text * NS_PER_SEC) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min|h)?\s*$/.exec(text);
  if (m === null) return undefined;
  const scale: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9 };
  const ns = Math.round(Number(m[1]) * scale[m[2] ?? 's']);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

/** A duration of the document in ns, within SCENARIO_TIME_MAX_NS (the schema bounds only its numeric form). */
function duration(c: Ctx, doc: DocView<At>, path: JsonPath, v: Duration | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ns = parseDuration(v);
  if (ns === undefined || ns > SCENARIO_TIME_MAX_NS) {
    c.err(doc.at(path), `${subject(path)} must be ${expected(schemasAt(path))}, got ${doc.shown(path)}`);
    return undefined;
  }
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

/** An object of settings in xl.cfg syntax: strings quoted, numbers bare, booleans 1/0, lists in brackets. */
function objectAsConfig(o: CfgObject): string {
  const atom = (v: string | number): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const value = (v: CfgValue): string => (Array.isArray(v) ? `[ ${v.map(atom).join(', ')} ]` : typeof v === 'boolean' ? (v ? '1' : '0') : atom(v));
  return entries(o).map(([k, v]) => `${k}=${value(v)}\n`).join('');
}

// ---- the parts a schema cannot check -----------------------------------------------------------

interface HostOut {
  xen: XenVersion;
  dom0MiB: number;
  dom0Workload: string;
}

function host(c: Ctx, doc: DocView<At>, h: HostDoc): HostOut {
  const xen = h.xen ?? '4.22';
  if (h.tmem === true && xen !== '4.3') c.err(doc.at(['host', 'tmem']), `"tmem" needs "xen": "4.3" (tmem was removed in 4.13), got xen ${xen}`);
  const dom0MiB = h.dom0?.memory ?? Math.min(1024, Math.floor(h.memory / 8));
  if (dom0MiB >= h.memory) c.err(doc.at(['host', 'dom0', 'memory']), `dom0's "memory" (${dom0MiB} MiB) must be less than the host's (${h.memory} MiB)`);
  return { xen, dom0MiB, dom0Workload: h.dom0?.workload ?? 'idle' };
}

/** A guest's config text, from "cfg" or from its "file". */
function guestText(c: Ctx, doc: DocView<At>, name: string, g: GuestDoc, opts: LoadOptions): string | undefined {
  if (g.cfg !== undefined) {
    if (typeof g.cfg === 'string') return g.cfg.endsWith('\n') ? g.cfg : g.cfg + '\n';
    const text = objectAsConfig(g.cfg);
    return Object.hasOwn(g.cfg, 'name') ? text : `name=${JSON.stringify(name)}\n` + text;
  }
  const path = g.file!;
  const at = doc.at(['guests', name, 'file']);
  const refuse = (why: string): undefined => void c.err(at, `cannot read guest config file ${showString(path)}: ${why}`);
  if (opts.readFile !== undefined) {
    const confined = confinedPath(path, { baseDir: opts.baseDir ?? '.', allowDirs: opts.allowDirs });
    if (!confined.ok) return refuse(confined.why);
    const text = opts.readFile(path);
    if (text === undefined) return refuse('no such file');
    if (Buffer.byteLength(text) > GUEST_FILE_MAX_BYTES) return refuse(`it is ${Buffer.byteLength(text)} bytes; the limit is ${GUEST_FILE_MAX_BYTES} (docs/limits.md)`);
    return text;
  }
  if (opts.baseDir === undefined) return refuse("guest files are read only from a scenario file's folder");
  const r = readGuestFile(path, { baseDir: opts.baseDir, allowDirs: opts.allowDirs });
  return r.ok ? r.text : refuse(r.why);
}

/** The guests' config files, named NAME.cfg, with the emulator-only memsim_* keys of their kernels. */
function guests(c: Ctx, doc: DocView<At>, s: ScenarioDoc, opts: LoadOptions): Record<string, string> {
  const files: Record<string, string> = {};
  const seed = s.seed ?? 1;
  let index = 0;
  let total = 0;
  for (const [name, g] of entries(s.guests)) {
    index++;
    let text = guestText(c, doc, name, g, opts);
    const surgeAt = duration(c, doc, ['guests', name, 'surge', 'at'], g.surge?.at);
    const rampNs = g.surge === undefined ? undefined : duration(c, doc, ['guests', name, 'surge', 'ramp'], g.surge.ramp ?? '5s');
    if (text === undefined) continue;
    if (g.workload !== undefined) {
      text += `memsim_workload=${JSON.stringify(g.workload)}\nmemsim_seed=${g.seed ?? (seed * 100 + index) % 2 ** 31}\n`;
      if (g.tmem === true) text += 'memsim_tmem=1\n';
      if (g.surge !== undefined && surgeAt !== undefined && rampNs !== undefined) {
        text += `memsim_surge_at_ms=${Math.round(surgeAt / 1e6)}\nmemsim_surge_pct=${Math.max(1, Math.round(g.surge.level * 100))}\nmemsim_surge_ramp_ms=${Math.round(rampNs / 1e6)}\n`;
      }
    }
    total += Buffer.byteLength(text);
    if (Buffer.byteLength(text) > GUEST_FILE_MAX_BYTES) c.err(doc.at(['guests', name]), `guest "${name}": its config is ${Buffer.byteLength(text)} bytes; the limit is ${GUEST_FILE_MAX_BYTES} (docs/limits.md)`);
    files[`${name}.cfg`] = text;
  }
  if (total > GUEST_CONFIGS_TOTAL_MAX_BYTES) c.err(doc.at(['guests']), `the guests' configs are ${total} bytes together; the limit is ${GUEST_CONFIGS_TOTAL_MAX_BYTES} (docs/limits.md)`);
  return files;
}

function timeline(c: Ctx, doc: DocView<At>, events: EventDoc[], xen: XenVersion, files: readonly string[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  events.forEach((e, i) => {
    const path = ['timeline', i];
    const at = e.at === undefined ? 0 : duration(c, doc, [...path, 'at'], e.at);
    if (at === undefined) return;
    if (e.kill !== undefined) {
      items.push({ atNs: at, kill: e.kill });
      return;
    }
    const pos = doc.at([...path, 'xl']);
    const words = splitWords(e.xl!.replace(/^\s*xl\s+/, ''));
    if (typeof words === 'string') return c.err(pos, `"xl": ${words}`);
    if (words.length === 0) return c.err(pos, '"xl" is empty: give a command line such as "create big.cfg" or "info"');
    if (words[0] !== 'help' && cmdtableLookup(words[0], xen) === undefined) return c.err(pos, `"xl": unknown xl command ${showString(words[0])} on Xen ${xen}`);
    if (words[0] === 'create') {
      for (const w of words.slice(1)) {
        if (w.startsWith('-') || w.includes('=')) continue;
        if (!files.includes(w)) c.err(pos, `"xl": create needs a guest config ${showString(w)} that this scenario does not define (known: ${files.join(', ') || 'none'}; a guest NAME's config is NAME.cfg)`);
      }
    }
    items.push({ atNs: at, actor: e.actor!, xl: words.join(' '), argv: words });
  });
  const actors = [...new Set(items.flatMap((x) => ('actor' in x ? [x.actor] : [])))];
  if (actors.length > TIMELINE_ACTORS_MAX) c.err(doc.at(['timeline']), `the timeline has ${actors.length} actors (xl processes); the limit is ${TIMELINE_ACTORS_MAX} (docs/limits.md)`);
  for (const it of items) {
    if ('kill' in it && !actors.includes(it.kill)) {
      c.err(doc.at(['timeline']), `"kill": ${showString(it.kill)} is not an actor of this timeline (actors: ${actors.join(', ') || 'none'})`);
    }
  }
  return items;
}

function monitors(c: Ctx, doc: DocView<At>, names: string[]): string[] {
  names.forEach((m, i) => {
    if (!hasMonitor(m)) c.err(doc.at(['monitors', i]), `unknown monitor ${showString(m)} (known: ${monitorNames().join(', ')})`);
  });
  return names;
}

/** A module the scenario names, as the registry knows it once loadScenarioModules() has imported it. */
function loadedModule(c: Ctx, doc: DocView<At>, path: JsonPath, module: string, opts: LoadOptions): string | undefined {
  const at = doc.at(path);
  if (opts.baseDir === undefined) return void c.err(at, `cannot use module ${showString(module)}: modules are loaded only from a scenario file's folder`);
  const r = scenarioModuleUrl(module, { baseDir: opts.baseDir, allowDirs: opts.allowDirs });
  if (!r.ok) return void c.err(at, `cannot use module ${showString(module)}: ${r.why}`);
  if (!isPluginLoaded(r.url)) return void c.err(at, `module ${showString(module)} is not loaded (loadScenarioModules() imports a file's modules before loadScenario())`);
  return r.url;
}

/** "properties": each module's properties join the monitors; the modules join the plugins. */
function propertyModules(c: Ctx, doc: DocView<At>, modules: string[], opts: LoadOptions): { monitors: string[]; plugins: string[] } {
  const out = { monitors: [] as string[], plugins: [] as string[] };
  modules.forEach((m, i) => {
    if (!/[\\/.]/.test(m)) return c.err(doc.at(['properties', i]), `"properties" lists module paths such as "./my-property.mjs"; ${showString(m)} looks like a property's name: names go in "monitors"`);
    const url = loadedModule(c, doc, ['properties', i], m, opts);
    if (url === undefined) return;
    const defined = namesRegisteredBy(url).monitors;
    if (defined.length === 0) return c.err(doc.at(['properties', i]), `module ${showString(m)} defines no property (export what defineProperty returns)`);
    out.monitors.push(...defined);
    out.plugins.push(url);
  });
  return out;
}

/** "actors": one actor per entry, running the program its module defines. */
function userActors(c: Ctx, doc: DocView<At>, s: ScenarioDoc, taken: ReadonlySet<string>, opts: LoadOptions): { actors: ActorSpec[]; plugins: string[] } {
  const out = { actors: [] as ActorSpec[], plugins: [] as string[] };
  const guestNames = entries(s.guests).map(([n]) => n);
  for (const [name, a] of entries(s.actors)) {
    const path = ['actors', name];
    if (taken.has(name)) {
      c.err(doc.at(path, true), `actor ${showString(name)} is also the name of a timeline actor: actors need names of their own`);
      continue;
    }
    if (a.boot !== undefined && !guestNames.includes(a.boot)) c.err(doc.at([...path, 'boot']), `"boot": ${showString(a.boot)} is not a guest of this scenario (guests: ${guestNames.join(', ') || 'none'})`);
    const url = loadedModule(c, doc, [...path, 'module'], a.module, opts);
    if (url === undefined) continue;
    const kinds = namesRegisteredBy(url).actorKinds;
    if (a.kind !== undefined && !kinds.includes(a.kind)) {
      c.err(doc.at([...path, 'kind']), `module ${showString(a.module)} defines no actor kind ${showString(a.kind)} (it defines: ${kinds.join(', ') || 'none'})`);
      continue;
    }
    if (a.kind === undefined && kinds.length !== 1) {
      c.err(doc.at([...path, 'module']), kinds.length === 0
        ? `module ${showString(a.module)} defines no actor (export what defineActor returns, or an async function as its default export)`
        : `module ${showString(a.module)} defines several actor kinds (${kinds.join(', ')}): say which in "kind"`);
      continue;
    }
    out.actors.push({
      name, kind: a.kind ?? kinds[0],
      ...(a.caller === undefined ? {} : { caller: a.caller }),
      ...(a.boot === undefined ? {} : { boot: a.boot }),
      ...(a.params === undefined ? {} : { params: a.params }),
    });
    out.plugins.push(url);
  }
  return out;
}

/** Deep merge of plain JSON values: objects merge key by key, anything else replaces. */
function merge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) Object.defineProperty(out, k, { value: Object.hasOwn(out, k) ? merge(out[k], v) : v, enumerable: true, writable: true, configurable: true });
  return out;
}

function compileVariant(c: Ctx, doc: DocView<At>, label: string, opts: LoadOptions): CompiledVariant | undefined {
  if (!schemaCheck(c, 'scenario', doc)) return undefined;
  const s = doc.value as ScenarioDoc;
  const h = host(c, doc, s.host);
  const xen = h.xen;
  const conf = typeof s['xl.conf'] === 'object' ? objectAsConfig(s['xl.conf']) : s['xl.conf'] ?? '';
  const files = guests(c, doc, s, opts);
  // A guest whose config could not be read is still defined: its error is reported once, at it.
  const defined = entries(s.guests).map(([n]) => `${n}.cfg`);
  const tl = timeline(c, doc, s.timeline ?? [], xen, defined);
  const untilNs = duration(c, doc, ['until'], s.until);
  const mons = monitors(c, doc, s.monitors ?? []);
  const props = propertyModules(c, doc, s.properties ?? [], opts);
  const confRead = readXlConf(conf, XL_GLOBAL_CONFIG, xen);
  if (confRead.exitStatus !== undefined) c.err(doc.at(['xl.conf']), `"xl.conf" does not parse: ${confRead.stderr.join('').trim()}`);
  if (c.count > 0) return undefined;

  const inject = s.host.inject ?? [];
  const commandline = xenCommandline({ memoryMiB: s.host.memory, xen, nodes: s.host.nodes ?? 1 }, h.dom0MiB);
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
      ...(inject.length > 0 ? { inject } : {}),
    };
    actors.push({ name, kind: XL_TIMELINE_KIND, caller: 0, params: params as unknown as Record<string, unknown> });
  }
  const mine = userActors(c, doc, s, new Set(actors.map((a) => a.name)), opts);
  if (c.count > 0) return undefined;
  actors.push(...mine.actors);
  const plugins = [...new Set([...props.plugins, ...mine.plugins])];
  const allMonitors = [...new Set([...mons, ...props.monitors])];
  const name = s.name ?? label;
  const faults = tl.flatMap((t) => ('kill' in t ? [{ atNs: t.atNs, kill: t.kill }] : [])).sort((a, b) => a.atNs - b.atNs);
  const hvInject = inject.filter((b) => Object.hasOwn(HV_BUGS, b));
  const spec: ScenarioSpec = {
    name: label === name ? name : `${name} ${label}`,
    host: {
      memoryMiB: s.host.memory, xen, nodes: s.host.nodes ?? 1, dom0MiB: h.dom0MiB, tmem: s.host.tmem ?? false,
      ...(s.host.cpus === undefined ? {} : { nrCpus: s.host.cpus }),
      ...(entries(s.host.costs).some(([k]) => k !== 'description') ? { costs: Object.fromEntries(entries(s.host.costs).filter(([k]) => k !== 'description')) } : {}),
      ...(hvInject.length > 0 ? { inject: hvInject } : {}),
    },
    actors,
    ...(untilNs === undefined ? {} : { untilNs }),
    ...(allMonitors.length > 0 ? { monitors: allMonitors } : {}),
    ...(plugins.length > 0 ? { plugins } : {}),
    ...(faults.length > 0 ? { faults } : {}),
  };
  // The compiled run passes the check every spec passes where it enters (a trace header's too);
  // its host, the hypervisor's own (hv/options.ts): the schema states the same limits, this keeps them honest.
  for (const p of validateScenarioSpec(spec)) {
    if (p.startsWith('host: ')) c.err(doc.at(['host']), `"host": ${p.slice('host: '.length)}`);
    else c.err(undefined, `the compiled scenario: ${p}`);
  }
  if (c.count > 0) return undefined;
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
    const bytes = text.length > SCENARIO_FILE_MAX_BYTES / 3 ? Buffer.byteLength(text) : text.length;
    if (bytes > SCENARIO_FILE_MAX_BYTES) return { ok: false, errors: [`${source}: the file is ${bytes} bytes; the limit is ${SCENARIO_FILE_MAX_BYTES} (docs/limits.md)`] };
    const parsed = parseSource(text);
    if (!parsed.ok) return { ok: false, errors: [`${source}:${parsed.pos.line}:${parsed.pos.col}: ${parsed.message}`] };
    const file = new LayeredDoc(parsed.value, parsed.source, undefined, undefined);
    schemaCheck(c, 'file', file);
    if (opts.overrides !== undefined) schemaCheck(c, 'body', new LayeredDoc(opts.overrides, undefined, undefined, opts.overrides));
    if (c.count > 0) return { ok: false, errors: c.messages() };

    const doc = parsed.value as ScenarioDoc;
    const name = doc.name ?? source.replace(/^.*\//, '').replace(/\.json$/, '');
    const { variants: vs, ...base } = doc;
    const labels = vs === undefined ? [undefined] : entries(vs).map(([k]) => k);
    if (labels.length === 0) c.err(file.at(['variants']), '"variants" must be a non-empty object of label → partial scenario, e.g. { "claim_mode=0": { "xl.conf": { "claim_mode": 0 } } }');
    const variants: CompiledVariant[] = [];
    for (const label of labels) {
      const merged = merge(label === undefined ? base : merge(base, vs![label]), opts.overrides ?? {});
      const v = compileVariant(c, new LayeredDoc(merged, parsed.source, label, opts.overrides), label ?? name, opts);
      if (v !== undefined) variants.push(v);
    }
    if (c.count > 0) return { ok: false, errors: c.messages() };
    return { ok: true, scenario: { name, ...(doc.description === undefined ? {} : { description: doc.description }), variants } };
  } catch (e) {
    // A bug of the loader, not of the file: still a message, never a throw (a property tests this).
    return { ok: false, errors: [`${source}: internal error while loading: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

// Hostile files: domain configs and xl.conf (bytes), scenario files (mutated examples), and traces given to replay (bytes, truncated
// real traces, mutated lines, wrong versions). Arbitraries and checks shared by the default-suite
// properties (inputs.prop.test.ts) and scripts/reliability.ts. The raw config parser's own
// never-throws property is toolstack/config/parser.prop.test.ts; this adds the two levels above it.

import fc from 'fast-check';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hypervisor, XEN_VERSIONS } from '../../hv/index.ts';
import { loadScenario, SCENARIO_TIME_MAX_NS, TIMELINE_ACTORS_MAX, type CompiledVariant } from '../../world/scenario-file/load.ts';
import { replayTrace } from '../../world/replay.ts';
import { runScheduled } from '../../world/world.ts';
import { parsePolicy } from '../../sim/policy.ts';
import { twoBuilders } from '../../world/test-scenarios.ts';
import { TraceFormatError } from '../../sim/trace.ts';
import { parseDomainConfig } from '../../toolstack/domain-config.ts';
import { readXlConf } from '../../toolstack/xl-conf.ts';
import { guestKernelSpec, readGuestKernel } from '../../toolstack/xl/guest-kernel.ts';
import { validateLinuxGuestOptions } from '../../guests/linux-guest-options.ts';

const configFragment = fc.constantFrom(
  'memory', 'maxmem', 'name', 'type', 'vcpus', 'claim_mode', 'autoballoon', 'memsim_workload', 'builder', 'pool', 'tmem',
  '=', '+=', ' ', '\n', ';', ',', '[', ']', '"', "'", '"pv"', '"hvm"', '"xx"', '0', '-1', '1e9', '4294967296', '0x7fffffff',
  '18446744073709551616', 'NaN', '"on"', '"off"', '"auto"', '1.5', '#', '\\', '\0', 'é', '😀', '\r\n',
);
/** Arbitrary bytes decoded as UTF-8 (lossy), arbitrary text, and config-shaped token soup. */
export const configText: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.array(configFragment, { maxLength: 40 }).map((p) => p.join('')),
);
const overrides = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.array(configFragment, { maxLength: 5 }).map((p) => p.join(''))), { maxLength: 3 });

/** parseDomainConfig and readXlConf never throw, and report failure only as messages. */
export function checkConfigInput(text: string, extra: readonly string[], version: (typeof XEN_VERSIONS)[number]): void {
  const d = parseDomainConfig(text, 'hostile.cfg', extra);
  if (!Array.isArray(d.stderr) || !d.stderr.every((w) => typeof w === 'string')) throw new Error('parseDomainConfig: stderr not strings');
  if (!d.ok && d.exitStatus !== 1) throw new Error('parseDomainConfig: failure without exit status 1');
  const x = readXlConf(text, '/etc/xen/xl.conf', version);
  if (!Array.isArray(x.stderr) || typeof x.conf !== 'object' || x.conf === null) throw new Error('readXlConf: malformed result');
  const missing = readXlConf(undefined, '/etc/xen/xl.conf', version);
  if (missing.stderr.length === 0) throw new Error('readXlConf: no warning for a missing file');
}

export const configInput = fc.tuple(configText, overrides, fc.constantFrom(...XEN_VERSIONS));

// ---- guest cfg keys (toolstack/xl/guest-kernel.ts): the emulator-only memsim_* keys ------------------

const MEMSIM_KEYS = ['memsim_workload', 'memsim_tmem', 'memsim_seed', 'memsim_surge_at_ms', 'memsim_surge_pct', 'memsim_surge_ramp_ms', 'memsim_surge', 'memsim_wrkload'];
const cfgNumber = fc.oneof(
  fc.constantFrom('0', '1', '2', '90', '6400', '6401', '999999999', '4294967296', '9223372036854775807', '99999999999999999999', '0x7fffffff', '1e9', '1.5', '"x"', '""', '[1]', '"idle"', '"busy"'),
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
);
/** A guest config with a kernel and hostile memsim_* values, memory and maxmem. */
export const memsimConfigText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('8', '16', '256', '4096', '16384', '70000'),
    fc.option(fc.constantFrom('256', '16384', '16385', '100000', '999999999'), { nil: undefined }),
    fc.array(fc.tuple(fc.constantFrom(...MEMSIM_KEYS), cfgNumber), { maxLength: 6 }),
  )
  .map(([memory, maxmem, keys]) => `name="w"\nmemory=${memory}\n${maxmem === undefined ? '' : `maxmem=${maxmem}\n`}memsim_workload="idle"\n${keys.map(([k, v]) => `${k}=${v}\n`).join('')}`);

/**
 * `xl create`'s reading of the memsim_* keys never throws, and either refuses (exit 1, a message
 * on stderr) or starts a kernel whose options the kernel's own validation accepts.
 */
export function checkMemsimConfig(text: string): 'kernel' | 'no-kernel' | 'refused' {
  const d = parseDomainConfig(text, 'w.cfg');
  if (!d.ok) return 'refused';
  const r = readGuestKernel(text, 'w.cfg', [], d.config, '4.3');
  if (!r.ok) {
    if (r.exitStatus !== 1 || !/^(Invalid|Unknown) /m.test(r.stderr.join(''))) throw new Error(`refused without an xl-style message: ${r.stderr.join('')}`);
    return 'refused';
  }
  if (r.kernel === undefined) return 'no-kernel';
  const bad = validateLinuxGuestOptions(guestKernelSpec(r.kernel, d.config, 1).params);
  if (bad.length > 0) throw new Error(`xl create would start a kernel with options it refuses: ${bad.join('; ')}`);
  return 'kernel';
}

/** A real trace (two toolstacks racing to build with claims, 4.22), made once per process. */
let realTrace: Promise<string> | undefined;
export function sampleTrace(): Promise<string> {
  realTrace ??= runScheduled(twoBuilders('4.22', true, 64, 4), parsePolicy('random:7')).then((r) => r.owner.trace.toJsonl());
  return realTrace;
}

export type TraceMutation =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'drop'; line: number }
  | { kind: 'swap'; line: number }
  | { kind: 'edit'; line: number; key: string; value: unknown }
  | { kind: 'garble'; line: number; at: number; text: string }
  | { kind: 'version'; value: unknown }
  | { kind: 'host'; key: string; value: unknown }
  | { kind: 'scenario'; path: ReadonlyArray<string | number>; value: unknown }
  | { kind: 'afterEnd'; actor: number; req: 'exit' | 'note' | 'hypercall' };

/** Fields of a trace header's scenario where a bad value used to reach an assert or an Error inside the world. */
const SCENARIO_PATHS: ReadonlyArray<ReadonlyArray<string | number>> = [
  ['untilNs'], ['faults'], ['monitors'], ['plugins'], ['name'], ['actors'], ['actors', 0, 'kind'], ['actors', 0, 'caller'], ['actors', 0, 'name'],
  ['actors', 1, 'name'], ['actors', 0, 'boot'], ['actors', 0, 'params'], ['host', 'nrCpus'], ['host', 'memoryMiB'], ['host', 'dom0MiB'],
  ['host', 'costs', 'pageScrubNs'], ['host', 'costs', 'preemptSliceNs'], ['host', 'costs', 'hypercallNs'], ['host', 'costs', 'relinquishBatchPages'],
];
const scenarioValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, 0, 1.5, 1e300, 2 ** 53, null, 'nope', '@', '', 'xl-a', [], {}, ['nope'], ['x', 'x'], [{ atNs: 1, kill: 'nobody' }], [{ atNs: -1, kill: 'xl-a' }], [{ name: 'a', kind: 'script' }, { name: 'a', kind: 'script' }], ['not-a-module-xyz'], [42]),
  fc.anything({ maxDepth: 1 }),
);

const keys = fc.constantFrom('k', 'a', 's', 't', 'req', 'rc', 'result', 'hash', 'version', 'format', 'scenario', 'why', 'step', 'ns');
export const traceMutation: fc.Arbitrary<TraceMutation> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
  fc.nat().map((at) => ({ kind: 'truncate' as const, at })),
  fc.nat().map((line) => ({ kind: 'drop' as const, line })),
  fc.nat().map((line) => ({ kind: 'swap' as const, line })),
  fc.record({ kind: fc.constant('edit' as const), line: fc.nat(), key: keys, value: fc.oneof(fc.anything({ maxDepth: 1 }), fc.constantFrom(-1, 1e300, 'step', 'xl-a', null)) }),
  fc.record({ kind: fc.constant('garble' as const), line: fc.nat(), at: fc.nat(), text: fc.constantFrom('{', '}', '"', ',', '\n', 'x', '\\u0000', ':') }),
  fc.constantFrom<unknown>(0, 2, '1', null, 1.5, -1).map((value) => ({ kind: 'version' as const, value })),
  fc.record({
    kind: fc.constant('host' as const),
    key: fc.constantFrom('memoryMiB', 'xen', 'nodes', 'dom0MiB', 'inject', 'tmem', 'host', 'actors'),
    value: fc.oneof(fc.constantFrom(-1, 0, 3, 1.5, 2 ** 60, '4.3', '9.9', true, null, ['B99'], ['x'], [{}], {}), fc.anything({ maxDepth: 1 })),
  }),
  fc.record({ kind: fc.constant('scenario' as const), path: fc.constantFrom(...SCENARIO_PATHS), value: scenarioValue }),
  fc.record({ kind: fc.constant('afterEnd' as const), actor: fc.nat({ max: 3 }), req: fc.constantFrom('exit' as const, 'note' as const, 'hypercall' as const) }),
);

export function applyMutation(trace: string, m: TraceMutation): string {
  const lines = trace.split('\n');
  const pick = (i: number): number => i % lines.length;
  const obj = (i: number): Record<string, unknown> | undefined => {
    try {
      const o = JSON.parse(lines[pick(i)]);
      return typeof o === 'object' && o !== null ? o : undefined;
    } catch {
      return undefined;
    }
  };
  switch (m.kind) {
    case 'bytes':
      return Buffer.from(m.bytes).toString('utf8');
    case 'truncate':
      return trace.slice(0, m.at % (trace.length + 1));
    case 'drop':
      lines.splice(pick(m.line), 1);
      return lines.join('\n');
    case 'swap': {
      const i = pick(m.line);
      const j = Math.min(lines.length - 1, i + 1);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 'edit': {
      const o = obj(m.line);
      if (o === undefined) return trace;
      o[m.key] = m.value;
      lines[pick(m.line)] = JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) ?? 'null';
      return lines.join('\n');
    }
    case 'garble': {
      const l = lines[pick(m.line)];
      const at = m.at % (l.length + 1);
      lines[pick(m.line)] = l.slice(0, at) + m.text + l.slice(at);
      return lines.join('\n');
    }
    case 'host': {
      const o = obj(0);
      const sc = o?.scenario as Record<string, unknown> | undefined;
      if (sc === undefined || typeof sc !== 'object' || sc === null) return trace;
      if (m.key === 'host' || m.key === 'actors') sc[m.key] = m.value;
      else if (typeof sc.host === 'object' && sc.host !== null) (sc.host as Record<string, unknown>)[m.key] = m.value;
      lines[0] = JSON.stringify(o);
      return lines.join('\n');
    }
    case 'scenario': {
      const o = obj(0);
      let at = o?.scenario as Record<string | number, unknown> | undefined;
      if (at === undefined || typeof at !== 'object' || at === null) return trace;
      for (const k of m.path.slice(0, -1)) {
        if (at[k] === undefined && typeof k === 'string') at[k] = {};
        const next = at[k];
        if (typeof next !== 'object' || next === null) return trace;
        at = next as Record<string | number, unknown>;
      }
      at[m.path.at(-1)!] = m.value;
      lines[0] = JSON.stringify(o);
      return lines.join('\n');
    }
    case 'afterEnd': {
      // What builds before the sealed recorder wrote after `end`: an actor's late request.
      const actors = ((obj(0)?.scenario as { actors?: Array<{ name?: unknown }> } | undefined)?.actors ?? []).map((a) => a?.name).filter((n) => typeof n === 'string');
      if (actors.length === 0) return trace;
      const req = m.req === 'exit' ? { kind: 'exit' } : m.req === 'note' ? { kind: 'note', text: 'late' } : { kind: 'hypercall', op: 'XEN_SYSCTL_physinfo', args: {} };
      return trace.replace(/\n?$/, '\n') + JSON.stringify({ k: 'arrive', a: actors[m.actor % actors.length], req }) + '\n';
    }
    case 'version': {
      const o = obj(0);
      if (o === undefined) return trace;
      o.version = m.value;
      lines[0] = JSON.stringify(o);
      return lines.join('\n');
    }
  }
}

export type TraceOutcome = 'format-error' | 'reproduced' | 'divergence';

/**
 * Replays a (mutated) trace: it must end in a TraceFormatError naming a line ("trace:N:" or
 * "trace: empty"), or in a report that either reproduces or names a divergence. Anything else
 * — another exception, a report with neither — throws.
 */
export async function checkTraceInput(text: string): Promise<TraceOutcome> {
  try {
    const rep = await replayTrace(text);
    if (rep.reproduced) return 'reproduced';
    if (typeof rep.divergence !== 'string' || rep.divergence.length === 0) throw new Error('replay: not reproduced, and no divergence named');
    return 'divergence';
  } catch (e) {
    if (e instanceof TraceFormatError) {
      if (!/^trace(:\d+:| ?:)/.test(e.message)) throw new Error(`TraceFormatError without a line: ${e.message}`);
      return 'format-error';
    }
    throw e;
  }
}

// ---- scenario files (world/scenario-file/load.ts; its own test fuzzes raw text) -------------------

const EXAMPLES = ['demo.json', 'check-then-act-4.22.json', 'injected-bug-b6.json', 'tmem-selfballoon-4.3.json']
  .map((f) => readFileSync(new URL(`../../scenarios/${f}`, import.meta.url), 'utf8'));

/** An example scenario file with its numbers and strings swapped for hostile ones, or cut short. */
export const scenarioFileText: fc.Arbitrary<string> = fc
  .tuple(
    fc.nat({ max: EXAMPLES.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('-1', '0', '1e308', '18446744073709551616', '0.5', '"x"', 'null', '[]', '{}', 'true', '"4.99"', '"-1s"', '"1e999 s"')), { maxLength: 4 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([i, edits, cut]) => {
    let text = EXAMPLES[i];
    for (const [at, junk] of edits) {
      const tokens = [...text.matchAll(/-?\d+(\.\d+)?|"[^"\n]*"/g)];
      if (tokens.length === 0) break;
      const t = tokens[at % tokens.length];
      text = text.slice(0, t.index) + junk + text.slice(t.index! + t[0].length);
    }
    return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
  });

/** Numeric fields of a scenario file, as paths into it (`*` = every guest / every event). */
const NUMERIC_FIELDS: ReadonlyArray<ReadonlyArray<string | number>> = [
  ['host', 'memory'], ['host', 'nodes'], ['host', 'cpus'], ['host', 'dom0', 'memory'], ['seed'], ['until'],
  ...['hypercallNs', 'extentNs', 'pagePopulateNs', 'pageScrubNs', 'pageFreeNs', 'preemptSliceNs', 'relinquishBatchPages', 'tmemCopyNs'].map((k) => ['host', 'costs', k]),
  ['guests', '*', 'seed'], ['guests', '*', 'surge', 'at'], ['guests', '*', 'surge', 'level'], ['guests', '*', 'surge', 'ramp'],
  ['guests', '*', 'cfg', 'memory'], ['guests', '*', 'cfg', 'maxmem'], ['xl.conf', 'claim_mode'], ['timeline', '*', 'at'],
];
/** Numbers (and number-like strings) that break a model: huge, negative, fractional, beyond a double, not numbers. */
export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1, 2, 30, 64, 512, 3600),
  fc.constantFrom(-1, 0, 0.5, 1.5, -0.000001, 1e18, 1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 32, 16 * 1024 * 1024 + 1, 999999999, Number.MAX_VALUE),
  fc.constantFrom('NaN', 'Infinity', '-1s', '1e18', '1e18s', '100000000000000000000s', '5000h', '3601', '1.5', '0x10', '', ' '),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
);
/** Guest config paths that leave the scenario's folder or name what is not a file. */
export const hostilePath: fc.Arbitrary<string> = fc.constantFrom(
  '../package.json', '../../../../etc/passwd', '/etc/passwd', '/proc/self/environ', '/proc/self/cmdline', '/dev/zero', '/dev/stdin',
  '/sys/kernel/hostname', 'sub/../../package.json', './../README.md', '.', '..', '/', 'xlexample.hvm\u0000.x', '%2e%2e/package.json', 'xlexample.hvm',
);

/** A structured edit of a scenario file: a hostile number in a numeric field, a long list, a hostile guest path. */
export type ScenarioEdit =
  | { kind: 'number'; field: number; value: unknown }
  | { kind: 'long'; list: 'timeline' | 'guests' | 'inject' | 'monitors' | 'variants'; n: number }
  | { kind: 'path'; path: string };
export const scenarioEdit: fc.Arbitrary<ScenarioEdit> = fc.oneof(
  fc.record({ kind: fc.constant('number' as const), field: fc.nat({ max: NUMERIC_FIELDS.length - 1 }), value: hostileNumber }),
  fc.record({ kind: fc.constant('long' as const), list: fc.constantFrom('timeline' as const, 'guests' as const, 'inject' as const, 'monitors' as const, 'variants' as const), n: fc.constantFrom(65, 200, 10_001) }),
  fc.record({ kind: fc.constant('path' as const), path: hostilePath }),
);

/** Applies edits to an example scenario (parsed), returning the file's text. */
export function applyScenarioEdits(example: number, edits: readonly ScenarioEdit[]): string {
  const doc = JSON.parse(EXAMPLES[example % EXAMPLES.length]) as Record<string, unknown>;
  const setAt = (o: unknown, path: ReadonlyArray<string | number>, v: unknown): void => {
    if (typeof o !== 'object' || o === null) return;
    const [k, ...rest] = path;
    const keys = k === '*' ? Object.keys(o).filter((x) => !x.startsWith('//')) : [String(k)];
    for (const key of keys) {
      const rec = o as Record<string, unknown>;
      if (rest.length === 0) rec[key] = v;
      else {
        if (typeof rec[key] !== 'object' || rec[key] === null) rec[key] = {};
        setAt(rec[key], rest, v);
      }
    }
  };
  for (const e of edits) {
    if (e.kind === 'number') setAt(doc, NUMERIC_FIELDS[e.field], e.value);
    else if (e.kind === 'path') setAt(doc, ['guests', '*'], { file: e.path });
    else if (e.list === 'timeline') doc.timeline = Array.from({ length: e.n }, (_, i) => ({ at: i % 60, actor: `a${i % 66}`, xl: 'list' }));
    else if (e.list === 'guests') doc.guests = Object.fromEntries(Array.from({ length: e.n }, (_, i) => [`g${i}`, { cfg: { memory: 64 }, workload: 'idle' }]));
    else if (e.list === 'inject') doc.host = { ...(doc.host as object), inject: Array.from({ length: e.n }, () => 'B6') };
    else if (e.list === 'monitors') doc.monitors = Array.from({ length: e.n }, (_, i) => `m${i}`);
    else doc.variants = Object.fromEntries(Array.from({ length: e.n }, (_, i) => [`v${i}`, {}]));
  }
  return JSON.stringify(doc, null, 1);
}

export const scenarioEditedText: fc.Arbitrary<string> = fc
  .tuple(fc.nat(), fc.array(scenarioEdit, { minLength: 1, maxLength: 3 }))
  .map(([i, edits]) => applyScenarioEdits(i, edits));

const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/**
 * What an accepted scenario file may compile to: every time within the virtual-time limit, every
 * list within its limit, every guest file a regular file inside the scenario's folder, and a host
 * the Hypervisor accepts. @throws naming the broken bound
 */
function checkCompiledBounds(text: string, v: CompiledVariant): void {
  const times = [v.spec.untilNs ?? 0, ...v.timeline.map((t) => t.atNs), ...(v.spec.faults ?? []).map((f) => f.atNs)];
  for (const t of times) if (!Number.isSafeInteger(t) || t < 0 || t > SCENARIO_TIME_MAX_NS) throw new Error(`loadScenario accepted a time of ${t} ns`);
  if (v.timeline.length > 10_000) throw new Error(`loadScenario accepted ${v.timeline.length} timeline events`);
  if (v.xlActors.length > TIMELINE_ACTORS_MAX) throw new Error(`loadScenario accepted ${v.xlActors.length} timeline actors`);
  if (Object.keys(v.files).length > 64) throw new Error(`loadScenario accepted ${Object.keys(v.files).length} guests`);
  for (const [name, cfg] of Object.entries(v.files)) {
    for (const m of cfg.matchAll(/^memsim_surge_pct=(\d+)$/gm)) if (Number(m[1]) > 6400) throw new Error(`${name}: memsim_surge_pct=${m[1]} accepted`);
  }
  const doc = JSON.parse(text) as { guests?: Record<string, { file?: string }> };
  const root = realpathSync(SCENARIOS_DIR);
  for (const g of Object.values(doc.guests ?? {})) {
    if (typeof g?.file !== 'string') continue;
    let real: string;
    try {
      real = realpathSync(resolve(SCENARIOS_DIR, g.file));
    } catch {
      throw new Error(`loadScenario read a guest file that does not resolve: ${g.file}`);
    }
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) throw new Error(`loadScenario read ${g.file} (${real}), outside ${root} or not a regular file`);
  }
  if (v.spec.host.memoryMiB <= 4096) new Hypervisor(v.spec.host); // throws on options the loader should have refused
}

/**
 * loadScenario never throws; it answers errors (non-empty strings, none echoing a refused file)
 * or variants within every limit (checkCompiledBounds), so `xen-memsim run` cannot crash, hang or
 * read outside the scenario's folder. The scenario's folder is the shipped scenarios/.
 * @returns 'ok' or 'errors'
 */
export function checkScenarioFile(text: string): 'ok' | 'errors' {
  const r = loadScenario(text, 'hostile.json', { baseDir: SCENARIOS_DIR });
  if (!r.ok) {
    if (r.errors.length === 0 || !r.errors.every((e) => typeof e === 'string' && e.length > 0)) throw new Error('loadScenario: failed without messages');
    if (r.errors.some((e) => /root:x?:0:0|PATH=|"name": "xen-memsim"/.test(e))) throw new Error(`loadScenario echoed a host file: ${r.errors.join('; ')}`);
    if (r.errors.some((e) => e.includes('internal error'))) throw new Error(`loadScenario: ${r.errors.join('; ')}`);
    return 'errors';
  }
  for (const v of r.scenario.variants) checkCompiledBounds(text, v);
  return 'ok';
}

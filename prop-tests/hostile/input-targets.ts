// Hostile files: domain configs and xl.conf (bytes), scenario files (mutated examples), and traces given to replay (bytes, truncated
// real traces, mutated lines, wrong versions). Arbitraries and checks shared by the default-suite
// properties (inputs.prop.test.ts) and scripts/reliability.ts. The raw config parser's own
// never-throws property is toolstack/config/parser.prop.test.ts; this adds the two levels above it.

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Hypervisor, XEN_VERSIONS } from '../../hv/index.ts';
import { loadScenario } from '../../world/scenario-file/load.ts';
import { replayTrace } from '../../world/replay.ts';
import { runScheduled } from '../../world/world.ts';
import { parsePolicy } from '../../sim/policy.ts';
import { twoBuilders } from '../../world/test-scenarios.ts';
import { TraceFormatError } from '../../sim/trace.ts';
import { parseDomainConfig } from '../../toolstack/domain-config.ts';
import { readXlConf } from '../../toolstack/xl-conf.ts';

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
  | { kind: 'host'; key: string; value: unknown };

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

/**
 * loadScenario never throws; it answers errors (non-empty strings) or variants whose host a
 * Hypervisor accepts (so `xen-memsim run` cannot crash on construction).
 * @returns 'ok' or 'errors'
 */
export function checkScenarioFile(text: string): 'ok' | 'errors' {
  const r = loadScenario(text, 'hostile.json', { readFile: () => undefined });
  if (!r.ok) {
    if (r.errors.length === 0 || !r.errors.every((e) => typeof e === 'string' && e.length > 0)) throw new Error('loadScenario: failed without messages');
    return 'errors';
  }
  for (const v of r.scenario.variants) {
    if (v.spec.host.memoryMiB > 4096) continue; // building a huge host is slow, not wrong
    new Hypervisor(v.spec.host); // throws (AssertionError) on options the loader should have refused
  }
  return 'ok';
}

// One validation of a ScenarioSpec as data, wherever a spec enters: a trace header
// (sim/trace.ts parseTrace), a compiled scenario file (world/scenario-file/load.ts), the
// programmatic entry points (world/world.ts World and runScheduled, workers/threads.ts
// runThreads). The host is the hypervisor's own validation (hv/options.ts); the names of actor
// kinds and monitors are the registry's, checked by the caller with validateScenarioNames once
// the spec's plugins are loaded. Limits: docs/limits.md ("Traces").

import { validateHypervisorOptions } from '../hv/index.ts';

/**
 * The limits of a spec:
 * - times are integer ns within 2^53 (the virtual clock's exact range);
 * - at most 1024 actors (each is a thread and a mailbox slot with --threads), names 1–128
 *   characters without control characters, "@" reserved for the world itself;
 * - callers are domids below DOMID_FIRST_RESERVED (0x7FF0);
 * - at most 10,000 faults (a scenario file's timeline bound), 64 monitors, 32 plugin modules.
 */
export const SCENARIO_SPEC_LIMITS = {
  actorsMax: 1024,
  nameLengthMax: 128,
  kindLengthMax: 64,
  callerMax: 0x7fef,
  timeNsMax: Number.MAX_SAFE_INTEGER,
  faultsMax: 10_000,
  monitorsMax: 64,
  pluginsMax: 32,
  pluginLengthMax: 4096,
} as const;

const SPEC_KEYS = ['name', 'host', 'actors', 'untilNs', 'faults', 'monitors', 'plugins'];
const ACTOR_KEYS = ['name', 'kind', 'caller', 'boot', 'params'];

/** A spec refused by validateScenarioSpec / validateScenarioNames: one message per problem. */
export class ScenarioSpecError extends Error {
  override name = 'ScenarioSpecError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid scenario: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return v !== null && typeof v === 'object' ? 'an object' : String(v);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const L = SCENARIO_SPEC_LIMITS;

function nameProblem(what: string, v: unknown, max: number = L.nameLengthMax): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || /[\u0000-\u001f]/.test(v)) return `${what} must be a string of 1 to ${max} characters without control characters, got ${show(v)}`;
  return undefined;
}

function timeProblem(what: string, v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return undefined;
  return `${what} must be an integer number of ns in [0, ${L.timeNsMax}], got ${show(v)}`;
}

/**
 * One actor of a spec (also a spawn request's spec in a trace).
 * @returns one message per problem, each naming `where`
 */
export function validateActorSpec(a: unknown, where: string): string[] {
  if (!isObject(a)) return [`${where} must be an object, got ${show(a)}`];
  const out: string[] = [];
  for (const k of Object.keys(a)) if (!ACTOR_KEYS.includes(k)) out.push(`${where}: unknown key ${show(k)} (known: ${ACTOR_KEYS.join(', ')})`);
  const n = nameProblem(`${where}.name`, a.name);
  if (n !== undefined) out.push(n);
  else if (a.name === '@') out.push(`${where}.name "@" is the world's own name`);
  const k = nameProblem(`${where}.kind`, a.kind, L.kindLengthMax);
  if (k !== undefined) out.push(k);
  if (a.caller !== undefined && !(typeof a.caller === 'number' && Number.isSafeInteger(a.caller) && a.caller >= 0 && a.caller <= L.callerMax)) {
    out.push(`${where}.caller must be a domid in [0, ${L.callerMax}], got ${show(a.caller)}`);
  }
  if (a.boot !== undefined) {
    const b = nameProblem(`${where}.boot`, a.boot, 64);
    if (b !== undefined) out.push(b);
  }
  if (a.params !== undefined && !isObject(a.params)) out.push(`${where}.params must be an object, got ${show(a.params)}`);
  return out;
}

function stringList(out: string[], what: string, v: unknown, max: number, itemMax: number): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > max) {
    out.push(`${what} must be a list of at most ${max} names, got ${Array.isArray(v) ? `${v.length} items` : show(v)}`);
    return [];
  }
  const seen = new Set<string>();
  v.forEach((x, i) => {
    const p = nameProblem(`${what}[${i}]`, x, itemMax);
    if (p !== undefined) out.push(p);
    else if (seen.has(x as string)) out.push(`${what}[${i}]: ${show(x)} is listed twice`);
    else seen.add(x as string);
  });
  return [...seen];
}

/**
 * Checks a ScenarioSpec as plain data (it may come from a file). Pure; never throws.
 * @returns one message per problem, each naming the field ("actors[2].caller must be …"); [] when valid
 */
export function validateScenarioSpec(spec: unknown): string[] {
  if (!isObject(spec)) return [`a scenario must be an object, got ${show(spec)}`];
  const out: string[] = [];
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.includes(k)) out.push(`unknown key ${show(k)} (known: ${SPEC_KEYS.join(', ')})`);
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name.length > 256)) out.push(`name must be a string of at most 256 characters, got ${show(spec.name)}`);
  if (spec.host === undefined) out.push('host is missing (the hypervisor options)');
  else out.push(...validateHypervisorOptions(spec.host).map((m) => `host: ${m}`));
  const names = new Set<string>();
  if (!Array.isArray(spec.actors) || spec.actors.length > L.actorsMax) {
    out.push(`actors must be a list of at most ${L.actorsMax} actors, got ${Array.isArray(spec.actors) ? `${spec.actors.length}` : show(spec.actors)}`);
  } else {
    spec.actors.forEach((a, i) => {
      out.push(...validateActorSpec(a, `actors[${i}]`));
      const name = isObject(a) ? a.name : undefined;
      if (typeof name !== 'string') return;
      if (names.has(name)) out.push(`actors[${i}].name ${show(name)} is used twice (actor names are unique)`);
      names.add(name);
    });
  }
  if (spec.untilNs !== undefined) {
    const t = timeProblem('untilNs', spec.untilNs);
    if (t !== undefined) out.push(t);
  }
  if (spec.faults !== undefined) {
    if (!Array.isArray(spec.faults) || spec.faults.length > L.faultsMax) {
      out.push(`faults must be a list of at most ${L.faultsMax} faults, got ${Array.isArray(spec.faults) ? `${spec.faults.length}` : show(spec.faults)}`);
    } else {
      spec.faults.forEach((f, i) => {
        if (!isObject(f) || Object.keys(f).some((k) => k !== 'atNs' && k !== 'kill')) return void out.push(`faults[${i}] must be { atNs, kill }, got ${show(f)}`);
        const t = timeProblem(`faults[${i}].atNs`, f.atNs);
        if (t !== undefined) out.push(t);
        if (typeof f.kill !== 'string' || !names.has(f.kill)) out.push(`faults[${i}].kill must name an actor of the scenario, got ${show(f.kill)}`);
      });
    }
  }
  stringList(out, 'monitors', spec.monitors, L.monitorsMax, L.kindLengthMax);
  stringList(out, 'plugins', spec.plugins, L.pluginsMax, L.pluginLengthMax);
  return out;
}

/** The registry's lookups (sim/registry.ts REGISTRY_LOOKUPS), passed in by the caller once plugins are loaded. */
export interface NameLookups {
  hasActorKind(kind: string): boolean;
  hasMonitor(name: string): boolean;
  actorKindNames(): string[];
  monitorNames(): string[];
}

/**
 * The actor kinds and monitors a valid spec names, against the registry.
 * @returns one message per unknown name; [] when all are known
 */
export function validateScenarioNames(spec: { actors: ReadonlyArray<{ kind: string }>; monitors?: readonly string[] }, r: NameLookups): string[] {
  const out: string[] = [];
  spec.actors.forEach((a, i) => {
    if (!r.hasActorKind(a.kind)) out.push(`actors[${i}].kind: unknown actor kind ${show(a.kind)} (known: ${r.actorKindNames().join(', ')})`);
  });
  (spec.monitors ?? []).forEach((m, i) => {
    if (!r.hasMonitor(m)) out.push(`monitors[${i}]: unknown monitor ${show(m)} (known: ${r.monitorNames().join(', ')})`);
  });
  return out;
}

/**
 * Throws ScenarioSpecError unless `spec` is valid data (validateScenarioSpec) and, with `names`,
 * names only registered actor kinds and monitors. For the programmatic entry points.
 */
export function assertScenarioSpec(spec: unknown, names: NameLookups | undefined): asserts spec is { actors: Array<{ kind: string }> } {
  const bad = validateScenarioSpec(spec);
  if (bad.length === 0 && names !== undefined) bad.push(...validateScenarioNames(spec as { actors: Array<{ kind: string }>; monitors?: string[] }, names));
  if (bad.length > 0) throw new ScenarioSpecError(bad);
}

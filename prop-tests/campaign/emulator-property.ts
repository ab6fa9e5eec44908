// The campaign as a property in a user's own test suite (fast-check; any runner, vitest's helper
// is api/vitest.ts): cases are a scenario and a schedule together — the campaign's own arbitraries
// (scenario.ts, campaign.ts caseArb) or a fixed ScenarioSpec under generated schedules — run in the
// scheduled world with the built-in properties and the user's. fast-check shrinks a failing case
// (fewer actors, smaller hosts, fewer and earlier preemptions) and the error it ends with names
// the property, the seed and path that reproduce the search, and the trace of the shrunk run,
// which `xen-memsim replay` (or replayTrace) reproduces exactly.

import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import type { HypervisorOptions } from '../../hv/index.ts';
import { ChoiceSequence } from '../../sim/policy.ts';
import { loadPluginModules, namesRegisteredBy } from '../../sim/registry.ts';
import type { ScenarioSpec } from '../../sim/scenario.ts';
import { replayCommand } from '../../world/trace-plugins.ts';
import { runScheduled, type Failure } from '../../world/world.ts';
import { caseArb, choicesArb, withPropertyModules } from './campaign.ts';
import { campaignMaxSteps, runOnce } from './run.ts';
import { scenarioArb, toScenarioSpec, type CampaignScenario, type ScenarioConstraints } from './scenario.ts';

/** One case: a generated campaign scenario (or a fixed spec) and the schedule it runs under. */
export type EmulatorCase = { scenario: CampaignScenario; choices: number[] } | { spec: ScenarioSpec; choices: number[] };

export interface EmulatorPropertyOptions {
  /**
   * A fixed scenario to run under generated schedules (its actors, its monitors). Without it, the
   * cases are the campaign's generated scenarios under `constraints`.
   */
  spec?: ScenarioSpec;
  /** What generated scenarios look like (default: Xen 4.22, nothing injected). Ignored with `spec`. */
  constraints?: Partial<ScenarioConstraints>;
  /** Modules defining properties (defineProperty): paths (relative to the working directory) or file URLs. */
  properties?: readonly (string | URL)[];
  /** fast-check's settings; unset ones come from fc.configureGlobal (seed, numRuns: 100, …). */
  numRuns?: number;
  seed?: number;
  /** Replays one case of a previous search (fast-check's "path" printed with the seed). */
  path?: string;
  /** Writes the shrunk failure's trace here (for `xen-memsim replay FILE`). */
  traceFile?: string;
}

/** What a case did. */
export interface CaseResult {
  failure?: Failure;
  steps: number;
  /** The run's trace (JSONL): `xen-memsim replay` reproduces it. */
  trace: string;
}

/** A property (or invariant) broke: the shrunk case, and everything needed to reproduce it. */
export class EmulatorPropertyError extends Error {
  override name = 'EmulatorPropertyError';
  constructor(
    message: string,
    readonly failure: Failure,
    readonly counterexample: EmulatorCase,
    readonly trace: string,
    readonly seed: number | undefined,
    readonly path: string | undefined,
  ) {
    super(message);
  }
}

/** A module reference as the registry keys it: an absolute file URL. */
export function moduleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]+:/i.test(m)) return m;
  return pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
}

/**
 * Hosts as the campaign draws them (a few MiB, 1–nodesMax NUMA nodes, the constraints' version
 * and bugs): the host part of a generated scenario, shrinking with it.
 */
export function hostArb(c: Partial<ScenarioConstraints> = {}): fc.Arbitrary<HypervisorOptions> {
  return scenarioArb(constraintsOf(c)).map((s) => toScenarioSpec(s).host);
}

function constraintsOf(c: Partial<ScenarioConstraints>): ScenarioConstraints {
  return { ...c, xen: c.xen ?? '4.22', inject: c.inject ?? [] };
}

/** Options with the property modules loaded: their names and URLs, ready to add to a scenario. */
interface Resolved {
  o: EmulatorPropertyOptions;
  properties: string[];
  plugins: string[];
  constraints: ScenarioConstraints;
}

async function resolveOptions(o: EmulatorPropertyOptions): Promise<Resolved> {
  const modules = (o.properties ?? []).map(moduleUrl);
  const c = await withPropertyModules({ ...constraintsOf(o.constraints ?? {}), seed: 0, propertyModules: modules });
  if (o.spec !== undefined) await loadPluginModules(o.spec.plugins ?? []);
  return { o, properties: [...(c.properties ?? [])], plugins: [...(c.plugins ?? [])], constraints: c };
}

/** The fixed spec with the user's properties added (checked and recorded, so its trace replays). */
function specWith(spec: ScenarioSpec, r: Resolved): ScenarioSpec {
  const plugins = [...new Set([...(spec.plugins ?? []), ...r.plugins])];
  return { ...spec, monitors: [...new Set([...(spec.monitors ?? []), ...r.properties])], ...(plugins.length > 0 ? { plugins } : {}) };
}

/**
 * Runs one case in the scheduled world with the full invariant checker after every section.
 * @param properties modules defining extra properties (loaded first)
 */
export async function runCase(c: EmulatorCase, properties: readonly (string | URL)[] = []): Promise<CaseResult> {
  const r = await resolveOptions({ properties, ...('spec' in c ? { spec: c.spec } : {}) });
  return run(c, r);
}

async function run(c: EmulatorCase, r: Resolved): Promise<CaseResult> {
  if ('spec' in c) {
    const spec = specWith(c.spec, r);
    const res = await runScheduled(spec, new ChoiceSequence(c.choices), { maxSteps: campaignMaxSteps(spec) });
    return { failure: res.failure, steps: res.steps, trace: res.owner.trace.toJsonl() };
  }
  const scenario: CampaignScenario = r.properties.length === 0 ? c.scenario : { ...c.scenario, properties: r.properties, plugins: r.plugins };
  const res = await runOnce(scenario, new ChoiceSequence(c.choices), true, 'every-step');
  return { failure: res.failure, steps: res.steps, trace: res.trace! };
}

/** The cases a property runs over: the campaign's (scenario, schedule), or schedules of a fixed spec. */
function casesOf(r: Resolved): fc.Arbitrary<EmulatorCase> {
  const spec = r.o.spec;
  return spec === undefined ? caseArb(r.constraints) : choicesArb().map((choices) => ({ spec, choices }));
}

/**
 * A fast-check property: every case runs without an invariant or property failure. For use with
 * fc.assert/fc.check or @fast-check/vitest; assertEmulator adds the trace and a readable error.
 */
export async function emulatorProperty(o: EmulatorPropertyOptions = {}): Promise<fc.IAsyncProperty<[EmulatorCase]>> {
  const r = await resolveOptions(o);
  return fc.asyncProperty(casesOf(r), async (c) => {
    const res = await run(c, r);
    if (res.failure !== undefined) throw new Error(`${res.failure.kind}: ${res.failure.message}`);
  });
}

/**
 * Checks the emulator property and throws an EmulatorPropertyError for the shrunk failure: its
 * message names the property, the seed and path, and the trace file when one was written.
 */
export async function assertEmulator(o: EmulatorPropertyOptions = {}): Promise<void> {
  const r = await resolveOptions(o);
  const prop = fc.asyncProperty(casesOf(r), async (c) => (await run(c, r)).failure === undefined);
  const params: fc.Parameters<[EmulatorCase]> = {
    ...(o.numRuns === undefined ? {} : { numRuns: o.numRuns }),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.path === undefined ? {} : { path: o.path }),
  };
  const details = await fc.check(prop, params);
  if (!details.failed || details.counterexample === null) {
    if (details.failed) throw new Error(`assertEmulator: fast-check failed without a counterexample (${String(details.errorInstance ?? 'interrupted')})`);
    return;
  }
  const [c] = details.counterexample;
  const res = await run(c, r);
  const failure = res.failure ?? { kind: 'property' as const, message: 'the shrunk case no longer fails when run again (a nondeterministic property or actor?)', step: res.steps };
  if (o.traceFile !== undefined) await writeFile(o.traceFile, res.trace);
  const actors = 'spec' in c ? c.spec.actors.length : toScenarioSpec(c.scenario).actors.length;
  const message = [
    `${failure.kind} failure: ${failure.message}`,
    `  after ${failure.step} critical sections, ${actors} actors, schedule [${c.choices.join(',')}] (shrunk ${details.numShrinks} times)`,
    `  reproduce the search: seed ${details.seed}, path "${details.counterexamplePath ?? ''}"`,
    o.traceFile === undefined ? '  (give traceFile to keep the trace: xen-memsim replay FILE)' : `  trace: ${o.traceFile}   (${replayCommand(o.traceFile, [...('spec' in c ? c.spec.plugins ?? [] : []), ...r.plugins])})`,
  ].join('\n');
  throw new EmulatorPropertyError(message, failure, c, res.trace, details.seed, details.counterexamplePath ?? undefined);
}

/** The monitor names a property module defines (after loading it). */
export async function propertiesOf(module: string | URL): Promise<string[]> {
  const url = moduleUrl(module);
  await loadPluginModules([url]);
  return namesRegisteredBy(url).monitors;
}

// Specs as data, wherever they enter (sim/scenario-validate.ts): trace headers given to replay
// and report, and the programmatic entry points. Each bad header used to reach an assert or an
// Error inside the world (a stack trace from `xen-memsim replay`); each is now a TraceFormatError
// on line 1 naming the field, and a bad spec given to runScheduled/runThreads a ScenarioSpecError.

import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import { ScenarioSpecError, validateScenarioSpec } from '../sim/scenario-validate.ts';
import { parseTrace, TraceFormatError } from '../sim/trace.ts';
import { runThreads } from '../workers/threads.ts';
import { replayTrace } from './replay.ts';
import { twoBuilders } from './test-scenarios.ts';
import { runScheduled } from './world.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';

async function sample(): Promise<{ header: Record<string, unknown>; spec: ScenarioSpec; lines: string[] }> {
  const r = await runScheduled(twoBuilders('4.22', true, 64, 4), new ArrivalOrder());
  const lines = r.owner.trace.toJsonl().trimEnd().split('\n');
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  return { header, spec: header.scenario as ScenarioSpec, lines };
}
const withScenario = (s: Awaited<ReturnType<typeof sample>>, scenario: unknown): string => [JSON.stringify({ ...s.header, scenario }), ...s.lines.slice(1)].join('\n');

describe('trace headers are validated as data before anything is built', () => {
  test.each([
    ['an unknown fault actor', (sc: ScenarioSpec) => ({ ...sc, faults: [{ atNs: 5, kill: 'nobody' }] }), /faults\[0\]\.kill must name an actor of the scenario, got "nobody"/],
    ['duplicate actors', (sc: ScenarioSpec) => ({ ...sc, actors: [...sc.actors, sc.actors[0]] }), /actors\[\d+\]\.name "[^"]+" is used twice/],
    ['monitor "nope"', (sc: ScenarioSpec) => ({ ...sc, monitors: ['nope'] }), /monitors\[0\]: unknown monitor "nope"/],
    ['an unknown actor kind', (sc: ScenarioSpec) => ({ ...sc, actors: [{ ...sc.actors[0], kind: 'warp-drive' }, ...sc.actors.slice(1)] }), /actors\[0\]\.kind: unknown actor kind "warp-drive"/],
    ['a NaN cost (null in JSON)', (sc: ScenarioSpec) => ({ ...sc, host: { ...sc.host, costs: { pageScrubNs: null } } }), /host: costs\.pageScrubNs must be an integer/],
    ['a negative cost', (sc: ScenarioSpec) => ({ ...sc, host: { ...sc.host, costs: { hypercallNs: -5 } } }), /host: costs\.hypercallNs must be an integer/],
    ['nrCpus -1', (sc: ScenarioSpec) => ({ ...sc, host: { ...sc.host, nrCpus: -1 } }), /host: nrCpus must be an integer in \[1, 4096\] \(got -1\)/],
    ['a host that is a string', (sc: ScenarioSpec) => ({ ...sc, host: 'big' }), /host: options must be an object/],
    ['untilNs 1e300', (sc: ScenarioSpec) => ({ ...sc, untilNs: 1e300 }), /untilNs must be an integer number of ns in \[0, 9007199254740991\]/],
    ['a caller beyond the domid space', (sc: ScenarioSpec) => ({ ...sc, actors: [{ ...sc.actors[0], caller: 1e9 }, ...sc.actors.slice(1)] }), /actors\[0\]\.caller must be a domid in \[0, 32751\]/],
    ['an actor named "@"', (sc: ScenarioSpec) => ({ ...sc, actors: [{ ...sc.actors[0], name: '@' }, ...sc.actors.slice(1)] }), /actors\[0\]\.name "@" is the world's own name/],
    ['an unknown key', (sc: ScenarioSpec) => ({ ...sc, colour: 'red' }), /unknown key "colour"/],
    ['a plugin that is not a string', (sc: ScenarioSpec) => ({ ...sc, plugins: [42] }), /plugins\[0\] must be a string/],
  ])('%s: TraceFormatError on line 1 naming the field', async (_what, edit, message) => {
    const s = await sample();
    const text = withScenario(s, edit(s.spec));
    const err = await replayTrace(text).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TraceFormatError);
    expect((err as Error).message).toMatch(/^trace:1: scenario: /);
    expect((err as Error).message).toMatch(message);
  });

  test('a spawn request whose actor spec is not valid is refused at its line', async () => {
    const s = await sample();
    const bad = JSON.stringify({ k: 'arrive', a: '@', req: { kind: 'spawn', spec: { name: 'x', kind: 'xl', caller: -3 } } });
    expect(() => parseTrace([s.lines[0], bad, ...s.lines.slice(1)].join('\n'))).toThrow(/^trace:2: spawn\.caller must be a domid/);
  });

  test('a header with a bad mode or policy is refused', async () => {
    const s = await sample();
    expect(() => parseTrace([JSON.stringify({ ...s.header, mode: 'warp' }), ...s.lines.slice(1)].join('\n'))).toThrow(/trace:1: mode must be "scheduled" or "threads"/);
    expect(() => parseTrace([JSON.stringify({ ...s.header, policy: 7 }), ...s.lines.slice(1)].join('\n'))).toThrow(/trace:1: policy must be a string/);
  });
});

describe('traces of older builds (same format version)', () => {
  test('events after "end" (an actor\'s late exit, as builds before the sealed recorder wrote) are left out: the trace replays exactly', async () => {
    const s = await sample();
    const actor = s.spec.actors[0].name;
    const late = [JSON.stringify({ k: 'arrive', a: actor, req: { kind: 'note', text: 'late' } }), JSON.stringify({ k: 'arrive', a: actor, req: { kind: 'exit' } })];
    const rep = await replayTrace([...s.lines, ...late].join('\n'));
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
    expect(parseTrace([...s.lines, ...late].join('\n')).events.at(-1)?.k).toBe('end');
  });
});

describe('the programmatic entry points refuse a bad spec with a clear error, not an assert', () => {
  const bad: ScenarioSpec = { host: { memoryMiB: 64, nrCpus: -1 }, actors: [{ name: 'a', kind: 'script' }, { name: 'a', kind: 'script' }], faults: [{ atNs: 1, kill: 'ghost' }] };
  test('runScheduled', async () => {
    const err = await runScheduled(bad, new ArrivalOrder()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioSpecError);
    expect((err as ScenarioSpecError).problems).toEqual(validateScenarioSpec(bad));
    expect((err as Error).message).toMatch(/^invalid scenario: host: nrCpus must be an integer in \[1, 4096\] \(got -1\); actors\[1\]\.name "a" is used twice/);
  });
  test('runThreads (before any thread starts)', async () => {
    await expect(runThreads(bad, { timeoutMs: 10_000 })).rejects.toThrow(ScenarioSpecError);
    await expect(runThreads({ host: { memoryMiB: 64 }, actors: [{ name: 'a', kind: 'warp-drive' }] }, { timeoutMs: 10_000 })).rejects.toThrow(/unknown actor kind "warp-drive"/);
  });
  test('a valid spec has no problems', async () => {
    expect(validateScenarioSpec((await sample()).spec)).toEqual([]);
  });
});

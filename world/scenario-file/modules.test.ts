// A scenario file's own modules ("properties", "actors"): imported by loadScenarioModules, then
// compiled by loadScenario into the spec's monitors, actors and plugins — or refused with a
// message at the position of the offending key or value.

import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runScheduled } from '../world.ts';
import { ArrivalOrder } from '../../sim/policy.ts';
import { replayTrace } from '../replay.ts';
import { loadScenario, type LoadResult } from './load.ts';
import { loadScenarioModules } from './modules.ts';

/** The scenarios' folder: the test plugins live there. */
const DIR = fileURLToPath(new URL('../test-plugins/', import.meta.url));

const HOST = '"host": { "memory": 64, "dom0": { "memory": 16 } }';

async function load(body: string, dir = DIR): Promise<LoadResult> {
  const text = `{ ${HOST}, ${body} }`;
  const errors = await loadScenarioModules(text, 's.json', { baseDir: dir });
  if (errors.length > 0) return { ok: false, errors };
  return loadScenario(text, 's.json', { baseDir: dir });
}

const errorsOf = (r: LoadResult): string[] => (r.ok ? [] : r.errors);

describe('scenario files: "properties" and "actors" name modules of your own', () => {
  test('compile into monitors, actors and plugins (file URLs), and run and replay', async () => {
    const r = await load(`"properties": ["./first-guest.ts"], "actors": { "b": { "module": "./bare-actor.ts", "params": { "pages": 256 } }, "n": { "module": "two-actors.ts", "kind": "noter", "params": { "text": "hi" } } }`);
    expect(errorsOf(r)).toEqual([]);
    const spec = r.ok ? r.scenario.variants[0].spec : undefined!;
    expect(spec.monitors).toEqual(['never-breaks', 'no-guest-memory']);
    expect(spec.plugins).toEqual(['first-guest.ts', 'bare-actor.ts', 'two-actors.ts'].map((f) => new URL(`../test-plugins/${f}`, import.meta.url).href));
    expect(spec.actors.slice(1)).toEqual([
      { name: 'b', kind: 'bare-actor', params: { pages: 256 } },
      { name: 'n', kind: 'noter', params: { text: 'hi' } },
    ]);
    const run = await runScheduled(spec, new ArrivalOrder());
    expect(run.failure?.message).toMatch(/^no-guest-memory: d1 holds 256 pages/);
    expect((await replayTrace(run.owner.trace.toJsonl())).reproduced).toBe(true);
  });

  test.each([
    ['a path out of the folder', '"properties": ["../user-plugins.test.ts"]', /s\.json:1:\d+: cannot use module "\.\.\/user-plugins\.test\.ts": it is outside the scenario's folder/],
    ['an absolute path', '"properties": ["/etc/passwd"]', /s\.json:1:\d+: cannot use module "\/etc\/passwd": absolute paths are refused: modules are relative to the scenario's folder/],
    ['a missing module', '"properties": ["./nope.mjs"]', /s\.json:1:\d+: cannot use module "\.\/nope\.mjs": (no such file|ENOENT)/],
    ['a module that defines no property', '"properties": ["./bare-actor.ts"]', /module "\.\/bare-actor\.ts" defines no property \(export what defineProperty returns\)/],
    ['a property name where a module goes', '"properties": ["claim-guarantee"]', /"properties" lists module paths such as "\.\/my-property\.mjs"; "claim-guarantee" looks like a property's name: names go in "monitors"/],
    ['an actor without a module', '"actors": { "a": { "params": {} } }', /actor "a" needs "module"|actor a needs "module"/],
    ['a module with two actor kinds and no "kind"', '"actors": { "a": { "module": "./two-actors.ts" } }', /defines several actor kinds \(idler, noter\): say which in "kind"/],
    ['a "kind" the module does not define', '"actors": { "a": { "module": "./two-actors.ts", "kind": "sleeper" } }', /defines no actor kind "sleeper" \(it defines: idler, noter\)/],
    ['a module that defines no actor', '"actors": { "a": { "module": "./first-guest.ts" } }', /defines no actor \(export what defineActor returns, or an async function as its default export\)/],
    ['"boot" on a guest the scenario lacks', '"actors": { "a": { "module": "./bare-actor.ts", "boot": "g9" } }', /"boot": "g9" is not a guest of this scenario \(guests: none\)/],
    ['an actor named like a timeline actor', '"timeline": [{ "actor": "xl-1", "xl": "list" }], "actors": { "xl-1": { "module": "./bare-actor.ts" } }', /actor "xl-1" is also the name of a timeline actor/],
    ['an unknown key in an actor', '"actors": { "a": { "module": "./bare-actor.ts", "modul": 1 } }', /modul/],
  ])('refuses %s, at its position', async (_what, body, message) => {
    const errors = errorsOf(await load(body));
    expect(errors.join('\n')).toMatch(message);
  });

  test('a module that throws when imported is reported by loadScenarioModules, at its path', async () => {
    const text = `{ ${HOST}, "properties": [\n  "./odd-checks.ts", "./throws-on-import.ts"] }`;
    const errors = await loadScenarioModules(text, 's.json', { baseDir: DIR });
    expect(errors).toEqual(['s.json:2:22: cannot load module "./throws-on-import.ts": this module refuses to load']);
  });

  test('loadScenario without loadScenarioModules says the module is not loaded', () => {
    const r = loadScenario(`{ ${HOST}, "properties": ["./mutation-attempts.ts"] }`, 's.json', { baseDir: DIR }); // never loaded in this file
    expect(errorsOf(r).join('\n')).toMatch(/module "\.\/mutation-attempts\.ts" is not loaded \(loadScenarioModules\(\) imports a file's modules before loadScenario\(\)\)/);
  });

  test('without a folder, modules are refused', () => {
    const r = loadScenario(`{ ${HOST}, "properties": ["./x.mjs"] }`, 's.json', { readFile: () => undefined });
    expect(errorsOf(r).join('\n')).toMatch(/modules are loaded only from a scenario file's folder/);
  });
});

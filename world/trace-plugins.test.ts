// A trace's plugin modules are imported by its replay only when already loaded or allowed
// (world/trace-plugins.ts): a trace naming a module of its own is refused before anything is
// imported, naming the module and the flag that allows it; allowed, it loads and replays.
// Its own file: a module it allows stays loaded in this process's registry.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { TraceFormatError } from '../sim/trace.ts';
import { replayTrace } from './replay.ts';
import { PluginNotAllowedError, refusedPlugins, replayCommand } from './trace-plugins.ts';
import { runScheduled } from './world.ts';
import { SeededRandom } from '../sim/policy.ts';

const dir = mkdtempSync(join(tmpdir(), 'memsim-trace-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module that says when it was imported (a global flag), and defines nothing. */
function markerModule(name: string): string {
  const file = join(dir, name);
  writeFileSync(file, `globalThis[${JSON.stringify(`__imported_${name}`)}] = true;\n`);
  return file;
}
const imported = (name: string): boolean => (globalThis as Record<string, unknown>)[`__imported_${name}`] === true;

/** A plugin-free run's trace with `plugins` written into its header, as a hostile file could. */
async function traceNaming(plugins: string[]): Promise<string> {
  const spec: ScenarioSpec = {
    host: { memoryMiB: 16, xen: '4.22', dom0MiB: 4 },
    actors: [{ name: 's', kind: 'script', params: { steps: [{ op: 'XEN_SYSCTL_physinfo', args: {} }] } }],
  };
  const run = await runScheduled(spec, new SeededRandom(1));
  const [head, ...rest] = run.owner.trace.toJsonl().split('\n');
  const header = JSON.parse(head) as { scenario: ScenarioSpec };
  header.scenario.plugins = plugins;
  return [JSON.stringify(header), ...rest].join('\n');
}

describe("a trace's plugin modules", () => {
  test('a module the trace names is refused, not imported: the error names it and the flag that allows it', async () => {
    const file = markerModule('refused.mjs');
    const text = await traceNaming([pathToFileURL(file).href]);
    const err = await replayTrace(text).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginNotAllowedError);
    expect(err).toBeInstanceOf(TraceFormatError); // what every caller already reports as a bad trace
    expect((err as Error).message).toContain(`may not import: ${file}. `);
    expect((err as Error).message).toContain(`--plugin ${file} `);
    expect((err as PluginNotAllowedError).modules).toEqual([pathToFileURL(file).href]);
    expect(imported('refused.mjs')).toBe(false);
  });

  test('a data: URL (code in the trace itself) and a package specifier are refused too, all named at once', async () => {
    const code = 'data:text/javascript,globalThis.__imported_data=true';
    const err = await replayTrace(await traceNaming([code, 'some-package/plugin'])).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginNotAllowedError);
    expect((err as PluginNotAllowedError).modules).toEqual([code, 'some-package/plugin']);
    expect((err as Error).message).toContain(`--plugin ${JSON.stringify(code)} --plugin "some-package/plugin"`);
    expect((globalThis as Record<string, unknown>).__imported_data).toBeUndefined();
  });

  test('allowed by path (relative, or through a symbolic link), the module is imported and the trace replays', async () => {
    const file = markerModule('allowed.mjs');
    const text = await traceNaming([pathToFileURL(file).href]);
    const link = join(dir, 'link.mjs');
    symlinkSync(file, link);
    expect(refusedPlugins([pathToFileURL(file).href], [link])).toEqual([]);
    expect(refusedPlugins([pathToFileURL(file).href], [join(dir, 'other.mjs')])).toEqual([pathToFileURL(file).href]);
    const rep = await replayTrace(text, { allowPlugins: [relative(process.cwd(), file)] });
    expect(imported('allowed.mjs')).toBe(true);
    expect(rep.reproduced).toBe(true);
    // Once loaded in this process, the module needs no allowance: nothing new would run.
    expect(refusedPlugins([pathToFileURL(file).href], [])).toEqual([]);
  });

  test('the replay command names file modules relative to the working directory, others as written', () => {
    expect(replayCommand('t.jsonl', [pathToFileURL('/w/p/prop.mjs').href, 'pkg/x', pathToFileURL('/w/p/prop.mjs').href], '/w')).toBe('xen-memsim replay t.jsonl --plugin p/prop.mjs --plugin pkg/x');
    expect(replayCommand('t.jsonl', [])).toBe('xen-memsim replay t.jsonl');
  });
});

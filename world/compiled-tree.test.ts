// The sources compiled for worker threads (workers/compiled-tree.ts; a world-level test: it runs
// whole scenarios): which modules map into the tree and back (the build's, and repository modules
// outside it compiled on demand), and that a run whose modules cannot all be in it still runs (on
// the sources, through tsx), with the same trace and replay as one whose modules are.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { replayTrace } from './replay.ts';
import { buildScript } from './test-scenarios.ts';
import { COMPUTED_OBSERVER } from './test-plugins/computed-observer.ts';
import type { StepLog } from './test-plugins/step-observer.ts';
import { compiledTree } from '../workers/compiled-tree.ts';
import { TEST_ACTORS_PLUGIN } from '../workers/fixtures/test-actors.ts';
import { runThreads } from '../workers/threads.ts';

const source = (path: string): string => new URL(`../${path}`, import.meta.url).href;

describe('the sources compiled for worker threads', () => {
  test('maps each built source to its compiled module and back; a repository module outside the build is compiled on demand; tests, other files and modules that import what a thread without tsx cannot resolve are not in it', () => {
    const tree = compiledTree();
    expect(tree).toBeDefined();
    for (const path of ['world/actor-kinds.ts', 'workers/hv-worker.ts', 'workers/actor-thread.ts', 'report/telemetry.ts']) {
      const js = tree!.map(source(path));
      expect(js, path).toMatch(/\.js$/);
      expect(existsSync(fileURLToPath(js!)), path).toBe(true);
      expect(tree!.source(js!)).toBe(source(path));
    }
    // A fixture and test plugins (odd-checks imports sim/define.ts, built): compiled into the tree on demand.
    for (const url of [TEST_ACTORS_PLUGIN, source('world/test-plugins/odd-checks.ts'), source('world/test-plugins/step-observer.ts')]) {
      const js = tree!.map(url);
      expect(js, url).toMatch(/\/node_modules\/\.cache\/xen-memsim\/workers-[0-9a-f]+\/.*\.js$/);
      expect(existsSync(fileURLToPath(js!)), url).toBe(true);
      expect(tree!.source(js!)).toBe(url);
      expect(tree!.sourceText(`Error: boom\n    at run (${js}:12:5)`)).toBe(`Error: boom\n    at run (${url}:12:5)`);
    }
    for (const url of [COMPUTED_OBSERVER.ownerModule, source('world/compiled-tree.test.ts'), source('cli/bin.mjs'), source('no/such/module.ts'), 'file:///elsewhere/plugin.ts', 'node:fs']) {
      expect(tree!.map(url), url).toBeUndefined();
    }
    expect(tree!.source(source('world/actor-kinds.ts'))).toBeUndefined();
    // Once per process: the same tree again.
    expect(compiledTree()).toBe(tree);
  });

  test('a process without a loader (cli/bin.mjs) finds the same tree (workers/compiled-tree-boot.mjs), and from the tree the package\'s files are the clone\'s', () => {
    const tree = compiledTree()!;
    const script = `const { compiledTreeWithoutLoader } = await import(${JSON.stringify(source('workers/compiled-tree-boot.mjs'))});
const tree = await compiledTreeWithoutLoader();
const files = await import(tree.map(${JSON.stringify(source('report/package-files.ts'))}));
console.log(JSON.stringify({ dir: tree.dir, root: files.PACKAGE_ROOT, version: files.PACKAGE_VERSION, demo: files.packageFile('scenarios/demo.json') }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const root = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(JSON.parse(r.stdout)).toEqual({ dir: tree.dir, root, version, demo: join(root, 'scenarios', 'demo.json') });
    // The tree's modules are ES modules by its package.json, not by syntax detection.
    expect(JSON.parse(readFileSync(join(tree.dir, 'package.json'), 'utf8'))).toMatchObject({ name: 'xen-memsim', type: 'module' });
  });

  test("an actor thread's module loads by piscina's require() in one synchronous step (no top-level await in its graph), the run's plugins inside the promise it exports", async () => {
    const tree = compiledTree()!;
    const file = fileURLToPath(tree.map(source('workers/actor-thread.ts'))!);
    // As piscina's worker.js getHandler does: require(filename), then await its default export.
    // A graph with top-level await throws ERR_REQUIRE_ASYNC_MODULE here; piscina then import()s
    // it again, and a require racing that import is a V8 fatal that kills the process.
    const load = (plugins: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const code = `const { parentPort, workerData } = require('node:worker_threads');
let ns;
try { ns = require(workerData.file); } catch (e) { parentPort.postMessage('require: ' + (e.code ?? e.message)); return; }
Promise.resolve(ns.default).then((f) => parentPort.postMessage((ns.__esModule === true ? 'esm ' : 'cjs ') + typeof f), (e) => parentPort.postMessage('rejected: ' + e.message));`;
        const w = new Worker(`(() => { ${code} })()`, { eval: true, workerData: { file, plugins } });
        w.once('message', (m: string) => void w.terminate().then(() => resolve(m)));
        w.once('error', reject);
      });
    expect(await load([tree.map(TEST_ACTORS_PLUGIN)!])).toBe('esm function');
    expect(await load([pathToFileURL(join(tree.dir, 'no-such-plugin.js')).href])).toMatch(/^rejected: cannot load plugin module file:.*no-such-plugin\.js/);
  });

  test('a run whose observer module is not in the tree runs its owner on the sources: the same trace as on the tree', async () => {
    const spec: ScenarioSpec = {
      name: 'one builder',
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 16 },
      untilNs: 2e9,
      actors: [{ name: 'xl-1', kind: 'script', params: buildScript('g1', 16, false) }],
    };
    // The observer imports a module it names at run time, so it cannot be in the tree: the owner loads the sources; the actor the tree.
    const observed = await runThreads(spec, { policy: 'arrival', observerModule: COMPUTED_OBSERVER.ownerModule });
    const plain = await runThreads(spec, { policy: 'arrival' });
    for (const r of [observed, plain]) {
      expect(r.ownerLost).toBeUndefined();
      expect(r.failure).toBeUndefined();
      expect(r.actors.filter((a) => a.error !== undefined)).toEqual([]);
    }
    expect((observed.observed as StepLog).steps).toBe(observed.steps);
    // One builder alone: nothing races, so both runs are the same run.
    expect(observed.trace).toBe(plain.trace);
    const rep = await replayTrace(plain.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  });
});

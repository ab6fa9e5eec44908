import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AFTER_RUN_MODULE } from '../test-plugins/after-run.ts';
import { COMPUTED_OBSERVER } from '../test-plugins/computed-observer.ts';
import { STEP_OBSERVER, type StepLog } from '../test-plugins/step-observer.ts';
import { loadScenario, type CompiledVariant } from './load.ts';
import { TSX_WORKER_HOOKS_URL } from '../../workers/spawn.ts';
import { runVariantsInParallel, variantWorkerModules } from './parallel.ts';
import { runVariant, type VariantRun } from './run.ts';

// Variants side by side (one on the calling thread, the others on worker threads) give what a
// loop of runVariant gives: the same trace byte for byte, the same commands and report data.
// Timeouts only guard against a hang (each run here is well under a second of CPU).

const scenarioFile = (name: string): CompiledVariant[] => {
  const r = loadScenario(readFileSync(new URL(`../../scenarios/${name}`, import.meta.url), 'utf8'), name);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.scenario.variants;
};

/** A run without what wall time decides. */
function comparable(r: VariantRun<StepLog>): unknown {
  const { wallMs: _w, commands, ...rest } = r;
  return { ...rest, commands: commands.map(({ wallStartMs: _a, wallEndMs: _b, failWallMs: _c, ...c }) => c) };
}

describe('runVariantsInParallel', () => {
  it('runs each variant as runVariant does, in the variants\' order, whichever thread ran it', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    expect(variants.length).toBeGreaterThanOrEqual(2);
    const seq: Array<VariantRun<StepLog>> = [];
    for (const v of variants) seq.push(await runVariant(v, { observer: STEP_OBSERVER }));
    const finished: string[] = [];
    const par = await runVariantsInParallel(variants, { parallel: 2, observer: STEP_OBSERVER, onDone: (r) => finished.push(r.label) });
    expect(par.map((r) => r.label)).toEqual(variants.map((v) => v.label));
    expect(finished.sort()).toEqual(variants.map((v) => v.label).sort());
    for (let i = 0; i < variants.length; i++) {
      expect(par[i].variant).toBe(variants[i]);
      expect(par[i].trace).toBe(seq[i].trace);
      expect(par[i].trace!.length).toBeGreaterThan(0);
      expect(par[i].telemetry!.steps).toBe(par[i].steps);
      expect(comparable(par[i])).toEqual(comparable(seq[i]));
    }
  }, 120_000);

  it('streams each variant\'s trace to its own file, and reports progress from the workers too', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-parallel-'));
    const labels = new Set<string>();
    const par = await runVariantsInParallel(variants, {
      parallel: 2, trace: (v) => ({ file: join(dir, `${v.label}.jsonl`) }), progressMs: 0, onProgress: (p) => labels.add(p.label),
    });
    for (let i = 0; i < variants.length; i++) {
      const kept = await runVariant(variants[i], {});
      expect(par[i].tracePath).toBe(join(dir, `${variants[i].label}.jsonl`));
      expect(readFileSync(par[i].tracePath!, 'utf8')).toBe(kept.trace);
      expect(par[i].hash).toBe(kept.hash);
    }
    expect([...labels].sort()).toEqual(variants.map((v) => v.label).sort());
  }, 120_000);

  it('fails with the variant named and the error\'s code when a worker\'s run fails', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-parallel-'));
    const bad = variants[1].label;
    const p = runVariantsInParallel(variants, {
      parallel: 2, trace: (v) => ({ file: v.label === bad ? join(dir, 'no-such-folder', 'x.jsonl') : join(dir, 'ok.jsonl') }),
    });
    await expect(p).rejects.toThrow(new RegExp(`^variant ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    await expect(p).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);

  it('starts a worker on the compiled sources unless the variant names a plugin module or its observer is outside them', () => {
    const [v] = scenarioFile('check-then-act-4.22.json');
    const telemetry = new URL('../../report/telemetry.ts', import.meta.url).href;
    const plain = variantWorkerModules(v, {});
    expect(plain.compiled).toBe(true);
    expect(plain.execArgv).not.toContain(TSX_WORKER_HOOKS_URL);
    expect(plain.file.href).toMatch(/\/node_modules\/\.cache\/xen-memsim\/workers-[0-9a-f]+\/world\/scenario-file\/variant-worker\.js$/);
    const observed = variantWorkerModules(v, { observerModule: telemetry, afterModule: undefined });
    expect(observed.compiled).toBe(true);
    expect(observed.modules).toEqual({ observerModule: expect.stringMatching(/\/workers-[0-9a-f]+\/report\/telemetry\.js$/) });
    // A test plugin outside the build is compiled into the tree on demand, an afterModule too.
    const after = variantWorkerModules(v, { observerModule: telemetry, afterModule: AFTER_RUN_MODULE });
    expect(after.compiled).toBe(true);
    expect(after.modules.afterModule).toMatch(/\/workers-[0-9a-f]+\/world\/test-plugins\/after-run\.js$/);
    // A module importing a module it names at run time cannot be in the tree: the worker loads the sources, the modules as given.
    for (const modules of [{ observerModule: COMPUTED_OBSERVER.ownerModule }, { observerModule: COMPUTED_OBSERVER.ownerModule, afterModule: AFTER_RUN_MODULE }]) {
      expect(variantWorkerModules(v, modules)).toEqual({ file: new URL('./variant-worker.ts', import.meta.url), modules, compiled: false });
    }
    const withPlugin = variantWorkerModules({ ...v, spec: { ...v.spec, plugins: [telemetry] } }, {});
    expect(withPlugin.compiled).toBe(false);
  });

  it('runs afterModule in the thread that ran each variant, its result given to onDone with the run', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    const after = new Map<string, unknown>();
    const par = await runVariantsInParallel(variants, { parallel: 2, afterModule: AFTER_RUN_MODULE, onDone: (r, a) => after.set(r.label, a) });
    expect(par.map((r) => after.get(r.label))).toEqual(par.map((r, i) => ({ index: i, label: r.label, steps: r.steps, mainThread: i === 0 })));
  });

  it('refuses a parallel count that is not a whole number >= 1', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) await expect(runVariantsInParallel(variants, { parallel: bad })).rejects.toThrow(/parallel must be a whole number ≥ 1/);
  });

  it('refuses an observer a worker cannot attach (no ownerModule) when it would run more than one variant at once', async () => {
    const variants = scenarioFile('check-then-act-4.22.json');
    const { ownerModule: _, ...noModule } = STEP_OBSERVER;
    await expect(runVariantsInParallel(variants, { parallel: 2, observer: noModule })).rejects.toThrow(/no ownerModule/);
    const one = await runVariantsInParallel(variants.slice(0, 1), { parallel: 2, observer: noModule });
    expect(one[0].telemetry?.steps).toBe(one[0].steps);
  }, 120_000);
});

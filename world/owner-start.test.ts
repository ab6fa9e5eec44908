// An owner worker that fails while it starts comes back as its error, not a hang (issue 17). Its
// own file: the plugin module it loads stays in this process's registry (sim/registry.ts imports
// a module once and hands every later run's workers the same list), so no other run may share it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { runThreads } from '../workers/threads.ts';
import './actor-kinds.ts';

test('an owner worker that fails while it starts: its error comes back, no actor runs, no hang', async () => {
  // A plugin module that loads on the main thread (so the spec passes every check there) and
  // throws in a worker: the owner dies before it connects.
  const dir = mkdtempSync(join(tmpdir(), 'memsim-owner-start-'));
  const file = join(dir, 'fails-in-workers.mjs');
  writeFileSync(file, "import { isMainThread } from 'node:worker_threads';\nif (!isMainThread) throw new Error('this plugin refuses to load in a worker');\n");
  try {
    const spec: ScenarioSpec = {
      host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
      plugins: [pathToFileURL(file).href],
      actors: [{ name: 's', kind: 'script', params: { steps: [{ op: 'XEN_SYSCTL_physinfo', args: {} }] } }],
    };
    const r = await runThreads(spec, { timeoutMs: 60_000 });
    expect(r.ownerLost).toMatch(/^the owner could not start: .*cannot load plugin module .*fails-in-workers\.mjs: this plugin refuses to load in a worker/);
    expect(r.timedOut).toBeUndefined();
    expect(r.actors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);

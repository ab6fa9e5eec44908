// vitest globalSetup: the command line compiled to JavaScript once per test run, for the tests that
// start it as a child process many times (cli/testing.ts runCli). From the sources every child
// process registers tsx and loads each module through its hooks (~1 s of CPU before the command
// does anything, twice what the command's own work takes for most of these tests); compiled, it
// starts as the installed package does. The compilation is the one real-thread runs from the
// sources use for their worker threads (workers/compiled-tree.ts: esbuild's per-file transform of
// the package build's files), into a folder inside the repository (out/, so `xen-memsim` still
// resolves to this package). examples.test.ts and the shell tests still run
// cli/bin.mjs from the sources; package.test.ts runs the real package build.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { buildSources, compileSources } from '../../workers/compiled-tree.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compiled cli/xen-memsim.ts of this test run (absolute path). */
    compiledCli: string;
  }
}

export default function setup(project: TestProject): () => void {
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  const outdir = mkdtempSync(join(ROOT, 'out', 'test-cli-'));
  compileSources(buildSources(ROOT), outdir, ROOT);
  project.provide('compiledCli', join(outdir, 'cli', 'xen-memsim.js'));
  return () => rmSync(outdir, { recursive: true, force: true });
}

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** In the repository, `xen-memsim` (what examples/ import, as users do) is the sources (tsconfig.json "paths"). */
const api = (entry: string): string => fileURLToPath(new URL(`./api/${entry}.ts`, import.meta.url));

/**
 * The tests of the layers that register nothing and start no process (.dependency-cruiser.cjs: a
 * test follows its folder's rule, so hv/ tests import hv/ and the hv-level test kit only; sim/,
 * guests/ and toolstack/ import those layers, none of whose modules registers an actor kind, a
 * monitor or a definition in sim/registry.ts). They run without isolation: a worker keeps the
 * modules it has loaded from one such file to the next instead of importing hv/ and the toolstack
 * again for each (~0.8 s of CPU a file). Every other file (the worlds, campaigns and front ends:
 * plugins they import register names for the process) gets a fresh module graph of its own.
 */
const LAYERS = ['hv/**/*.test.ts', 'sim/**/*.test.ts', 'guests/**/*.test.ts', 'toolstack/**/*.test.ts'];
const EXCLUDE = ['node_modules/**', 'out/**', 'dist/**', '.stryker-tmp/**', 'reports/**'];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^xen-memsim$/, replacement: api('index') },
      { find: /^xen-memsim\/(campaign|report|testing|vitest)$/, replacement: api('$1') },
    ],
  },
  test: {
    // No include here: a project's own would be appended to it (extends: true); the exclude is every project's.
    exclude: EXCLUDE,
    setupFiles: ['prop-tests/setup.ts'],
    pool: 'forks',
    // Two files at a time. vitest's default is one worker fewer than the cores (1 on the 2-core
    // machines this suite targets), which ran the 100-odd files one after another while most of
    // them use one core; with two the suite keeps both busy. No test may need a core to itself
    // (none asserts on wall-clock time; timeouts are sized for a loaded machine).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'layers', include: LAYERS, isolate: false } },
      {
        extends: true,
        test: {
          name: 'runs',
          include: ['**/*.test.ts'],
          exclude: LAYERS,
          // The command line compiled once for the tests that start it as a child process (cli/testing.ts).
          globalSetup: ['cli/test-support/compiled-cli.ts'],
        },
      },
    ],
  },
});

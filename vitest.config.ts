import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** In the repository, `xen-memsim` (what examples/ import, as users do) is the sources (tsconfig.json "paths"). */
const api = (entry: string): string => fileURLToPath(new URL(`./api/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^xen-memsim$/, replacement: api('index') },
      { find: /^xen-memsim\/(campaign|report|testing|vitest)$/, replacement: api('$1') },
    ],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'dist/**', '.stryker-tmp/**', 'reports/**'],
    setupFiles: ['prop-tests/setup.ts'],
    // The command line compiled once for the tests that start it as a child process (cli/testing.ts).
    globalSetup: ['cli/test-support/compiled-cli.ts'],
    pool: 'forks',
    // Two files at a time. vitest's default is one worker fewer than the cores (1 on the 2-core
    // machines this suite targets), which ran the 100-odd files one after another while most of
    // them use one core; with two the suite keeps both busy. No test may need a core to itself
    // (none asserts on wall-clock time; timeouts are sized for a loaded machine).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

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
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

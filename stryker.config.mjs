// Mutation testing (npm run mutation): StrykerJS mutates the hypervisor's allocator, memory ops
// and domctls and the libxl builder, and runs the campaign (prop-tests/campaign/stryker/) against
// each mutant. Per-test coverage analysis runs only the campaigns that reach a mutant; incremental
// mode re-tests only mutants whose code or tests changed since reports/stryker-incremental.json.
// Not part of `npm test`: a full run takes long on 2 cores (docs in prop-tests/campaign/README.md).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'prop-tests/campaign/stryker/vitest.config.ts', related: false },
  mutate: ['hv/page-allocator.ts', 'hv/memop.ts', 'hv/domctl.ts', 'toolstack/builder/*.ts', '!toolstack/builder/*.test.ts'],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 60_000,
  timeoutFactor: 3,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 80, break: null },
};

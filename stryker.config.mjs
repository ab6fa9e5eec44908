// Mutation testing (npm run mutation; docs/mutation.md): StrykerJS 9.6 (the last line that runs on
// Node 20) mutates the hypervisor's allocator, memory ops and domctls and the libxl builder, and
// runs against each mutant the unit tests of hv/ and toolstack/builder/ and the campaign as a test
// (prop-tests/campaign/stryker/: bounded campaigns with pinned seeds and run budgets). Per-test
// coverage runs only the tests that reach a mutant; incremental mode re-tests only mutants whose
// code or tests changed since reports/stryker-incremental.json. Not part of `npm test` (its run
// time is in docs/mutation.md). A part: npm run mutation -- --mutate hv/page-allocator.ts
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'prop-tests/campaign/stryker/vitest.config.ts', related: false },
  mutate: ['hv/page-allocator.ts', 'hv/memop.ts', 'hv/domctl.ts', 'toolstack/builder/*.ts', '!toolstack/builder/*.test.ts'],
  ignorePatterns: ['dist', 'dist-web', 'out', 'docs/api', 'reports', '*.jsonl'],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 60_000,
  // The initial run (every test, instrumented, coverage per test) takes minutes on a loaded machine.
  dryRunTimeoutMinutes: 30,
  timeoutFactor: 3,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 80, break: null },
};

// The tests StrykerJS runs against each mutant (npm run mutation, stryker.config.mjs): the unit
// tests of hv/ and toolstack/builder/ and the campaign as a test (campaign.stryker.ts: bounded
// campaigns, pinned seeds, run budgets). Not part of the default suite: vitest.config.ts includes
// *.test.ts only, and this file's campaign is *.stryker.ts.
import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.ts';

/** The suite's options without its projects (this config is one set of files, run isolated). */
const { projects: _projects, ...test } = base.test ?? {};

export default defineConfig({
  ...base,
  test: {
    ...test,
    // Not merged (mergeConfig would append to the default include list).
    include: ['hv/**/*.test.ts', 'toolstack/builder/**/*.test.ts', 'prop-tests/campaign/stryker/*.stryker.ts'],
    testTimeout: 600_000,
  },
});

// The campaign as Stryker's test (npm run mutation): only campaign.stryker.ts, one fork, pinned
// fast-check seed. Not part of the default suite (vitest.config.ts includes *.test.ts only).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['prop-tests/campaign/stryker/*.stryker.ts'],
    setupFiles: ['prop-tests/setup.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});

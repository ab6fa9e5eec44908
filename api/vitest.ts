// `xen-memsim/vitest`: one vitest test that checks the emulator property (xen-memsim/testing's
// assertEmulator) — generated scenarios and schedules, the built-in properties and the user's —
// and fails with the shrunk case, its seed and path, and its trace. Needs vitest (a peer dependency).

import { test } from 'vitest';
import { assertEmulator, type EmulatorPropertyOptions } from '../prop-tests/campaign/emulator-property.ts';

export interface EmulatorTestOptions extends EmulatorPropertyOptions {
  /** The test's timeout, ms (default 120 000: a search and its shrinking run many scenarios). */
  timeoutMs?: number;
}

/**
 * Declares a vitest test: `emulatorTest('my property holds', { properties: ['./my-prop.mjs'] })`.
 * Seeds: `seed` if given, else fast-check's global configuration (fc.configureGlobal).
 */
export function emulatorTest(name: string, options: EmulatorTestOptions = {}): void {
  const { timeoutMs = 120_000, ...o } = options;
  test(name, () => assertEmulator(o), timeoutMs);
}

export { assertEmulator, type EmulatorPropertyOptions } from '../prop-tests/campaign/emulator-property.ts';

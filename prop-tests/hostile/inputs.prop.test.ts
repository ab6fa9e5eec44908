// Hostile files (contracts in input-targets.ts): domain configs and xl.conf never throw; traces
// given to replay end in a TraceFormatError with a line number or a replay report.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { pinnedSeed } from '../setup.ts';
import { applyMutation, checkConfigInput, checkScenarioFile, checkTraceInput, configInput, sampleTrace, scenarioFileText, traceMutation } from './input-targets.ts';

describe(`hostile files (seed: ${pinnedSeed})`, () => {
  test('parseDomainConfig and readXlConf never throw on arbitrary bytes and overrides', () => {
    fc.assert(fc.property(configInput, ([text, extra, v]) => checkConfigInput(text, extra, v)));
  });

  test('the unmutated sample trace replays exactly', async () => {
    expect(await checkTraceInput(await sampleTrace())).toBe('reproduced');
  });

  test('replay of arbitrary bytes, truncated, reordered and mutated traces: a TraceFormatError with a line, or a report', async () => {
    const trace = await sampleTrace();
    await fc.assert(
      fc.asyncProperty(fc.array(traceMutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const text = ms.reduce(applyMutation, trace);
        await checkTraceInput(text);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe(`hostile scenario files (seed: ${pinnedSeed})`, () => {
  test('example scenario files with hostile values or cut short: errors with messages, or hosts that can be built', () => {
    fc.assert(fc.property(scenarioFileText, (text) => void checkScenarioFile(text)), { numRuns: 60 });
  });
});

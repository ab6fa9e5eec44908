// Hostile files (contracts in input-targets.ts): domain configs and xl.conf never throw; traces
// given to replay end in a TraceFormatError with a line number or a replay report.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { pinnedSeed } from '../setup.ts';
import { applyMutation, applyScenarioEdits, checkConfigInput, checkMemsimConfig, memsimConfigText, checkScenarioFile, checkTraceInput, configInput, sampleTrace, scenarioEditedText, scenarioFileText, traceMutation } from './input-targets.ts';

describe(`hostile files (seed: ${pinnedSeed})`, () => {
  test('parseDomainConfig and readXlConf never throw on arbitrary bytes and overrides', () => {
    fc.assert(fc.property(configInput, ([text, extra, v]) => checkConfigInput(text, extra, v)));
  });

  test('memsim_* keys with hostile values: xl create refuses them with a message, or starts a kernel within its limits', () => {
    fc.assert(fc.property(memsimConfigText, (text) => void checkMemsimConfig(text)), { numRuns: 300 });
    expect(checkMemsimConfig('name="w"\nmemory=256\nmemsim_workload="idle"\nmemsim_surge_at_ms=0\nmemsim_surge_pct=999999999\n')).toBe('refused');
  });

  test('the unmutated sample trace replays exactly', async () => {
    expect(await checkTraceInput(await sampleTrace())).toBe('reproduced');
  });

  test('bad trace headers (unknown fault actor, duplicate actors, monitor nope, NaN costs, nrCpus -1 …): a TraceFormatError on line 1; late events after end: ignored', async () => {
    const trace = await sampleTrace();
    for (const m of [
      { kind: 'scenario', path: ['faults'], value: [{ atNs: 1, kill: 'nobody' }] },
      { kind: 'scenario', path: ['actors', 1, 'name'], value: 'xl-a' },
      { kind: 'scenario', path: ['monitors'], value: ['nope'] },
      { kind: 'scenario', path: ['host', 'costs', 'pageScrubNs'], value: null },
      { kind: 'scenario', path: ['host', 'nrCpus'], value: -1 },
    ] as const) expect(await checkTraceInput(applyMutation(trace, m))).toBe('format-error');
    expect(await checkTraceInput(applyMutation(trace, { kind: 'afterEnd', actor: 0, req: 'exit' }))).toBe('reproduced');
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

  test('hostile numbers in every numeric field, long lists, guest paths out of the folder: refused, or within every limit', () => {
    fc.assert(fc.property(scenarioEditedText, (text) => void checkScenarioFile(text)), { numRuns: 80 });
  });

  test('each class is refused: a time of 1e18, a 50,000-event timeline, /etc/passwd, ../package.json, /proc/self/environ', () => {
    const cases = [
      applyScenarioEdits(1, [{ kind: 'number', field: 5, value: 1e18 }]),
      applyScenarioEdits(1, [{ kind: 'long', list: 'timeline', n: 50_000 }]),
      ...['/etc/passwd', '../package.json', '/proc/self/environ', '../../../../etc/passwd'].map((path) => applyScenarioEdits(1, [{ kind: 'path', path }])),
    ];
    for (const text of cases) expect(checkScenarioFile(text)).toBe('errors');
  });
});

// A property test of your own over the emulator, in your own vitest suite: generated hosts,
// guests and interleavings (the campaign's arbitraries), your property beside the built-in ones,
// seeds and shrinking from fast-check. A failure says which property broke, the seed and path that
// reproduce it, and writes the shrunk run's trace for `xen-memsim replay`.
//
//   npx vitest run examples/emulator.prop.test.ts
import { expect, test } from 'vitest';
import { replayTrace, type ScenarioSpec } from 'xen-memsim';
import { assertEmulator, EmulatorPropertyError } from 'xen-memsim/testing';
import { emulatorTest } from 'xen-memsim/vitest';

const property = new URL('./running-domains-hold-no-claim.mjs', import.meta.url);
const greedy = new URL('./greedy-toolstack.mjs', import.meta.url);

// libxl-style builders (the campaign's) cancel what is left of their claim before a guest runs:
// the property holds on every generated scenario and schedule, with pokes, kills and xl creates.
emulatorTest('no running guest holds a claim, whatever the scenario and the interleaving', {
  properties: [property],
  constraints: { xen: '4.22', families: ['xl', 'kills'] },
  numRuns: 25,
});

test('the greedy toolstack is caught under every schedule, and the shrunk run replays exactly', async () => {
  const spec: ScenarioSpec = {
    host: { memoryMiB: 64, xen: '4.22', dom0MiB: 16 },
    actors: [
      { name: 'greedy', kind: 'greedy-toolstack', params: { name: 'guest', memoryMiB: 16 } },
      { name: 'other', kind: 'greedy-toolstack', params: { name: 'other', memoryMiB: 8 } },
    ],
    plugins: [greedy.href],
  };
  const error = await assertEmulator({ spec, properties: [property], numRuns: 10 }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EmulatorPropertyError);
  const e = error as EmulatorPropertyError;
  expect(e.failure.message).toMatch(/^running-domains-hold-no-claim: d[12] runs with \d+ pages still claimed$/);
  expect(e.message).toMatch(/reproduce the search: seed -?\d+, path "[\d:]*"/);
  expect((await replayTrace(e.trace)).reproduced).toBe(true);
});

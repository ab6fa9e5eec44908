// The campaign as a property in a user's suite (emulator-property.ts): the arbitraries draw valid
// hosts, a broken user property is reported with the shrunk case, its seed and path (which
// reproduce it) and a trace that replays, and bad property modules are refused with a message.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Hypervisor } from '../../hv/index.ts';
import { replayTrace } from '../../world/replay.ts';
import { pinnedSeed } from '../setup.ts';
import { assertEmulator, EmulatorPropertyError, hostArb, moduleUrl, propertiesOf, runCase } from './emulator-property.ts';
import { toScenarioSpec } from './scenario.ts';

const fixture = (file: string): URL => new URL(`../../world/test-plugins/${file}`, import.meta.url);

describe(`the emulator as a property in a user's suite (seed ${pinnedSeed})`, () => {
  test('hostArb draws hosts that boot, in the constraints given', () => {
    fc.assert(fc.property(hostArb({ xen: '4.13', nodesMax: 2 }), (h) => {
      expect(h.xen).toBe('4.13');
      expect(new Hypervisor(h).heap.nodes).toBeLessThanOrEqual(2);
    }), { numRuns: 30 });
  });

  test('a broken user property: the shrunk case, its seed and path, a trace that replays; the path reproduces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memsim-emuprop-'));
    try {
      const traceFile = join(dir, 'failure.jsonl');
      const e = await assertEmulator({ properties: [fixture('first-guest.ts')], numRuns: 50, seed: 7, traceFile }).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(EmulatorPropertyError);
      const err = e as EmulatorPropertyError;
      expect(err.failure.message).toMatch(/^no-guest-memory: d1 holds \d+ pages /);
      expect(err.seed).toBe(7);
      expect(err.message).toContain(`trace: ${traceFile}`);
      // Shrunk: one guest, no pokes (the property breaks at the first populated extent).
      expect('scenario' in err.counterexample && toScenarioSpec(err.counterexample.scenario).actors.length).toBe(1);
      const rep = await replayTrace(readFileSync(traceFile, 'utf8'));
      expect(rep.reproduced).toBe(true);
      const again = await assertEmulator({ properties: [fixture('first-guest.ts')], seed: 7, path: err.path, numRuns: 50 }).then(() => undefined, (x: unknown) => x);
      expect((again as EmulatorPropertyError).failure.message).toBe(err.failure.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runCase runs one case with the extra properties, the full checker and a trace', async () => {
    const spec = { host: { memoryMiB: 16, xen: '4.22' as const, dom0MiB: 4 }, actors: [{ name: 'a', kind: 'bare-actor', params: { pages: 256 } }], plugins: [fixture('bare-actor.ts').href] };
    const held = await runCase({ spec, choices: [] }, [fixture('mutation-attempts.ts')]);
    expect(held.failure).toBeUndefined();
    const broke = await runCase({ spec, choices: [] }, [fixture('first-guest.ts')]);
    expect(broke.failure?.message).toMatch(/^no-guest-memory: d1 holds 256 pages/);
    expect((await replayTrace(broke.trace)).reproduced).toBe(true);
  });

  test('a module that defines no property, or cannot be loaded, is refused naming it', async () => {
    await expect(assertEmulator({ properties: [fixture('bare-actor.ts')], numRuns: 1 })).rejects.toThrow(/bare-actor\.ts defines no property \(export what defineProperty returns\)/);
    await expect(assertEmulator({ properties: ['./no/such/module.mjs'], numRuns: 1 })).rejects.toThrow(/cannot load plugin module file:.*no\/such\/module\.mjs/);
    expect(await propertiesOf(fixture('first-guest.ts'))).toEqual(['never-breaks', 'no-guest-memory']);
    expect(moduleUrl('/abs/x.mjs')).toBe('file:///abs/x.mjs');
  });
});

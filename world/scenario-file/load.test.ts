import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinnedSeed } from '../../prop-tests/setup.ts';
import { parseJson, toValue } from './json.ts';
import { loadScenario, parseDuration, splitWords } from './load.ts';
import { runVariant } from './run.ts';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const examples = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json');
const read = (f: string) => readFileSync(join(SCENARIOS, f), 'utf8');

/** A minimal valid scenario, as text, with `patch` spliced in at the top level. */
const base = (extra = '') => `{
  "host": { "memory": 1024 },
  "guests": { "g": { "cfg": { "memory": 128 } } },
  "timeline": [ { "at": "1s", "actor": "xl-1", "xl": "create g.cfg" } ]${extra}
}
`;

describe('scenario files: the shipped examples', () => {
  it.each(examples)('%s loads', (f) => {
    const r = loadScenario(read(f), f, { readFile: (p) => readFileSync(join(SCENARIOS, p), 'utf8') });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each(examples.filter((f) => f !== 'demo.json'))('%s runs every variant to the end without a failure', async (f) => {
    const r = loadScenario(read(f), f);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    for (const v of r.scenario.variants) {
      const run = await runVariant(v);
      expect(run.failure).toBeUndefined();
      expect(run.commands.length).toBe(v.timeline.filter((t) => 'xl' in t).length);
      expect(run.commands.every((c) => c.status !== undefined)).toBe(true);
    }
  });

  it('check-then-act on 4.22: claim_mode=0 fails after populating, claim_mode=1 fails with nothing populated', async () => {
    const r = loadScenario(read('check-then-act-4.22.json'), 'x');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const [cm0, cm1] = await Promise.all(r.scenario.variants.map((v) => runVariant(v)));
    const failed = (run: typeof cm0) => run.commands.filter((c) => c.argv[0] === 'create' && c.status !== 0);
    expect(failed(cm0).some((c) => c.populatedPages > 0)).toBe(true);
    expect(failed(cm1).length).toBe(1);
    expect(failed(cm1)[0].populatedPages).toBe(0);
  });

  it('injected B6: the refused HVM creation has populated 0xa0 pages first; without it, none', async () => {
    const r = loadScenario(read('injected-bug-b6.json'), 'x');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const pops = [];
    for (const v of r.scenario.variants) pops.push((await runVariant(v)).commands.find((c) => c.argv[0] === 'create' && c.status !== 0)!.populatedPages);
    expect(pops).toEqual([0, 0xa0]);
  });

  it('a kill in the timeline is a recorded choice: the killed xl never reports a result', async () => {
    const r = loadScenario(base(`,\n  "//": "x",\n  "until": "5s"`).replace('"timeline": [', '"timeline": [ { "at": "1s", "kill": "xl-1" },'), 'k.json');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const run = await runVariant(r.scenario.variants[0]);
    expect(run.trace).toContain('"k":"kill","a":"xl-1"');
  });
});

describe('scenario files: a guest\'s surge', () => {
  it('becomes the memsim_surge_* keys of its config (host-clock ms, percent of memory, ramp ms)', () => {
    const r = loadScenario(base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "idle", "surge": { "at": "41s", "level": 0.9, "ramp": "2.5s" }'), 's.json');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.scenario.variants[0].files['g.cfg']).toMatch(/memsim_surge_at_ms=41000\nmemsim_surge_pct=90\nmemsim_surge_ramp_ms=2500\n/);
  });
});

describe('scenario files: errors name the file position', () => {
  const cases: Array<[string, string, string]> = [
    ['memory not a number', base().replace('"memory": 1024', '"memory": "lots"'), 'f.json:2:23: "memory" must be an integer in [4, 16777216] (MiB), got "lots"'],
    ['negative guest memory is xl\'s business, but a bad host memory is ours', base().replace('"memory": 1024', '"memory": -5'), 'f.json:2:23: "memory" must be an integer in [4, 16777216] (MiB), got -5'],
    ['unknown top-level key', base(',\n  "hots": {}'), 'f.json:5:3: unknown key "hots" in the scenario'],
    ['trailing comma', base().replace('"memory": 128 }', '"memory": 128, }'), 'f.json:3:46: trailing comma before "}"'],
    ['comment', '// hi\n{}', 'f.json:1:1: comments are not JSON'],
    ['unterminated string', '{ "host": { "memory": 1024 }, "name": "abc\n', 'f.json:1:43: unterminated string'],
    ['missing host', '{ "guests": {} }', 'f.json:1:1: missing "host"'],
    ['bad xen version', base().replace('"memory": 1024 }', '"memory": 1024, "xen": "4.4" }'), 'f.json:2:36: "xen" must be one of "4.3", "4.13", "4.21", "4.22", got "4.4"'],
    ['tmem on 4.22', base().replace('"memory": 1024 }', '"memory": 1024, "xen": "4.22", "tmem": true }'), 'f.json:2:52: "tmem" needs "xen": "4.3"'],
    ['bad duration', base().replace('"at": "1s"', '"at": "soon"'), 'f.json:4:25: "at" must be a duration'],
    ['unknown xl command', base().replace('"create g.cfg"', '"fly away"'), 'f.json:4:54: "xl": unknown xl command "fly"'],
    ['create of an undefined config', base().replace('"create g.cfg"', '"create h.cfg"'), 'f.json:4:54: "xl": create needs a guest config "h.cfg"'],
    ['xl without actor', base().replace('"actor": "xl-1", ', ''), 'f.json:4:17: an "xl" event needs an "actor"'],
    ['kill of an unknown actor', base().replace('"timeline": [', '"timeline": [ { "at": "2s", "kill": "nobody" },'), 'f.json:4:15: "kill": "nobody" is not an actor'],
    ['guest with both cfg and file', base().replace('"cfg": { "memory": 128 }', '"cfg": "memory=1", "file": "x.cfg"'), 'f.json:3:20: guest "g" needs exactly one of "cfg"'],
    ['unknown workload', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "busy"'), 'f.json:3:60: "workload" must be one of "idle", "steady", "bursty", "sawtooth", "spike", got "busy"'],
    ['surge without workload', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "surge": { "at": "3s", "level": 1 }'), 'f.json:3:20: guest "g": "tmem", "seed" and "surge" configure its kernel; give a "workload" too'],
    ['surge level not positive', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "idle", "surge": { "at": "3s", "level": 0 }'), 'f.json:3:100: "level" must be a number in (0, 64]'],
    ['surge without at', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "idle", "surge": { "level": 1 }'), 'f.json:3:77: "surge" needs "at"'],
    ['unknown bug', base().replace('"memory": 1024 }', '"memory": 1024, "inject": ["B99"] }'), 'f.json:2:40: unknown bug "B99"'],
    ['duplicate key', '{ "host": { "memory": 1024, "memory": 2 } }', 'f.json:1:29: duplicate key "memory" (first at 1:13)'],
    ['not an object', '[1, 2]', 'f.json:1:1: a scenario must be a JSON object, got an array'],
    ['empty file', '', 'f.json:1:1: expected a value, found end of file'],
    ['unknown monitor', base(',\n  "monitors": ["everything-fine"]'), 'f.json:5:16: unknown monitor "everything-fine"'],
    ['dom0 larger than the host', base().replace('"memory": 1024 }', '"memory": 1024, "dom0": { "memory": 2048 } }'), 'f.json:2:49: dom0\'s "memory" (2048 MiB) must be less than the host\'s (1024 MiB)'],
    ['xl.conf that does not parse', base(',\n  "xl.conf": "claim_mode=\\"1"'), 'f.json:5:14: "xl.conf" does not parse'],
    ['unreadable guest file', base().replace('"cfg": { "memory": 128 }', '"file": "nope.cfg"'), 'f.json:3:30: cannot read guest config file "nope.cfg"'],
  ];
  it.each(cases)('%s', (_what, text, expected) => {
    const r = loadScenario(text, 'f.json', { readFile: () => undefined });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toContain(expected);
  });

  it('a variant that overrides a key reports the variant\'s position', () => {
    const text = base(',\n  "variants": {\n    "a": {},\n    "b": { "host": { "memory": "x" } }\n  }');
    const r = loadScenario(text, 'f.json');
    expect(r.ok ? [] : r.errors).toEqual(['f.json:7:32: "memory" must be an integer in [4, 16777216] (MiB), got "x"']);
  });
});

describe(`scenario files: properties (seed: ${pinnedSeed})`, () => {
  it('the loader never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
      const r = loadScenario(text, 'p.json');
      expect(r.ok || r.errors.every((e) => /^p\.json(:\d+:\d+)?: /.test(e))).toBe(true);
    }));
  });

  it('the loader never throws on any JSON value, nor on a valid file with one character changed', () => {
    const valid = read('check-then-act-4.22.json');
    fc.assert(fc.property(fc.oneof(
      fc.json().map((j) => j),
      fc.tuple(fc.nat(valid.length - 1), fc.string({ minLength: 0, maxLength: 2 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
    ), (text) => {
      expect(() => loadScenario(text, 'p.json')).not.toThrow();
    }), { numRuns: 200 });
  });

  it('the JSON parser agrees with JSON.parse on every JSON text', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      const r = parseJson(text);
      expect(r.ok).toBe(true);
      if (r.ok) expect(toValue(r.node)).toEqual(JSON.parse(text));
    }));
  });

  it('the JSON parser rejects what JSON.parse rejects', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(parseJson(text).ok).toBe(valid);
    }));
  });
});

describe('scenario files: small parts', () => {
  it('durations', () => {
    expect([parseDuration('30s'), parseDuration('250ms'), parseDuration('2m'), parseDuration(1.5), parseDuration('x')]).toEqual([30e9, 250e6, 120e9, 1.5e9, undefined]);
  });
  it('xl command lines split like a shell would (quotes, no globbing)', () => {
    expect(splitWords(`create -q "my guest.cfg" memory=512`)).toEqual(['create', '-q', 'my guest.cfg', 'memory=512']);
    expect(splitWords(`create "open`)).toBe('unterminated " quote');
  });
});

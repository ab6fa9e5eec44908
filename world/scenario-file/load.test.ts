import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COSTS, HV_BUGS, HV_LIMITS, validateHypervisorOptions, XEN_VERSIONS } from '../../hv/index.ts';
import { WORKLOAD_KINDS } from '../../guests/workload.ts';
import { TOOLSTACK_BUGS } from '../../toolstack/bugs.ts';
import { GUEST_FILE_MAX_BYTES } from './files.ts';
import { SCENARIO_SCHEMA, schemasAt, type Schema } from './schema.ts';
import { pinnedSeed } from '../../prop-tests/setup.ts';
import { parseSource } from './source.ts';
import { loadScenario, NS_PER_SEC, parseDuration, SCENARIO_TIME_MAX_NS, splitWords } from './load.ts';
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
    const r = loadScenario(read(f), f, { baseDir: SCENARIOS });
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
    ['unterminated string (at its opening quote now; was at the line break)', '{ "host": { "memory": 1024 }, "name": "abc\n', 'f.json:1:39: unterminated string (a newline in a string must be written \\n)'],
    ['missing host', '{ "guests": {} }', 'f.json:1:1: missing "host"'],
    ['bad xen version', base().replace('"memory": 1024 }', '"memory": 1024, "xen": "4.4" }'), 'f.json:2:36: "xen" must be one of "4.3", "4.13", "4.21", "4.21.2", "4.22", "4.22+claim-sets", got "4.4"'],
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

describe('scenario files: every number has a range, every list a length (docs/limits.md)', () => {
  const at = (v: string) => base().replace('"at": "1s"', `"at": ${v}`);
  const cases: Array<[string, string, string]> = [
    ['a time past the limit, as a number ("at": 1e18 used to load and run forever)', at('1e18'), 'f.json:4:25: "at" must be a duration from 0 to 1h such as "30s", "250ms", "2m" or a number of seconds, got 1e18'],
    ['a time past the limit, as a string', at('"5000h"'), 'f.json:4:25: "at" must be a duration from 0 to 1h'],
    ['a time of absurd digits', at('"100000000000000000000s"'), 'f.json:4:25: "at" must be a duration'],
    ['a negative time', at('-1'), 'f.json:4:25: "at" must be a duration'],
    ['"until" past the limit', base(',\n  "until": 3601'), 'f.json:5:12: "until" must be a duration from 0 to 1h'],
    ['a surge ramp past the limit', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "idle", "surge": { "at": "3s", "level": 1, "ramp": "2h" }'), '"ramp" must be a duration from 0 to 1h'],
    ['a non-integer host memory', base().replace('"memory": 1024', '"memory": 1.5'), 'f.json:2:23: "memory" must be an integer in [4, 16777216] (MiB), got 1.5'],
    ['nodes out of range', base().replace('"memory": 1024', '"memory": 1024, "nodes": 200'), '"nodes" must be an integer in [1, 64], got 200'],
    ['cpus negative', base().replace('"memory": 1024', '"memory": 1024, "cpus": -1'), '"cpus" must be an integer in [1, 4096], got -1'],
    ['a negative cost', base().replace('"memory": 1024', '"memory": 1024, "costs": { "pagePopulateNs": -3 }'), '"pagePopulateNs" must be an integer in [0, 1000000] (virtual ns), got -3'],
    ['a seed past 2^31', base(',\n  "seed": 1e10'), 'f.json:5:11: "seed" must be an integer in [0, 2147483647], got 1e10'],
    ['a surge level of 10^9', base().replace('"cfg": { "memory": 128 }', '"cfg": { "memory": 128 }, "workload": "idle", "surge": { "at": "3s", "level": 1e9 }'), '"level" must be a number in (0, 64] (a multiple of the guest\'s memory), got 1e9'],
    ['a fractional xl.cfg number', base().replace('"memory": 128', '"memory": 1.5'), 'f.json:3:41: "memory" must be a string, a non-negative integer, true/false or a list of strings and integers, got 1.5'],
    ['a negative xl.cfg number', base().replace('"memory": 128', '"memory": -1'), 'f.json:3:41: "memory" must be a string, a non-negative integer'],
    ['a number beyond a double\'s range', '{ "host": { "memory": 1e999 } }', 'f.json:1:23: number 1e999 is out of range'],
    ['a timeline of 10,001 events', base().replace('"timeline": [ ', `"timeline": [ ${'{ "at": 0, "actor": "a", "xl": "list" }, '.repeat(10_000)}`), 'f.json:4:15: "timeline" has 10001 items; the limit is 10000 (docs/limits.md)'],
    ['65 guests', base().replace('"guests": { ', `"guests": { ${Array.from({ length: 64 }, (_, i) => `"h${i}": { "cfg": "" }, `).join('')}`), 'f.json:3:13: "guests" has 65 keys; the limit is 64 (docs/limits.md)'],
    ['65 timeline actors', base().replace('"timeline": [ ', `"timeline": [ ${Array.from({ length: 64 }, (_, i) => `{ "actor": "a${i}", "xl": "list" }, `).join('')}`), 'f.json:4:15: the timeline has 65 actors (xl processes); the limit is 64 (docs/limits.md)'],
    ['an xl command line of 5000 characters', base().replace('"create g.cfg"', `"${'list '.repeat(1000)}"`), 'f.json:4:54: "xl" is 5000 characters long; the limit is 4096 (docs/limits.md)'],
    ['an inline config of 70,000 characters', base().replace('"cfg": { "memory": 128 }', `"cfg": "${'x'.repeat(70_000)}"`), 'f.json:3:29: "cfg" is 70000 characters long; the limit is 65536 (docs/limits.md)'],
    ['an injected bug twice', base().replace('"memory": 1024', '"memory": 1024, "inject": ["B6", "B6"]'), 'f.json:2:39: "inject" lists "B6" more than once'],
    ['nesting 100 deep', `{ "x": ${'['.repeat(100)}${']'.repeat(100)} }`, 'f.json:1:71: nesting deeper than 64 levels'],
    ['a file of more than 4 MiB', `{ "//": "${'x'.repeat(4 * 1024 * 1024)}" }`, 'f.json: the file is 4194316 bytes; the limit is 4194304 (docs/limits.md)'],
  ];
  it.each(cases)('%s', (_what, text, expected) => {
    const r = loadScenario(text, 'f.json');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toContain(expected);
  });

  it('the limits themselves load: 10,000 events, 64 guests, times of exactly 1 h', () => {
    const text = base(',\n  "until": "1h"').replace('"at": "1s"', '"at": 3600')
      .replace('"guests": { ', `"guests": { ${Array.from({ length: 63 }, (_, i) => `"h${i}": { "cfg": "" }, `).join('')}`)
      .replace('"timeline": [ ', `"timeline": [ ${'{ "at": 0, "actor": "a", "xl": "list" }, '.repeat(9_999)}`);
    const r = loadScenario(text, 'f.json');
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) expect(r.scenario.variants[0].spec.untilNs).toBe(3600e9);
  });
});

describe('scenario files: guest config files are confined to the scenario\'s folder', () => {
  let dir: string;
  let outside: string;
  const scenario = (file: string) => base().replace('"cfg": { "memory": 128 }', `"file": ${JSON.stringify(file)}`);
  const load = (file: string, allowDirs?: string[]) => loadScenario(scenario(file), 'f.json', { baseDir: join(dir, 'sc'), ...(allowDirs === undefined ? {} : { allowDirs }) });
  const errors = (r: ReturnType<typeof load>) => (r.ok ? '' : r.errors.join('\n'));
  const SECRET = 'name="secret-do-not-echo"\nmemory=64\n';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'memsim-files-'));
    outside = join(dir, 'outside');
    mkdirSync(join(dir, 'sc', 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(dir, 'sc', 'g.cfg'), 'name="g"\nmemory=128\n');
    writeFileSync(join(dir, 'sc', 'sub', 'g.cfg'), 'name="g"\nmemory=128\n');
    writeFileSync(join(outside, 'secret.cfg'), SECRET);
    symlinkSync(join(outside, 'secret.cfg'), join(dir, 'sc', 'link.cfg'));
    symlinkSync(outside, join(dir, 'sc', 'linkdir'));
    writeFileSync(join(dir, 'sc', 'big.cfg'), 'x'.repeat(GUEST_FILE_MAX_BYTES + 1));
    writeFileSync(join(dir, 'sc', 'binary.cfg'), new Uint8Array([0x6e, 0x00, 0xff, 0xfe]));
    mkdirSync(join(dir, 'sc', 'adir.cfg'));
    execFileSync('mkfifo', [join(dir, 'sc', 'fifo.cfg')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file in the folder, or below it, is read', () => {
    for (const f of ['g.cfg', 'sub/g.cfg', './sub/../g.cfg']) {
      const r = load(f);
      expect(errors(r)).toBe('');
      if (r.ok) expect(r.scenario.variants[0].files['g.cfg']).toBe('name="g"\nmemory=128\n');
    }
  });

  it.each([
    ['an absolute path', '/etc/passwd', 'cannot read guest config file "/etc/passwd": absolute paths are refused'],
    ['a .. escape', '../../../../etc/passwd', 'cannot read guest config file "../../../../etc/passwd": it is outside the scenario\'s folder (run --allow-dir DIR'],
    ['/proc/self/environ', '/proc/self/environ', 'absolute paths are refused'],
    ['a .. escape to a sibling folder', '../outside/secret.cfg', 'it is outside the scenario\'s folder'],
    ['a symbolic link out of the folder', 'link.cfg', 'it is a symbolic link to a file outside the scenario\'s folder'],
    ['a file through a linked folder', 'linkdir/secret.cfg', 'it is a symbolic link to a file outside the scenario\'s folder'],
    ['a file over 64 KiB', 'big.cfg', `it is ${GUEST_FILE_MAX_BYTES + 1} bytes; the limit is ${GUEST_FILE_MAX_BYTES}`],
    ['a binary file', 'binary.cfg', 'not UTF-8 text'],
    ['a directory', 'adir.cfg', 'a directory'],
    ['a FIFO (reading it would hang)', 'fifo.cfg', 'a FIFO'],
    ['a missing file', 'nope.cfg', 'no such file'],
  ])('%s is refused, and nothing of it is echoed', (_what, file, expected) => {
    const r = load(file);
    expect(r.ok).toBe(false);
    expect(errors(r)).toContain(`f.json:3:30: ${expected.startsWith('cannot') ? expected : `cannot read guest config file ${JSON.stringify(file)}: ${expected}`}`);
    expect(errors(r)).not.toContain('secret-do-not-echo');
    expect(errors(r)).not.toContain('root:');
  });

  it('--allow-dir lets a folder in, but never /proc, /sys, /dev or a non-regular file', () => {
    expect(errors(load('../outside/secret.cfg', [outside]))).toBe('');
    expect(errors(load(join(outside, 'secret.cfg'), [outside]))).toBe('');
    expect(errors(load('link.cfg', [outside]))).toBe('');
    expect(errors(load('/proc/self/environ', ['/']))).toContain('cannot read guest config file "/proc/self/environ": files under /proc, /sys, /dev are refused');
    expect(errors(load('/dev/zero', ['/']))).toContain('files under /proc, /sys, /dev are refused');
    expect(errors(load('fifo.cfg', ['/']))).toContain('a FIFO');
  });

  it('without the scenario\'s folder, a guest file is refused', () => {
    const r = loadScenario(scenario('g.cfg'), 'f.json');
    expect(r.ok ? '' : r.errors.join('\n')).toContain('f.json:3:30: cannot read guest config file "g.cfg": guest files are read only from a scenario file\'s folder');
  });
});

describe('the schema is the authority, and agrees with the code\'s own tables', () => {
  const defs = SCENARIO_SCHEMA.$defs;
  it('xen versions, workloads, bugs and cost keys', () => {
    expect(defs.host.properties!.xen.enum).toEqual([...XEN_VERSIONS]);
    expect(defs.workload.enum).toEqual([...WORKLOAD_KINDS]);
    expect([...(defs.host.properties!.inject.items!.enum as string[])].sort()).toEqual([...Object.keys(HV_BUGS), ...Object.keys(TOOLSTACK_BUGS)].sort());
    expect(Object.keys(defs.host.properties!.costs.properties!).filter((k) => k !== 'description').sort()).toEqual(Object.keys(DEFAULT_COSTS).sort());
  });
  it('the host\'s numbers are the hypervisor\'s limits (hv/options.ts HV_LIMITS), and each edge is what validateHypervisorOptions says', () => {
    const h = defs.host.properties!;
    const range = (s: Schema) => [s.minimum, s.maximum];
    expect(range(h.memory)).toEqual([HV_LIMITS.memoryMiB.min, HV_LIMITS.memoryMiB.max]);
    expect(range(h.nodes)).toEqual([HV_LIMITS.nodes.min, HV_LIMITS.nodes.max]);
    expect(range(h.cpus)).toEqual([HV_LIMITS.nrCpus.min, HV_LIMITS.nrCpus.max]);
    const costs = h.costs.properties!;
    for (const k of Object.keys(DEFAULT_COSTS)) {
      const s = schemasAt(['host', 'costs', k]).find((x) => x.maximum !== undefined)!;
      expect(validateHypervisorOptions({ memoryMiB: 64, xen: '4.22', costs: { [k]: s.maximum } }), k).toEqual([]);
      expect(validateHypervisorOptions({ memoryMiB: 64, xen: '4.22', costs: { [k]: s.maximum! + 1 } }), k).not.toEqual([]);
      expect(validateHypervisorOptions({ memoryMiB: 64, xen: '4.22', costs: { [k]: s.minimum } }), k).toEqual([]);
      expect(validateHypervisorOptions({ memoryMiB: 64, xen: '4.22', costs: { [k]: s.minimum! - 1 } }), k).not.toEqual([]);
      expect(costs[k]).toBeDefined();
    }
  });
  it('the virtual-time limit is the duration\'s numeric maximum', () => {
    expect(SCENARIO_TIME_MAX_NS).toBe(3600 * NS_PER_SEC);
  });
  it('its own description says it is the authority', () => {
    expect(SCENARIO_SCHEMA.description).toContain('This schema is the authority');
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

  it('the JSON reader agrees with JSON.parse on every JSON text', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      const r = parseSource(text);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value).toEqual(JSON.parse(text));
    }));
  });

  it('the JSON reader rejects what JSON.parse rejects', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(parseSource(text).ok).toBe(valid);
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

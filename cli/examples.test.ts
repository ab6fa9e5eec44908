// Every example in examples/ runs as a user runs it: the scripts with node from the sources (tsx
// registered the way cli/bin.mjs does, so `xen-memsim` is the sources), the property modules
// through `xen-memsim check --property`, the scenario file through `xen-memsim run` and its trace
// through `replay`. The command line runs from the sources (cli/bin.mjs through tsx) where the
// loader matters — a .ts property module, which only a loader can import; for the .mjs examples
// it is the command line compiled once for the test run (cli/test-support/compiled-cli.ts, the
// default of runCli), which loads them as the installed package does, without tsx's start-up
// (~1.3 s of CPU) in front of each of seven runs (a refused replay of a .ts module's trace imports nothing). examples/emulator.prop.test.ts is a vitest file of
// its own. The installed package runs a few of them again from the tarball (package.test.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, STACK_FRAME } from './testing.ts';

const HOOKS = join(ROOT, 'workers', 'tsx-worker-hooks.mjs');
const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command line from the sources (cli/bin.mjs through tsx), not the test run's compiled one: for a .ts module. */
const FROM_SOURCES = { sources: true } as const;

/** `node examples/FILE`, from the repository's root. */
const example = (file: string) => runCli([], { command: { file: process.execPath, args: ['--import', HOOKS, join('examples', file)] } });

describe('examples/', () => {
  test('hypercall.mjs: a plain script boots a host and issues hypercalls', async () => {
    const r = await example('hypercall.mjs');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([
      'free_pages 196607: claim of 512 MiB for d1 → rc 0; for d2 → rc -12 (ENOMEM)',
      'outstanding_pages 131072, free_pages 196607 (a claim takes no page, it reserves them)',
      '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  test('own-actor.mjs: the greedy toolstack breaks the property on both transports; the real-thread trace replays exactly', async () => {
    const r = await example('own-actor.mjs');
    expect(r.stdout).toMatch(/^scheduled: {4}property failure: running-domains-hold-no-claim: d[12] runs with \d+ pages still claimed/m);
    expect(r.stdout).toMatch(/^real threads: property failure: running-domains-hold-no-claim: d[12] runs with \d+ pages still claimed/m);
    expect(r.stdout).toMatch(/^replay of the real-thread trace: reproduced exactly$/m);
    expect(r.status).toBe(0);
  });

  test('campaign.mjs: a programmatic campaign with the property beside the built-ins finds a 4.21 claim bug (B1\'s leak or B3\'s window), shrunk, replayable', async () => {
    const r = await example('campaign.mjs');
    expect(r.stdout).toMatch(/^found after \d+ runs \(\w+ schedule\): property: (no-leaked-claims|claim-backed|claims-within-available|claim-rules|claim-accounting): /m);
    expect(r.stdout).toMatch(/^properties: .*claim-guarantee-tmem, .*running-domains-hold-no-claim$/m);
    expect(r.stdout).toMatch(/^replay: reproduced exactly$/m);
    expect(r.status).toBe(0);
  });

  test('running-domains-hold-no-claim.mjs under `check --property`: holds for the campaign\'s builders (exit 0)', async () => {
    const r = await runCli(['check', '--property', 'examples/running-domains-hold-no-claim.mjs', '--family', 'xl', '--runs', '60']);
    expect(r.stdout).toMatch(/^check: no failure in 60 runs /);
    expect(r.status).toBe(0);
  });

  test('a property that breaks: `check --property` exit 1, the property named, shrunk, and its replay file reproduces it', async () => {
    const out = join(dir, 'broken.jsonl');
    const r = await runCli(['check', '--property', 'world/test-plugins/first-guest.ts', '--runs', '40', '--shrink-time', '5', '--out', out], FROM_SOURCES);
    expect(r.stdout).toMatch(/^ {2}property: no-guest-memory: d1 holds \d+ pages /m);
    expect(r.stdout).toMatch(/^reproduce the campaign: xen-memsim check .* --property world\/test-plugins\/first-guest\.ts --runs 40$/m);
    expect(r.status).toBe(1);
    // The replay file names the module; replay imports it only when allowed, as the line printed says.
    expect(r.stdout).toContain(`(xen-memsim replay ${out} --plugin world/test-plugins/first-guest.ts)`);
    const refused = await runCli(['replay', out]);
    expect(refused.stderr).toMatch(/the trace names a plugin module this replay may not import: \S*\/world\/test-plugins\/first-guest\.ts\. .*--plugin \S*\/world\/test-plugins\/first-guest\.ts /);
    expect(refused.stderr).not.toMatch(STACK_FRAME);
    expect(refused.status).toBe(2);
    const rep = await runCli(['replay', out, '--plugin', 'world/test-plugins/first-guest.ts'], FROM_SOURCES);
    expect(rep.stdout).toMatch(/^replay reproduced the run exactly/);
    expect(rep.stdout).toMatch(/the recorded failure reproduced: no-guest-memory: /);
    expect(rep.status).toBe(0);
  });

  test('`check --property` with a module that cannot be loaded, or defines no property: exit 2, saying which', async () => {
    const missing = await runCli(['check', '--property', 'examples/no-such.mjs', '--runs', '1']);
    expect(missing.stderr).toMatch(/^xen-memsim check: --property: cannot load plugin module file:.*examples\/no-such\.mjs: /m);
    expect(missing.stderr).not.toMatch(STACK_FRAME);
    expect(missing.status).toBe(2);
    const none = await runCli(['check', '--property', 'examples/greedy-toolstack.mjs', '--runs', '1']);
    expect(none.stderr).toMatch(/--property: file:.*greedy-toolstack\.mjs defines no property \(export what defineProperty returns\)/);
    expect(none.status).toBe(2);
  });

  test('greedy-toolstack.json under `run`: the actor and the property from the file, exit 1 named; the trace replays', async () => {
    const trace = join(dir, 'greedy.jsonl');
    const r = await runCli(['run', 'examples/greedy-toolstack.json', '--trace', trace]);
    expect(r.stdout).toMatch(/xl-1\$ xl create web\.cfg {3}\(exit 0\)/);
    expect(r.stdout).toMatch(/-- greedy-toolstack: FAILED \(property\): running-domains-hold-no-claim: d2 runs with 4096 pages still claimed;/);
    expect(r.status).toBe(1);
    const plugins = ['--plugin', 'examples/running-domains-hold-no-claim.mjs', '--plugin', 'examples/greedy-toolstack.mjs'];
    expect(r.stdout).toContain(`trace written to ${trace} (xen-memsim replay ${trace} ${plugins.join(' ')})`);
    const rep = await runCli(['replay', trace, ...plugins]);
    expect(rep.stdout).toMatch(/^replay reproduced the run exactly/);
    expect(rep.status).toBe(0);
    // Allowing one of the two is not enough: the other is named.
    const half = await runCli(['report', trace, '--out', join(dir, 'greedy.html'), ...plugins.slice(0, 2)]);
    expect(half.stderr).toMatch(/may not import: \S*\/examples\/greedy-toolstack\.mjs\. /);
    expect(half.status).toBe(2);
  });
});

// The package as its users get it: `npm pack` (which builds dist/ through "prepare"), the tarball
// installed into an empty temporary project (its dependencies from the npm cache or registry),
// and there — with no TypeScript loader anywhere — the command line, a plain .mjs using the
// library, a .ts consumer type-checked with tsc, user properties through `check --property`, and
// a user actor on real threads whose trace replays exactly. One of the slower tests: each step is
// one child process, bounded by a timeout, and nothing here measures time.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** Every step's bound: a loaded 2-core machine builds and installs in well under this. */
const STEP_MS = 480_000;

let dir: string;
let consumer: string;
let packed: { filename: string; files: Array<{ path: string }> };

/** Runs a command; the child sees neither the test run's seed nor npm's script environment. */
function sh(file: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'XEN_MEMSIM_SEED' && !k.startsWith('npm_') && k !== 'NODE_OPTIONS'));
  return spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout: STEP_MS, maxBuffer: 64 * 1024 * 1024 });
}
const npm = (args: readonly string[], cwd: string) => sh('npm', args, cwd);
const npx = (args: readonly string[]) => sh('npx', ['--no-install', 'xen-memsim', ...args], consumer);
/**
 * The installed command itself (node_modules/.bin/xen-memsim, the link npx runs): for the steps
 * after the npx test, without npm's own start-up (~1 s of CPU) in front of each one.
 */
const bin = (args: readonly string[]) => sh(join(consumer, 'node_modules', '.bin', 'xen-memsim'), args, consumer);
const node = (args: readonly string[]) => sh(process.execPath, args, consumer);
const output = (r: SpawnSyncReturns<string>): string => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xen-memsim-pack-'));
  const pack = npm(['pack', '--json', '--pack-destination', dir], ROOT);
  expect(pack.status, output(pack)).toBe(0);
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<typeof packed>)[0];
  consumer = join(dir, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  const install = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)], consumer);
  expect(install.status, output(install)).toBe(0);
}, 2 * STEP_MS);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the installed package (npm pack → npm install in an empty project)', () => {
  test('ships the build, its assets and examples — no sources, tests or TypeScript loader', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['dist/api/index.js', 'dist/api/index.d.ts', 'dist/cli/xen-memsim.js', 'dist/workers/hv-worker.js', 'report/page/report.js', 'scenarios/demo.json', 'scenarios/scenario.schema.json', 'examples/greedy-toolstack.mjs', 'CHANGELOG.md', 'README.md']) {
      expect(files).toContain(f);
    }
    // examples/ ships as it is (its vitest file included: a user's own property test).
    expect(files.filter((f) => !f.startsWith('examples/') && /\.test\.|(^|\/)test-plugins\/|(^|\/)fixtures\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('examples/'))).toEqual([]);
    expect(existsSync(join(consumer, 'node_modules', 'tsx'))).toBe(false);
  });

  test('npx xen-memsim --version and demo --help', () => {
    const v = npx(['--version']);
    expect(v.stdout, output(v)).toBe(`${PKG.version}\n`);
    expect(v.status).toBe(0);
    const h = npx(['demo', '--help']);
    expect(h.stdout, output(h)).toMatch(/^usage: xen-memsim demo /);
    expect(h.status).toBe(0);
  }, STEP_MS);

  test('a plain .mjs imports the library and runs hypercalls', () => {
    copyFileSync(join(ROOT, 'examples', 'hypercall.mjs'), join(consumer, 'hypercall.mjs'));
    const r = node(['hypercall.mjs']);
    expect(r.stdout, output(r)).toMatch(/^free_pages \d+: claim of 512 MiB for d1 → rc 0; for d2 → rc -12 \(ENOMEM\)$/m);
    expect(r.status).toBe(0);
  }, STEP_MS);

  test('a .ts consumer type-checks with tsc --noEmit against the shipped .d.ts', () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], skipLibCheck: true,
      },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER_TS);
    const r = node([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(output(r)).not.toMatch(/error TS/);
    expect(r.status).toBe(0);
  }, STEP_MS);

  test('check --property: a property that breaks is found (exit 1, named) and its trace replays; a harmless one is not (exit 0)', () => {
    writeFileSync(join(consumer, 'half-the-host.mjs'), HALF_THE_HOST);
    const broken = bin(['check', '--property', 'half-the-host.mjs', '--runs', '40', '--shrink-time', '3', '--out', 'failure.jsonl']);
    expect(broken.stdout, output(broken)).toMatch(/^ {2}property: no-guest-over-half-the-host: d\d+ holds \d+ of the host's \d+ pages$/m);
    expect(broken.status).toBe(1);
    expect(broken.stdout, output(broken)).toContain('(xen-memsim replay failure.jsonl --plugin half-the-host.mjs)');
    const refused = bin(['replay', 'failure.jsonl']);
    expect(refused.stderr, output(refused)).toMatch(/may not import: \S*half-the-host\.mjs\. /);
    expect(refused.status).toBe(2);
    const replay = bin(['replay', 'failure.jsonl', '--plugin', 'half-the-host.mjs']);
    expect(replay.stdout, output(replay)).toMatch(/^replay reproduced the run exactly/);
    expect(replay.status).toBe(0);
    copyFileSync(join(ROOT, 'examples', 'running-domains-hold-no-claim.mjs'), join(consumer, 'no-claim.mjs'));
    const harmless = bin(['check', '--property', 'no-claim.mjs', '--runs', '40']);
    expect(harmless.stdout, output(harmless)).toMatch(/^check: no failure in 40 runs /);
    expect(harmless.status).toBe(0);
  }, 3 * STEP_MS);

  test('a user actor runs on --threads (compiled workers, no loader) and its trace replays exactly', () => {
    for (const f of ['greedy-toolstack.json', 'greedy-toolstack.mjs', 'running-domains-hold-no-claim.mjs']) copyFileSync(join(ROOT, 'examples', f), join(consumer, f));
    const run = bin(['run', 'greedy-toolstack.json', '--threads', '--trace', 'greedy.jsonl']);
    expect(run.stdout, output(run)).toMatch(/-- greedy-toolstack: FAILED \(property\): running-domains-hold-no-claim: d\d runs with 4096 pages still claimed; .* threads, hash /);
    expect(run.status).toBe(1);
    const replay = bin(['replay', 'greedy.jsonl', '--plugin', 'greedy-toolstack.mjs', '--plugin', 'running-domains-hold-no-claim.mjs']);
    expect(replay.stdout, output(replay)).toMatch(/^replay reproduced the run exactly/);
    expect(replay.status).toBe(0);
  }, 2 * STEP_MS);
});

/** A property that breaks on the campaign's scenarios: their guests take up to all of a tiny host. */
const HALF_THE_HOST = `import { defineProperty } from 'xen-memsim';

export default defineProperty({
  name: 'no-guest-over-half-the-host',
  check(view) {
    const { total_pages } = view.physinfo();
    const big = view.domains().find((d) => d.domain !== 0 && d.tot_pages > total_pages / 2);
    return big === undefined ? undefined : \`d\${big.domain} holds \${big.tot_pages} of the host's \${total_pages} pages\`;
  },
});
`;

/** A TypeScript consumer of every entry but xen-memsim/vitest (vitest is an optional peer). */
const CONSUMER_TS = `import {
  defineActor, defineProperty, Hypervisor, replayTrace, runScheduled, SeededRandom, VERSION, XEN_DOMINF, ENOMEM,
  type HypercallPort, type PropertyView, type ScenarioSpec, type XenDomctlGetdomaininfo,
} from 'xen-memsim';
import { runCampaign, type CampaignOptions } from 'xen-memsim/campaign';
import { collectFromTrace, writeReport } from 'xen-memsim/report';
import { assertEmulator, hostArb, scheduleArb, type EmulatorCase } from 'xen-memsim/testing';

const hv = new Hypervisor({ memoryMiB: 64, xen: '4.22' });
const info = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {});
const rc: number = info.rc;

export const prop = defineProperty({
  name: 'typed',
  check(view: PropertyView) {
    const d: readonly XenDomctlGetdomaininfo[] = view.domains();
    // @ts-expect-error the view is read-only
    view.physinfo().free_pages = 0;
    return d.some((x) => (x.flags & XEN_DOMINF.dying) !== 0) ? 'a domain is dying' : undefined;
  },
});

export const actor = defineActor({
  name: 'typed-actor',
  async run(port: HypercallPort, params: Record<string, unknown>) {
    const r = await port.hypercall('XEN_DOMCTL_createdomain', { name: String(params.name ?? 'x') });
    if (r.rc === -ENOMEM) port.note('no memory');
    await port.sleep(1_000);
  },
});

const spec: ScenarioSpec = { host: { memoryMiB: 16 }, actors: [{ name: 'a', kind: 'typed-actor' }] };
const options: CampaignOptions = { xen: '4.22', inject: [], seed: 1, runs: 1 };
export async function all(): Promise<void> {
  const run = await runScheduled(spec, new SeededRandom(1));
  const rep = await replayTrace(run.owner.trace.toJsonl());
  await writeReport(await collectFromTrace(run.owner.trace.toJsonl()), 'r.html');
  await runCampaign(options);
  await assertEmulator({ numRuns: 1 });
  const c: EmulatorCase = { spec, choices: [] };
  console.log(rc, rep.reproduced, VERSION, hostArb(), scheduleArb(), c);
}
`;

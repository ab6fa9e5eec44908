// Hostile command lines: random argv — every command's flags, unknown flags, bad numbers,
// missing values, weird paths — fed to the real CLI in a child process. Whatever comes in, the
// answer is exit 0, 1 or 2 (2 with a message on stderr), never a stack trace, an internal
// error, a signal death or a hang. Runs are bounded: check gets `--runs 1 --shrink-time 1` last,
// demo an unwritable --out (refused before it runs), bench an unknown flag.

import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pinnedSeed } from '../prop-tests/setup.ts';
import { runCli, spawnCli, STACK_FRAME, type Ended } from './testing.ts';

const LONG = process.env.XEN_MEMSIM_LONG === '1';
/** Command lines per property run; they run side by side. */
const BATCH = 3;

let dir: string;
let paths: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xen-memsim-argv-'));
  const tiny = join(dir, 'tiny.json');
  writeFileSync(tiny, JSON.stringify({
    name: 'tiny', host: { memory: 64, xen: '4.22', dom0: { memory: 16 } }, guests: { g: { cfg: { memory: 8 } } },
    timeline: [{ at: '0s', actor: 'admin', xl: 'create -q g.cfg' }],
  }));
  writeFileSync(join(dir, 'script.xl'), 'xl info total_memory\nsleep 1\nxl list\n');
  const trace = join(dir, 'tiny.jsonl');
  expect((await runCli(['run', tiny, '--trace', trace], { cwd: dir })).status).toBe(0);
  paths = [tiny, trace, join(dir, 'script.xl'), dir, join(dir, 'out.jsonl'), join(dir, 'out.html'), join(dir, 'no', 'x.html'),
    '/dev/null', '/dev/zero', '/proc/x', '/nonexistent/x.jsonl', '/etc/passwd/x', 'a b', 'é😀.json', '-', '.'];
}, 60_000);

const COMMANDS = ['demo', 'shell', 'run', 'check', 'merge', 'replay', 'report', 'bench'] as const;
const FLAGS = [
  '--xen', '--seed', '--inject', '--memory', '--host-mib', '--nodes', '--threads', '--out', '--trace', '--report', '--perfetto',
  '--policy', '--variant', '--guest-mib', '--claim-mode', '--runs', '--time', '--strategy', '--no-pokes', '--ignore',
  '--shrink-time', '--family', '--shard', '--results', '--xl-conf', '--quick', '--help', '-h', '--version', '--colour', '--xen-version', '-x', '--', '--runs=1', '--memory=',
];
const VALUES = [
  '0', '1', '2', '3', '64', '65', '200', '-1', '1e3', '1.5', '0x10', '99999999999', '4294967296', '', ' ',
  '4.22', '4.3', '5.0', 'B1', 'B99', 'b1', 'B1,B2', 'xl,tmem', 'tmm', 'no-leaked-claims', 'not-a-property',
  'pct:1:3', 'pct:1:1000000000', 'random:5', 'arrival', 'dfs', 'random,pct', '1/2', '3/2', '0/0', 'claim_mode=1', 'x'.repeat(300),
];

const token = (): fc.Arbitrary<string> => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: paths.length - 1 }).map((i) => paths[i]) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

/** The bounds that keep every run short, appended last (they win: the last value of a flag does). */
const BOUNDS: Record<string, string[]> = {
  check: ['--runs', '1', '--shrink-time', '1'],
  demo: ['--out', '/proc/x'],
  bench: ['--no-such-flag'],
};

const argvArb = (): fc.Arbitrary<string[]> => fc.tuple(
  fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: fc.constantFrom('chek', '', '--version', '--help', 'help') }),
  fc.array(token(), { maxLength: 6 }),
).map(([cmd, rest]) => [cmd, ...rest, ...(BOUNDS[cmd] ?? [])]);

function judge(argv: readonly string[], r: Ended): void {
  const what = JSON.stringify(argv);
  expect(r.signal, what).toBeNull();
  expect([0, 1, 2], `${what} → ${r.status}\n${r.stderr}`).toContain(r.status);
  if (r.status === 2) expect(r.stderr.trim(), what).not.toBe('');
  for (const s of [r.stdout, r.stderr]) {
    expect(s, what).not.toMatch(STACK_FRAME);
    expect(s, what).not.toMatch(/internal error|Node\.js v\d/);
  }
}

/** A hang is a run still going after this long (kill it, fail). */
const HANG_MS = 120_000;

async function run(argv: readonly string[]): Promise<Ended> {
  const p = spawnCli(argv, { cwd: dir, input: '' });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), HANG_MS);
  try {
    return await p.ended;
  } finally {
    clearTimeout(timer);
  }
}

describe(`random argv to every command: 0, 1 or 2 with a message, never a stack trace or a hang (seed: ${pinnedSeed})`, () => {
  it('holds for random command lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(argvArb(), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const ended = await Promise.all(batch.map(run));
        batch.forEach((argv, i) => judge(argv, ended[i]));
      }),
      { numRuns: LONG ? 40 : 6, endOnFailure: true },
    );
  }, LONG ? 3_600_000 : 600_000);
});

// The command line as a user meets it: `node cli/bin.mjs …` in a child process, judged by its
// exit status, stdout and stderr. Each bad input, unwritable output, closed pipe and signal
// here once ended in a stack trace, a hang, a silent success or a lost result (issue 17).

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helpText } from './args/command.ts';
import { runCli, spawnCli, STACK_FRAME } from './testing.ts';
import { VERSION } from './main.ts';

let dir: string;
let tiny: string;
let trace: string;

const TINY = {
  name: 'tiny',
  host: { memory: 64, xen: '4.22', dom0: { memory: 16 } },
  guests: { g: { cfg: { memory: 8 } } },
  timeline: [{ at: '0s', actor: 'admin', xl: 'create -q g.cfg' }, { at: '1s', actor: 'admin', xl: 'list' }],
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xen-memsim-cli-'));
  tiny = join(dir, 'tiny.json');
  trace = join(dir, 'tiny.jsonl');
  writeFileSync(tiny, JSON.stringify(TINY));
  const r = await runCli(['run', tiny, '--trace', trace]);
  expect(r.status).toBe(0);
}, 180_000);

/** A usage error: exit 2, the message on stderr, no stack trace, nothing on stdout. */
function usageError(r: { status: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(2);
}

describe('every number is checked where it enters, with the model\'s limits', () => {
  it('check --nodes 200: exit 2 naming the range (a stack trace)', async () => {
    usageError(await runCli(['check', '--nodes', '200']), /^xen-memsim check: --nodes must be a whole number in 1\.\.64 \(got "200"\)\nusage: xen-memsim check/);
  });

  it('check --jobs: 1..64, not with --threads, and shards × jobs within the shard limit', async () => {
    usageError(await runCli(['check', '--jobs', '65']), /^xen-memsim check: --jobs must be a whole number in 1\.\.64 \(got "65"\)\nusage: xen-memsim check/);
    usageError(await runCli(['check', '--jobs', '2', '--threads']), /^xen-memsim check: option '--jobs <N>' cannot be used with option '--threads'\n/);
    usageError(await runCli(['check', '--jobs', '2', '--shard', '1/4096']), /^xen-memsim check: --jobs: 4096 shards of 2 jobs each make more than 4096 shards/);
  });

  it('check --jobs 2 --runs 60: the campaign on two threads, no failure on 4.22', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-jobs-'));
    const r = await runCli(['check', '--xen', '4.22', '--jobs', '2', '--runs', '60', '--out', join(dir, 'f.jsonl')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^check: Xen 4\.22, claim_mode=per toolstack, seed \d+, 60 runs, 2 jobs$/m);
    expect(r.stdout).toMatch(/^check: no failure in 60 runs \(/);
  });

  it('shell --memory 99999999999: exit 2 (a stack trace)', async () => {
    usageError(await runCli(['shell', '--memory', '99999999999']), /^xen-memsim shell: --memory must be a whole number in 4\.\.\d+ MiB \(got "99999999999"\)/);
  });

  it('run --policy pct:1:1000000000: refused before the run (V8 ran out of memory)', async () => {
    usageError(await runCli(['run', tiny, '--policy', 'pct:1:1000000000']), /--policy: schedule policy "pct:1:1000000000": DEPTH must be in 1\.\.100/);
  });
});

describe('unknown options and names are refused with a suggestion', () => {
  it('a bare --inject is refused (it was accepted silently)', async () => {
    usageError(await runCli(['check', '--runs', '1', '--inject']), /--inject <BUG\.\.\.>' argument missing/);
  });

  it('--ignore not-a-property lists the properties (it was accepted silently)', async () => {
    usageError(await runCli(['check', '--ignore', 'not-a-property']), /--ignore: unknown property "not-a-property"; known: .*no-leaked-claims/);
  });

  it('a mistyped command gets a "did you mean"', async () => {
    const cmd = await runCli(['chek']);
    expect(cmd.stderr).toBe("xen-memsim: unknown command 'chek' (did you mean check?)\n(xen-memsim --help lists the commands)\n");
    expect(cmd.status).toBe(2);
  });
});

describe('help and --version come from the same definitions', () => {
  it('--version prints package.json\'s version', async () => {
    const r = await runCli(['--version']);
    expect(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version).toBe(VERSION);
    expect(r).toMatchObject({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('check --help prints the help generated from its definition', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toBe(helpText((await import('./commands/check.ts')).CHECK).replace(/\s+/g, ' '));
  });
});

describe('outputs are checked before a long run starts; results are written as they exist', () => {
  it('run --trace /proc/x.jsonl: refused before anything runs (it crashed after the run)', async () => {
    usageError(await runCli(['run', tiny, '--trace', '/proc/x.jsonl']), /^xen-memsim run: --trace: cannot create \/proc\/x\.jsonl/);
    usageError(await runCli(['run', tiny, '--report', join(dir, 'none', 'r.html')]), /--report: cannot create .*does not exist/);
  });

  it('report --out /nonexistent/x.html: refused, and the folder is not created', async () => {
    const missing = join(dir, 'nonexistent');
    const r = await runCli(['report', trace, '--out', join(missing, 'x.html')]);
    expect(r.stderr).toMatch(/cannot create .*x\.html: the folder .*nonexistent does not exist \(create it first\)/);
    expect(r.status).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  it('a write that fails after the run (a full disk: /dev/full) is named, exit 1, the transcript kept', async () => {
    const r = await runCli(['run', tiny, '--trace', '/dev/full']);
    expect(r.stdout).toMatch(/-- tiny: completed/);
    expect(r.stderr).toMatch(/xen-memsim run: cannot write \/dev\/full: no space left on the device/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(1);
  });

  it('demo --out /proc/x: refused at once (it spun)', async () => {
    usageError(await runCli(['demo', '--out', '/proc/x']), /^xen-memsim demo: --out: cannot create \/proc\/x/);
  });

  it('an endless input device is refused at its size limit (it filled memory)', async () => {
    const r = await runCli(['shell', '/dev/zero']);
    expect(r.stderr).toBe('xen-memsim shell: /dev/zero is larger than the limit of 16 MiB\n');
    expect(r.status).toBe(2);
  });
});

describe('a closed pipe ends a command quietly', () => {
  it('shell output piped into `head` that exits: status 141, no EPIPE stack trace', async () => {
    const script = join(dir, 'many.xl');
    writeFileSync(script, 'help\n'.repeat(20_000));
    const p = spawnCli(['shell', script]);
    await p.waitFor('stdout', /xl shell/);
    p.child.stdout!.destroy(); // as `head` does when it has read enough
    const r = await p.ended;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(141);
  });
});

describe('signals end every long command cleanly', () => {
  it('Ctrl-C on check prints the runs so far, the seed and the command that repeats them; exit 130', async () => {
    const out = join(dir, 'never.jsonl');
    const p = spawnCli(['check', '--time', '3600', '--out', out]);
    await p.waitFor('stderr', /^check: Xen 4\.22, claim_mode=per toolstack, seed 20131119, 3600 s\n/);
    p.child.kill('SIGINT');
    const r = await p.ended;
    expect(r.stdout).toMatch(/^check: interrupted after (\d+) runs \([\d.]+ s, Xen 4\.22, claim_mode=per toolstack, seed 20131119\): no failure so far\n  repeat these runs: xen-memsim check --xen 4\.22 --seed 20131119 --runs \1\n/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(130);
    expect(existsSync(out)).toBe(false);
  }, 180_000);

  it('Ctrl-C while check shrinks: the failure found is reported and its replay file is already written', async () => {
    const out = join(dir, 'b1.jsonl');
    const p = spawnCli(['check', '--xen', '4.21', '--seed', '1', '--shrink-time', '3600', '--out', out]);
    await p.waitFor('stderr', /failure found after \d+ runs \(property\); its replay file is .*b1\.jsonl; shrinking it/);
    p.child.kill('SIGINT');
    const r = await p.ended;
    expect(r.status).toBe(130);
    const runs = /check: interrupted while shrinking .*a FAILURE was found after (\d+) runs/.exec(r.stdout)?.[1];
    expect(runs).toBeDefined();
    // 4.21's claim bugs: B1's leak or B3's window, whichever the portfolio's first slots meet first.
    const property = /\n {2}property: (no-leaked-claims|claim-backed|claims-within-available|claim-rules|claim-accounting): /.exec(r.stdout)?.[1];
    expect(property).toBeDefined();
    expect(r.stdout).toContain(`replay file (unshrunk): ${out}`);
    expect(r.stdout).toContain(`find it again: xen-memsim check --xen 4.21 --seed 1 --runs ${runs}`);
    const replay = await runCli(['replay', out]);
    expect(replay.stdout).toMatch(/^replay reproduced the run exactly: .*\n  the recorded failure reproduced: ([a-z-]+)/);
    expect(/the recorded failure reproduced: ([a-z-]+)/.exec(replay.stdout)?.[1]).toBe(property);
    expect(replay.status).toBe(0);
  }, 180_000);

  it('SIGTERM on a real-thread check: exit 143 with the summary, no stack trace (the worker threads end with the process)', async () => {
    // From the sources: each worker thread registers tsx's hooks there, and they end with the process too.
    const p = spawnCli(['check', '--threads', '--runs', '1000', '--out', join(dir, 'threads.jsonl')], { sources: true });
    await p.waitFor('stderr', /on real threads\n/);
    p.child.kill('SIGTERM');
    const r = await p.ended;
    expect(r.stdout).toMatch(/^check: interrupted after \d+ real-thread runs/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(143);
  }, 180_000);

  it('Ctrl-C on a run: what was written so far is named, exit 130', async () => {
    const slow = join(dir, 'slow.json');
    writeFileSync(slow, JSON.stringify({
      ...TINY, name: 'slow',
      guests: { g: { cfg: { builder: 'hvm', memory: 32 }, workload: 'bursty' } },
      timeline: [{ at: '0s', actor: 'admin', xl: 'create -q g.cfg' }, { at: '3000s', actor: 'admin', xl: 'list' }],
    }));
    const p = spawnCli(['run', slow]);
    await p.waitFor('stdout', /== slow/);
    p.child.kill('SIGINT');
    const r = await p.ended;
    expect(r.stderr).toMatch(/xen-memsim run: interrupted during slow/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(130);
  }, 180_000);
});

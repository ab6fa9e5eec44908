// `xen-memsim bench [--quick]`: runs every bench/*.bench.ts script, one after another, each in
// its own child process (node --import tsx; hv-scale with --expose-gc so its memory figures are
// honest — not the others, whose worker threads refuse that flag), and
// prints each script's table — every figure already carries its ratio to the comparison the
// script measured in the same run — followed by a summary of what ran and how long it took.
// Exit 0 when every script succeeded, 1 otherwise; interrupted, it ends the running script too.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../report/package-files.ts';
import type { ChildProcess } from 'node:child_process';
import { onInterrupt } from '../lifecycle.ts';
import { parseCommand, switchFlag } from '../args/command.ts';

export const BENCH = {
  name: 'bench',
  summary: 'run every benchmark and print figures with their ratios',
  flags: { quick: switchFlag('--quick', 'smaller samples (channel: fewer calls, one round; campaign: two seeds)') },
  more: 'Runs bench/*.bench.ts sequentially, each in a child process; a full run takes a few minutes.\n',
} as const;

/** The script running now, ended with the command when it is interrupted. */
let running: ChildProcess | undefined;

/** The benchmarks are TypeScript sources of the repository (run through tsx): not in the installed package. */
const ROOT = PACKAGE_ROOT;
const BENCH_DIR = join(ROOT, 'bench');

/** Per-script arguments and environment: default and --quick. */
const SETTINGS: Readonly<Record<string, { args: string[]; quickArgs: string[]; nodeFlags?: string[]; env?: Record<string, string>; quickEnv?: Record<string, string> }>> = {
  'channel.bench.ts': { args: ['--calls=3000', '--rounds=2'], quickArgs: ['--calls=800', '--rounds=1'] },
  'demo.bench.ts': { args: [], quickArgs: [] },
  'campaign.bench.ts': { args: [], quickArgs: [], env: { BENCH_SEEDS: '1,2,3' }, quickEnv: { BENCH_SEEDS: '1,2' } },
  'hv-scale.bench.ts': { args: [], quickArgs: [], nodeFlags: ['--expose-gc'] },
  'world.bench.ts': { args: [], quickArgs: ['--quick'] },
};

interface ScriptRun {
  script: string;
  status: number | null;
  wallMs: number;
}

function runScript(script: string, quick: boolean): Promise<ScriptRun> {
  const s = SETTINGS[script] ?? { args: [], quickArgs: [] };
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(s.nodeFlags ?? []), '--import', 'tsx', join(BENCH_DIR, script), ...(quick ? s.quickArgs : s.args)], {
      cwd: ROOT,
      env: { ...process.env, ...((quick ? s.quickEnv ?? s.env : s.env) ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    child.stdout.on('data', (d: Buffer) => process.stdout.write(d.toString().replace(/^(?=.)/gm, '  ')));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d.toString()));
    child.on('close', (status) => {
      running = undefined;
      resolve({ script, status, wallMs: performance.now() - t0 });
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(BENCH, argv);
  if (!p.ok) return p.status;
  const { quick } = p.values;
  const stopInterrupts = onInterrupt((signal) => {
    running?.kill(signal);
    process.stderr.write(`\nxen-memsim bench: interrupted${running === undefined ? '' : ' (the running script was ended too)'}\n`);
    return 'exit';
  });
  if (!existsSync(BENCH_DIR)) {
    process.stderr.write('xen-memsim bench: the benchmarks are part of the repository, not of the installed package: run `npm run bench` in a clone\n');
    return 2;
  }
  const scripts = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.bench.ts')).sort();
  process.stdout.write(`xen-memsim bench${quick ? ' --quick' : ''}: ${scripts.length} scripts, node ${process.version}, ${process.platform}/${process.arch}\n`);
  const runs: ScriptRun[] = [];
  for (const script of scripts) {
    process.stdout.write(`\n== ${script}\n`);
    runs.push(await runScript(script, quick));
  }
  process.stdout.write('\n== summary\n');
  for (const r of runs) process.stdout.write(`  ${r.script.padEnd(22)} ${r.status === 0 ? 'ok    ' : `FAILED (exit ${r.status})`} ${(r.wallMs / 1000).toFixed(1).padStart(6)} s\n`);
  stopInterrupts();
  const total = runs.reduce((a, r) => a + r.wallMs, 0);
  process.stdout.write(`  total ${(total / 1000).toFixed(1)} s (ratios in each table compare figures measured in the same run, on this machine)\n`);
  return runs.every((r) => r.status === 0) ? 0 : 1;
}

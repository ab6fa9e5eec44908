// The whole `npm run demo` (issue 15): the scheduled demo and `demo --threads`, each the command
// line itself in a child process (`node cli/bin.mjs demo`, as `npm run demo` runs it), measured alternately in the
// same run — wall time, the child's CPU time and its peak RSS (every thread of it: one process) —
// and the threaded demo's ratio to the scheduled one (on a shared machine the CPU time is the
// steadier figure: wall time there is mostly waiting for a core). Each writes its traces and reports to a temporary
// folder, removed afterwards. node --import tsx bench/demo.bench.ts [--rounds N]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const ROUNDS = Math.max(1, Math.min(10, Number(arg('rounds') ?? 1)));

interface Figure { ms: number; cpuMs: number; rssMiB: number }

const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-demo-bench-'));
// Preloaded into the child: its peak RSS and CPU time (getrusage: the whole process, all its threads) at exit.
const preload = join(dir, 'max-rss.mjs');
writeFileSync(preload, `import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
if (isMainThread) process.on('exit', () => {
  const u = process.resourceUsage();
  writeFileSync(process.env.BENCH_RSS_FILE, JSON.stringify({ maxRSS: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
});
`);

function demo(flags: string[], n: number): Promise<Figure> {
  const out = join(dir, `out-${n}`);
  const rssFile = join(dir, `rss-${n}`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', preload, join(ROOT, 'cli/bin.mjs'), 'demo', ...flags, '--out', out], {
      cwd: ROOT, env: { ...process.env, BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('close', (status) => {
      const ms = performance.now() - t0;
      if (status !== 0) return reject(new Error(`demo ${flags.join(' ')} exited ${status}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      rmSync(out, { recursive: true, force: true });
      const u = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSS: number; cpuUs: number };
      resolve({ ms, cpuMs: u.cpuUs / 1000, rssMiB: u.maxRSS / 1024 });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const rows: Array<[string, string[], Figure[]]> = [['npm run demo (scheduled)', [], []], ['npm run demo -- --threads', ['--threads'], []]];
  let n = 0;
  for (let i = 0; i < ROUNDS; i++) for (const [, flags, figs] of rows) figs.push(await demo(flags, n++));
  const [ref] = rows;
  const refMs = median(ref[2].map((f) => f.ms));
  const refRss = median(ref[2].map((f) => f.rssMiB));
  const refCpu = median(ref[2].map((f) => f.cpuMs));
  console.log(`the whole demo (both variants, traces and reports written), ${ROUNDS} round(s), alternately, load average ${os.loadavg()[0].toFixed(1)} at the end; ratio to the scheduled demo (same run):`);
  for (const [label, , figs] of rows) {
    const ms = median(figs.map((f) => f.ms));
    const rss = median(figs.map((f) => f.rssMiB));
    const cpu = median(figs.map((f) => f.cpuMs));
    console.log(`  ${label.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(6)} s wall ×${(ms / refMs).toFixed(2)}   ${(cpu / 1000).toFixed(1).padStart(6)} s CPU ×${(cpu / refCpu).toFixed(2)}   peak RSS ${Math.round(rss).toString().padStart(5)} MiB ×${(rss / refRss).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

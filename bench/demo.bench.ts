// The whole `npm run demo` (issue 15): the scheduled demo and `demo --threads`, each the command
// line itself in a child process (tsx, as `npm run demo` runs it), measured alternately in the
// same run — wall time and the child's peak RSS (every thread of it: one process) — and the
// threaded demo's ratio to the scheduled one. Each writes its traces and reports to a temporary
// folder, removed afterwards. node --import tsx bench/demo.bench.ts [--rounds N]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const ROUNDS = Math.max(1, Math.min(10, Number(arg('rounds') ?? 1)));

interface Figure { ms: number; rssMiB: number }

const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-demo-bench-'));
// Preloaded into the child: its peak RSS (getrusage: the whole process, all its threads) at exit.
const preload = join(dir, 'max-rss.mjs');
writeFileSync(preload, `import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
if (isMainThread) process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
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
      resolve({ ms, rssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024 });
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
  console.log(`the whole demo (both variants, traces and reports written), ${ROUNDS} round(s), alternately; ratio to the scheduled demo (same run):`);
  for (const [label, , figs] of rows) {
    const ms = median(figs.map((f) => f.ms));
    const rss = median(figs.map((f) => f.rssMiB));
    console.log(`  ${label.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(6)} s wall ×${(ms / refMs).toFixed(2)}   peak RSS ${Math.round(rss).toString().padStart(5)} MiB ×${(rss / refRss).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

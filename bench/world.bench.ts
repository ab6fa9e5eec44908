// Scheduled world speed (issue 15.3): critical sections per second of the demo's variants
// (scenarios/demo.json, ~1.4M sections each), this build with its trace kept in memory and with
// it only hashed (what run/demo do when they stream it to a file), and — with --baseline REF —
// the same variants on the build at git REF (extracted with `git archive` into a temporary folder
// that uses this checkout's node_modules), measured alternately in the same run so the ratio
// holds on a busy machine. Each measurement is a child process (its own heap; peak RSS from the
// child). node --import tsx bench/world.bench.ts [--baseline REF] [--rounds N] [--quick]

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
  ?? (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const QUICK = process.argv.includes('--quick');
const ROUNDS = Math.max(1, Math.min(10, Number(arg('rounds') ?? (QUICK ? 1 : 2))));
const BASELINE = arg('baseline');

interface Figure { steps: number; ms: number; rssMiB: number }

/** One measurement in a child process: the demo's variants (the first only with --quick) on the build at `root`. */
function measure(root: string, trace: 'keep' | 'none'): Figure {
  const code = `
    const { readFileSync } = await import('node:fs');
    const { loadScenario } = await import(${JSON.stringify(join(root, 'world/scenario-file/load.ts'))});
    const { runVariant } = await import(${JSON.stringify(join(root, 'world/scenario-file/run.ts'))});
    await import(${JSON.stringify(join(root, 'prop-tests/campaign/plugin.ts'))});
    const loaded = loadScenario(readFileSync(${JSON.stringify(join(root, 'scenarios/demo.json'))}, 'utf8'), 'scenarios/demo.json', {});
    if (!loaded.ok) throw new Error(loaded.errors.join('\\n'));
    let steps = 0, ms = 0;
    for (const v of loaded.scenario.variants.slice(0, ${QUICK ? 1 : 'undefined'})) {
      const t0 = performance.now();
      const r = await runVariant(v, ${trace === 'none' ? "{ trace: 'none' }" : '{}'});
      ms += performance.now() - t0; steps += r.steps;
    }
    console.log(JSON.stringify({ steps, ms, rssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`measuring ${root} (${trace}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Figure;
}

function baselineCheckout(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-baseline-'));
  const tar = join(dir, 'baseline.tar');
  execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', '-o', tar, ref]);
  execFileSync('tar', ['-x', '-f', tar, '-C', dir]);
  rmSync(tar);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const rate = (f: Figure) => (f.steps / f.ms) * 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = BASELINE === undefined ? undefined : baselineCheckout(BASELINE);
try {
  const rows = new Map<string, Figure[]>();
  const add = (label: string, f: Figure) => rows.set(label, [...(rows.get(label) ?? []), f]);
  for (let i = 0; i < ROUNDS; i++) {
    if (base !== undefined) add(`baseline ${BASELINE} (trace kept)`, measure(base, 'keep'));
    add('this build, trace kept', measure(ROOT, 'keep'));
    // What run and demo do (the trace streamed to a file is hashed the same way): compare like with like.
    if (base !== undefined) add(`baseline ${BASELINE} (trace hashed only)`, measure(base, 'none'));
    add('this build, trace hashed only (streamed)', measure(ROOT, 'none'));
  }
  const ref = [...rows.values()][0];
  const refRate = median(ref.map(rate));
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  console.log(`scheduled world, demo variants${QUICK ? ' (first only)' : ''}, ${ROUNDS} round(s), xen-memsim ${version}; ratio to the first row (same run):`);
  for (const [label, fs] of rows) {
    const r = median(fs.map(rate));
    console.log(`  ${label.padEnd(44)} ${(r / 1000).toFixed(1).padStart(7)} k sections/s  ×${(r / refRate).toFixed(2)}  ` +
      `(${fs[0].steps} sections, median of ${fs.length}; peak RSS ${Math.round(Math.max(...fs.map((f) => f.rssMiB)))} MiB)`);
  }
} finally {
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
}

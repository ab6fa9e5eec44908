// `xen-memsim run FILE`: load a scenario file (docs/scenario-format.md), run each of its variants
// (scheduled, or on real threads with --threads), print every xl command's output as a
// transcript stamped with virtual time, and write the trace and the HTML report if asked.
// Exit 0 when every variant ran without an invariant/property failure, 1 otherwise, 2 on bad
// usage or an invalid file (every error with FILE:LINE:COL).

import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { writeReport } from '../../report/html.ts';
import { TELEMETRY_OBSERVER, type Telemetry } from '../../report/telemetry.ts';
import { readTextFile, SCENARIO_FILE_MAX_BYTES } from '../../world/scenario-file/files.ts';
import { loadScenario } from '../../world/scenario-file/load.ts';
import { runVariant, type VariantRun } from '../../world/scenario-file/run.ts';
import { progressLine } from './progress.ts';

const USAGE = `usage: xen-memsim run FILE.json [--threads] [--policy P] [--trace OUT.jsonl] [--report OUT.html] [--variant LABEL] [--allow-dir DIR]
  --threads   run on real threads (owner worker + one thread per actor)
  --policy    schedule policy: arrival (default), random:SEED, pct:SEED:DEPTH
  --trace     write the trace (one file per variant: LABEL is added before .jsonl when there are several)
  --report    write the HTML report (likewise per variant)
  --variant   run only this variant
  --allow-dir let guests' "file" name files in DIR too (repeatable; by default only the scenario's folder)
The format: docs/scenario-format.md; examples: scenarios/*.json.
`;

/** OUT.jsonl → OUT-LABEL.jsonl when a file has several variants. */
export function perVariantPath(path: string, label: string, several: boolean): string {
  if (!several) return path;
  const safe = label.replace(/[^A-Za-z0-9_.=-]+/g, '_');
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(path)!;
  return `${m[1]}-${safe}${m[2] ?? ''}`;
}

/** A readable transcript of one variant's xl commands. */
export function transcript(run: VariantRun): string {
  const lines: string[] = [];
  for (const c of [...run.commands].sort((a, b) => a.startNs - b.startNs)) {
    const status = c.status === undefined ? 'killed' : `exit ${c.status}`;
    const end = c.endNs === undefined ? '' : ` → ${(c.endNs / 1e9).toFixed(1)} s`;
    lines.push(`[${(c.startNs / 1e9).toFixed(1).padStart(6)} s${end}] ${c.actor}$ xl ${c.argv.join(' ')}   (${status})`);
    const out = (c.stdout + c.stderr).replace(/\n$/, '');
    if (out !== '') lines.push(...out.split('\n').map((l) => `    ${l}`));
    if (c.argv[0] === 'create') {
      const claims = c.claims.map((x) => `claim ${x.pages} pages → ${x.rc === 0 ? 'ok' : `rc ${x.rc}`} at ${(x.tNs / 1e9).toFixed(3)} s`);
      const fail = c.failNs === undefined ? '' : `; first failure at ${(c.failNs / 1e9).toFixed(3)} s`;
      lines.push(`    · populated ${c.populatedPages} pages (${(c.populatedPages / 256).toFixed(1)} MiB)${claims.length > 0 ? `; ${claims.join('; ')}` : '; no claim'}${fail}`);
    }
  }
  const f = run.failure === undefined ? 'completed' : `FAILED (${run.failure.kind}): ${run.failure.message}`;
  lines.push(`-- ${run.label}: ${f}; ${(run.endNs / 1e9).toFixed(1)} virtual s, ${run.steps} steps, ${(run.wallMs / 1000).toFixed(1)} s wall, ${run.mode}${run.hash === undefined ? '' : `, hash ${run.hash}`}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: { threads: { type: 'boolean' }, policy: { type: 'string' }, trace: { type: 'string' }, report: { type: 'string' }, variant: { type: 'string' }, 'allow-dir': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    process.stderr.write(`xen-memsim run: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`xen-memsim run: ${positionals.length === 0 ? 'missing FILE' : 'one scenario file at a time'}\n${USAGE}`);
    return 2;
  }
  const file = positionals[0];
  const read = readTextFile(file, SCENARIO_FILE_MAX_BYTES);
  if (!read.ok) {
    process.stderr.write(`xen-memsim run: cannot read ${file}: ${read.why}\n`);
    return 2;
  }
  const loaded = loadScenario(read.text, file, { baseDir: dirname(resolve(file)), allowDirs: values['allow-dir'] ?? [] });
  if (!loaded.ok) {
    process.stderr.write(loaded.errors.map((e) => `${e}\n`).join(''));
    return 2;
  }
  const { scenario } = loaded;
  const variants = values.variant === undefined ? scenario.variants : scenario.variants.filter((v) => v.label === values.variant);
  if (variants.length === 0) {
    process.stderr.write(`xen-memsim run: no variant "${values.variant}" (variants: ${scenario.variants.map((v) => v.label).join(', ')})\n`);
    return 2;
  }
  if (scenario.description !== undefined) process.stdout.write(`${scenario.name}: ${scenario.description}\n`);
  const several = variants.length > 1;
  let status = 0;
  for (const v of variants) {
    process.stdout.write(`\n== ${v.label} (Xen ${v.xen}, ${v.spec.host.memoryMiB} MiB, claim_mode=${v.claimMode})\n`);
    const progress = progressLine();
    let run: VariantRun<Telemetry>;
    try {
      run = await runVariant(v, { threads: values.threads, policy: values.policy, observer: values.report !== undefined ? TELEMETRY_OBSERVER : undefined, onProgress: progress.update });
    } catch (e) {
      progress.done();
      process.stderr.write(`xen-memsim run: ${(e as Error).message}\n`);
      return 2;
    }
    progress.done();
    process.stdout.write(transcript(run));
    if (run.failure !== undefined) status = 1;
    if (values.trace !== undefined) {
      const p = perVariantPath(values.trace, v.label, several);
      await writeFile(p, run.trace);
      process.stdout.write(`trace written to ${p} (xen-memsim replay ${p})\n`);
    }
    if (values.report !== undefined) {
      const p = perVariantPath(values.report, v.label, several);
      await writeReport(run.telemetry!, p, { wallMs: run.wallMs, facts: { claim_mode: String(v.claimMode), variant: v.label } });
      process.stdout.write(`report written to ${p}\n`);
    }
  }
  return status;
}

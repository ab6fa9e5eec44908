// `xen-memsim run FILE`: load a scenario file (docs/scenario-format.md), run each of its variants
// (scheduled, or on real threads with --threads), print every xl command's output as a
// transcript stamped with virtual time, and write the trace and the HTML report if asked — each
// variant's as soon as it has run, to paths checked before the first one starts.
// Exit 0 when every variant ran without an invariant/property failure, 1 otherwise, 2 on bad
// usage, an invalid file (every error with FILE:LINE:COL) or an unwritable output.

import { dirname, resolve } from 'node:path';
import { writeReport } from '../../report/html.ts';
import { TELEMETRY_OBSERVER, type Telemetry } from '../../report/telemetry.ts';
import { parsePolicy } from '../../sim/policy.ts';
import { readTextFile, SCENARIO_FILE_MAX_BYTES } from '../../world/scenario-file/files.ts';
import { loadScenario } from '../../world/scenario-file/load.ts';
import { loadScenarioModules } from '../../world/scenario-file/modules.ts';
import { runVariant, type VariantRun } from '../../world/scenario-file/run.ts';
import { transcript } from '../../world/scenario-file/transcript.ts';
import { replayCommand } from '../../world/trace-plugins.ts';
import { onInterrupt } from '../lifecycle.ts';
import { parseCommand, usageError, withDefault, wordFlag } from '../args/command.ts';
import { reportFlag, threadsFlag, traceFlag, wallBudgetFlag } from '../args/flags.ts';
import { fsErrorReason, outputFileProblem, writeResult } from '../args/paths.ts';
import { bad, ok, unknownName } from '../args/values.ts';
import { progressLine } from './progress.ts';

/** Default wall-clock budget of each variant (s): the longest shipped scenario takes well under a minute. */
const RUN_WALL_BUDGET_S = 3600;

export const RUN = {
  name: 'run',
  summary: 'run a scenario file',
  args: [{ name: 'FILE.json', help: 'a scenario file (docs/scenario-format.md; examples: scenarios/*.json)' }],
  flags: {
    threads: threadsFlag('run on real threads (owner worker + one thread per actor)'),
    policy: wordFlag('--policy <P>', 'schedule policy: arrival (default), random:SEED, pct:SEED:DEPTH[:STEPS] (limits: docs/limits.md)', (t) => {
      try {
        parsePolicy(t);
        return ok(t);
      } catch (e) {
        return bad((e as Error).message);
      }
    }),
    trace: traceFlag('write the trace (one file per variant: LABEL is added before .jsonl when there are several)'),
    report: reportFlag('write the HTML report (likewise per variant)'),
    variant: wordFlag('--variant <LABEL>', 'run only this variant', (t) => ok(t)),
    wallBudget: wallBudgetFlag(RUN_WALL_BUDGET_S),
    allowDir: withDefault<string[]>({
      syntax: '--allow-dir <DIR>',
      help: 'let guests\' "file", "properties" and "actors" name files in DIR too (repeatable; by default only the scenario\'s folder)',
      repeatable: true,
      parse: (raw) => (Array.isArray(raw) && raw.every((d) => d !== '') ? ok([...raw]) : bad('needs a folder')),
    }, [], 'none'),
  },
  more: 'Output folders must exist; every output is checked before the first variant runs.\n',
} as const;

/** OUT.jsonl → OUT-LABEL.jsonl when a file has several variants. */
export function perVariantPath(path: string, label: string, several: boolean): string {
  if (!several) return path;
  const safe = label.replace(/[^A-Za-z0-9_.=-]+/g, '_');
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(path)!;
  return `${m[1]}-${safe}${m[2] ?? ''}`;
}

export { transcript };

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(RUN, argv);
  if (!p.ok) return p.status;
  const { values } = p;
  const file = p.args[0];
  const read = readTextFile(file, SCENARIO_FILE_MAX_BYTES);
  if (!read.ok) {
    process.stderr.write(`xen-memsim run: cannot read ${file}: ${read.why}\n`);
    return 2;
  }
  const access = { baseDir: dirname(resolve(file)), allowDirs: values.allowDir };
  // The file's own property and actor modules are imported first: loadScenario reads what they define.
  const moduleErrors = await loadScenarioModules(read.text, file, access);
  if (moduleErrors.length > 0) {
    process.stderr.write(moduleErrors.map((e) => `${e}\n`).join(''));
    return 2;
  }
  const loaded = loadScenario(read.text, file, access);
  if (!loaded.ok) {
    process.stderr.write(loaded.errors.map((e) => `${e}\n`).join(''));
    return 2;
  }
  const { scenario } = loaded;
  const variants = values.variant === undefined ? scenario.variants : scenario.variants.filter((v) => v.label === values.variant);
  if (variants.length === 0) return usageError(RUN, `--variant: ${unknownName(`variant of ${file}`, values.variant ?? '', scenario.variants.map((v) => v.label))}`);
  const several = variants.length > 1;
  const outputs = (v: { label: string }) => ({
    trace: values.trace === undefined ? undefined : perVariantPath(values.trace, v.label, several),
    report: values.report === undefined ? undefined : perVariantPath(values.report, v.label, several),
  });
  for (const v of variants) {
    for (const [flag, path] of Object.entries(outputs(v))) {
      const problem = path === undefined ? undefined : outputFileProblem(path);
      if (problem !== undefined) {
        process.stderr.write(`xen-memsim run: --${flag}: ${problem}\n`);
        return 2;
      }
    }
  }
  if (scenario.description !== undefined) process.stdout.write(`${scenario.name}: ${scenario.description}\n`);
  let status = 0;
  const written: string[] = [];
  let current = '';
  const progress = progressLine();
  const stopInterrupts = onInterrupt(() => {
    progress.done();
    process.stderr.write(`xen-memsim run: interrupted during ${current}${written.length > 0 ? `; written: ${written.join(', ')}` : ''}\n`);
    return 'exit';
  });
  try {
    for (const v of variants) {
      current = v.label;
      process.stdout.write(`\n== ${v.label} (Xen ${v.xen}, ${v.spec.host.memoryMiB} MiB, claim_mode=${v.claimMode})\n`);
      let run: VariantRun<Telemetry>;
      try {
        run = await runVariant(v, {
          threads: values.threads, policy: values.policy, observer: values.report !== undefined ? TELEMETRY_OBSERVER : undefined, onProgress: progress.update,
          // The trace streams to its file as the run goes (never held in memory).
          trace: outputs(v).trace === undefined ? 'none' : { file: outputs(v).trace! },
          wallBudgetMs: values.wallBudget * 1000,
          timeoutMs: values.wallBudget * 1000,
        });
      } catch (e) {
        progress.done();
        process.stderr.write(`xen-memsim run: ${(e as Error).message}\n`);
        return 2;
      }
      progress.done();
      if (run.failure !== undefined || run.stopped !== undefined) status = 1;
      const out = outputs(v);
      const save = async (path: string | undefined, write: (path: string) => Promise<void>): Promise<void> => {
        if (path === undefined) return;
        const problem = await writeResult(path, () => write(path));
        if (problem === undefined) {
          written.push(path);
          return;
        }
        process.stderr.write(`xen-memsim run: ${problem}\n`);
        status = 1;
      };
      if (run.traceError !== undefined) {
        process.stderr.write(`xen-memsim run: cannot write ${run.tracePath}: ${fsErrorReason(run.traceError)}\n`);
        status = 1;
      } else if (run.tracePath !== undefined) written.push(run.tracePath);
      await save(out.report, (path) => writeReport(run.telemetry!, path, { wallMs: run.wallMs, facts: { claim_mode: String(v.claimMode), variant: v.label } }));
      process.stdout.write(transcript(run));
      if (out.trace !== undefined && written.includes(out.trace)) process.stdout.write(`trace written to ${out.trace} (${replayCommand(out.trace, v.spec.plugins ?? [])})\n`);
      if (out.report !== undefined && written.includes(out.report)) process.stdout.write(`report written to ${out.report}\n`);
    }
  } finally {
    stopInterrupts();
  }
  return status;
}

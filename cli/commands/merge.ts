// `xen-memsim merge RESULTS...`: combines the results files of the N shards of one campaign
// (`xen-memsim check --shard K/N --results FILE` on N machines) into the unsharded campaign's
// result (prop-tests/campaign/results.ts; the format is docs/campaign-results.md): it prints
// what `check` would have printed, writes the first failure's replay file, and with --results the
// merged results. Exit 1 when the campaign found a failure, 0 when none, 2 on bad usage or on
// files that are not the N shards of one campaign (named: which shard is missing, which slots no
// shard ran, which option differs).

import { writeFileSync } from 'node:fs';
import { checkResults, mergeResults, RESULTS_BYTES_MAX, ResultsFormatError, type CampaignResults } from '../../prop-tests/campaign/results.ts';
import { parseCommand, usageError } from '../args/command.ts';
import { outFlag, outputFlag } from '../args/flags.ts';
import { fsErrorReason, outputFileProblem, readInput } from '../args/paths.ts';
import { foundReport, identityOptions } from './check.ts';

export const MERGE = {
  name: 'merge',
  summary: "combine the results of a campaign's shards (check --shard K/N --results FILE) into one",
  args: [{ name: 'RESULTS...', help: 'the results files of shards 1..N of one campaign (any order)' }],
  flags: {
    out: outFlag("replay file of the campaign's first failure (default: xen-memsim-failure-<seed>.jsonl); its folder must exist"),
    results: outputFlag('--results <FILE>', 'also write the merged results (the format of one unsharded campaign, shard 1/1)'),
  },
  more: 'Exit status: 0 the campaign found no failure, 1 it found one (printed, its replay file written), 2 bad usage or results that are not the N shards of one campaign.\n',
} as const;

function readResults(name: string): CampaignResults | string {
  const r = readInput(name, RESULTS_BYTES_MAX);
  if (!r.ok) return r.message;
  let json: unknown;
  try {
    json = JSON.parse(r.text);
  } catch {
    return `${name}: not valid JSON`;
  }
  try {
    return checkResults(json, name);
  } catch (e) {
    if (e instanceof ResultsFormatError) return e.message;
    throw e;
  }
}

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(MERGE, argv);
  if (!p.ok) return p.status;
  const files: Array<{ name: string; results: CampaignResults }> = [];
  for (const name of p.args) {
    const r = readResults(name);
    if (typeof r === 'string') return usageError(MERGE, r);
    files.push({ name, results: r });
  }
  let merged;
  try {
    merged = mergeResults(files);
  } catch (e) {
    if (e instanceof ResultsFormatError) return usageError(MERGE, e.message);
    throw e;
  }
  const { results, later } = merged;
  const c = results.campaign;
  const out = p.values.out ?? `xen-memsim-failure-${c.seed}.jsonl`;
  for (const [flag, path] of [['--out', results.found === undefined ? undefined : out], ['--results', p.values.results]] as const) {
    const problem = path === undefined ? undefined : outputFileProblem(path);
    if (problem !== undefined) return usageError(MERGE, `${flag}: ${problem}`);
  }
  const o = identityOptions(c, out);
  const n = files.length;
  const what = `Xen ${c.xen}${c.inject.length > 0 ? ' + ' + c.inject.join(' ') : ''}, claim_mode=${c.claimMode ?? 'per toolstack'}`;
  const write = (path: string, text: string): string | undefined => {
    try {
      writeFileSync(path, text);
      return undefined;
    } catch (e) {
      return `cannot write ${path}: ${fsErrorReason(e)}`;
    }
  };
  let status = 0;
  const cov = Object.entries(results.coverage.slotsByStrategy).map(([s, k]) => `${s} ${k}`).join(', ');
  const tail = [
    `merged ${n} shard${n > 1 ? 's' : ''}: ${results.runs} runs of the plan over ${results.coverage.units} scenarios (${cov}); ${results.schedules} schedules executed by the shards in all, the longest shard ${(results.ms / 1000).toFixed(1)} s`,
    ...later.map((l) => `  also found by shard ${l.shard.k}/${l.shard.n} at run ${l.slot}, past the campaign's first failure: ${l.failure.kind}: ${l.failure.message}`),
  ];
  if (results.found === undefined) {
    process.stdout.write(`check: no failure in ${results.runs} runs (${(results.ms / 1000).toFixed(1)} s, ${what}, seed ${c.seed})\n${tail.join('\n')}\n`);
  } else {
    const f = results.found;
    const saved = write(out, f.trace);
    process.stdout.write(foundReport(o, { seed: c.seed }, { ...f, runsToFind: f.slot }, [], saved));
    process.stdout.write(`${tail.join('\n')}\n`);
    status = 1;
  }
  if (p.values.results !== undefined) {
    const problem = write(p.values.results, `${JSON.stringify(results)}\n`);
    if (problem !== undefined) {
      process.stderr.write(`xen-memsim merge: ${problem}\n`);
      return Math.max(status, 1);
    }
    process.stdout.write(`merged results: ${p.values.results}\n`);
  }
  return status;
}

// `xen-memsim check`: a race-hunting campaign (prop-tests/campaign) with a run or time budget.
// Exit 1 when it found a failure (after shrinking it, printing the seed, the scenario and the
// interleaving, and writing a trace that `xen-memsim replay` reproduces), 0 when the budget ran
// out with none, 2 on bad usage; interrupted (Ctrl-C), it prints the runs so far, the seed, the
// command that repeats them and any failure found, and exits 130. The replay file's path is
// checked before the search starts, and a failure's unshrunk trace is written the moment it is
// found (then replaced by the shrunk one), so neither an interrupt nor a full disk loses it.
// `--wall-budget S` bounds the whole campaign: spent, it prints STOPPED with the runs so far (and
// any failure, shrunk as far as it got) and exits 1.
// `--shard K/N` runs this machine's share of the campaign's plan (prop-tests/campaign/shard.ts)
// and `--results FILE` writes what it found (docs/campaign-results.md) for `xen-memsim merge`.
// `--jobs J` runs the campaign on J threads of this machine (prop-tests/campaign/jobs.ts): with
// --runs the same runs and the same first failure as on one thread.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toResults, type CampaignIdentity } from '../../prop-tests/campaign/results.ts';
import { parseShard, SHARDS_MAX, type Shard } from '../../prop-tests/campaign/shard.ts';
import type { XenVersion } from '../../hv/index.ts';
import { runCampaign, STRATEGIES, withPropertyModules, type CampaignOptions, type Found, type FoundUnshrunk, type Progress } from '../../prop-tests/campaign/campaign.ts';
import { renderInterleaving } from '../../prop-tests/campaign/interleaving.ts';
import { portfolioSummary, type SlotReport } from '../../prop-tests/campaign/portfolio.ts';
import { describeScenario, FAMILIES } from '../../prop-tests/campaign/scenario.ts';
import { JOBS_MAX, jobsProblems, runCampaignJobs } from '../../prop-tests/campaign/jobs.ts';
import { huntOnThreads } from '../../prop-tests/campaign/threads.ts';
import '../../prop-tests/campaign/plugin.ts'; // registers the campaign's properties: --ignore's names
import { monitorNames } from '../../sim/registry.ts';
import { replayCommand } from '../../world/trace-plugins.ts';
import { onInterrupt } from '../lifecycle.ts';
import { parseCommand, usageError, withDefault, wordFlag, switchFlag, type Flag, type RawValue } from '../args/command.ts';
import { injectFlag, moduleFilesFlag, nodesFlag, numberFlag, outFlag, outputFlag, SEED_RANGE, seedFlag, threadsFlag, wallBudgetFlag, xenFlag } from '../args/flags.ts';
import { hostProblems } from '../args/host.ts';
import { fsErrorReason, outputFileProblem } from '../args/paths.ts';
import { bad, listOf, ok, oneOf, wholeNumber, type Parsed } from '../args/values.ts';

/** Budgets (docs/limits.md): a day of searching at most, an hour of shrinking, a million runs. */
export const CHECK_LIMITS = {
  runs: { min: 1, max: 1_000_000 },
  timeS: { min: 1, max: 86_400, unit: 's' },
  shrinkTimeS: { min: 1, max: 3_600, unit: 's' },
} as const;

const DEFAULT_SEED = 20131119;
/** Default --wall-budget (s): the longest --time and --shrink-time allow. */
const CHECK_WALL_BUDGET_S = CHECK_LIMITS.timeS.max + CHECK_LIMITS.shrinkTimeS.max;
const PROPERTIES = monitorNames();

const variadic = <T>(what: string, one: (words: readonly string[]) => Parsed<T>) => (raw: RawValue): Parsed<T> =>
  Array.isArray(raw) ? one(raw) : bad(`needs at least one ${what}`);

export const CHECK = {
  name: 'check',
  summary: 'hunt races: a property campaign over scenarios and schedules',
  flags: {
    xen: xenFlag('4.22'),
    claimMode: wordFlag('--claim-mode <0|1>', 'xl.conf claim_mode of every build (default: per toolstack: plain builds claim, the claims and xl families pick 0 or 1 per build; 0 also holds every build to check-then-act)', (t) => {
      const p = oneOf('claim_mode', ['0', '1'] as const)(t);
      return p.ok ? { ok: true, value: Number(p.value) as 0 | 1 } : p;
    }),
    inject: injectFlag,
    seed: seedFlag(`campaign seed (default: $XEN_MEMSIM_SEED or ${DEFAULT_SEED})`),
    runs: { ...numberFlag('--runs <N>', `schedules to run, ${CHECK_LIMITS.runs.min}..${CHECK_LIMITS.runs.max} (default: 200; with --threads: thread runs, default 10)`, CHECK_LIMITS.runs), conflicts: ['time'] },
    time: numberFlag('--time <SECONDS>', `seconds to search instead, 1..${CHECK_LIMITS.timeS.max}`, CHECK_LIMITS.timeS),
    out: outFlag('replay file to write on failure (default: xen-memsim-failure-<seed>.jsonl); its folder must exist'),
    strategy: wordFlag('--strategy <LIST>', `schedule strategies, a comma list of ${STRATEGIES.join(', ')} (default: all)`, (t) => listOf('strategy', STRATEGIES)([t])),
    nodes: nodesFlag('at most this many NUMA nodes in generated hosts (default: 1)'),
    pokes: switchFlag('--no-pokes', 'no destroy/balloon/pool threads in generated scenarios'),
    ignore: withDefault<string[]>({
      syntax: '--ignore <PROPERTY...>',
      help: `properties to look past, to hunt another bug (${PROPERTIES.join(' ')})`,
      parse: variadic('PROPERTY', listOf('property', PROPERTIES)),
    } satisfies Flag<string[]>, [], 'none'),
    shrinkTime: numberFlag('--shrink-time <SECONDS>', `wall-time budget for shrinking, 1..${CHECK_LIMITS.shrinkTimeS.max} (default: 15)`, CHECK_LIMITS.shrinkTimeS),
    family: wordFlag('--family <LIST>', `extra actor families in generated scenarios, a comma list of ${FAMILIES.join(', ')} (prop-tests/campaign/README.md)`, (t) => listOf('family', FAMILIES)([t])),
    threads: threadsFlag("run the scenarios on real threads; a failure's trace is replayed and shrunk in the scheduled world"),
    property: moduleFilesFlag('--property <FILE>', 'a module of your own defining properties (defineProperty: docs/library.md), checked beside the built-in ones'),
    shard: {
      ...wordFlag('--shard <K/N>', `run only shard K of N (1 ≤ K ≤ N ≤ ${SHARDS_MAX}): N machines with K = 1..N together run exactly this campaign; combine their --results with xen-memsim merge`, (t): Parsed<Shard> => {
        const sh = parseShard(t);
        return typeof sh === 'string' ? bad(sh) : ok(sh);
      }),
      conflicts: ['time', 'threads'],
    },
    jobs: {
      ...numberFlag('--jobs <N>', `threads to run the campaign on, 1..${JOBS_MAX} (default: 1): shards of it side by side; with --runs the same runs and the same first failure as one thread`, { min: 1, max: JOBS_MAX }),
      conflicts: ['threads'],
    },
    wallBudget: wallBudgetFlag(CHECK_WALL_BUDGET_S),
    results: outputFlag('--results <FILE>', 'write the results (runs, slots, coverage, the failure found) as JSON for xen-memsim merge (default with --shard: xen-memsim-results-<seed>-<K>of<N>.json)'),
  },
} as const;

export interface CheckOptions extends CampaignOptions {
  xen: XenVersion;
  out: string;
  threads: boolean;
  /** --property files as given (propertyModules holds their URLs). */
  propertyFiles: string[];
  /** Where to write the results file, if anywhere. */
  results?: string;
  /** Threads the campaign runs on (--jobs; default 1). */
  jobs?: number;
}

/** What the shards of this campaign share (results.ts): the options that decide its plan and its verdicts. */
export function campaignIdentity(o: CheckOptions): CampaignIdentity {
  return {
    xen: o.xen, ...(o.claimMode === undefined ? {} : { claimMode: o.claimMode }), inject: [...o.inject], seed: o.seed,
    ...(o.timeMs !== undefined ? { timeS: o.timeMs / 1000 } : { runs: o.runs ?? 200 }),
    strategies: [...(o.strategies ?? STRATEGIES)], ...(o.families === undefined ? {} : { families: [...o.families] }),
    ...(o.nodesMax === undefined ? {} : { nodesMax: o.nodesMax }),
    pokes: o.pokes !== false, ignore: [...(o.ignore ?? [])], properties: [...o.propertyFiles], dfsBound: o.dfsBound ?? 2, dfsBudget: o.dfsBudget ?? 40,
  };
}

/** The check options a campaign identity stands for (merge prints the unsharded campaign's command). */
export function identityOptions(c: CampaignIdentity, out: string): CheckOptions {
  return {
    xen: c.xen as XenVersion, ...(c.claimMode === undefined ? {} : { claimMode: c.claimMode }), inject: c.inject, seed: c.seed, threads: false, out,
    ...(c.runs === undefined ? { timeMs: (c.timeS ?? 0) * 1000 } : { runs: c.runs }),
    ...(c.strategies.length === STRATEGIES.length && STRATEGIES.every((s, i) => c.strategies[i] === s) ? {} : { strategies: c.strategies as CheckOptions['strategies'] }),
    ...(c.families === undefined ? {} : { families: c.families as CheckOptions['families'] }),
    ...(c.nodesMax === undefined ? {} : { nodesMax: c.nodesMax }),
    ...(c.pokes ? {} : { pokes: false }),
    ignore: c.ignore, propertyFiles: c.properties,
  };
}

/** The command line that repeats this campaign (with `runs`, the first `runs` runs of it). */
export function reproduceCommand(o: CheckOptions, runs?: number): string {
  const w = ['xen-memsim check'];
  if (o.threads) w.push('--threads');
  if (o.shard !== undefined && runs === undefined) w.push('--shard', `${o.shard.k}/${o.shard.n}`);
  w.push('--xen', o.xen);
  if (o.claimMode !== undefined) w.push('--claim-mode', String(o.claimMode));
  if (o.inject.length > 0) w.push('--inject', ...o.inject);
  if (o.families !== undefined) w.push('--family', o.families.join(','));
  if (o.strategies !== undefined) w.push('--strategy', o.strategies.join(','));
  if (o.nodesMax !== undefined) w.push('--nodes', String(o.nodesMax));
  if (o.pokes === false) w.push('--no-pokes');
  w.push('--seed', String(o.seed));
  if (o.ignore !== undefined && o.ignore.length > 0) w.push('--ignore', ...o.ignore);
  for (const f of o.propertyFiles) w.push('--property', f);
  if (runs !== undefined) w.push('--runs', String(runs));
  else if (o.timeMs !== undefined) w.push('--time', String(o.timeMs / 1000));
  else w.push('--runs', String(o.runs ?? (o.threads ? 10 : 200)));
  return w.join(' ');
}

/** Progress on stderr: a redrawn bar on a TTY, else a line every few seconds. */
function progressReporter(budget: string): { update: (p: Progress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  let best = '';
  const fmt = (p: Progress) => {
    const rate = p.elapsedMs > 0 ? (p.runs / p.elapsedMs) * 1000 : 0;
    if (p.bestSteps !== undefined) best = `best failure ${p.bestSteps} steps (${(p.bestMessage ?? '').split(':')[0]})`;
    return `${p.phase === 'search' ? 'searching' : 'shrinking'} ${p.runs}${p.phase === 'search' ? budget : ''} runs, ${rate.toFixed(0)} runs/s${best ? ', ' + best : ''}`;
  };
  return {
    update: (p) => {
      const now = performance.now();
      if (now - lastDraw < (tty ? 100 : 5000)) return;
      lastDraw = now;
      process.stderr.write(tty ? `\r\x1b[K${fmt(p)}` : `${fmt(p)}\n`);
    },
    done: () => void (tty && process.stderr.write('\r\x1b[K')),
  };
}

/** Writes a replay file. @returns why not, or undefined */
function save(file: string, trace: string): string | undefined {
  try {
    writeFileSync(file, trace);
    return undefined;
  } catch (e) {
    return `cannot write the replay file ${file}: ${(e as Error).message}`;
  }
}

/** Writes a results file. @returns why not, or undefined */
function saveResults(file: string, results: unknown): string | undefined {
  try {
    writeFileSync(file, `${JSON.stringify(results)}\n`);
    return undefined;
  } catch (e) {
    return `cannot write the results file ${file}: ${fsErrorReason(e)}`;
  }
}

/** The parsed command line as campaign options. @returns them, or the exit status of a usage error */
function options(argv: string[]): CheckOptions | number {
  const p = parseCommand(CHECK, argv);
  if (!p.ok) return p.status;
  const v = p.values;
  const host = hostProblems({ ...(v.nodes === undefined ? {} : { nodes: v.nodes }), xen: v.xen, inject: v.inject });
  if (host.length > 0) return usageError(CHECK, host.join('; '));
  const jobs = v.jobs === undefined ? [] : jobsProblems(v.jobs, v.shard);
  if (jobs.length > 0) return usageError(CHECK, `--jobs: ${jobs.join('; ')}`);
  let seed = v.seed;
  if (seed === undefined) {
    const env = process.env.XEN_MEMSIM_SEED;
    const fromEnv = env === undefined ? { ok: true as const, value: DEFAULT_SEED } : wholeNumber(env, SEED_RANGE);
    if (!fromEnv.ok) return usageError(CHECK, `XEN_MEMSIM_SEED ${fromEnv.message}`);
    seed = fromEnv.value;
  }
  return {
    xen: v.xen,
    ...(v.claimMode === undefined ? {} : { claimMode: v.claimMode }),
    inject: v.inject, seed, ignore: v.ignore, threads: v.threads,
    propertyFiles: v.property, propertyModules: v.property.map((f) => pathToFileURL(resolve(f)).href),
    out: v.out ?? `xen-memsim-failure-${seed}.jsonl`,
    ...(v.runs === undefined ? {} : { runs: v.runs }),
    ...(v.time === undefined ? {} : { timeMs: v.time * 1000 }),
    ...(v.shrinkTime === undefined ? {} : { shrinkTimeMs: v.shrinkTime * 1000 }),
    ...(v.nodes === undefined ? {} : { nodesMax: v.nodes }),
    ...(v.pokes ? {} : { pokes: false }),
    ...(v.strategy === undefined ? {} : { strategies: v.strategy }),
    ...(v.family === undefined ? {} : { families: v.family }),
    ...(v.shard === undefined ? {} : { shard: v.shard }),
    wallBudgetMs: v.wallBudget * 1000,
    ...(v.jobs === undefined ? {} : { jobs: v.jobs }),
    ...(v.results !== undefined ? { results: v.results } : v.shard !== undefined ? { results: `xen-memsim-results-${seed}-${v.shard.k}of${v.shard.n}.json` } : {}),
  };
}

/** What a found failure's report shows (a Found, or a results file's FoundRecord). */
export interface FoundShown {
  runsToFind: number;
  msToFind: number;
  strategy: string;
  /** The portfolio slot that found it ("claims/random"), when known. */
  slotName?: string;
  failure: { kind: string; message: string };
  stepsBefore: number;
  stepsAfter: number;
  /** Actors in the scenario, as first found and after shrinking, when known. */
  actorsBefore?: number;
  actorsAfter?: number;
  shrinkRuns: number;
  choices: readonly number[];
  /** describeScenario's lines. */
  scenario: readonly string[];
  trace: string;
}

const shownOf = (f: Found): FoundShown => ({ ...f, scenario: describeScenario(f.scenario) });

export function foundReport(o: CheckOptions, r: { seed: number }, f: FoundShown, head: readonly string[], saved: string | undefined, split: readonly string[] = []): string {
  return [
    ...head,
    `check: FAILURE found after ${f.runsToFind} runs (${(f.msToFind / 1000).toFixed(1)} s, ${f.slotName ?? `${f.strategy} schedule`}), seed ${r.seed}`,
    `  ${f.failure.kind}: ${f.failure.message}`,
    `  shrunk from ${f.stepsBefore} to ${f.stepsAfter} critical sections${f.actorsBefore !== undefined ? ` (scenario: ${f.actorsBefore} → ${f.actorsAfter} actors)` : ''} in ${f.shrinkRuns} runs; choices [${f.choices.join(',')}]`,
    ...split,
    '',
    'scenario:',
    ...f.scenario.map((l) => '  ' + l),
    '',
    renderInterleaving(f.trace),
    '',
    saved === undefined ? `replay file: ${o.out}   (${replayCommand(o.out, o.propertyModules ?? [])})` : `replay file NOT written: ${saved}`,
    `reproduce the campaign: ${reproduceCommand(o)}`,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const parsed = options(argv);
  if (typeof parsed === 'number') return parsed;
  let o: CheckOptions;
  try {
    o = await withPropertyModules(parsed); // the user's properties, loaded (and named) before anything runs
  } catch (e) {
    return usageError(CHECK, `--property: ${(e as Error).message}`);
  }
  const problem = outputFileProblem(o.out);
  if (problem !== undefined) return usageError(CHECK, `${argv.includes('--out') ? '--out' : 'the replay file (choose another with --out)'}: ${problem}`);
  const resultsProblem = o.results === undefined ? undefined : outputFileProblem(o.results);
  if (resultsProblem !== undefined) return usageError(CHECK, `${argv.includes('--results') ? '--results' : 'the results file (choose another with --results)'}: ${resultsProblem}`);
  const budget = o.timeMs !== undefined ? ` (${o.timeMs / 1000} s)` : `/${o.runs ?? (o.threads ? 10 : 200)}`;
  const progress = progressReporter(budget);
  const what = `Xen ${o.xen}${o.inject.length > 0 ? ' + ' + o.inject.join(' ') : ''}, claim_mode=${o.claimMode ?? 'per toolstack'}${o.shard === undefined ? '' : `, shard ${o.shard.k}/${o.shard.n}`}`;
  const t0 = performance.now();
  let last: Progress = { phase: 'search', runs: 0, elapsedMs: 0 };
  let unshrunk: (FoundUnshrunk & { saved?: string }) | undefined;
  const update = (p: Progress): void => {
    last = p;
    progress.update(p);
  };
  const onFound = (f: FoundUnshrunk): void => {
    unshrunk = { ...f, saved: save(o.out, f.trace) };
    progress.done();
    process.stderr.write(unshrunk.saved ?? `check: failure found after ${f.runs} runs (${f.failure.kind}); its replay file is ${o.out}; shrinking it\n`);
    if (unshrunk.saved !== undefined) process.stderr.write('\n');
  };
  const stopInterrupts = onInterrupt(() => {
    progress.done();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const lines = unshrunk === undefined
      ? [`check: interrupted after ${last.runs} ${o.threads ? 'real-thread ' : ''}runs (${secs} s, ${what}, seed ${o.seed}): no failure so far`,
        `  repeat these runs: ${o.shard === undefined ? reproduceCommand(o, last.runs) : reproduceCommand(o)}`]
      : [`check: interrupted while shrinking (${secs} s, ${what}, seed ${o.seed}): a FAILURE was found after ${unshrunk.runs} runs (${unshrunk.strategy} schedule)`,
        `  ${unshrunk.failure.kind}: ${unshrunk.failure.message}`,
        unshrunk.saved === undefined ? `  replay file (unshrunk): ${o.out}   (${replayCommand(o.out, o.propertyModules ?? [])})` : `  replay file NOT written: ${unshrunk.saved}`,
        `  find it again: ${reproduceCommand(o, unshrunk.runs)}`];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 'exit';
  });
  try {
    process.stderr.write(`check: ${what}, seed ${o.seed}, ${o.timeMs !== undefined ? `${o.timeMs / 1000} s` : `${o.runs ?? (o.threads ? 10 : 200)} runs`}${o.threads ? ' on real threads' : ''}${(o.jobs ?? 1) > 1 ? `, ${o.jobs} jobs` : ''}\n`);
    let r: { runs: number; ms: number; seed: number; found?: Found; stopped?: string; portfolio?: SlotReport[] };
    const head: string[] = [];
    if (o.threads) {
      const t = await huntOnThreads({ ...o, threadRuns: o.runs ?? 10, onProgress: update, onFound });
      const tf = t.failures[0];
      r = { runs: t.runs, ms: t.ms, seed: t.seed, found: tf?.found, ...(t.stopped === undefined ? {} : { stopped: t.stopped }) };
      if (t.inconclusive.length > 0) {
        progress.done();
        process.stderr.write(`check --threads: ${t.inconclusive.length} of ${t.runs} runs were cut short and say nothing about the properties (${[...new Set(t.inconclusive.map((i) => i.kind))].join(', ')}: ${t.inconclusive[0].message})\n`);
      }
      if (tf !== undefined) {
        head.push(
          `check --threads: real-thread run ${t.runs} failed: ${tf.failure.kind}: ${tf.failure.message}`,
          `  its trace replays in scheduled mode: ${tf.replay.reproduced ? 'exactly' : `NO (${tf.replay.divergence})`}; as a choice sequence: ${tf.choicesReproduce ? 'same failure' : 'did not fail the same way'}`,
        );
        if (tf.found === undefined) {
          const saved = unshrunk?.saved;
          progress.done();
          process.stdout.write([...head, saved === undefined ? `replay file (unshrunk, real threads): ${o.out}` : `replay file NOT written: ${saved}`, ''].join('\n'));
          return 1;
        }
      }
    } else {
      const c = await runCampaignJobs({ ...o, onProgress: update, onFound }, o.jobs ?? 1, runCampaign);
      r = c;
      const written = o.results === undefined ? undefined : saveResults(o.results, toResults(campaignIdentity(o), o.shard ?? { k: 1, n: 1 }, c));
      if (written !== undefined) {
        progress.done();
        process.stderr.write(`check: ${written}\n`);
      }
    }
    progress.done();
    const resultsLine = o.results === undefined ? '' : `results: ${o.results}${o.shard === undefined ? '' : '   (xen-memsim merge it with the other shards\' results)'}\n`;
    if (r.stopped !== undefined && r.found === undefined) {
      process.stdout.write(`check: STOPPED (${r.stopped}) after ${r.runs} runs (${(r.ms / 1000).toFixed(1)} s, ${what}, seed ${r.seed}): no failure so far\n` +
        `  repeat these runs: ${o.shard === undefined ? reproduceCommand(o, r.runs) : reproduceCommand(o)}\n${resultsLine}`);
      return 1;
    }
    const split = r.portfolio === undefined ? [] : [`  the search's split (share of critical sections): ${portfolioSummary(r.portfolio)}`];
    if (r.found === undefined) {
      process.stdout.write([`check: no failure in ${r.runs} ${o.threads ? 'real-thread ' : ''}runs (${(r.ms / 1000).toFixed(1)} s, ${what}, seed ${r.seed})`, ...split, ''].join('\n'));
      if (o.results !== undefined) process.stdout.write(`results: ${o.results}${o.shard === undefined ? '' : '   (xen-memsim merge it with the other shards\' results)'}\n`);
      return 0;
    }
    process.stdout.write(foundReport(o, r, shownOf(r.found), head, save(o.out, r.found.trace), split));
    if (r.stopped !== undefined) process.stdout.write(`check: STOPPED (${r.stopped}): the failure is shrunk as far as the budget allowed\n`);
    if (o.results !== undefined) process.stdout.write(`results: ${o.results}${o.shard === undefined ? '' : '   (xen-memsim merge it with the other shards\' results)'}\n`);
    return 1;
  } finally {
    stopInterrupts();
  }
}

// `xen-memsim check`: a race-hunting campaign (prop-tests/campaign) with a run or time budget.
// Exit 1 when it found a failure (after shrinking it, printing the seed, the scenario and the
// interleaving, and writing a trace that `xen-memsim replay` reproduces), 0 when the budget ran
// out with none, 2 on bad usage.

import { writeFile } from 'node:fs/promises';
import { HV_BUGS, isXenVersion } from '../../hv/index.ts';
import { TOOLSTACK_BUGS } from '../../toolstack/bugs.ts';
import { runCampaign, STRATEGIES, type CampaignOptions, type Found, type Progress } from '../../prop-tests/campaign/campaign.ts';
import { renderInterleaving } from '../../prop-tests/campaign/interleaving.ts';
import { describeScenario, FAMILIES, type Family } from '../../prop-tests/campaign/scenario.ts';
import { huntOnThreads } from '../../prop-tests/campaign/threads.ts';

const USAGE = `usage: xen-memsim check [--xen VERSION] [--claim-mode 0|1] [--inject BUG ...] [--seed N]
                         [--time SECONDS | --runs N] [--out FILE] [--strategy random,pct,dfs]
                         [--nodes N] [--no-pokes] [--ignore PROPERTY ...] [--shrink-time SECONDS]
                         [--family xl,guest-ops,busy-cpus,tmem,linux,kills] [--threads]
  --xen         4.3 | 4.13 | 4.21 | 4.22 (default 4.22)
  --claim-mode  xl.conf claim_mode of every build (default: xl's default for the version)
  --inject      historical bugs to add (${Object.keys(HV_BUGS).join(' ')})
  --seed        campaign seed (default $XEN_MEMSIM_SEED or 20131119)
  --runs        schedules to run (default 200); --time: seconds to search instead
  --out         replay file to write on failure (default xen-memsim-failure-<seed>.jsonl)
  --ignore      a property to look past (e.g. no-leaked-claims), to hunt another bug
  --family      extra actor families in generated scenarios (prop-tests/campaign/README.md)
  --threads     run the scenarios on real threads (--runs: thread runs, default 10); a failure's
                trace is replayed and shrunk in the scheduled world
`;

class UsageError extends Error {}

interface CheckArgs extends CampaignOptions {
  out?: string;
  threads?: boolean;
}

function parseArgs(argv: string[]): CheckArgs {
  const o: CheckArgs = { xen: '4.22', inject: [], seed: Number(process.env.XEN_MEMSIM_SEED ?? 20131119) };
  const inject: string[] = [];
  const ignore: string[] = [];
  const int = (v: string | undefined, what: string, min = 0): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${what} needs an integer ≥ ${min}`);
    return Number(v);
  };
  let claimMode: 0 | 1 | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    const many = (into: string[]): void => {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) into.push(argv[++i]);
    };
    switch (a) {
      case '--xen': {
        const v = next();
        if (!isXenVersion(v)) throw new UsageError(`--xen must be one of 4.3, 4.13, 4.21, 4.22`);
        o.xen = v;
        break;
      }
      case '--claim-mode': {
        const v = next();
        if (v !== '0' && v !== '1') throw new UsageError('--claim-mode must be 0 or 1');
        claimMode = Number(v) as 0 | 1;
        break;
      }
      case '--inject': many(inject); break;
      case '--ignore': many(ignore); break;
      case '--seed': o.seed = int(next(), '--seed'); break;
      case '--runs': o.runs = int(next(), '--runs', 1); break;
      case '--time': o.timeMs = int(next(), '--time', 1) * 1000; break;
      case '--shrink-time': o.shrinkTimeMs = int(next(), '--shrink-time', 1) * 1000; break;
      case '--nodes': o.nodesMax = int(next(), '--nodes', 1); break;
      case '--no-pokes': o.pokes = false; break;
      case '--threads': o.threads = true; break;
      case '--family': {
        const v = (next() ?? '').split(',');
        if (v.some((f) => !(FAMILIES as readonly string[]).includes(f))) throw new UsageError(`--family takes a list of ${FAMILIES.join(', ')}`);
        o.families = v as Family[];
        break;
      }
      case '--out': o.out = next(); if (o.out === undefined) throw new UsageError('--out needs a file'); break;
      case '--strategy': {
        const v = (next() ?? '').split(',');
        if (v.some((s) => !(STRATEGIES as readonly string[]).includes(s))) throw new UsageError(`--strategy takes a list of ${STRATEGIES.join(', ')}`);
        o.strategies = v as Array<(typeof STRATEGIES)[number]>;
        break;
      }
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  if (o.runs !== undefined && o.timeMs !== undefined) throw new UsageError('give --time or --runs, not both');
  if (!Number.isSafeInteger(o.seed)) throw new UsageError('XEN_MEMSIM_SEED must be an integer');
  for (const b of inject) {
    if (!Object.hasOwn(HV_BUGS, b) && !Object.hasOwn(TOOLSTACK_BUGS, b) && b !== 'B14') throw new UsageError(`unknown bug ${b} (known: ${[...Object.keys(HV_BUGS), ...Object.keys(TOOLSTACK_BUGS), 'B14'].join(' ')})`);
  }
  o.inject = inject;
  o.ignore = ignore;
  o.claimMode = claimMode ?? (o.xen === '4.3' ? 0 : 1); // xl's default: 0 in 4.3.0, 1 since 4.4
  return o;
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

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let o: CheckArgs;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`xen-memsim check: ${e.message}\n${USAGE}`);
    return 2;
  }
  const budget = o.timeMs !== undefined ? ` (${o.timeMs / 1000} s)` : `/${o.runs ?? (o.threads === true ? 10 : 200)}`;
  const progress = progressReporter(budget);
  const what = `Xen ${o.xen}${o.inject.length > 0 ? ' + ' + o.inject.join(' ') : ''}, claim_mode=${o.claimMode}`;
  let r: { runs: number; ms: number; seed: number; found?: Found };
  const head: string[] = [];
  if (o.threads === true) {
    const t = await huntOnThreads({ ...o, threadRuns: o.runs ?? 10, onProgress: progress.update });
    const tf = t.failures[0];
    r = { runs: t.runs, ms: t.ms, seed: t.seed, found: tf?.found };
    if (tf !== undefined) {
      head.push(
        `check --threads: real-thread run ${t.runs} failed: ${tf.failure.kind}: ${tf.failure.message}`,
        `  its trace replays in scheduled mode: ${tf.replay.reproduced ? 'exactly' : `NO (${tf.replay.divergence})`}; as a choice sequence: ${tf.choicesReproduce ? 'same failure' : 'did not fail the same way'}`,
      );
      if (tf.found === undefined) {
        const file = o.out ?? `xen-memsim-failure-${t.seed}.jsonl`;
        await writeFile(file, tf.trace);
        process.stdout.write([...head, `replay file (unshrunk, real threads): ${file}`, ''].join('\n'));
        return 1;
      }
    }
  } else {
    r = await runCampaign({ ...o, onProgress: progress.update });
  }
  progress.done();
  if (r.found === undefined) {
    process.stdout.write(`check: no failure in ${r.runs} ${o.threads === true ? 'real-thread ' : ''}runs (${(r.ms / 1000).toFixed(1)} s, ${what}, seed ${r.seed})\n`);
    return 0;
  }
  const f = r.found;
  if (head.length > 0) process.stdout.write(head.join('\n') + '\n');
  const file = o.out ?? `xen-memsim-failure-${r.seed}.jsonl`;
  await writeFile(file, f.trace);
  process.stdout.write([
    `check: FAILURE found after ${f.runsToFind} runs (${(f.msToFind / 1000).toFixed(1)} s, ${f.strategy} schedule), seed ${r.seed}`,
    `  ${f.failure.kind}: ${f.failure.message}`,
    `  shrunk from ${f.stepsBefore} to ${f.stepsAfter} critical sections in ${f.shrinkRuns} runs; choices [${f.choices.join(',')}]`,
    '',
    'scenario:',
    ...describeScenario(f.scenario).map((l) => '  ' + l),
    '',
    renderInterleaving(f.trace),
    '',
    `replay file: ${file}   (xen-memsim replay ${file})`,
    `reproduce the campaign: xen-memsim check${o.threads === true ? ' --threads' : ''} --xen ${o.xen} --claim-mode ${o.claimMode}${o.inject.length ? ' --inject ' + o.inject.join(' ') : ''}${o.families?.length ? ' --family ' + o.families.join(',') : ''} --seed ${r.seed}${o.ignore?.length ? ' --ignore ' + o.ignore.join(' ') : ''}${o.timeMs !== undefined ? ` --time ${o.timeMs / 1000}` : ` --runs ${o.runs ?? 200}`}`,
    '',
  ].join('\n'));
  return 1;
}

// One campaign over several threads: `xen-memsim check --jobs J` runs J shards of the campaign
// (shard.ts) side by side on worker threads (job-worker.ts) and combines them into the result the
// campaign gives on one thread. With a run budget it is that result exactly (the same slots; the
// first failure is the one at the lowest slot; results.ts merges shards the same way across
// machines); with a time budget each job searches for that time. A job that finds a failure
// publishes its slot (a shared Int32), and the other jobs end before their first unit past it:
// none of those can be the campaign's first failure. Shard K/N split into J jobs is shards
// K + N·(j−1) of N·J, j = 1..J (block b is in both exactly when b mod N = K−1 and ⌊b/N⌋ mod J = j−1).
// A job that fails, dies or outlives the campaign's wall-clock budget (plus JOB_GRACE_MS) fails
// the campaign, and the other jobs are terminated.

import type { Worker } from 'node:worker_threads';
import { spawnTsWorker, workerModule } from '../../workers/spawn.ts';
import { workerResult } from '../../workers/worker-result.ts';
import type { CampaignOptions, CampaignResult, FoundUnshrunk, Progress } from './campaign.ts';
import type { SlotReport } from './portfolio.ts';
import { SHARDS_MAX, type Shard } from './shard.ts';

/** Most jobs a campaign runs at once (docs/limits.md): each is a thread with its own heap. */
export const JOBS_MAX = 64;

/** What a job may run past the campaign's wall-clock budget (its start-up, its last run) before it counts as hung. */
export const JOB_GRACE_MS = 60_000;

/** The options a job takes: CampaignOptions' data (the callbacks stay with the parent). */
export type JobOptions = Omit<CampaignOptions, 'onProgress' | 'onFound' | 'lastSlot'>;

/** workerData of job-worker.ts. */
export interface JobData {
  options: JobOptions;
  /** Int32Array over it: [0] the lowest slot at which a job found a failure (INT32_MAX: none yet). */
  lastSlot: SharedArrayBuffer;
}

/** What a job posts. */
export type JobMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'found'; found: FoundUnshrunk }
  | { type: 'done'; result: CampaignResult }
  | { type: 'error'; message: string };

const NONE = 0x7fffffff;

/** Shard `shard` (default 1/1) split into `jobs`: job j's shard. */
export function jobShard(shard: Shard | undefined, jobs: number, j: number): Shard {
  const { k, n } = shard ?? { k: 1, n: 1 };
  return { k: k + n * (j - 1), n: n * jobs };
}

/** Problems with a job count for a campaign of shard `shard`, in words (empty when valid). */
export function jobsProblems(jobs: number, shard?: Shard): string[] {
  if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > JOBS_MAX) return [`the job count must be 1..${JOBS_MAX} (got ${String(jobs)})`];
  if ((shard?.n ?? 1) * jobs > SHARDS_MAX) return [`${shard!.n} shards of ${jobs} jobs each make more than ${SHARDS_MAX} shards`];
  return [];
}

/** Lowers the shared slot to `slot` if it is lower. */
function publish(cell: Int32Array, slot: number): void {
  for (let cur = Atomics.load(cell, 0); slot < cur; cur = Atomics.load(cell, 0)) {
    if (Atomics.compareExchange(cell, 0, cur, slot) === cur) return;
  }
}

/** Reads the shared slot (job-worker.ts passes this as CampaignOptions.lastSlot). */
export function lastSlotOf(buffer: SharedArrayBuffer): { read: () => number; publish: (slot: number) => void } {
  const cell = new Int32Array(buffer);
  return { read: () => Atomics.load(cell, 0), publish: (slot) => publish(cell, slot) };
}

/**
 * Runs the campaign as `jobs` threads (jobs = 1: on this thread, as runCampaign does).
 * @throws when a job fails, dies or hangs (the message names the job's shard)
 */
export async function runCampaignJobs(o: CampaignOptions, jobs: number, run: (o: CampaignOptions) => Promise<CampaignResult>): Promise<CampaignResult> {
  const problems = jobsProblems(jobs, o.shard);
  if (problems.length > 0) throw new RangeError(`campaign jobs: ${problems.join('; ')}`);
  if (jobs === 1) return run(o);
  const { onProgress, onFound, lastSlot: _, ...options } = o;
  const buffer = new SharedArrayBuffer(4);
  new Int32Array(buffer)[0] = NONE;
  const latest: Progress[] = Array.from({ length: jobs }, () => ({ phase: 'search', runs: 0, elapsedMs: 0 }));
  let reported = false;
  const workers = new Set<Worker>();
  const job = (j: number): Promise<CampaignResult> => {
    const shard = jobShard(o.shard, jobs, j);
    const data: JobData = { options: { ...options, shard }, lastSlot: buffer };
    return workerResult<JobMessage, CampaignResult>(spawnTsWorker(workerModule('job-worker', import.meta.url), { workerData: data }), {
      name: `campaign job ${j} (shard ${shard.k}/${shard.n})`,
      live: workers,
      ...(o.wallBudgetMs === undefined ? {} : { timeoutMs: o.wallBudgetMs + JOB_GRACE_MS }),
      onMessage: (m) => {
        if (m.type === 'progress') {
          latest[j - 1] = m.progress;
          onProgress?.(combinedProgress(latest));
        } else if (m.type === 'found') {
          // The front end saves the first unshrunk failure at once; the campaign's own is chosen at the end.
          if (!reported) void onFound?.(m.found);
          reported = true;
        } else return m.type === 'error' ? { error: m.message } : { result: m.result };
        return undefined;
      },
    });
  };
  try {
    return combine(await Promise.all(Array.from({ length: jobs }, (_, i) => job(i + 1))));
  } finally {
    await Promise.all([...workers].map((w) => w.terminate()));
  }
}

/** The jobs' progress as one: runs summed; shrinking once any job shrinks (its best so far). */
function combinedProgress(ps: readonly Progress[]): Progress {
  const shrinking = ps.find((p) => p.phase === 'shrink');
  const runs = ps.reduce((n, p) => n + (p.phase === 'search' ? p.runs : 0), 0);
  const elapsedMs = Math.max(...ps.map((p) => p.elapsedMs));
  return shrinking !== undefined ? { ...shrinking, elapsedMs } : { phase: 'search', runs, elapsedMs };
}

/**
 * The jobs' results as the campaign's: the first failure is the one at the lowest slot, and the
 * runs and slots are the campaign's up to it. The portfolio's split reports the work done, which
 * may include a few units a job ran past the failure before it heard of it.
 */
export function combine(results: readonly CampaignResult[]): CampaignResult {
  const failing = results.filter((r) => r.found !== undefined && r.first !== undefined).sort((a, b) => a.first!.slot - b.first!.slot);
  const first = failing[0];
  // Slots up to the first failure: what the campaign on one thread runs (it stops there).
  const end = first?.first!.slot ?? Infinity;
  const slots = results.flatMap((r) => r.slots).filter(([a]) => a <= end).map(([a, b]): [number, number] => [a, Math.min(b, end)]).sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of slots) {
    const last = merged.at(-1);
    if (last !== undefined && a === last[1] + 1) last[1] = b;
    else merged.push([a, b]);
  }
  const stopped = results.find((r) => r.stopped !== undefined)?.stopped;
  return {
    seed: results[0].seed,
    runs: merged.reduce((n, [a, b]) => n + b - a + 1, 0),
    schedules: results.reduce((n, r) => n + r.schedules, 0),
    slots: merged,
    ms: Math.max(...results.map((r) => r.ms)),
    portfolio: combinePortfolio(results.map((r) => r.portfolio)),
    ...(first === undefined ? {} : { found: { ...first.found!, runsToFind: first.first!.slot }, first: first.first }),
    ...(stopped === undefined ? {} : { stopped }),
  };
}

/**
 * Each slot's runs and steps summed over the jobs; its scenarios drawn, the most any job drew
 * (every job draws every unit's scenario, its own or not: the plan's streams are sequential).
 */
function combinePortfolio(reports: ReadonlyArray<readonly SlotReport[]>): SlotReport[] {
  return reports[0].map((r, i) => ({
    ...r,
    scenarios: Math.max(...reports.map((rs) => rs[i].scenarios)),
    runs: reports.reduce((n, rs) => n + rs[i].runs, 0),
    steps: reports.reduce((n, rs) => n + rs[i].steps, 0),
  }));
}

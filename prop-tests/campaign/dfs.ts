// Bounded exhaustive search (stateless model checking, loom/Shuttle's DfsScheduler) for tiny
// scenarios: every schedule with at most `bound` preemptions, depth first, by re-execution.
// A preemption is choosing another actor while the one that ran last is still runnable;
// continuing it (or, when it is blocked or done, taking the arrival-order pick) is free.

import type { SchedulePolicy } from '../../sim/policy.ts';
import { runOnce, type RunOutcome } from './run.ts';
import type { CampaignScenario } from './scenario.ts';

interface Decision {
  width: number;
  /** The free (non-preempting) choice at this point. */
  free: number;
  /** Whether the free choice continues the last actor (then any other choice preempts). */
  continues: boolean;
  preemptionsBefore: number;
  tried: Set<number>;
}

/** Follows a prefix of choices, then runs non-preemptively; records each decision point. */
class DfsPolicy implements SchedulePolicy {
  readonly name = 'dfs';
  readonly decisions: Decision[] = [];
  private last: string | undefined;
  private preemptions = 0;
  constructor(private readonly prefix: readonly number[]) {}
  choose(_step: number, runnable: readonly string[]): number {
    const k = this.decisions.length;
    const lastAt = this.last === undefined ? -1 : runnable.indexOf(this.last);
    const free = lastAt >= 0 ? lastAt : 0;
    const i = k < this.prefix.length ? this.prefix[k] : free;
    this.decisions.push({ width: runnable.length, free, continues: lastAt >= 0, preemptionsBefore: this.preemptions, tried: new Set([i]) });
    if (lastAt >= 0 && i !== free) this.preemptions++;
    this.last = runnable[i];
    return i;
  }
}

/**
 * Enumerates schedules of `s` with ≤ `bound` preemptions, at most `budget` runs, yielding each
 * run's outcome (stop iterating at the first failure you care about).
 */
export async function* dfsRuns(s: CampaignScenario, bound: number, budget: number): AsyncGenerator<RunOutcome> {
  let prefix: number[] = [];
  let stack: Decision[] = [];
  for (let n = 0; n < budget; n++) {
    const policy = new DfsPolicy(prefix);
    const out = await runOnce(s, policy);
    yield out;
    // Keep what was already tried at the shared prefix, then backtrack to the deepest decision
    // with an untried alternative inside the preemption bound.
    const decisions = policy.decisions;
    for (let k = 0; k < Math.min(stack.length, decisions.length); k++) for (const t of stack[k].tried) decisions[k].tried.add(t);
    stack = decisions;
    let next: number[] | undefined;
    for (let k = stack.length - 1; k >= 0 && next === undefined; k--) {
      const d = stack[k];
      for (let c = 0; c < d.width; c++) {
        if (d.tried.has(c)) continue;
        const cost = d.continues && c !== d.free ? 1 : 0;
        if (d.preemptionsBefore + cost > bound) continue;
        d.tried.add(c);
        stack = stack.slice(0, k + 1);
        next = [...prefixOf(stack, prefix, k), c];
        break;
      }
    }
    if (next === undefined) return;
    prefix = next;
  }
}

/** The choices taken at decisions [0, k) of the last run (its prefix, then free choices). */
function prefixOf(stack: readonly Decision[], prefix: readonly number[], k: number): number[] {
  return stack.slice(0, k).map((d, i) => (i < prefix.length ? prefix[i] : d.free));
}

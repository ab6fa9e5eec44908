// One campaign run: a scenario under a schedule policy in the scheduled world, with every choice
// the policy made recorded as a choice sequence (sim/policy.ts ChoiceSequence), so any failing
// run — found by random, PCT or DFS — becomes the one value fast-check shrinks.

import { checkInvariants } from '../../hv/index.ts';
import type { Owner } from '../../sim/owner.ts';
import type { SchedulePolicy } from '../../sim/policy.ts';
import type { ScenarioSpec } from '../../sim/scenario.ts';
import { runScheduled, type Failure } from '../../world/world.ts';
import { toScenarioSpec, type CampaignScenario } from './scenario.ts';

/** Wraps a policy and records its choices by step number (steps that were wake-ups stay 0). */
export class RecordingPolicy implements SchedulePolicy {
  readonly name: string;
  readonly choices: number[] = [];
  /** Runnable count at each recorded step (DFS branches on it). */
  readonly widths: number[] = [];
  /** The actor chosen at each decision, in order (shrinking follows a run by actor names). */
  readonly picked: string[] = [];
  constructor(private readonly inner: SchedulePolicy) {
    this.name = inner.name;
  }
  choose(step: number, runnable: readonly string[]): number {
    const i = this.inner.choose(step, runnable);
    while (this.choices.length < step) {
      this.choices.push(0);
      this.widths.push(1);
    }
    this.choices[step] = i;
    this.widths[step] = runnable.length;
    this.picked.push(runnable[i]);
    return i;
  }
}

/** The world's most wallBudgetMs (a week; it must be in (0, this]): a deadline already past gives it 1 ms. */
const WORLD_WALL_BUDGET_MAX_MS = 604_800_000;

/** Bounds of one run besides the campaign's own (runOnce). */
export interface RunLimits {
  stepCap?: number;
  deadline?: number;
}

export interface RunOutcome {
  failure?: Failure;
  steps: number;
  /** The choice sequence that reproduces this run (trailing arrival-order zeros dropped). */
  choices: number[];
  widths: number[];
  /** The actor chosen at each decision up to the failure (or the end). */
  picked: string[];
  /** The JSONL trace (only kept for failing runs unless asked). */
  trace?: string;
}

/**
 * The kill faults of `s` as a world driver: between two steps, once `atStep` sections have run,
 * the owner kills the actor (recorded as a {k:'kill'} choice, which replay applies at the same
 * point); otherwise the policy steps. Undefined when the scenario has no kills.
 */
function killingDriver(s: CampaignScenario, names: readonly string[]): ((owner: Owner) => boolean) | undefined {
  const kills = (s.kills ?? []).map((k) => ({ actor: names[k.actor % names.length], atStep: k.atStep, done: false }));
  if (kills.length === 0) return undefined;
  return (owner) => {
    for (const k of kills) {
      if (k.done || owner.steps < k.atStep) continue;
      k.done = true;
      if (owner.actorNames().includes(k.actor)) {
        owner.kill(k.actor, `fault: killed after ${k.atStep} sections`);
        return true;
      }
    }
    return owner.step();
  };
}

/** Steps every campaign run may take whatever it builds (most scenarios end in well under 1,000). */
export const CAMPAIGN_BASE_STEPS = 20_000;

/**
 * Critical sections an actor may spend per frame of the host: a populate of order-0 extents is
 * two a page (alloc_heap_pages, assign_pages) plus its continuations; the third is headroom for
 * a build's fallback to smaller extents and for frees and re-populates.
 */
export const SECTIONS_PER_FRAME = 3;

/**
 * Steps after which a run of `spec` counts as a livelock: the base, plus SECTIONS_PER_FRAME per
 * frame of the host for each actor (no actor populates more than the host holds at a time). A
 * fixed bound called honest long runs livelocks: 4.3's libxc builds a PV guest of 4 KiB pages
 * (one order-0 extent a page), so the xl family's 40 MiB PV create is ~20,500 sections alone.
 */
export function campaignMaxSteps(spec: Pick<ScenarioSpec, 'host' | 'actors'>): number {
  return CAMPAIGN_BASE_STEPS + SECTIONS_PER_FRAME * spec.host.memoryMiB * 256 * spec.actors.length;
}

/**
 * Runs `s` under `policy`; keeps the trace of a failing run (or always, with keepTrace).
 * @param deep 'every-step' runs the full invariant checker (frame-table scans) after every
 *   section, as replay does; 'at-end' (the fast search mode, ~10× faster) checks the counters
 *   after every section and scans the frame table once at the end.
 * @param limits what shrinking (shrink.ts) bounds a candidate's run by: `stepCap`, stop after
 *   this many sections (a 'step-limit' failure; default and most campaignMaxSteps) — it wants
 *   only failures shorter than its best, so a candidate that does not fail by then need not run
 *   on to its end; `deadline` (performance.now() ms), stop there (no failure: the world's
 *   wall-clock budget), so one long run does not overrun the shrink's time.
 */
export async function runOnce(s: CampaignScenario, policy: SchedulePolicy, keepTrace = false, deep: 'every-step' | 'at-end' = 'at-end', limits: RunLimits = {}): Promise<RunOutcome> {
  const rec = new RecordingPolicy(policy);
  const fast = deep === 'at-end';
  const spec = toScenarioSpec(s);
  const r = await runScheduled(spec, rec, {
    maxSteps: Math.min(campaignMaxSteps(spec), Math.max(1, Math.floor(limits.stepCap ?? Infinity))),
    ...(limits.deadline !== undefined && limits.deadline < Infinity ? { wallBudgetMs: Math.min(WORLD_WALL_BUDGET_MAX_MS, Math.max(1, Math.ceil(limits.deadline - performance.now()))) } : {}),
    invariants: !fast,
    onStep: fast ? (_i, owner) => checkInvariants(owner.hv, false) : undefined,
    driver: killingDriver(s, spec.actors.map((a) => a.name)),
  });
  if (fast && r.failure === undefined) {
    try {
      checkInvariants(r.owner.hv, true);
    } catch (e) {
      return { failure: { kind: 'invariant', message: (e as Error).message, step: r.steps }, steps: r.steps, choices: rec.choices, widths: rec.widths, picked: rec.picked };
    }
  }
  const choices = rec.choices.slice(0, r.failure !== undefined ? r.failure.step : undefined);
  while (choices.length > 0 && choices[choices.length - 1] === 0) choices.pop();
  return {
    failure: r.failure,
    steps: r.steps,
    choices,
    widths: rec.widths,
    picked: rec.picked,
    trace: r.failure !== undefined || keepTrace ? r.owner.trace.toJsonl() : undefined,
  };
}

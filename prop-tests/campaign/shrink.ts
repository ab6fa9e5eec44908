// Shrinking a failing case — scenario and schedule — towards a small counterexample, on long
// traces too: greedy passes over the scenario's structure (drop an actor, a guest, a fault, a
// family's flag; a plan back to plain; smaller hosts, guests and extent counts), each candidate
// tried under a few schedules (the current choices, arrival order, seeded random ones), then
// delta debugging on the choice sequence (zero or drop chunks, lower single choices). A candidate
// is kept when it breaks the same property in no more critical sections and is no larger.
// fast-check's own shrinker then polishes what is left of the time (campaign.ts).

import { ChoiceSequence, Pct, SeededRandom, type SchedulePolicy } from '../../sim/policy.ts';
import { hash32 } from '../../sim/rng.ts';
import type { Failure } from '../../world/world.ts';
import { runOnce } from './run.ts';
import { freeAtBoot, toScenarioSpec, type BuildPlan, type CampaignScenario, type GuestSpec } from './scenario.ts';

export interface Case {
  scenario: CampaignScenario;
  choices: number[];
  /** Critical sections up to the failure. */
  steps: number;
  /** The actor chosen at each decision (to replay the schedule on a smaller scenario). */
  picked?: readonly string[];
}

/**
 * Follows a schedule by actor names: at each decision, the next listed actor that is runnable
 * (skipping the names before it: actors a smaller scenario no longer has, or that are blocked);
 * the arrival-order pick once the list runs out.
 */
export class NamedSchedule implements SchedulePolicy {
  readonly name = 'named';
  private at = 0;
  constructor(private readonly names: readonly string[]) {}
  choose(_step: number, runnable: readonly string[]): number {
    for (let p = this.at; p < this.names.length; p++) {
      const i = runnable.indexOf(this.names[p]);
      if (i >= 0) {
        this.at = p + 1;
        return i;
      }
    }
    return 0;
  }
}

/** A scenario's actors with their index-derived names blanked, to match actors across a cut. */
function actorKeys(s: CampaignScenario): Array<{ name: string; key: string }> {
  return toScenarioSpec(s).actors.map((a) => ({
    name: a.name,
    key: `${a.kind}|${JSON.stringify(a.params ?? {}).replace(/\b(g|dm|x|lx)\d+\b/g, '$1#')}`,
  }));
}

/** The names of `from`'s actors as they are called in `to` (same kind and parameters), else dropped. */
export function renameSchedule(from: CampaignScenario, to: CampaignScenario, picked: readonly string[]): string[] {
  const olds = actorKeys(from);
  const news = actorKeys(to);
  const used = new Set<number>();
  const map = new Map<string, string>();
  for (const o of olds) {
    const j = news.findIndex((n, k) => !used.has(k) && n.key === o.key);
    if (j < 0) continue;
    used.add(j);
    map.set(o.name, news[j].name);
  }
  return picked.flatMap((n) => (map.has(n) ? [map.get(n)!] : []));
}

/** A scenario's size: actors first, then the length of its description (smaller sizes, fewer keys). */
export function scenarioSize(s: CampaignScenario): number {
  return toScenarioSpec(s).actors.length * 1e6 + (s.kills?.length ?? 0) * 1e5 + JSON.stringify(s).length;
}

const choiceWeight = (cs: readonly number[]): number => cs.reduce((w, c) => w + (c === 0 ? 0 : 1), 0);

/** Orders cases: fewer steps, then a smaller scenario, then fewer and earlier preemptions. */
export function smallerCase(a: Case, b: Case): boolean {
  if (a.steps !== b.steps) return a.steps < b.steps;
  const sa = scenarioSize(a.scenario);
  const sb = scenarioSize(b.scenario);
  if (sa !== sb) return sa < sb;
  if (choiceWeight(a.choices) !== choiceWeight(b.choices)) return choiceWeight(a.choices) < choiceWeight(b.choices);
  return a.choices.length < b.choices.length;
}

const PLAIN_PLAN: BuildPlan = { claimMode: 1, claimPct: 100, claimAfter: 0, cancelAfter: 0, maxSlack: 256, maxOrder: 18, batch: 1, reclaim: false };

/** memPct values (≤ `pct`) that make a guest's size a power of two: one extent to populate. */
function powerOfTwoPcts(s: CampaignScenario, pct: number): number[] {
  const free = s.hostMiB * 256 - 1 - s.dom0MiB * 256;
  const out: number[] = [];
  for (let k = 1; 2 ** k <= free; k++) {
    const p = Math.ceil((2 ** k * 100) / free);
    if (p < pct && Math.floor((free * p) / 100) === 2 ** k) out.push(p);
  }
  return out.reverse();
}

/** Lists a scenario may hold, each shrinkable by dropping elements. */
const LISTS = ['kills', 'rogues', 'deviceModels', 'guestOps', 'xls', 'vnumaXls', 'offlines', 'linux', 'pokes'] as const;

/** Smaller variants of `s`, structural cuts first (each differs from `s` in one place). */
export function* scenarioCandidates(s: CampaignScenario): Generator<CampaignScenario> {
  for (const key of LISTS) {
    const xs = s[key] as unknown[] | undefined;
    if (xs === undefined || xs.length === 0) continue;
    yield { ...s, [key]: [] };
    if (xs.length > 1) for (let i = 0; i < xs.length; i++) yield { ...s, [key]: xs.filter((_, j) => j !== i) };
  }
  if (s.guests.length > 1) for (let i = 0; i < s.guests.length; i++) yield { ...s, guests: s.guests.filter((_, j) => j !== i) };
  if (s.busyCpus === true) yield { ...s, busyCpus: false };
  if (s.noClaims === true) yield { ...s, noClaims: false };
  if (s.tmem === true) yield { ...s, tmem: false };
  if (s.nodes > 1) yield { ...s, nodes: 1 };
  if ((s.busyBatch ?? 1) > 1) yield { ...s, busyBatch: 1 };
  const withGuest = (i: number, g: GuestSpec): CampaignScenario => ({ ...s, guests: s.guests.map((x, j) => (j === i ? g : x)) });
  for (const [i, g] of s.guests.entries()) {
    if (g.plan !== undefined) {
      yield withGuest(i, { ...g, plan: undefined });
      for (const k of Object.keys(PLAIN_PLAN) as Array<keyof BuildPlan>) {
        if (g.plan[k] !== PLAIN_PLAN[k]) yield withGuest(i, { ...g, plan: { ...g.plan, [k]: PLAIN_PLAN[k] } });
      }
      if (g.plan.edge !== undefined) yield withGuest(i, { ...g, plan: { ...g.plan, edge: undefined } });
      // Fewer extents before a late claim or a cancel, fewer per call: shorter builds.
      for (const k of ['claimAfter', 'cancelAfter', 'batch'] as const) {
        if (g.plan[k] > 1) yield withGuest(i, { ...g, plan: { ...g.plan, [k]: g.plan[k] - 1 } });
      }
    }
    if (g.dieAfter > 0) yield withGuest(i, { ...g, dieAfter: 0 });
    if (g.dieAfter > 1) yield withGuest(i, { ...g, dieAfter: g.dieAfter - 1 });
    if (g.type === 'hvm') yield withGuest(i, { ...g, type: 'pv' });
    for (const p of powerOfTwoPcts(s, g.memPct)) yield withGuest(i, { ...g, memPct: p });
    if (g.memPct > 1) yield withGuest(i, { ...g, memPct: Math.floor(g.memPct / 2) });
  }
  for (const [i, o] of (s.offlines ?? []).entries()) {
    const withOffline = (q: typeof o): CampaignScenario => ({ ...s, offlines: s.offlines!.map((x, j) => (j === i ? q : x)) });
    if (o.online) yield withOffline({ ...o, online: false });
    if (o.count > 1) yield withOffline({ ...o, count: Math.floor(o.count / 2) });
    if (o.delay > 0) yield withOffline({ ...o, delay: Math.floor(o.delay / 2) });
  }
  for (const [i, x] of (s.vnumaXls ?? []).entries()) {
    const withVnuma = (q: typeof x): CampaignScenario => ({ ...s, vnumaXls: s.vnumaXls!.map((y, j) => (j === i ? q : y)) });
    if (x.vnodes > 2) yield withVnuma({ ...x, vnodes: x.vnodes - 1 });
  }
  if ((s.vnumaHostNodes ?? 2) > 2) yield { ...s, vnumaHostNodes: 2 };
  for (const [i, p] of s.pokes.entries()) {
    const withPoke = (q: typeof p): CampaignScenario => ({ ...s, pokes: s.pokes.map((x, j) => (j === i ? q : x)) });
    if (p.polls > 1) yield withPoke({ ...p, polls: 1 });
    if (p.size > 0) yield withPoke({ ...p, size: Math.floor(p.size / 2) });
  }
  for (const [i, k] of (s.kills ?? []).entries()) {
    if (k.atStep > 1) yield { ...s, kills: s.kills!.map((x, j) => (j === i ? { ...k, atStep: Math.floor(k.atStep / 2) } : x)) };
    if (k.atStep > 1) yield { ...s, kills: s.kills!.map((x, j) => (j === i ? { ...k, atStep: k.atStep - 1 } : x)) };
  }
  for (const key of ['rogues', 'deviceModels'] as const) {
    for (const [i, r] of (s[key] ?? []).entries()) {
      if (r.ops.length > 1) for (const op of r.ops) yield { ...s, [key]: s[key]!.map((x, j) => (j === i ? { ...r, ops: [op] } : x)) };
    }
  }
  for (const [i, x] of (s.xls ?? []).entries()) {
    if (x.memPct > 20) yield { ...s, xls: s.xls!.map((y, j) => (j === i ? { ...x, memPct: 20 } : y)) };
    if (x.type === 'hvm') yield { ...s, xls: s.xls!.map((y, j) => (j === i ? { ...x, type: 'pv' as const } : y)) };
  }
  if (s.hostMiB > 4 && freeAtBoot(s) > 0) {
    yield { ...s, hostMiB: 4 };
    if (s.hostMiB > 5) yield { ...s, hostMiB: Math.max(4, Math.floor(s.hostMiB / 2)) };
    yield { ...s, hostMiB: s.hostMiB - 1 };
  }
}

export interface ShrinkContext {
  /** The failure key to keep (campaign.ts failureKey). */
  key: string;
  keyOf: (f: Failure) => string;
  deadline: number;
  /** Most runs to make (deterministic budget); default unlimited. */
  maxRuns?: number;
  seed: number;
  onCase?: (c: Case, message: string) => void;
}

/**
 * Schedules a candidate scenario is tried under: the current run followed by actor names, its
 * choice indexes, arrival order, a few seeded ones.
 */
function* schedulesFor(from: Case, cand: CampaignScenario, seed: number): Generator<SchedulePolicy> {
  if (from.picked !== undefined) yield new NamedSchedule(renameSchedule(from.scenario, cand, from.picked));
  yield new ChoiceSequence([...from.choices]);
  yield new ChoiceSequence([]);
  for (let k = 0; k < 2; k++) yield new SeededRandom(hash32(seed, 0x5c4, k));
  yield new Pct(hash32(seed, 0x5c5), 2, 60);
}

/** Runs `s` under `policy`; the failing case if it breaks the same property. */
async function attempt(cx: ShrinkContext, s: CampaignScenario, policy: SchedulePolicy): Promise<{ c: Case; message: string } | undefined> {
  const r = await runOnce(s, policy);
  if (r.failure === undefined || cx.keyOf(r.failure) !== cx.key) return undefined;
  return { c: { scenario: s, choices: r.choices, steps: r.failure.step, picked: r.picked }, message: r.failure.message };
}

/** The search state of one shrink: the smallest failing case so far. */
interface Shrinking {
  best: Case;
  runs: number;
  readonly cx: ShrinkContext;
}

/** Tries `s` under `policy`; keeps the result when it fails the same way and is smaller. */
async function offer(st: Shrinking, s: CampaignScenario, policy: SchedulePolicy): Promise<boolean> {
  st.runs++;
  const found = await attempt(st.cx, s, policy);
  if (found === undefined || !smallerCase(found.c, st.best)) return false;
  st.best = found.c;
  st.cx.onCase?.(st.best, found.message);
  return true;
}

const late = (st: Shrinking): boolean => st.runs >= (st.cx.maxRuns ?? Infinity) || performance.now() >= st.cx.deadline;

/**
 * Greedy scenario and schedule reduction from `first` until nothing smaller fails the same way
 * or the deadline passes. @returns the smallest failing case found and the runs it took.
 */
export async function shrinkCase(first: Case, cx: ShrinkContext): Promise<{ best: Case; runs: number }> {
  const st: Shrinking = { best: first, runs: 0, cx };
  for (let progress = true; progress && !late(st); ) {
    progress = await scenarioPass(st);
    if (!progress && !late(st)) progress = await choicesPass(st);
  }
  return { best: st.best, runs: st.runs };
}

/** One structural cut that still fails (the first found), or false. */
async function scenarioPass(st: Shrinking): Promise<boolean> {
  const from = st.best;
  for (const cand of scenarioCandidates(from.scenario)) {
    for (const policy of schedulesFor(from, cand, st.cx.seed)) {
      if (late(st)) return false;
      if (await offer(st, cand, policy)) return true;
    }
  }
  return false;
}

/** Delta debugging on the best case's choices: zero chunks, drop chunks, lower single choices. */
async function choicesPass(st: Shrinking): Promise<boolean> {
  const start = st.best;
  const tryChoices = (choices: number[]): Promise<boolean> => (late(st) ? Promise.resolve(false) : offer(st, st.best.scenario, new ChoiceSequence(choices)));
  for (let chunk = Math.max(1, Math.ceil(st.best.choices.length / 2)); chunk >= 1 && !late(st); chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let i = 0; i < st.best.choices.length && !late(st); i += chunk) {
      const cs = st.best.choices;
      if (cs.slice(i, i + chunk).some((x) => x !== 0)) {
        const zeroed = [...cs.slice(0, i), ...new Array<number>(Math.min(chunk, cs.length - i)).fill(0), ...cs.slice(i + chunk)];
        if (await tryChoices(zeroed)) continue;
      }
      if (await tryChoices([...cs.slice(0, i), ...cs.slice(i + chunk)])) i -= chunk;
    }
  }
  for (let i = 0; i < st.best.choices.length && !late(st); i++) {
    while (st.best.choices[i] > 1 && (await tryChoices(st.best.choices.map((x, j) => (j === i ? x - 1 : x)))));
  }
  return st.best !== start;
}

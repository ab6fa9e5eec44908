// Shrinking a failing case — scenario and schedule — towards a small counterexample, on long
// traces too. First it drops what can go (actors, guests, faults, the mini-builders altogether
// when nothing runs in them) until nothing more can; then it cuts sizes where a trace's length
// enters: first the long-lived actors' traffic (the tmem fill's puts, a Linux guest's tmem calls
// a second and its workload), then the failing xl or squeezed build's memory down to the least
// its type allows, the squeeze's whole blocks with it, slack and grabs, vNUMA memory, guest ops'
// boot claims and sizes, a family's flags, a plan back to plain, smaller hosts and extent counts,
// and last less free memory (dom0 holds the rest from boot, page by page: a build that fails
// after populating fails after one page). A cut whose host fell below the world's least gets the
// least valid one. A cut actor's part of the schedule follows it by kind and name, and after a
// kept cut the next round goes on from the same place in the list. Each candidate is tried under
// its likeliest schedule (the current run by actor names); then a postpone pass runs each actor
// only when nothing else can; a names pass leaves chunks of one actor's picks out (a poll or a
// step it took too early moves past the failure); delta debugging on the choice sequence (zero
// or drop chunks, lower single choices); and only then each candidate under the other schedules
// (choice indexes, arrival order, seeded random ones). With time left at a local minimum, once
// more from the first case with every schedule a candidate at once (the smaller result wins). A
// candidate is kept when it breaks the same property in no more critical sections and is no
// larger; its run stops one section past
// the best case's (runOnce's stepCap: one that does not fail by then cannot be kept) and at the
// deadline. Bounded by runs and a deadline; under a runs budget, deterministic. fast-check's own
// shrinker then polishes what is left of the time (campaign.ts).

import { ChoiceSequence, Pct, SeededRandom, type SchedulePolicy } from '../../sim/policy.ts';
import { hash32 } from '../../sim/rng.ts';
import type { Failure } from '../../world/world.ts';
import { validateScenarioSpec } from '../../sim/scenario-validate.ts';
import { runOnce } from './run.ts';
import { dom0PagesOf, freeAtBoot, hostMiBOf, linuxOpsPerTick, squeezeMiB, tmemFillPuts, toScenarioSpec, xlMemoryMiB, type BuildPlan, type CampaignScenario, type GuestSpec, type LinuxSpec, type SqueezeSpec } from './scenario.ts';
import { HV_LIMITS } from '../../hv/index.ts';
import type { WorkloadKind } from '../../guests/workload.ts';

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
 * once the list runs out (or names none runnable), the first runnable actor not in `later`
 * (actors postponed until nothing else can run), else the arrival-order pick.
 */
export class NamedSchedule implements SchedulePolicy {
  readonly name = 'named';
  private at = 0;
  constructor(private readonly names: readonly string[], private readonly later: ReadonlySet<string> = new Set()) {}
  choose(_step: number, runnable: readonly string[]): number {
    for (let p = this.at; p < this.names.length; p++) {
      const i = runnable.indexOf(this.names[p]);
      if (i >= 0) {
        this.at = p + 1;
        return i;
      }
    }
    return Math.max(0, runnable.findIndex((n) => !this.later.has(n)));
  }
}

/** A scenario's actors with their index-derived names blanked, to match actors across a cut. */
function actorKeys(s: CampaignScenario): Array<{ name: string; key: string }> {
  return toScenarioSpec(s).actors.map((a) => ({
    name: a.name,
    key: `${a.kind}|${JSON.stringify(a.params ?? {}).replace(/\b(g|dm|x|lx)\d+\b/g, '$1#')}`,
  }));
}

/**
 * The names of `from`'s actors as they are called in `to`, else dropped: an actor of the same kind
 * and parameters first; then, for an actor whose parameters a cut changed (a smaller guest, a
 * squeeze with fewer superpages), one of the same kind and name; then of the same kind, in order.
 */
export function renameSchedule(from: CampaignScenario, to: CampaignScenario, picked: readonly string[]): string[] {
  const olds = actorKeys(from);
  const news = actorKeys(to);
  const used = new Set<number>();
  const map = new Map<string, string>();
  const kind = (key: string): string => key.slice(0, key.indexOf('|'));
  const matches: Array<(o: { name: string; key: string }, n: { name: string; key: string }) => boolean> = [
    (o, n) => n.key === o.key,
    (o, n) => n.name === o.name && kind(n.key) === kind(o.key),
    (o, n) => kind(n.key) === kind(o.key),
  ];
  for (const same of matches) {
    for (const o of olds) {
      if (map.has(o.name)) continue;
      const j = news.findIndex((n, k) => !used.has(k) && same(o, n));
      if (j < 0) continue;
      used.add(j);
      map.set(o.name, news[j].name);
    }
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
  const free = s.hostMiB * 256 - 1 - dom0PagesOf(s);
  const out: number[] = [];
  for (let k = 1; 2 ** k <= free; k++) {
    const p = Math.ceil((2 ** k * 100) / free);
    if (p < pct && Math.floor((free * p) / 100) === 2 ** k) out.push(p);
  }
  return out.reverse();
}

/** Lists a scenario may hold, each shrinkable by dropping elements. */
const LISTS = ['kills', 'rogues', 'deviceModels', 'guestOps', 'xls', 'vnumaXls', 'offlines', 'linux', 'pokes', 'squeezes'] as const;

/**
 * Smaller variants of `s`, structural cuts first (each differs from `s` in one place): only those
 * with an actor whose spec the world accepts (a host of at least 4 MiB, sim/scenario-validate.ts).
 * @param dropsOnly only the cuts that drop actors, guests and faults (what the first pass tries)
 */
export function* scenarioCandidates(s: CampaignScenario, dropsOnly = false): Generator<CampaignScenario> {
  for (const cut of dropsOnly ? drops(s) : cuts(s)) {
    const c = withLeastHost(cut);
    const spec = toScenarioSpec(c);
    if (spec.actors.length > 0 && validateScenarioSpec(spec).length === 0) yield c;
  }
}

/**
 * A cut whose host fell below the world's least (dropping the guest op that gave the host its
 * room for extents, a family's 8× host): its base raised to the least that gives a host of
 * HV_LIMITS.memoryMiB.min again, so the cut is still tried (as it keeps SHORTER_ONLY).
 */
function withLeastHost(c: CampaignScenario): CampaignScenario {
  if (hostMiBOf(c) >= HV_LIMITS.memoryMiB.min) return c;
  let hostMiB = c.hostMiB;
  while (hostMiB < HV_LIMITS.memoryMiB.min && hostMiBOf({ ...c, hostMiB }) < HV_LIMITS.memoryMiB.min) hostMiB++;
  const r = { ...c, hostMiB };
  if (SHORTER_ONLY.has(c)) SHORTER_ONLY.add(r);
  return r;
}

function* cuts(s: CampaignScenario): Generator<CampaignScenario> {
  yield* drops(s);
  yield* reductions(s);
}

/** Cuts that drop a list's elements (actors, faults) or guests. */
function* drops(s: CampaignScenario): Generator<CampaignScenario> {
  for (const key of LISTS) {
    const xs = s[key] as unknown[] | undefined;
    if (xs === undefined || xs.length === 0) continue;
    yield { ...s, [key]: [] };
    if (xs.length > 1) for (let i = 0; i < xs.length; i++) yield { ...s, [key]: xs.filter((_, j) => j !== i) };
  }
  if (s.guests.length > 1) for (let i = 0; i < s.guests.length; i++) yield { ...s, guests: s.guests.filter((_, j) => j !== i) };
  if (s.guests.length === 1 && idleGuests(s)) yield { ...s, guests: [] };
}

/** Cuts that make what is left simpler and smaller: flags, plans, sizes, counts, the host. */
function* reductions(s: CampaignScenario): Generator<CampaignScenario> {
  // First the long-lived actors' traffic, thousands of sections where they are in a scenario:
  // the tmem fill's puts, a Linux guest's tmem calls a second and its workload.
  if (s.tmem === true) for (const m of fewer(tmemFillPuts(s), 0)) yield { ...s, tmemFill: m };
  for (const [i, l] of (s.linux ?? []).entries()) {
    const withLinux = (q: LinuxSpec): CampaignScenario => ({ ...s, linux: s.linux!.map((y, j) => (j === i ? q : y)) });
    for (const m of fewer(linuxOpsPerTick(l), 0)) yield withLinux({ ...l, opsPerTick: m });
    for (const w of CALMER_WORKLOADS) if ((l.workload ?? 'bursty') !== w) yield onlyIfShorter(withLinux({ ...l, workload: w }));
  }
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
    for (const m of fewer(x.memPct, 1)) yield withVnuma({ ...x, memPct: m });
  }
  if ((s.vnumaHostNodes ?? 2) > 2) yield { ...s, vnumaHostNodes: 2 };
  for (const [i, p] of s.pokes.entries()) {
    const withPoke = (q: typeof p): CampaignScenario => ({ ...s, pokes: s.pokes.map((x, j) => (j === i ? q : x)) });
    for (const m of fewer(p.polls, 1)) yield withPoke({ ...p, polls: m });
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
  for (const [i, g] of (s.guestOps ?? []).entries()) {
    const withOp = (q: typeof g): CampaignScenario => ({ ...s, guestOps: s.guestOps!.map((x, j) => (j === i ? q : x)) });
    // The claim a guest boots with, the op's size, its variant's flags one at a time.
    for (const m of fewer(g.bootClaim ?? 0, 0)) yield withOp({ ...g, bootClaim: m });
    for (const m of fewer(g.arg, 0)) yield withOp({ ...g, arg: m });
    for (let bit = 1; bit <= (g.variant ?? 0); bit <<= 1) if (((g.variant ?? 0) & bit) !== 0) yield withOp({ ...g, variant: g.variant! & ~bit });
  }
  for (const [i, x] of (s.xls ?? []).entries()) {
    const withXl = (q: typeof x): CampaignScenario => ({ ...s, xls: s.xls!.map((y, j) => (j === i ? q : y)) });
    if (x.memPct > 20) yield withXl({ ...x, memPct: 20 });
    if (x.type === 'hvm') yield withXl({ ...x, type: 'pv' as const });
    // A libxl build is two sections a 4 KiB page: its memory is what makes it long.
    for (const m of fewer(xlMemoryMiB(s, x), minBuildMiB(x.type))) yield withXl({ ...x, memoryMiB: m });
  }
  for (const [i, q] of (s.squeezes ?? []).entries()) yield* squeezeCandidates(s, i, q);
  // Builds without a plan of their own check free memory instead of claiming and cancelling: fewer sections each.
  if (s.claimMode === 1 && s.claimModeFixed !== true) yield onlyIfShorter({ ...s, claimMode: 0 });
  // Last (a guest at its least leaves the others nothing to shrink toward): the least a
  // mini-builder builds, 2 pages (builderParams), one extent.
  // Kept only when it cuts sections (a smaller description alone does not pay for that).
  for (const [i, g] of s.guests.entries()) if (g.memPct > 0) yield onlyIfShorter(withGuest(i, { ...g, memPct: 0 }));
  if (freeAtBoot(s) > 0) {
    for (const m of fewer(s.hostMiB, 1, s.hostMiB > 4 ? [4] : [])) {
      const c = { ...s, hostMiB: m };
      if (freeAtBoot(c) > 0) yield c;
    }
  }
  // Less free memory, where a host cannot be smaller: a failure that needs memory to run out
  // (a build that fails after populating) comes after fewer pages. dom0 holds the rest from boot
  // (no sections), down to one free page; kept only when it cuts sections.
  for (const m of more(dom0PagesOf(s), dom0PagesOf(s) + freeAtBoot(s) - 1)) yield onlyIfShorter({ ...s, dom0Pages: m });
}

/** Workloads a Linux guest's may be cut to (guests/workload.ts): no demand, then a flat one. */
const CALMER_WORKLOADS: readonly WorkloadKind[] = ['idle', 'steady'];

/** Larger values than `n` up to `most`, largest steps first: `most`, halfway, one more. */
function more(n: number, most: number): number[] {
  const out: number[] = [];
  for (const m of [most, n + Math.ceil((most - n) / 2), n + 1]) if (m > n && m <= most && !out.includes(m)) out.push(m);
  return out;
}

/** Cuts kept only when the failure comes in fewer sections (onlyIfShorter). */
const SHORTER_ONLY = new WeakSet<CampaignScenario>();
const onlyIfShorter = (s: CampaignScenario): CampaignScenario => (SHORTER_ONLY.add(s), s);

/**
 * Smaller values than `n` down to `least`, largest cuts first: `first` (others' sizes worth a try
 * first), `least`, half, three quarters, one less — so a size whose half no longer fails still
 * comes down by quarters, not one at a time (a tmem fill of 1262 puts).
 */
function fewer(n: number, least: number, first: readonly number[] = []): number[] {
  const out: number[] = [];
  for (const m of [...first, least, Math.floor(n / 2), n - Math.ceil((n - least) / 4), n - 1]) if (m >= least && m < n && !out.includes(m)) out.push(m);
  return out;
}

/** Least xl.cfg memory a build of `type` can have (MiB): an HVM guest's 8 MiB of video RAM and one MiB of RAM. */
const minBuildMiB = (type: 'pv' | 'hvm'): number => (type === 'hvm' ? 9 : 1);

/**
 * The mini-builders do not matter to the rest of the scenario: nothing runs in or on a guest
 * (pokes, guest ops, rogues, device models, tmem's fill), and other actors remain.
 */
function idleGuests(s: CampaignScenario): boolean {
  const none = (xs: readonly unknown[] | undefined): boolean => (xs?.length ?? 0) === 0;
  const others = (s.xls?.length ?? 0) + (s.squeezes?.length ?? 0) + (s.vnumaXls?.length ?? 0) + (s.offlines?.length ?? 0) + (s.linux?.length ?? 0);
  return none(s.pokes) && none(s.guestOps) && none(s.rogues) && none(s.deviceModels) && s.tmem !== true && others > 0;
}

/** A squeeze's smaller variants: a PV build, less memory, fewer whole blocks, grabs and slack, sooner grabs. */
function* squeezeCandidates(s: CampaignScenario, i: number, q: SqueezeSpec): Generator<CampaignScenario> {
  const withSqueeze = (r: SqueezeSpec): CampaignScenario => ({ ...s, squeezes: s.squeezes!.map((y, j) => (j === i ? r : y)) });
  if (q.type === 'hvm') yield withSqueeze({ ...q, type: 'pv', memoryMiB: undefined });
  for (const m of fewer(squeezeMiB(q), minBuildMiB(q.type))) {
    // The whole 2 MiB blocks left scale with the build: no more than a build of m MiB could take
    // (else the smaller build finds all it needs whole, and the cut never fails the same way).
    const superpages = Math.min(q.superpages, Math.floor((m - minBuildMiB(q.type) + 1) / 2));
    if (superpages < q.superpages) yield withSqueeze({ ...q, memoryMiB: m, superpages });
    yield withSqueeze({ ...q, memoryMiB: m });
  }
  for (const k of ['superpages', 'grabs', 'grabAtUs'] as const) for (const m of fewer(q[k], 0)) yield withSqueeze({ ...q, [k]: m });
  for (const m of fewer(Math.abs(q.slack), 0)) yield withSqueeze({ ...q, slack: Math.sign(q.slack) * m });
  if (q.keep > 1) yield withSqueeze({ ...q, keep: 1 });
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
 * Schedules a candidate scenario is tried under. Tier 0: the current run followed by actor names
 * (else its choice indexes) — what most often still fails, one run a candidate. Tier 1, tried
 * only once no candidate fails under tier 0: its choice indexes, arrival order, a few seeded ones.
 */
function* schedulesFor(from: Case, cand: CampaignScenario, seed: number, tier: 0 | 1): Generator<SchedulePolicy> {
  const named = from.picked !== undefined;
  if (tier === 0) {
    yield named ? new NamedSchedule(renameSchedule(from.scenario, cand, from.picked!)) : new ChoiceSequence([...from.choices]);
    return;
  }
  if (named) yield new ChoiceSequence([...from.choices]);
  yield new ChoiceSequence([]);
  for (let k = 0; k < 2; k++) yield new SeededRandom(hash32(seed, 0x5c4, k));
  yield new Pct(hash32(seed, 0x5c5), 2, 60);
}

/**
 * Sections a candidate may run: one more than the best case's (a case is only kept when it fails
 * in no more), so a candidate that does not fail is stopped there, not run on to its end — on a
 * long trace most candidates do not fail, and those are the dear runs. Not when the failure to
 * keep is the step limit itself.
 */
export const stepCapFor = (key: string, best: Case): number => (key.startsWith('step-limit:') ? Infinity : best.steps + 1);

/** Runs `s` under `policy` (at most `cap` sections); the failing case if it breaks the same property. */
async function attempt(cx: ShrinkContext, s: CampaignScenario, policy: SchedulePolicy, cap: number): Promise<{ c: Case; message: string } | undefined> {
  const r = await runOnce(s, policy, false, 'at-end', { stepCap: cap, deadline: cx.deadline });
  if (r.failure === undefined || cx.keyOf(r.failure) !== cx.key) return undefined;
  return { c: { scenario: s, choices: r.choices, steps: r.failure.step, picked: r.picked }, message: r.failure.message };
}

/** The search state of one shrink: the smallest failing case so far. */
interface Shrinking {
  best: Case;
  runs: number;
  readonly cx: ShrinkContext;
}

/** Tries `s` under `policy`; keeps the result when it fails the same way and is smaller (in fewer sections, if `shorter`). */
async function offer(st: Shrinking, s: CampaignScenario, policy: SchedulePolicy, shorter = false): Promise<boolean> {
  st.runs++;
  const found = await attempt(st.cx, s, policy, stepCapFor(st.cx.key, st.best));
  if (found === undefined || !smallerCase(found.c, st.best) || (shorter && found.c.steps >= st.best.steps)) return false;
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
  // First what can go (a scenario's sizes are judged by what is left), then everything; each
  // candidate under its one likeliest schedule first, the others only when nothing else is left
  // (on a long trace a run is dear, and most candidates fail to fail).
  await greedy(st, 0);
  if (late(st)) return { best: st.best, runs: st.runs };
  // Time left at a local minimum: once more from the first case, every schedule a candidate
  // before the next candidate (another path down, which on short traces often ends lower).
  // (Its progress is reported only where it gets below the first path's best.)
  const again: Shrinking = { best: first, runs: st.runs, cx: { ...cx, onCase: (c, m) => (smallerCase(c, st.best) ? cx.onCase?.(c, m) : undefined) } };
  await greedy(again, 'all');
  return { best: smallerCase(again.best, st.best) ? again.best : st.best, runs: again.runs };
}

/** The passes until none makes progress; `tier` 'all': each candidate under every schedule at once. */
async function greedy(st: Shrinking, tier: 0 | 'all'): Promise<void> {
  await scenarioPass(st, true, tier);
  for (let progress = true; progress && !late(st); ) {
    progress = await scenarioPass(st, false, tier);
    if (!progress && !late(st)) progress = await postponePass(st);
    if (!progress && !late(st)) progress = await namesPass(st);
    if (!progress && !late(st)) progress = await choicesPass(st);
    if (!progress && !late(st) && tier === 0) progress = await scenarioPass(st, false, 1);
  }
}

/**
 * Structural cuts, each under `tier`'s schedules (schedulesFor; 'all': both tiers'), until none of the best case's
 * still fails. After a cut the next round starts at
 * the same place in the new case's candidates (the cuts before it failed a moment ago and mostly
 * still do): on a long trace every run is dear. @returns whether any cut was kept
 */
async function scenarioPass(st: Shrinking, dropsOnly: boolean, tier: 0 | 1 | 'all'): Promise<boolean> {
  let kept = false;
  for (let at = 0; ; ) {
    const from = st.best;
    const cands = [...scenarioCandidates(from.scenario, dropsOnly)];
    let found = -1;
    for (let n = 0; n < cands.length && found < 0; n++) {
      const i = (at + n) % cands.length;
      for (const policy of tier === 'all' ? [...schedulesFor(from, cands[i], st.cx.seed, 0), ...schedulesFor(from, cands[i], st.cx.seed, 1)] : schedulesFor(from, cands[i], st.cx.seed, tier)) {
        if (late(st)) return kept;
        if (await offer(st, cands[i], policy, SHORTER_ONLY.has(cands[i]))) {
          found = i;
          break;
        }
      }
    }
    if (found < 0) return kept;
    kept = true;
    at = found;
  }
}

/**
 * Schedules that run an actor only when nothing else can (its picks dropped from the named
 * schedule): the sections of an actor the failure does not need come after it, or never.
 * @returns whether a shorter case was found
 */
async function postponePass(st: Shrinking): Promise<boolean> {
  const start = st.best;
  for (let kept = true; kept && !late(st); ) {
    kept = false;
    const picked = st.best.picked ?? [];
    for (const actor of [...new Set(picked)]) {
      if (late(st)) break;
      if (await offer(st, st.best.scenario, new NamedSchedule(picked.filter((n) => n !== actor), new Set([actor])))) {
        kept = true;
        break;
      }
    }
  }
  return st.best !== start;
}

/**
 * Delta debugging on the best case's schedule by actor names, one actor at a time: leave chunks
 * of that actor's picks out (halves, quarters, … single picks; postponePass left them all out)
 * and follow the rest (NamedSchedule), so a section it ran too early — a poll before there was
 * anything to see, a step of its own before the one that matters — moves later, past the
 * failure. Kept only when the failure comes in fewer sections.
 * @returns whether a shorter case was found
 */
async function namesPass(st: Shrinking): Promise<boolean> {
  const start = st.best;
  for (const actor of [...new Set(st.best.picked ?? [])]) {
    const mine = (): number[] => (st.best.picked ?? []).flatMap((n, p) => (n === actor ? [p] : []));
    for (let chunk = Math.max(1, Math.ceil(mine().length / 2)); chunk >= 1 && !late(st); chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
      for (let k = 0; k < mine().length && !late(st); k += chunk) {
        const out = new Set(mine().slice(k, k + chunk));
        if (await offer(st, st.best.scenario, new NamedSchedule(st.best.picked!.filter((_, p) => !out.has(p))), true)) k -= chunk;
      }
    }
  }
  return st.best !== start;
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

// Reliability figures, counted as they happen: hostile inputs tried per target, faults injected
// and survived on real threads, then a soak. Prints a table; exit status 1 if anything failed or
// leaked.
//
//   node --import tsx scripts/reliability.ts [--soak-minutes N] [--runs N]   (defaults 1.5, 300)

import fc from 'fast-check';
import { checkHostileRun, hostileRun, type InputCounts } from '../prop-tests/hostile/hypercall-targets.ts';
import { applyMutation, checkConfigInput, checkScenarioFile, checkTraceInput, configInput, sampleTrace, scenarioFileText, traceMutation } from '../prop-tests/hostile/input-targets.ts';
import { PINNED_SEED_DEFAULT } from '../prop-tests/setup.ts';
import { replayTrace } from '../world/replay.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { loadScenario } from '../world/scenario-file/load.ts';
import { buildScript } from '../world/test-scenarios.ts';
import { leaksAfterCleanup, rogueSlot, runRogue, type RogueReport } from '../workers/faults-support.ts';
import { runThreads } from '../workers/threads.ts';
import { runSoak } from './soak.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
const soakMinutes = opt('--soak-minutes', 1.5);
const runs = opt('--runs', 300);
const seed = Number(process.env.XEN_MEMSIM_SEED ?? PINNED_SEED_DEFAULT);
fc.configureGlobal({ seed });

const problems: string[] = [];
const lines: string[] = [];
const row = (k: string, v: string | number): void => {
  lines.push(`  ${k.padEnd(44)} ${v}`);
};

// ---- hostile inputs ------------------------------------------------------------------------
const t0 = performance.now();
const perOp: InputCounts = new Map();
const hv = fc.check(fc.property(hostileRun, (r) => checkHostileRun(r, perOp)), { numRuns: runs });
if (hv.failed) problems.push(`hypercall fuzz: ${fc.defaultReportMessage(hv)}`);

let configs = 0;
const cfg = fc.check(fc.property(configInput, ([text, extra, v]) => {
  configs++;
  checkConfigInput(text, extra, v);
}), { numRuns: runs * 10 });
if (cfg.failed) problems.push(`config fuzz: ${fc.defaultReportMessage(cfg)}`);

const trace = await sampleTrace();
const traceOutcomes = new Map<string, number>();
const tr = await fc.check(fc.asyncProperty(fc.array(traceMutation, { minLength: 1, maxLength: 3 }), async (ms) => {
  const o = await checkTraceInput(ms.reduce(applyMutation, trace));
  traceOutcomes.set(o, (traceOutcomes.get(o) ?? 0) + 1);
}), { numRuns: Math.max(50, runs) });
if (tr.failed) problems.push(`trace fuzz: ${fc.defaultReportMessage(tr)}`);
const scenarioOutcomes = new Map<string, number>();
const sf = fc.check(fc.property(scenarioFileText, (text) => {
  const o = checkScenarioFile(text);
  scenarioOutcomes.set(o, (scenarioOutcomes.get(o) ?? 0) + 1);
}), { numRuns: runs });
if (sf.failed) problems.push(`scenario-file fuzz: ${fc.defaultReportMessage(sf)}`);

// ---- faults on real threads -------------------------------------------------------------------
const spec = (): ScenarioSpec => ({
  host: { memoryMiB: 64, xen: '4.21', dom0MiB: 8 },
  actors: [
    { name: 'xl-a', kind: 'script', params: buildScript('a', 8, true) },
    { name: 'reaper', kind: 'script', params: { steps: [{ sleep: 1e9 }, { op: 'XEN_DOMCTL_destroydomain', args: { domid: 1 } }] } },
    { name: 'xl-b', kind: 'script', params: { steps: [{ sleep: 2e9 }, ...(buildScript('b', 8, true).steps as object[]), { op: 'XEN_DOMCTL_destroydomain', args: { domid: '$domid' } }] } },
  ],
});
let faults = 0;
let survived = 0;
// Kill points among xl-a's own hypercalls (at n ≥ its count it would not die at all).
const killPoints = fc.sample(fc.nat({ max: (buildScript('a', 8, true).steps as object[]).length - 1 }), 6);
for (const n of killPoints) {
  faults++;
  const r = await runThreads(spec(), { dieAfterRequests: { 'xl-a': n }, timeoutMs: 60_000 });
  const rep = r.trace === undefined ? undefined : await replayTrace(r.trace);
  const leaks = rep === undefined ? undefined : leaksAfterCleanup(rep.run.owner.hv);
  const ok = r.failure === undefined && r.ownerLost === undefined && rep?.reproduced === true && leaks?.framesLeaked === 0 && leaks.claimsLeaked === 0;
  if (ok) survived++;
  else problems.push(`actor killed after ${n} requests: ${JSON.stringify({ failure: r.failure, lost: r.ownerLost, div: rep?.divergence, leaks })}`);
}
// The owner killed mid-run: every actor must get an error (nothing hangs).
faults++;
{
  const poll = Array.from({ length: 1e5 }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} }));
  const r = await runThreads({ host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 }, actors: [{ name: 'p1', kind: 'script', params: { steps: poll } }, { name: 'p2', kind: 'script', params: { steps: poll } }] },
    { killOwnerAfterMs: 800, timeoutMs: 30_000 });
  if (r.ownerLost !== undefined && r.actors.every((a) => /OwnerGone/.test(a.error ?? ''))) survived++;
  else problems.push(`owner death: ${JSON.stringify(r.actors)}`);
}
// A rogue thread writing arbitrary slots beside an honest toolstack.
faults++;
let rogue: RogueReport | undefined;
{
  const honest: ScenarioSpec = {
    host: { memoryMiB: 64, xen: '4.22', dom0MiB: 8 },
    actors: [{ name: 'xl-honest', kind: 'script', params: { steps: [...(buildScript('h', 8, true).steps as object[]), ...Array.from({ length: 2000 }, () => ({ op: 'XEN_SYSCTL_physinfo', args: {} }))] } }],
  };
  let p: Promise<RogueReport> | undefined;
  const r = await runThreads(honest, { timeoutMs: 60_000, onMailbox: (b) => (p = runRogue(b, fc.sample(rogueSlot, 5000))) });
  rogue = await p!;
  const rep = await replayTrace(r.trace!);
  if (r.failure === undefined && rep.reproduced && rogue.accepted.length === 0 && r.actors.every((a) => a.error === undefined)) survived++;
  else problems.push(`rogue slots: ${JSON.stringify({ failure: r.failure, div: rep.divergence, accepted: rogue.accepted.slice(0, 3) })}`);
}
// Timed kills landing while their xl actor computes between two requests (right after a command
// starts, between its notes and its hypercalls): each run must replay exactly.
const timedKillOffsetsNs = [1, 1_000, 20_000, 100_000, 1, 1_000, 20_000, 100_000];
let timedKillsReplayed = 0;
for (const offset of timedKillOffsetsNs) {
  faults++;
  const text = JSON.stringify({
    name: 'kill-between-requests',
    host: { memory: 512, xen: '4.22', dom0: { memory: 128 } },
    until: '5s',
    timeline: [
      { at: '0s', actor: 'admin', xl: 'info free_memory' },
      { at: '1s', actor: 'admin', xl: 'list' },
      { at: '1s', actor: 'other', xl: 'info free_memory' },
      { at: `${1e9 + offset}ns`, kill: 'admin' },
      { at: '2s', actor: 'other', xl: 'list' },
    ],
  });
  const loaded = loadScenario(text, 'kill-between-requests.json');
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const r = await runThreads(loaded.scenario.variants[0].spec, { timeoutMs: 60_000 });
  const rep = r.trace === undefined ? undefined : await replayTrace(r.trace);
  if (r.failure === undefined && r.ownerLost === undefined && rep?.reproduced === true) {
    survived++;
    timedKillsReplayed++;
  } else problems.push(`timed kill at 1 s + ${offset} ns: ${JSON.stringify({ failure: r.failure, lost: r.ownerLost, div: rep?.divergence })}`);
}
const faultWallMs = Math.round(performance.now() - t0);

// ---- soak -----------------------------------------------------------------------------------
const soak = await runSoak(soakMinutes);
problems.push(...soak.ownerFailures);
if (soak.framesLeaked !== 0 || soak.claimsLeaked !== 0) problems.push(`soak leaked ${soak.framesLeaked} frames, ${soak.claimsLeaked} claim pages`);

// ---- the figures ----------------------------------------------------------------------------
lines.push(`xen-memsim reliability (seed ${seed}, ${runs} runs per property)`);
lines.push('hostile inputs tried (each answered by an errno / extents done / a message; none threw):');
const totalCalls = [...perOp.values()].reduce((a, b) => a + b, 0);
row('hypercalls, all ops', `${totalCalls} in ${runs} sequences, 4 versions`);
for (const [op, n] of [...perOp].sort()) row(`  ${op === '' ? "'' (empty op name)" : op}`, n);
row('domain configs + xl.conf (bytes)', configs);
row('trace files given to replay', [...traceOutcomes].map(([k, v]) => `${v} ${k}`).join(', '));
row('scenario files (mutated examples)', [...scenarioOutcomes].map(([k, v]) => `${v} ${k}`).join(', '));
row('mailbox slots from a rogue thread', `${rogue?.sent ?? 0} sent, ${rogue?.errnos.length ?? 0} answered with an errno, ${rogue?.accepted.length ?? 0} accepted`);
lines.push('faults on real threads:');
row('injected / survived', `${faults} / ${survived} (${killPoints.length} actor kills at requests ${killPoints.join(',')}, 1 owner death, 1 rogue thread, ${timedKillOffsetsNs.length} timed kills between requests)`);
row('timed kills between two requests, replayed exactly', `${timedKillsReplayed} of ${timedKillOffsetsNs.length}`);
row('wall time (inputs + faults)', `${faultWallMs} ms`);
lines.push('soak (real threads: 4.3 + tmem with xl guests ballooning and churning toolstacks, then each campaign family on 4.22):');
row('duration', `${(soak.wallMs / 1000).toFixed(1)} s wall, ${(soak.virtualNs / 1e9).toFixed(1)} s virtual, ${soak.rounds} rounds`);
row('rounds per kind', Object.entries(soak.roundsByKind).map(([k, n]) => `${k} ${n}`).join(', '));
row('domains created / destroyed', `${soak.domainsCreated} / ${soak.domainsDestroyed}`);
row('hypercalls (of which tmem)', `${soak.hypercalls} (${soak.tmemOps})`);
row('invariant checks run (soak, after every section)', soak.invariantChecks);
row('actor errors in soak', `${soak.actorErrors}${soak.actorErrorKinds.length ? ' ' + JSON.stringify(soak.actorErrorKinds) : ''}`);
row('frames leaked', soak.framesLeaked);
row('claims leaked (pages)', soak.claimsLeaked);
row('emulator memory rss start / warm / end / max', `${soak.rssStartMiB} / ${soak.rssWarmMiB} / ${soak.rssEndMiB} / ${soak.rssMaxMiB} MiB`);
row('emulator heap after GC start / warm / end', `${soak.heapStartMiB} / ${soak.heapWarmMiB} / ${soak.heapEndMiB} MiB`);
lines.push(problems.length === 0 ? 'result: OK' : `result: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
console.log(lines.join('\n'));
process.exit(problems.length === 0 ? 0 : 1);

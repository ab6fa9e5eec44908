// Soak (not part of the test suite): rounds of real-thread runs that rotate through every scenario
// family. Round 0, 7, 14, … is the tmem round: Xen 4.3 with tmem, xl creating self-ballooning Linux
// guests (memsim_workload, tmem on: cleancache/frontswap churn tmem), toolstack scripts building
// and destroying small domains in a loop, and a reaper that destroys the xl guests before the round
// ends. The other rounds are campaign scenarios of each family on Xen 4.22 (no bug injected): xl,
// guest-ops, busy-cpus, tmem, linux, kills, with claim_mode=1, drawn from the campaign's own
// generator with the round as seed. The owner checks invariants after every section, and a campaign round also runs
// the campaign's properties (a breach on a correct Xen is a failure of the soak); after each round
// the trace is replayed and every frame and claim must be accounted for. The process's own memory
// is sampled after every round.
//
//   node --import tsx scripts/soak.ts [--minutes N]      (default 2)

import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { replayTrace } from '../world/replay.ts';
import type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
import { buildScript } from '../world/test-scenarios.ts';
import { parseTrace } from '../sim/trace.ts';
import { leaksAfterCleanup } from '../workers/faults-support.ts';
import { runThreads } from '../workers/threads.ts';
import type { Hypervisor } from '../hv/index.ts';
import { FAMILIES, toScenarioSpec, type Family } from '../prop-tests/campaign/scenario.ts';
import { scenarios } from '../prop-tests/campaign/campaign.ts';
import '../prop-tests/campaign/plugin.ts';

export interface SoakFigures {
  rounds: number;
  /** Rounds per kind: 'tmem-4.3' and each campaign family on 4.22. */
  roundsByKind: Record<string, number>;
  wallMs: number;
  virtualNs: number;
  domainsCreated: number;
  domainsDestroyed: number;
  /** The owner runs checkInvariants after every section: one check per step. */
  invariantChecks: number;
  hypercalls: number;
  tmemOps: number;
  framesLeaked: number;
  claimsLeaked: number;
  ownerFailures: string[];
  /** Actors that ended with an error (guests whose domain was destroyed under them included). */
  actorErrors: number;
  /** The distinct error messages (digits elided), for the report. */
  actorErrorKinds: string[];
  rssStartMiB: number;
  /** After the first round: worker code, tsx's compile cache and the JIT are warm. */
  rssWarmMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  heapStartMiB: number;
  heapWarmMiB: number;
  heapEndMiB: number;
}

const XL_GUESTS = 2;
const CHURNERS = 2;
const CHURN_BUILDS = 4;
const ROUND_UNTIL_NS = 60e9;

function guestCfg(i: number, round: number): string {
  return `name="g${i}"\nmemory=48\nmaxmem=64\nmemsim_workload="${i % 2 === 0 ? 'bursty' : 'sawtooth'}"\nmemsim_tmem=1\nmemsim_seed=${round * 10 + i}\n`;
}

/** One round: xl guests (domids 1..XL_GUESTS, created first), churning toolstacks, a reaper. */
export function soakRound(round: number): ScenarioSpec {
  const actors: ActorSpec[] = [];
  for (let i = 1; i <= XL_GUESTS; i++) {
    actors.push({
      name: `xl-create-${i}`,
      kind: 'xl',
      params: { argv: ['create', '-q', `g${i}.cfg`], version: '4.3', files: { [`g${i}.cfg`]: guestCfg(i, round) } },
    });
  }
  for (let c = 0; c < CHURNERS; c++) {
    const steps: object[] = [{ sleep: 1e9 * (c + 1) }];
    for (let k = 0; k < CHURN_BUILDS; k++) {
      steps.push(...(buildScript(`churn${c}-${k}`, 4, k % 2 === 0).steps as object[]));
      steps.push({ sleep: 2e9 }, { op: 'XEN_DOMCTL_destroydomain', args: { domid: '$domid' } });
    }
    actors.push({ name: `churn-${c}`, kind: 'script', params: { steps } });
  }
  const kill = Array.from({ length: XL_GUESTS }, (_, i) => ({ op: 'XEN_DOMCTL_destroydomain', args: { domid: i + 1 } }));
  actors.push({ name: 'reaper', kind: 'script', params: { steps: [{ sleep: ROUND_UNTIL_NS - 10e9 }, ...kill] } });
  return { name: `soak round ${round}`, host: { memoryMiB: 512, xen: '4.3', dom0MiB: 128, tmem: true }, untilNs: ROUND_UNTIL_NS, actors };
}

/** The rotation: the tmem round, then one campaign round of each family. */
export const SOAK_KINDS: readonly ('tmem-4.3' | Family)[] = ['tmem-4.3', ...FAMILIES];

/**
 * A campaign scenario of `family` on 4.22 with claim_mode=1, seeded by the round: a correct
 * hypervisor and toolstack, so every property must hold (claim_mode=0's late creation failures
 * are what the campaign is there to find, not a soak failure).
 */
export function campaignRound(family: Family, round: number): ScenarioSpec {
  const first = scenarios({ xen: '4.22', inject: [], claimMode: 1, families: [family] }, 0x50a4 + round).next();
  if (first.done === true) throw new Error('the campaign generator drew no scenario');
  return { ...toScenarioSpec(first.value), name: `soak round ${round}: ${family} on 4.22` };
}

/**
 * What no domain accounts for: frames neither free, nor held by a domain or tmem, and claim pages
 * outstanding beyond the live domains' claims (a campaign round may end with a domain that still
 * holds its claim: that is not a leak). After a tmem round's reaper there are no domains, and this
 * is leaksAfterCleanup's count.
 */
function unaccounted(hv: Hypervisor): { frames: number; claims: number } {
  const l = leaksAfterCleanup(hv);
  let domainClaims = 0;
  for (const d of hv.domains.values()) domainClaims += d.outstandingPages;
  return { frames: l.framesLeaked, claims: l.claimsLeaked - domainClaims };
}

const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Memory after a full collection, so a sample shows what is retained, not garbage not yet collected. */
function memory(): NodeJS.MemoryUsage {
  gc();
  return process.memoryUsage();
}

/** Runs one round of every kind, then rounds until `minutes` of wall time have passed; `log` gets one line per round. */
export async function runSoak(minutes: number, log: (line: string) => void = () => {}): Promise<SoakFigures> {
  const t0 = performance.now();
  const m0 = memory();
  const f: SoakFigures = {
    rounds: 0, roundsByKind: {}, wallMs: 0, virtualNs: 0, domainsCreated: 0, domainsDestroyed: 0, invariantChecks: 0, hypercalls: 0, tmemOps: 0,
    framesLeaked: 0, claimsLeaked: 0, ownerFailures: [], actorErrors: 0, actorErrorKinds: [],
    rssStartMiB: mib(m0.rss), rssWarmMiB: 0, rssEndMiB: 0, rssMaxMiB: mib(m0.rss), heapStartMiB: mib(m0.heapUsed), heapWarmMiB: 0, heapEndMiB: 0,
  };
  // At least one round of every kind, then rounds until `minutes` of wall time have passed.
  while (f.rounds < SOAK_KINDS.length || performance.now() - t0 < minutes * 60_000) {
    const round = f.rounds++;
    const kind = SOAK_KINDS[round % SOAK_KINDS.length];
    f.roundsByKind[kind] = (f.roundsByKind[kind] ?? 0) + 1;
    const r = await runThreads(kind === 'tmem-4.3' ? soakRound(round) : campaignRound(kind, round), { timeoutMs: 120_000 });
    if (r.ownerLost !== undefined) f.ownerFailures.push(`round ${round}: ${r.ownerLost}`);
    if (r.failure !== undefined) f.ownerFailures.push(`round ${round}: ${r.failure.kind}: ${r.failure.message}`);
    for (const a of r.actors) {
      if (a.error === undefined) continue;
      f.actorErrors++;
      const kind = `${a.actor.replace(/\d+/g, 'N')}: ${a.error.replace(/\d+/g, 'N')}`.slice(0, 160);
      if (!f.actorErrorKinds.includes(kind)) f.actorErrorKinds.push(kind);
    }
    if (r.trace !== undefined) {
      const { events } = parseTrace(r.trace);
      for (const e of events) {
        if (e.k === 'step' && e.s === 'createdomain') f.domainsCreated++;
        if (e.k === 'step' && e.s === 'complete_domain_destroy') f.domainsDestroyed++;
        if (e.k === 'arrive' && e.req.kind === 'hypercall') {
          f.hypercalls++;
          if (e.req.op.startsWith('TMEM_')) f.tmemOps++;
        }
      }
      f.invariantChecks += r.steps ?? 0;
      const rep = await replayTrace(r.trace);
      if (!rep.reproduced) f.ownerFailures.push(`round ${round}: replay diverged: ${rep.divergence}`);
      const hv = rep.run.owner.hv;
      f.virtualNs += hv.now;
      const leaks = unaccounted(hv);
      f.framesLeaked += leaks.frames;
      f.claimsLeaked += leaks.claims;
      const left = leaksAfterCleanup(hv).domainsLeft;
      if (kind === 'tmem-4.3' && left !== 0) f.ownerFailures.push(`round ${round}: ${left} domains left after the reaper`);
    }
    const m = memory();
    f.rssMaxMiB = Math.max(f.rssMaxMiB, mib(m.rss));
    if (round === 0) {
      f.rssWarmMiB = mib(m.rss);
      f.heapWarmMiB = mib(m.heapUsed);
    }
    log(`round ${round} (${kind}): ${r.steps ?? 0} steps, ${Math.round(r.wallMs)} ms wall, rss ${mib(m.rss)} MiB, heap ${mib(m.heapUsed)} MiB`);
  }
  const m1 = memory();
  f.rssEndMiB = mib(m1.rss);
  f.heapEndMiB = mib(m1.heapUsed);
  f.wallMs = Math.round(performance.now() - t0);
  return f;
}

function argMinutes(argv: readonly string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number of minutes`);
  return v;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const minutes = argMinutes(process.argv.slice(2), '--minutes', 2);
  const f = await runSoak(minutes, (l) => console.log(l));
  console.log(JSON.stringify(f, null, 2));
  const ok = f.ownerFailures.length === 0 && f.framesLeaked === 0 && f.claimsLeaked === 0;
  process.exit(ok ? 0 : 1);
}

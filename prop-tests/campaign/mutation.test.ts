// Mutation score 100%: every injectable bug the layers define (hv/version.ts HV_BUGS,
// toolstack/bugs.ts TOOLSTACK_BUGS, tmem's B11, the guest's B14) is found by a campaign within a
// bounded budget with a pinned seed, by the property named for it, shrunk and replayable — and
// the same campaign without the bug reports nothing. Longer hunts: XEN_MEMSIM_LONG=1.

import { describe, expect, test } from 'vitest';
import { HV_BUGS } from '../../hv/index.ts';
import { ChoiceSequence } from '../../sim/policy.ts';
import { replayTrace } from '../../world/replay.ts';
import { parseTrace } from '../../sim/trace.ts';
import { TOOLSTACK_BUGS } from '../../toolstack/bugs.ts';
import { pinnedSeed } from '../setup.ts';
import { monitorNames } from '../../sim/registry.ts';
import './plugin.ts';
import { failureKey, runCampaign, type CampaignOptions, type CampaignResult } from './campaign.ts';
import { runOnce } from './run.ts';
import type { CampaignScenario, Family } from './scenario.ts';

const LONG = process.env.XEN_MEMSIM_LONG === '1';
// Shrinking bounded by runs (the same counterexample on every machine), time only as a safety net.
const SHRINK = { shrinkRuns: LONG ? 2_000 : 300, shrinkTimeMs: 600_000 };

/** Bugs native to a layer with no fixed version to inject them into (tmem, the guest kernel). */
const OTHER_BUGS = ['B11', 'B14'] as const;

/** On 4.3 the hypervisor's own claim bugs (B1–B4) fire first: these hunts look past every other property. */
const PAST_43 = (keep: string): string[] => monitorNames().filter((n) => n !== keep);

interface Hunt {
  bug: string;
  property: string;
  xen: CampaignOptions['xen'];
  /** Injected bugs (the bug itself unless native to the version). */
  inject: string[];
  families: Family[];
  seed: number;
  runs: number;
  ignore?: string[];
  /** The control: the same campaign on a version/config without the bug. */
  control: Pick<CampaignOptions, 'xen' | 'inject'>;
  maxStepsAfter?: number;
  /**
   * Shrink runs, where fewer than SHRINK's do: a failure of thousands of sections costs a run of
   * as many. B14's 30 shrink it as far as 300 do (6484 -> 1535; shrink.test pins that shrink);
   * B11's 100 take 4926 to 3386 (300: 2250) in half the CPU. Such a shrink must cut something.
   */
  shrinkRuns?: number;
}

const HUNTS: Hunt[] = [
  { bug: 'B1', property: 'no-leaked-claims|claim-rules', xen: '4.22', inject: ['B1'], families: [], seed: 1, runs: 400, control: { xen: '4.22', inject: [] }, maxStepsAfter: 12 },
  { bug: 'B2', property: 'claim-backed|claims-within-available|claim-guarantee|claim-accounting', xen: '4.22', inject: ['B2'], families: [], seed: 1, runs: 400, control: { xen: '4.22', inject: [] } },
  { bug: 'B3', property: 'claim-backed|claims-within-available|claim-guarantee|claim-accounting', xen: '4.22', inject: ['B3'], families: [], seed: 1, runs: 400, control: { xen: '4.22', inject: [] } },
  { bug: 'B4', property: 'claims-within-available|claim-guarantee|claim-accounting', xen: '4.22', inject: ['B4'], families: [], seed: 1, runs: 400, control: { xen: '4.22', inject: [] } },
  { bug: 'B6', property: 'creation-atomic', xen: '4.22', inject: ['B6'], families: ['xl'], seed: 2, runs: 100, control: { xen: '4.22', inject: [] } },
  { bug: 'B7', property: 'creation-atomic', xen: '4.22', inject: ['B7'], families: ['xl'], seed: 3, runs: 400, control: { xen: '4.22', inject: [] } },
  { bug: 'B11', property: 'claim-guarantee-tmem', xen: '4.3', inject: [], families: ['tmem'], seed: 11, runs: 300, shrinkRuns: 100, ignore: PAST_43('claim-guarantee-tmem'), control: { xen: '4.22', inject: [] } },
  { bug: 'B12', property: 'memop-returns-extents', xen: '4.22', inject: ['B12'], families: ['guest-ops'], seed: 1, runs: 400, control: { xen: '4.22', inject: [] }, maxStepsAfter: 25 },
  { bug: 'B13', property: 'forward-progress', xen: '4.22', inject: ['B13'], families: ['busy-cpus'], seed: 1, runs: 60, control: { xen: '4.22', inject: [] }, maxStepsAfter: 10 },
  { bug: 'B14', property: 'frontswap-inertia', xen: '4.3', inject: ['B14'], families: ['linux'], seed: 1, runs: 4, shrinkRuns: 30, ignore: PAST_43('frontswap-inertia'), control: { xen: '4.3', inject: [] } },
  { bug: 'B15', property: 'no-xsa231', xen: '4.22', inject: ['B15'], families: ['guest-ops'], seed: 1, runs: 100, control: { xen: '4.22', inject: [] }, maxStepsAfter: 25 },
];

function options(h: Hunt, over: Partial<CampaignOptions> = {}): CampaignOptions {
  return {
    xen: h.xen, inject: h.inject, families: h.families, seed: h.seed, claimMode: 1,
    runs: LONG ? h.runs * 10 : h.runs, ...SHRINK, ...(h.shrinkRuns !== undefined && !LONG ? { shrinkRuns: h.shrinkRuns } : {}), ignore: h.ignore, ...over,
  };
}

/**
 * A control campaign by its options, run once: a campaign is a function of them (pinned seed, run
 * budget; time only bounds a shrink, and a control that finds nothing shrinks nothing), and B1-B4
 * share one (4.22 without a bug, the default families, seed 1, 400 runs).
 */
const controls = new Map<string, Promise<CampaignResult>>();
function control(o: CampaignOptions): Promise<CampaignResult> {
  const key = JSON.stringify(o);
  let c = controls.get(key);
  if (c === undefined) controls.set(key, (c = runCampaign(o)));
  return c;
}

describe(`mutation score over every injectable bug (fast-check seed ${pinnedSeed}; campaign seeds pinned per bug)`, () => {
  test('the table covers every bug the hypervisor, toolstack, tmem and guest layers define', () => {
    const all = [...Object.keys(HV_BUGS), ...Object.keys(TOOLSTACK_BUGS), ...OTHER_BUGS].sort();
    expect(HUNTS.map((h) => h.bug).sort()).toEqual(all);
  });

  test.each(HUNTS.map((h) => [h.bug, h] as const))('%s is found by its property, shrunk, replayable; not reported without it', async (bug, h) => {
    const r = await runCampaign(options(h));
    expect(r.found, `${bug} not found in ${r.runs} runs (seed ${h.seed})`).toBeDefined();
    const f = r.found!;
    expect(failureKey(f.failure)).toMatch(new RegExp(`^property:(${h.property})$`));
    expect(f.stepsAfter).toBeLessThanOrEqual(f.stepsBefore);
    if (h.maxStepsAfter !== undefined) expect(f.stepsAfter).toBeLessThanOrEqual(h.maxStepsAfter);
    if (h.shrinkRuns !== undefined) expect(f.stepsAfter).toBeLessThan(f.stepsBefore);
    const rep = await replayTrace(f.trace);
    expect(rep.divergence).toBeUndefined();
    expect(rep.failure?.message).toBe(f.failure.message);
    console.log(`${bug}: ${failureKey(f.failure)} after ${f.runsToFind} runs (${(f.msToFind / 1000).toFixed(2)} s, ${f.strategy}), ${f.stepsBefore} → ${f.stepsAfter} sections`);

    // The control: the same families, seed and budget on a version/config without the bug.
    const c = await control(options(h, { ...h.control, shrinkRuns: 20 }));
    const key = c.found === undefined ? undefined : failureKey(c.found.failure);
    expect(key === undefined || !new RegExp(`^property:(${h.property})$`).test(key), `control reported ${key}: ${c.found?.failure.message}`).toBe(true);
    if (h.control.xen === '4.22') expect(c.found).toBeUndefined();
  }, 300_000);
});

describe('kill faults in campaign scenarios', () => {
  test('an actor killed by the owner mid-run is a recorded choice; the trace replays exactly; nothing leaks on 4.22', async () => {
    const s: CampaignScenario = {
      xen: '4.22', inject: [], claimMode: 1, hostMiB: 8, dom0MiB: 1, nodes: 1,
      guests: [{ type: 'pv', memPct: 40, dieAfter: 0 }, { type: 'hvm', memPct: 40, dieAfter: 0 }],
      pokes: [], kills: [{ actor: 0, atStep: 6 }],
    };
    const r = await runOnce(s, new ChoiceSequence([1, 0, 1]), true, 'every-step');
    expect(r.failure).toBeUndefined();
    const kills = parseTrace(r.trace!).events.filter((e) => e.k === 'kill');
    expect(kills).toEqual([{ k: 'kill', a: 'xl-1', why: 'fault: killed after 6 sections' }]);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  });

  test('a 4.22 campaign with kill faults finds nothing (the fault alone breaks no promise)', async () => {
    const r = await runCampaign({ xen: '4.22', inject: [], families: ['kills'], seed: 3, claimMode: 1, runs: 200, shrinkRuns: 20 });
    expect(r.found?.failure).toBeUndefined();
  });

  test('4.21 with kill faults still finds B1, and the shrunk failure keeps or drops the kill as it needs', async () => {
    const r = await runCampaign({ xen: '4.21', inject: [], families: ['kills'], seed: 1, claimMode: 1, runs: 400, ...SHRINK });
    expect(r.found).toBeDefined();
    expect((await replayTrace(r.found!.trace)).reproduced).toBe(true);
  });
});

import { describe, expect, test } from 'vitest';
import { ArrivalOrder, ChoiceSequence, Pct, SeededRandom, parsePolicy } from '../sim/policy.ts';
import { replayTrace } from './replay.ts';
import { parseTrace, TraceFormatError } from '../sim/trace.ts';
import { twoBuilders } from './test-scenarios.ts';
import { runScheduled } from './world.ts';

describe('scheduled world', () => {
  test('the same scenario and policy give the same trace hash', async () => {
    const a = await runScheduled(twoBuilders('4.22', true), new SeededRandom(7));
    const b = await runScheduled(twoBuilders('4.22', true), new SeededRandom(7));
    expect(a.failure).toBeUndefined();
    expect(a.hash).toBe(b.hash);
    expect(a.owner.trace.toJsonl()).toBe(b.owner.trace.toJsonl());
  });

  test('different seeds interleave the two builders differently', async () => {
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3, 4]) hashes.add((await runScheduled(twoBuilders('4.22', true), new SeededRandom(seed))).hash);
    expect(hashes.size).toBeGreaterThan(1);
  });

  test('arrival order runs sections of different actors round robin', async () => {
    const r = await runScheduled(twoBuilders('4.22', true), new ArrivalOrder());
    const steps = r.owner.trace.events.filter((e) => e.k === 'step').map((e) => (e.k === 'step' ? e.a : ''));
    expect(steps.slice(0, 4)).toEqual(['xl-a', 'xl-b', 'xl-a', 'xl-b']);
  });

  test('both claimed builds of a host that fits them complete, and claims end at zero', async () => {
    const r = await runScheduled(twoBuilders('4.22', true), new Pct(3, 3, 200));
    expect(r.failure).toBeUndefined();
    expect(r.owner.hv.heap.outstandingClaims).toBe(0);
    expect([...r.owner.hv.domains.values()].map((d) => d.totPages).sort()).toEqual([2048, 4096, 4096]);
  });

  test('an all-zero choice sequence is the arrival-order schedule', async () => {
    const a = await runScheduled(twoBuilders('4.21', true), new ArrivalOrder());
    const b = await runScheduled(twoBuilders('4.21', true), new ChoiceSequence([0, 0, 0]));
    expect(b.hash).toBe(a.hash);
  });

  test('parsePolicy accepts the documented forms and rejects others', () => {
    expect(parsePolicy('arrival').name).toBe('arrival');
    expect(parsePolicy('random:5').name).toBe('random(seed=5)');
    expect(parsePolicy('pct:5:3').name).toBe('pct(seed=5,depth=3)');
    expect(() => parsePolicy('pct:x')).toThrow(/unknown schedule policy/);
  });
});

describe('replay', () => {
  test('a recorded run replays exactly, with the same hash', async () => {
    const r = await runScheduled(twoBuilders('4.21', true), new SeededRandom(11));
    const rep = await replayTrace(r.owner.trace.toJsonl());
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
    expect(rep.hash).toBe(r.hash);
  });

  test('a tampered result is reported as the first divergence, naming the actor and event', async () => {
    const r = await runScheduled(twoBuilders('4.21', true), new SeededRandom(11));
    const lines = r.owner.trace.toJsonl().split('\n');
    const i = lines.findIndex((l) => l.includes('"k":"reply"') && l.includes('"xl-b"') && l.includes('"rc":1'));
    lines[i] = lines[i].replace('"rc":1', '"rc":0');
    const rep = await replayTrace(lines.join('\n'));
    expect(rep.reproduced).toBe(false);
    expect(rep.divergence).toMatch(/^xl-b, its event \d+: recorded .*"rc":0.* replay .*"rc":1/);
  });

  test('a schedule the scenario cannot follow is reported at the choice that fails', async () => {
    const r = await runScheduled(twoBuilders('4.21', true), new ArrivalOrder());
    const { header, events } = parseTrace(r.owner.trace.toJsonl());
    const firstStep = events.findIndex((e) => e.k === 'step');
    events.splice(firstStep, 0, { k: 'step', a: 'nobody', s: 'claim', t: 0 });
    const text = [header, ...events].map((e) => JSON.stringify(e)).join('\n');
    const rep = await replayTrace(text);
    expect(rep.divergence).toMatch(/^choice 1 of \d+ \(step nobody\): recorded a section of nobody, but nobody has nothing runnable/);
  });

  test('malformed trace files are refused with the line number', async () => {
    await expect(replayTrace('')).rejects.toThrow(TraceFormatError);
    await expect(replayTrace('{"format":"other"}')).rejects.toThrow(/trace:1: not a xen-memsim-trace file/);
    await expect(replayTrace('{"format":"xen-memsim-trace","version":1,"scenario":{}}\n{oops')).rejects.toThrow(/trace:2: not valid JSON/);
  });

  test('a trace header whose host the hypervisor refuses (NaN cost, nrCpus -1) is a TraceFormatError naming the field', async () => {
    const r = await runScheduled(twoBuilders('4.21', true), new ArrivalOrder());
    const lines = r.owner.trace.toJsonl().split('\n');
    const header = JSON.parse(lines[0]);
    for (const [patch, field] of [[{ nrCpus: -1 }, /nrCpus must be an integer in \[1, 4096\] \(got -1\)/], [{ costs: { pageScrubNs: null } }, /costs\.pageScrubNs .*\(got null\)/]] as const) {
      const bad = { ...header, scenario: { ...header.scenario, host: { ...header.scenario.host, ...patch } } };
      await expect(replayTrace([JSON.stringify(bad), ...lines.slice(1)].join('\n'))).rejects.toThrow(field);
    }
  });
});

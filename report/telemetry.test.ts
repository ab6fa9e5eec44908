import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import { twoBuilders } from '../world/test-scenarios.ts';
import { World } from '../world/world.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { downsample, MemoryRows } from './series.ts';
import { SectionRecorder } from './sections.ts';
import { attachTelemetry, collectFromTrace, type Telemetry, type TelemetryOptions } from './telemetry.ts';
import { ballooningHost } from './test-support.ts';

/** Runs a scenario in the scheduled world with telemetry attached; returns it and the trace. */
async function record(spec: ScenarioSpec, opts: TelemetryOptions = {}): Promise<{ t: Telemetry; trace: string }> {
  const world = new World(spec, new ArrivalOrder());
  const sampler = attachTelemetry(world.owner, opts);
  await world.runUntil();
  await world.finish();
  return { t: sampler.finish(), trace: world.owner.trace.toJsonl() };
}

const kinds = (t: Telemetry, kind: string) => t.events.filter((e) => e.kind === kind);

describe('telemetry of two toolstacks building with claims (4.22)', () => {
  test('has aligned series for the host and each domain, ending where the builds leave memory', async () => {
    const { t } = await record(twoBuilders('4.22', true));
    const m = t.memory;
    expect(m.t.length).toBeGreaterThan(2);
    for (const col of [m.freePages, m.outstandingClaims, ...m.domains.flatMap((d) => [d.totPages, d.outstandingPages])]) expect(col).toHaveLength(m.t.length);
    expect(m.tmemEphemeral).toBeUndefined();
    expect(m.domains.map((d) => d.key)).toEqual(['d0:Domain-0', 'd1:a', 'd2:b']);
    expect(m.t).toEqual([...m.t].sort((a, b) => a - b));
    expect(m.freePages.at(-1)).toBe(m.freePages[0] - 2 * 4096);
    expect(m.domains[1].totPages[0]).toBeNull(); // d1 did not exist yet
    expect(m.domains[1].totPages.at(-1)).toBe(4096);
    expect(Math.max(...m.outstandingClaims)).toBe(2 * 4096);
    expect(m.outstandingClaims.at(-1)).toBe(0);
    expect(t.meta).toMatchObject({ xen: '4.22', tmem: false, outcome: 'completed', policy: 'arrival', mode: 'scheduled' });
    expect(t.meta.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  test('records claims and domain creation as events, with the actor whose section caused them', async () => {
    const { t } = await record(twoBuilders('4.22', true));
    expect(kinds(t, 'claim_staked').map((e) => [e.actor, e.domid, e.pages])).toEqual([['xl-a', 1, 4096], ['xl-b', 2, 4096]]);
    expect(kinds(t, 'claim_cancelled').map((e) => e.domid).sort()).toEqual([1, 2]);
    expect(kinds(t, 'domain_created').map((e) => e.actor)).toEqual(['xl-a', 'xl-b']);
    expect(kinds(t, 'alloc_failed')).toEqual([]);
  });

  test('lists every critical section per actor, with its call and virtual time', async () => {
    const { t } = await record(twoBuilders('4.22', true));
    const S = t.sections;
    expect(S.t).toHaveLength(t.meta.steps);
    expect(S.actors.slice(0, 2)).toEqual(['xl-a', 'xl-b']);
    expect(S.step).toEqual(S.t.map((_, i) => i + 1));
    expect(S.dur.every((d) => d >= 0)).toBe(true);
    const claims = S.call.filter((c, i) => c >= 0 && S.finished[i] === 1 && t.calls.op[c] === 'XENMEM_claim_pages');
    expect(claims.map((c) => [t.calls.token[c], t.calls.rc[c]])).toEqual([['claim[d1,4096]', 0], ['claim[d2,4096]', 0], ['claim[d1,0]', 0], ['claim[d2,0]', 0]]);
    expect(S.omitted).toBe(0);
  });

  test('a trace gives the same telemetry as the live run (collectFromTrace replays it)', async () => {
    const { t, trace } = await record(twoBuilders('4.22', true));
    const again = await collectFromTrace(trace);
    expect(again.meta.replay).toEqual({ reproduced: true, recordedHash: t.meta.hash });
    const { replay: _r, ...meta } = again.meta;
    expect({ ...again, meta }).toEqual(t);
  });
});

describe('telemetry of failures and ballooning', () => {
  test('a refused claim and failed allocations become events on a host too small for both guests', async () => {
    const withClaims = await record(twoBuilders('4.22', true, 32, 16));
    expect(kinds(withClaims.t, 'claim_refused').map((e) => [e.actor, e.domid])).toEqual([['xl-b', 2]]);
    const without = await record(twoBuilders('4.22', false, 32, 16));
    expect(kinds(without.t, 'alloc_failed').length).toBeGreaterThan(0);
    expect(kinds(without.t, 'alloc_failed')[0].text).toMatch(/order-9 allocation for d\d failed/);
  });

  test('tmem series and balloon moves on a 4.3 tmem host with self-ballooning guests', async () => {
    const { t } = await record(ballooningHost());
    expect(Math.max(...t.memory.tmemEphemeral!)).toBeGreaterThan(0);
    expect(t.memory.tmemPersistent).toHaveLength(t.memory.t.length);
    expect(kinds(t, 'balloon_target').map((e) => [e.actor, e.domid, e.pages])).toEqual([['admin', 1, 2048], ['admin', 1, 4096]]);
    const moves = kinds(t, 'balloon');
    expect(moves.some((e) => e.actor === 'linux-g1' && e.domid === 1 && e.pages! < 0)).toBe(true);
  });

  test('stays within maxPoints and maxSections on a long run', async () => {
    const { t } = await record(ballooningHost(), { maxPoints: 100, maxSections: 500 });
    expect(t.memory.t.length).toBeLessThanOrEqual(100);
    expect(t.sections.t).toHaveLength(500);
    expect(t.sections.omitted).toBe(t.meta.steps - 500);
    expect(t.sections.step[t.sections.omittedAt]).toBe(t.meta.steps - 249);
    expect(t.sections.step.at(-1)).toBe(t.meta.steps);
  });
});

describe('series helpers', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ t: i * 10, v: i }));

  test('downsample keeps at most max rows, the first and the last, in order', () => {
    const out = downsample(rows(10_000), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out[0].t).toBe(0);
    expect(out.at(-1)!.t).toBe(99_990);
    expect(out.map((r) => r.t)).toEqual([...out.map((r) => r.t)].sort((a, b) => a - b));
    expect(downsample(rows(5), 100)).toEqual(rows(5));
  });

  test('MemoryRows thins itself: memory stays bounded however many samples come', () => {
    const m = new MemoryRows(0, 50);
    for (let i = 0; i < 10_000; i++) m.add({ t: i, free: i, outstanding: 0, tmemEphemeral: 0, tmemPersistent: 0, domains: new Map() }, new Map());
    expect(m.length).toBeLessThanOrEqual(100);
    expect(m.intervalNs).toBeGreaterThan(0);
    expect(m.columns(false).t.length).toBeLessThanOrEqual(50);
  });

  test('SectionRecorder keeps the first and the last halves and counts the rest', () => {
    const r = new SectionRecorder(4);
    for (let i = 1; i <= 10; i++) r.add({ t: i, dur: 0, actor: 'a', label: 'x', call: -1, step: i, finished: false });
    const s = r.table();
    expect(s.step).toEqual([1, 2, 9, 10]);
    expect(s.omitted).toBe(6);
    expect(s.omittedAt).toBe(2);
  });
});

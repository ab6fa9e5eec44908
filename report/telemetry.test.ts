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
    expect(kinds(without.t, 'alloc_failed')[0].text).toMatch(/order-9 allocation for d\d \(\w\) failed/);
  });

  test('tmem series and balloon moves on a 4.3 tmem host with self-ballooning guests', async () => {
    const { t } = await record(ballooningHost());
    expect(Math.max(...t.memory.tmemEphemeral!)).toBeGreaterThan(0);
    expect(t.memory.tmemPersistent).toHaveLength(t.memory.t.length);
    expect(kinds(t, 'balloon_target').filter((e) => e.actor === 'admin').map((e) => [e.domid, e.pages])).toEqual([[1, 2048], [1, 4096]]);
    // selfballoon's own targets, in words.
    const own = kinds(t, 'balloon_target').filter((e) => e.actor === 'linux-g1');
    expect(own.length).toBeGreaterThan(0);
    expect(own[0].text).toMatch(/^linux-g1: selfballoon (raises|lowers|keeps) the balloon target to \d+ MiB \(it holds \d+ MiB\)$/);
    const moves = kinds(t, 'balloon');
    expect(moves.some((e) => e.actor === 'linux-g1' && e.domid === 1 && e.pages! < 0)).toBe(true);
  });

  test('stays within maxPoints and maxSections on a long run', async () => {
    const { t } = await record(ballooningHost(), { maxPoints: 100, maxSections: 500 });
    expect(t.memory.t.length).toBeLessThanOrEqual(100);
    expect(t.sections.t.length).toBeLessThanOrEqual(500);
    expect(t.sections.omitted).toBe(t.meta.steps - t.sections.t.length);
    expect(t.sections.gaps.reduce((n, [, k]) => n + k, 0)).toBe(t.sections.omitted);
    expect(t.sections.step.slice(0, 125)).toEqual(Array.from({ length: 125 }, (_, i) => i + 1));
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

  const section = (i: number) => ({ t: i, dur: 0, actor: 'a', label: 'x', call: -1, step: i, finished: false });

  test('SectionRecorder keeps the first and the last quarters and counts the rest, gap by gap', () => {
    const r = new SectionRecorder(8);
    for (let i = 1; i <= 20; i++) r.add(section(i));
    const s = r.table();
    expect(s.step).toEqual([1, 2, 19, 20]);
    expect(s.omitted).toBe(16);
    expect(s.gaps).toEqual([[2, 16]]);
  });

  test('SectionRecorder keeps the sections around every marked moment, however late in the run', () => {
    const r = new SectionRecorder(10_000);
    const marks = [100_000, 250_000, 400_000];
    for (let i = 1; i <= 500_000; i++) {
      if (marks.includes(i)) r.mark('high');
      r.add(section(i));
    }
    const s = r.table();
    for (const m of marks) {
      const k = s.step.indexOf(m);
      expect(k).toBeGreaterThan(0);
      // 80 before and 80 after, contiguous.
      expect(s.step.slice(k - 80, k + 81)).toEqual(Array.from({ length: 161 }, (_, j) => m - 80 + j));
    }
    expect(s.t.length).toBeLessThanOrEqual(10_000);
    expect(s.gaps.reduce((n, [, k]) => n + k, 0)).toBe(s.omitted);
    expect(s.omitted).toBe(500_000 - s.t.length);
  });

  test('SectionRecorder gives back what was added: the latest section after the ring wrapped, names and flags per column', () => {
    const r = new SectionRecorder(8);
    expect(r.latestSection()).toBeUndefined();
    const sec = (i: number) => ({ t: i * 10, dur: i, actor: `a${i % 3}`, label: `l${i % 2}`, call: i % 4 === 0 ? -1 : i, step: i, finished: i % 2 === 0 });
    for (let i = 1; i <= 23; i++) r.add(sec(i));
    expect(r.latestSection()).toEqual(sec(23));
    expect(r.count).toBe(23);
    const s = r.table(['a2']);
    expect(s.step).toEqual([1, 2, 22, 23]);
    expect(s.actors[0]).toBe('a2');
    expect(s.step.map((_, k) => [s.actors[s.actor[k]], s.labels[s.label[k]], s.call[k], s.finished[k], s.t[k], s.dur[k]])).toEqual(
      [1, 2, 22, 23].map((i) => [`a${i % 3}`, `l${i % 2}`, i % 4 === 0 ? -1 : i, i % 2 === 0 ? 1 : 0, i * 10, i]));
  });

  test('SectionRecorder stays within its budget when marks come at every section; low marks leave room for high ones', () => {
    const r = new SectionRecorder(1000);
    for (let i = 1; i <= 50_000; i++) {
      r.mark(i === 40_000 ? 'high' : 'low');
      r.add(section(i));
    }
    const s = r.table();
    expect(s.t.length).toBeLessThanOrEqual(1000);
    expect(s.step).toContain(40_000);
    expect(s.step).toContain(40_000 - 80);
  });
});

describe('the story of a run', () => {
  test('a guest held back by others\' claims is not a failure; running out of memory is', async () => {
    const { t } = await record(ballooningHost());
    for (const e of kinds(t, 'claim_gate')) expect(e.cat).toBe('held');
    expect(t.events.filter((e) => e.cat === 'failure').every((e) => e.kind !== 'claim_gate')).toBe(true);
    const tight = await record(twoBuilders('4.22', false, 32, 16));
    expect(kinds(tight.t, 'claim_gate')).toEqual([]);
    expect(kinds(tight.t, 'alloc_failed').every((e) => e.cat === 'failure')).toBe(true);
  });
});

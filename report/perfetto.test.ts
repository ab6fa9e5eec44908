import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import { twoBuilders } from '../world/test-scenarios.ts';
import { World } from '../world/world.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { perfettoRunChunks, streamTraceEvents, toTraceEvents, writePerfetto, writePerfettoFrom, type TraceEventRecord } from './perfetto.ts';
import { attachTelemetry, type Telemetry } from './telemetry.ts';
import { validateTraceEvents } from './trace-event-validate.ts';

async function telemetryOf(spec: ScenarioSpec): Promise<Telemetry> {
  const world = new World(spec, new ArrivalOrder());
  const sampler = attachTelemetry(world.owner);
  await world.runUntil();
  await world.finish();
  return sampler.finish();
}

const ofPhase = <P extends TraceEventRecord['ph']>(evs: TraceEventRecord[], ph: P) => evs.filter((e): e is Extract<TraceEventRecord, { ph: P }> => e.ph === ph);

describe('Chrome trace-event export', () => {
  test('validates against the trace-event format, as JSON on disk would be read', async () => {
    const file = JSON.parse(JSON.stringify(toTraceEvents(await telemetryOf(twoBuilders('4.22', true))))) as unknown;
    expect(validateTraceEvents(file)).toEqual([]);
  });

  test('one track per actor, each hypercall a slice with its sections nested, named by label', async () => {
    const t = await telemetryOf(twoBuilders('4.22', true));
    const { traceEvents: evs } = toTraceEvents(t);
    const threads = ofPhase(evs, 'M').filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name]);
    expect(threads).toEqual([[0, 'run'], [1, 'pCPU 0: xl-a'], [2, 'pCPU 1: xl-b']]);
    const sections = ofPhase(evs, 'X').filter((e) => e.cat === 'section');
    expect(sections).toHaveLength(t.meta.steps);
    expect(sections[0]).toMatchObject({ name: 'createdomain', tid: 1, args: { op: 'XEN_DOMCTL_createdomain', actor: 'xl-a', step: 1 } });
    const calls = ofPhase(evs, 'X').filter((e) => e.cat === 'hypercall');
    expect(calls).toHaveLength(t.calls.token.length);
    expect(calls.map((c) => c.name)).toContain('claim[d1,4096]');
    expect(ofPhase(evs, 'X').filter((e) => e.cat === 'run')).toHaveLength(1);
  });

  test('claims are instant events on their actor\'s track; memory is a counter', async () => {
    const { traceEvents: evs } = toTraceEvents(await telemetryOf(twoBuilders('4.22', true)));
    const claims = ofPhase(evs, 'i').filter((e) => e.name === 'claim_staked');
    expect(claims.map((e) => [e.tid, e.s, e.args?.pages])).toEqual([[1, 't', 4096], [2, 't', 4096]]);
    const counters = ofPhase(evs, 'C').filter((e) => e.name === 'host memory (MiB)');
    expect(counters.length).toBeGreaterThan(2);
    expect(Object.keys(counters[0].args)).toEqual(['free', 'outstanding claims']);
  });

  test('several runs become several processes, each valid on its own', async () => {
    const [a, b] = [await telemetryOf(twoBuilders('4.21', false)), await telemetryOf(twoBuilders('4.22', true))];
    const file = toTraceEvents([{ telemetry: a, name: 'claim_mode=0' }, { telemetry: b, name: 'claim_mode=1' }]);
    expect(validateTraceEvents(file)).toEqual([]);
    const procs = ofPhase(file.traceEvents, 'M').filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args.name]);
    expect(procs).toEqual([[1, 'claim_mode=0'], [2, 'claim_mode=1']]);
  });
});

describe('the Perfetto file, streamed', () => {
  test('is byte for byte the export as one JSON text, whatever the chunk size, across runs', async () => {
    const runs = [{ telemetry: await telemetryOf(twoBuilders('4.21', false)), name: 'claim_mode=0' }, { telemetry: await telemetryOf(twoBuilders('4.22', true)), name: 'claim µ=1' }];
    const whole = JSON.stringify(toTraceEvents(runs));
    const dir = mkdtempSync(join(tmpdir(), 'memsim-perfetto-'));
    try {
      const n = toTraceEvents(runs.slice(0, 1)).traceEvents.length;
      // 1: every event its own chunk; n - 1 and n: a chunk ends just before / at the first run's end; the default.
      for (const chunk of [1, 7, n - 1, n, n + 1]) {
        await streamTraceEvents(runs, join(dir, `c${chunk}.json`), chunk);
        expect(readFileSync(join(dir, `c${chunk}.json`), 'utf8'), `chunk ${chunk}`).toBe(whole);
      }
      await writePerfetto(runs, join(dir, 'default.json'));
      expect(readFileSync(join(dir, 'default.json'), 'utf8')).toBe(whole);
      await writePerfetto(runs[0].telemetry, join(dir, 'one.json'));
      expect(readFileSync(join(dir, 'one.json'), 'utf8')).toBe(JSON.stringify(toTraceEvents(runs[0].telemetry)));
      await expect(streamTraceEvents(runs, join(dir, 'zero.json'), 0)).rejects.toThrow(/eventsPerChunk must be a whole number/);
      // Each run's chunks made apart (where it ran), joined into the file.
      for (const chunk of [3, n]) {
        await writePerfettoFrom(runs.map((r, k) => perfettoRunChunks(r, k + 1, chunk)), join(dir, `from${chunk}.json`));
        expect(readFileSync(join(dir, `from${chunk}.json`), 'utf8'), `from, chunk ${chunk}`).toBe(whole);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trace-event validator', () => {
  const good = (): Array<Record<string, unknown>> => [
    { ph: 'M', name: 'process_name', pid: 1, tid: 0, ts: 0, args: { name: 'run' } },
    { ph: 'M', name: 'thread_name', pid: 1, tid: 0, ts: 0, args: { name: 'run' } },
    { ph: 'M', name: 'thread_name', pid: 1, tid: 1, ts: 0, args: { name: 'cpu' } },
    { ph: 'X', name: 'run', cat: 'run', pid: 1, tid: 0, ts: 0, dur: 100 },
    { ph: 'X', name: 'call', cat: 'hypercall', pid: 1, tid: 1, ts: 10, dur: 20 },
    { ph: 'X', name: 'section', cat: 'section', pid: 1, tid: 1, ts: 12, dur: 5 },
    { ph: 'i', name: 'claim', cat: 'event', pid: 1, tid: 1, ts: 12, s: 't' },
    { ph: 'C', name: 'mem', pid: 1, tid: 0, ts: 12, args: { free: 3 } },
  ];
  const withEvent = (i: number, patch: Record<string, unknown>) => good().map((e, k) => (k === i ? { ...e, ...patch } : e));

  test('accepts a small valid file, in both the object and the array form', () => {
    expect(validateTraceEvents({ traceEvents: good() })).toEqual([]);
    expect(validateTraceEvents(good())).toEqual([]);
  });

  test.each([
    ['not a trace file', { events: [] }, /expected an array or an object with a traceEvents array/],
    ['unknown phase', withEvent(5, { ph: 'Q' }), /unknown or missing ph "Q"/],
    ['complete event without dur', withEvent(5, { dur: undefined }), /needs dur >= 0/],
    ['negative ts', withEvent(6, { ts: -1 }), /ts must be a number >= 0/],
    ['string ts', withEvent(6, { ts: '12' }), /ts must be a number >= 0/],
    ['fractional pid', withEvent(4, { pid: 1.5 }), /pid must be an integer/],
    ['missing tid', withEvent(5, { tid: undefined }), /tid must be an integer/],
    ['non-numeric counter', withEvent(7, { args: { free: 'lots' } }), /counter value free is not a number/],
    ['thread without thread_name', good().filter((_, k) => k !== 2), /thread 1\/1 \(pid\/tid\) has no thread_name/],
    ['process without process_name', good().filter((_, k) => k !== 0), /process 1 has no process_name/],
    ['slice outside its run', withEvent(4, { ts: 90, dur: 20 }), /"call" at 90 lies outside its run \[0, 100\]/],
    ['no run slice', good().filter((_, k) => k !== 3), /expected exactly one complete event of category "run"/],
    ['overlapping slices that do not nest', withEvent(5, { ts: 25, dur: 10 }), /"section" at 25 overlaps "call" without nesting/],
  ])('rejects %s', (_name, file, message) => {
    const problems = validateTraceEvents(file);
    expect(problems.some((p) => message.test(p)), problems.join('\n')).toBe(true);
  });
});

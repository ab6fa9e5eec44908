// Real-thread hunting end to end: generated scenarios (4.22 with B3 injected, two builders) run on
// real threads with the owner worker checking the scenario's monitors; every failure found must
// replay exactly in scheduled mode, become a choice sequence that fails the same way, and shrink
// there. Which real-thread runs hit the bug is timing: the test asserts only on what is
// deterministic once a failure exists, and bounds the number of real-thread runs.

import { describe, expect, test } from 'vitest';
import { replayTrace } from '../../world/replay.ts';
import { failureKey } from './campaign.ts';
import { huntOnThreads } from './threads.ts';

// Shrinking bounded by runs, not by a wall-clock span each failure waits out (the same work on a
// quiet machine and a loaded one); the time only a safety net.
const SHRINK = { shrinkRuns: 30, shrinkTimeMs: 120_000 };

describe('real-thread hunting', () => {
  test('4.22 + B3 with two or three builders on real threads: each failure replays, converts to a choice sequence and shrinks in the scheduled world', async () => {
    const r = await huntOnThreads({
      xen: '4.22', inject: ['B3'], seed: 1, claimMode: 1, pokes: false,
      threadRuns: 5, all: true, ...SHRINK,
    });
    expect(r.runs).toBeGreaterThanOrEqual(1);
    expect(r.runs).toBeLessThanOrEqual(5);
    for (const f of r.failures) {
      expect(failureKey(f.failure)).toMatch(/^property:(claims-within-available|claim-backed|claim-guarantee|claim-accounting)$/);
      expect(f.replay.divergence).toBeUndefined();
      expect(f.replay.reproduced).toBe(true);
      expect(f.choicesReproduce).toBe(true);
      const found = f.found!;
      expect(failureKey(found.failure)).toBe(failureKey(f.failure));
      expect(found.stepsAfter).toBeLessThanOrEqual(found.stepsBefore);
      expect((await replayTrace(found.trace)).reproduced).toBe(true);
    }
    console.log(`real threads: ${r.failures.length} failure(s) in ${r.runs} runs (${(r.ms / 1000).toFixed(1)} s); shrunk to ${r.failures.map((f) => `${f.found?.stepsAfter} (${f.found?.shrinkRuns} runs)`).join(', ')} sections`);
  }, 300_000);

  test('a run cut short by its wall-clock budget is inconclusive, never a found failure', async () => {
    // 1 ms after the owner is up no actor thread has even started: every run times out.
    const r = await huntOnThreads({ xen: '4.22', inject: ['B3'], seed: 1, claimMode: 1, pokes: false, threadRuns: 2, all: true, runTimeoutMs: 1 });
    expect(r.runs).toBe(2);
    expect(r.failures).toEqual([]);
    expect(r.inconclusive.map((i) => i.kind)).toEqual(['timeout', 'timeout']);
    expect(r.inconclusive[0].message).toMatch(/wall-clock budget of 1 ms/);
  }, 300_000);

  test('the wall-clock budget bounds the whole hunt: it stops before its runs are done, saying so', async () => {
    const r = await huntOnThreads({ xen: '4.22', inject: ['B3'], seed: 1, claimMode: 1, pokes: false, threadRuns: 50, all: true, wallBudgetMs: 1 });
    expect(r.runs).toBeLessThanOrEqual(1);
    expect(r.failures).toEqual([]);
    expect(r.stopped).toMatch(/^wall-clock budget of 0\.001 s spent while searching$/);
  }, 300_000);

  test('--ignore holds on real threads too: no failure of an ignored property is reported', async () => {
    const ignore = ['claims-within-available', 'claim-backed', 'claim-guarantee'];
    const r = await huntOnThreads({ xen: '4.22', inject: ['B3'], seed: 1, claimMode: 1, pokes: false, threadRuns: 2, all: true, ...SHRINK, ignore });
    expect(r.runs).toBe(2);
    for (const f of r.failures) expect(ignore).not.toContain(failureKey(f.failure).replace(/^property:/, ''));
  }, 300_000);
});

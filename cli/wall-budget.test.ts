// --wall-budget: a run or a campaign that outlives its wall-clock budget stops cleanly, says so,
// keeps what it has (a demo variant's trace up to the stop, which replays; a campaign's runs so
// far with the command that repeats them) and exits 1. The budgets are far below what the work
// needs on any machine (1 ms of a 1.3M-section demo variant, 1 s of a million-run campaign).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../prop-tests/campaign/campaign.ts';
import { replayTraceFile } from '../world/replay.ts';
import { DemoStopped, runDemo } from './commands/demo.ts';
import { runCli, STACK_FRAME } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-wall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--wall-budget', () => {
  it('a campaign stops searching when its budget is spent: stopped, runs so far, no failure claimed', async () => {
    // The builders alone (families: []): the portfolio's first run on 4.21 already finds B3.
    const r = await runCampaign({ xen: '4.21', claimMode: 1, inject: [], seed: 1, runs: 1_000_000, wallBudgetMs: 1, families: [] });
    expect(r.stopped).toMatch(/^wall-clock budget of 0\.001 s spent while searching$/);
    expect(r.runs).toBe(r.slots.reduce((n, [a, b]) => n + b - a + 1, 0));
    expect(r.runs).toBeLessThan(1_000_000);
    expect(r.found).toBeUndefined();
  });

  it('check prints STOPPED with the runs so far and the command that repeats them, exit 1', async () => {
    const r = await runCli(['check', '--xen', '4.22', '--runs', '1000000', '--wall-budget', '1', '--out', join(dir, 'f.jsonl')]);
    expect(r.stdout).toMatch(/^check: STOPPED \(wall-clock budget of 1 s spent while searching\) after (\d+) runs .*: no failure so far\n {2}repeat these runs: xen-memsim check --xen 4\.22 --seed 20131119 --runs \1\n$/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(1);
  }, 120_000);

  it('check --wall-budget takes 1 s to a week', async () => {
    for (const bad of ['0', '604801', '1.5', '-1']) {
      const r = await runCli(['check', '--wall-budget', bad]);
      expect(r.stderr).toMatch(/^xen-memsim check: --wall-budget/);
      expect(r.status).toBe(2);
    }
  }, 120_000);

  it('demo variants stopped by their budget name what ran and keep their traces, which replay to the stop', async () => {
    const files: string[] = [];
    await expect(runDemo({ out: dir, progress: false, wallBudgetMs: 1, onFile: (f) => files.push(f) })).rejects.toThrow(DemoStopped);
    await expect(runDemo({ out: dir, progress: false, wallBudgetMs: 1 })).rejects.toThrow(/^claim_mode=0 stopped \(wall-clock budget of 0\.001 s spent\) after \d+ critical sections, at virtual [\d.]+ s; no variant finished$/);
    // The two variants run side by side: each is stopped by its own budget, each trace kept.
    const traces = ['claim_mode=0', 'claim_mode=1'].map((label) => join(dir, `demo-${label}.jsonl`));
    expect(files).toEqual(traces.map((t) => `${t}  (trace up to the stop: xen-memsim replay / report)`));
    for (const trace of traces) {
      expect(existsSync(trace)).toBe(true);
      const rep = await replayTraceFile(trace);
      expect(rep.divergence).toBeUndefined();
      expect(rep.reproduced).toBe(true);
    }
  }, 120_000);
});

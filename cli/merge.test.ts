// `check --shard K/N` on N processes and `xen-memsim merge` of their results: the merge equals the
// unsharded campaign on the same budget (issue 15.4), and bad shards or files get a clear message
// and exit 2, never a stack trace.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, type Ended } from './testing.ts';

let dir: string;
const CAMPAIGN = ['--xen', '4.21', '--seed', '1', '--runs', '200', '--shrink-time', '1'];
const N = 3;
let whole: Ended;
let shards: Ended[];
let merged: Ended;
const file = (name: string) => join(dir, name);
const json = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, any>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xen-memsim-merge-'));
  // The unsharded campaign and its N shards, as N + 1 processes side by side.
  [whole, ...shards] = await Promise.all([
    runCli(['check', ...CAMPAIGN, '--out', file('whole.jsonl'), '--results', file('whole.json')]),
    ...Array.from({ length: N }, (_, i) => runCli(['check', ...CAMPAIGN, '--shard', `${i + 1}/${N}`, '--out', file(`s${i + 1}.jsonl`), '--results', file(`s${i + 1}.json`)])),
  ]);
  merged = await runCli(['merge', file('s3.json'), file('s1.json'), file('s2.json'), '--out', file('merged.jsonl'), '--results', file('merged.json')]);
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const usageError = (r: Ended, message: RegExp) => {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.status).toBe(2);
};

describe('a campaign in shards', () => {
  it('each shard writes its results; the shards that reach a failure exit 1, the others 0, and one of them has the whole campaign\'s', () => {
    expect(whole.status).toBe(1);
    // On 4.21 failures are many: how many shards reach one before their budget ends depends on the portfolio.
    const statuses = shards.map((s) => s.status);
    expect(statuses.every((s) => s === 0 || s === 1), String(statuses)).toBe(true);
    const slotOf = (k: number) => json(`s${k}.json`).found?.slot as number | undefined;
    const slots = shards.map((_, i) => slotOf(i + 1));
    statuses.forEach((s, i) => expect(s === 1, `shard ${i + 1}`).toBe(slots[i] !== undefined));
    expect(Math.min(...slots.filter((x): x is number => x !== undefined))).toBe(json('whole.json').found.slot);
    for (const s of shards) expect(s.stderr).not.toMatch(STACK_FRAME);
  });

  it('merge prints the unsharded campaign\'s verdict, writes its replay file, and its merged results equal the unsharded ones', async () => {
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(1);
    const found = /check: FAILURE found after (\d+) runs \([\d.]+ s, ([^)]+)\), seed 1\n {2}(\S+:)/;
    expect(merged.stdout.match(found)?.slice(1)).toEqual(whole.stdout.match(found)?.slice(1));
    expect(merged.stdout).toMatch(/reproduce the campaign: xen-memsim check --xen 4\.21 --seed 1 --runs 200\n/);
    expect(merged.stdout).toMatch(new RegExp(`merged ${N} shards: \\d+ runs of the plan over \\d+ scenarios`));
    const w = json('whole.json');
    const m = json('merged.json');
    for (const k of ['campaign', 'runs', 'slots', 'coverage'] as const) expect(m[k], k).toEqual(w[k]);
    for (const k of ['slot', 'strategy', 'first', 'stepsBefore'] as const) expect(m.found[k], `found.${k}`).toEqual(w.found[k]);
    const replay = await runCli(['replay', file('merged.jsonl')]);
    expect(replay.stdout).toMatch(/replay reproduced the run exactly/);
    expect(replay.status).toBe(0);
  });

  it('a missing shard, a shard given twice, another campaign, a file that is not results: named, exit 2', async () => {
    usageError(await runCli(['merge', file('s1.json'), file('s2.json')]), /^xen-memsim merge: missing shard 3\/3\n/);
    usageError(await runCli(['merge', file('s1.json'), file('s1.json'), file('s2.json')]), /and .* are both shard 1\/3/);
    const other = { ...json('s2.json'), campaign: { ...json('s2.json').campaign, seed: 2 } };
    writeFileSync(file('other.json'), JSON.stringify(other));
    usageError(await runCli(['merge', file('s1.json'), file('other.json'), file('s3.json')]), /other\.json is of another campaign .*\(seed: 2 vs 1\)/);
    writeFileSync(file('bad.json'), '{"format": "xen-memsim-campaign-results", "version": 1, "campaign": ');
    usageError(await runCli(['merge', file('bad.json')]), /bad\.json: not valid JSON/);
    usageError(await runCli(['merge', file('whole.jsonl')]), /not valid JSON|not a xen-memsim-campaign-results file/);
    usageError(await runCli(['merge', file('nope.json')]), /cannot read .*nope\.json: no such file/);
    usageError(await runCli(['merge']), /missing required argument/);
  }, 300_000);

  it('check --shard takes K/N with 1 ≤ K ≤ N ≤ 4096 and a run budget only', async () => {
    usageError(await runCli(['check', '--shard', '0/3']), /--shard: the shard number must be 1\.\.3 \(got 0\)/);
    usageError(await runCli(['check', '--shard', '1/5000']), /--shard: the shard count must be 1\.\.4096/);
    usageError(await runCli(['check', '--shard', 'two']), /--shard must be K\/N/);
    usageError(await runCli(['check', '--shard', '1/2', '--time', '5']), /cannot be used with option '--time/);
    usageError(await runCli(['check', '--shard', '1/2', '--threads']), /cannot be used with option '--threads/);
    usageError(await runCli(['check', '--shard', '1/2', '--results', '/nonexistent/r.json']), /--results: cannot create \/nonexistent\/r\.json: the folder \/nonexistent does not exist/);
  }, 300_000);
});

// The `report` command: writes the HTML report and the Perfetto file of a trace; usage errors.

import { describe, expect, test } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArrivalOrder } from '../sim/policy.ts';
import { twoBuilders } from '../world/test-scenarios.ts';
import { runScheduled } from '../world/world.ts';
import { main as reportMain } from './commands/report.ts';

async function traceText(): Promise<string> {
  return (await runScheduled(twoBuilders('4.22', true), new ArrivalOrder())).owner.trace.toJsonl();
}

describe('xen-memsim report', () => {
  test('writes the report and the Perfetto file for a trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memsim-report-'));
    await writeFile(join(dir, 'run.jsonl'), await traceText());
    const rc = await reportMain([join(dir, 'run.jsonl'), '--perfetto', join(dir, 'run.json')]);
    expect(rc).toBe(0);
    expect(await readFile(join(dir, 'run.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'))).toHaveProperty('traceEvents');
  });

  test('exit 2 on bad usage, 1 on a malformed trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memsim-report-'));
    expect(await reportMain([])).toBe(2);
    expect(await reportMain(['a.jsonl', 'b.jsonl'])).toBe(2);
    expect(await reportMain(['x.jsonl', '--colour'])).toBe(2);
    expect(await reportMain([join(dir, 'missing.jsonl')])).toBe(2);
    const lines = (await traceText()).split('\n');
    lines[3] = '{"k":"step"';
    await writeFile(join(dir, 'bad.jsonl'), lines.join('\n'));
    expect(await reportMain([join(dir, 'bad.jsonl')])).toBe(1);
  });
});

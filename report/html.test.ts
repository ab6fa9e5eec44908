import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import { twoBuilders } from '../world/test-scenarios.ts';
import { runScheduled } from '../world/world.ts';
import { renderReport, type ReportData } from './html.ts';
import { collectFromTrace } from './telemetry.ts';

async function traceText(): Promise<string> {
  return (await runScheduled(twoBuilders('4.22', true), new ArrivalOrder())).owner.trace.toJsonl();
}

/** The JSON embedded in a report, parsed back. */
function embedded(html: string): unknown {
  const m = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]);
}

describe('HTML report', () => {
  test('is self-contained: no external scripts, styles or fetches; the data round-trips', async () => {
    const t = await collectFromTrace(await traceText());
    const html = renderReport(t, { title: 'two builders', seed: 42 });
    expect(html).not.toMatch(/<script[^>]+src=|<link\b|<img\b|<iframe\b|url\(\s*['"]?https?:/);
    expect(html).toContain('seed <b>42</b>');
    expect(embedded(html)).toMatchObject({ format: 'xen-memsim-report', runs: [{ telemetry: t }] });
    expect((embedded(html) as ReportData).runs[0].telemetry).toEqual(t);
  });

  test('text from the run cannot break out of the data script', async () => {
    const t = await collectFromTrace(await traceText());
    t.events.push({ t: 0, step: 0, kind: 'note', cat: 'note', text: '</script><script>alert(1)</script>' });
    t.meta.scenario = '<b>x</b>';
    const html = renderReport([{ label: '<i>variant</i>', telemetry: t }, { label: 'other', telemetry: t }]);
    expect((embedded(html) as ReportData).runs.map((r) => r.telemetry)).toEqual([t, t]);
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('<i>variant</i>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });
});

import { describe, expect, test } from 'vitest';
import { ArrivalOrder } from '../sim/policy.ts';
import { twoBuilders } from '../world/test-scenarios.ts';
import { runScheduled } from '../world/world.ts';
import { bundleReportPage, prepareReportAssets, renderReport, renderReportFrom, scriptSafeJson, type ReportData } from './html.ts';
import { outcome, reportDataJson, reportRunJson } from './report-data.ts';
import { collectFromTrace } from './telemetry.ts';

async function traceText(): Promise<string> {
  return (await runScheduled(twoBuilders('4.22', true), new ArrivalOrder())).owner.trace.toJsonl();
}

/** The page's script bundled now, in place (what the report inlines, script-escaped). */
const bundleReportPageFresh = (): string => bundleReportPage().replace(/<\/script/gi, '<\\/script');

/** The JSON embedded in a report, parsed back. */
function embedded(html: string): unknown {
  const m = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]);
}

describe('HTML report', () => {
  test('the page bundled in the background (prepareReportAssets) is the one bundled in place', async () => {
    const t = await collectFromTrace(await traceText());
    await prepareReportAssets();
    const html = renderReport(t);
    expect(html).toContain(bundleReportPageFresh());
  });

  test('from each run\'s data serialised apart (where it ran): the same document, the same data as scriptSafeJson of the whole', async () => {
    const t = await collectFromTrace(await traceText());
    t.events.push({ t: 0, step: 0, kind: 'note', cat: 'note', text: '</script> \u2028 <!--' });
    const runs = [{ label: 'claim_mode=0', telemetry: t, wallMs: 5 }, { label: '<other>', telemetry: t, wallMs: 7 }];
    const parts = runs.map((r) => reportRunJson(r.label, r.telemetry));
    expect(renderReportFrom(runs, parts, { seed: 1 })).toBe(renderReport(runs, { seed: 1 }));
    const whole = scriptSafeJson({ format: 'xen-memsim-report', runs: runs.map((r) => ({ label: r.label, outcomeText: outcome(t).text, outcomeClass: outcome(t).cls, telemetry: t })) });
    expect(reportDataJson(parts)).toBe(whole);
    expect(() => renderReportFrom(runs, parts.slice(1))).toThrow(/2 runs but 1 serialised/);
  });

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

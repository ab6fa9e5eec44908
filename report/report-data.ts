// What the HTML report's page reads from its #report-data element: the runs, each with its
// outcome and telemetry, as JSON that is safe inside a <script> element. A module of its own
// (html.ts inlines it; it reads no package file) so that a run's share can be serialised in the
// thread that ran it (the demo's variants side by side) and joined into the report afterwards.

import type { Telemetry } from './telemetry.ts';

export const REPORT_FORMAT = 'xen-memsim-report';

/** What the page reads from #report-data. */
export interface ReportData {
  format: typeof REPORT_FORMAT;
  runs: Array<{ label: string; outcomeText: string; outcomeClass: string; telemetry: Telemetry }>;
}

/** JSON safe inside a <script> element: no "</script>" or "<!--" can appear in it. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The outcome badge: what happened, and whether a replay reproduced it. */
export function outcome(t: Telemetry): { cls: string; text: string } {
  const m = t.meta;
  if (m.replay !== undefined && !m.replay.reproduced) return { cls: 'diverged', text: `replay diverged: ${m.replay.divergence ?? ''}` };
  if (m.outcome === 'failed') return { cls: 'failed', text: `failed — ${m.failure ?? ''}` };
  const failedBuilds = t.events.filter((e) => e.kind === 'build_failed').length;
  const builds = t.events.filter((e) => e.kind === 'build_done').length;
  const story = failedBuilds + builds === 0 ? '' : `: ${builds} built, ${failedBuilds} failed`;
  return { cls: failedBuilds > 0 ? 'failed' : m.outcome, text: (m.outcome === 'completed' ? 'run completed' : 'stopped (run not finished)') + story };
}

/** One run's entry of ReportData.runs as script-safe JSON (what reportDataJson joins). */
export function reportRunJson(label: string, telemetry: Telemetry): string {
  const o = outcome(telemetry);
  const run: ReportData['runs'][number] = { label, outcomeText: o.text, outcomeClass: o.cls, telemetry };
  return scriptSafeJson(run);
}

/** ReportData as script-safe JSON from its runs' entries (reportRunJson): byte for byte scriptSafeJson of the whole. */
export function reportDataJson(runs: readonly string[]): string {
  return `{"format":${JSON.stringify(REPORT_FORMAT)},"runs":[${runs.join(',')}]}`;
}

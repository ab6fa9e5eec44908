// The HTML report: one self-contained file (the page's script bundled with uPlot, the styles and
// the telemetry as JSON are all inlined; nothing is fetched), with a header, memory over virtual
// time with labelled markers for every run given (variants of one scenario stacked on one time
// axis), the interleaving of critical sections for a chosen window or moment, and the events.
// The page's logic lives in report/page/ as browser ES modules, bundled here with esbuild.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build, buildSync, type BuildOptions } from 'esbuild';
import { packageFile, PACKAGE_VERSION } from './package-files.ts';
import { outcome, REPORT_FORMAT, reportDataJson, reportRunJson, scriptSafeJson, type ReportData } from './report-data.ts';
import type { Telemetry } from './telemetry.ts';

const require = createRequire(import.meta.url);

export { REPORT_FORMAT, scriptSafeJson, type ReportData };

export interface ReportOptions {
  /** The page title; default "xen-memsim report: <scenario>". */
  title?: string;
  /** The schedule's seed, when there was one (shown in the header). */
  seed?: number | string;
  /** Wall-clock time the run took, in ms (shown beside virtual time; one run only). */
  wallMs?: number;
  /** Extra header facts, in order: `{ 'claim_mode': '1' }`. */
  facts?: Readonly<Record<string, string>>;
}

/** One run of a report with several (variants of one scenario, drawn on one time axis). */
export interface ReportRun {
  /** The variant's name (`claim_mode=0`). */
  label: string;
  telemetry: Telemetry;
  /** Wall-clock ms the run took. */
  wallMs?: number;
}

/** The files inlined into every report, read (and bundled) once. */
interface Assets {
  uplotCss: string;
  pageJs: string;
  pageCss: string;
  version: string;
}

let assets: Assets | undefined;
/** The assets being made in the background (prepareReportAssets), until they are. */
let pending: Promise<Assets> | undefined;

const PAGE_BUILD: BuildOptions = {
  entryPoints: [packageFile('report/page/report.js')], bundle: true, format: 'iife', minify: true, write: false,
  platform: 'browser', target: 'es2022', legalComments: 'none', logLevel: 'silent',
};

/** The page's script: report/page/report.js and what it imports (uPlot), as one IIFE. */
export function bundleReportPage(): string {
  return buildSync(PAGE_BUILD).outputFiles![0].text;
}

function assetsWith(pageJs: string): Assets {
  const uplotDist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return {
    uplotCss: readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8'),
    pageJs,
    pageCss: readFileSync(packageFile('report/page/report.css'), 'utf8'),
    version: PACKAGE_VERSION,
  };
}

function loadAssets(): Assets {
  assets ??= assetsWith(bundleReportPage());
  return assets;
}

/**
 * Starts bundling the report's page in the background (esbuild's own process), so that a report
 * written later does not wait for it: a command that will write a report calls this first. The
 * bundle is the one renderReport makes itself otherwise, byte for byte. A failure shows when a
 * report is written.
 */
export function prepareReportAssets(): Promise<void> {
  pending ??= assets !== undefined ? Promise.resolve(assets) : build(PAGE_BUILD).then((r) => (assets ??= assetsWith(r.outputFiles![0].text)));
  const done = pending.then(() => undefined);
  done.catch(() => undefined); // told when a report is written (writeReport awaits it)
  return done;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Inline script text: a "</script" inside would end the element early. */
const inlineScript = (js: string): string => js.replace(/<\/script/gi, '<\\/script');

function headerFacts(runs: readonly ReportRun[], opts: ReportOptions, version: string): string {
  const m = runs[0].telemetry.meta;
  const each = (f: (r: ReportRun) => string): string => [...new Set(runs.map(f))].join(' / ');
  const wall = runs.every((r) => r.wallMs !== undefined) ? each((r) => `${r.wallMs!.toFixed(0)} ms`) : opts.wallMs === undefined ? undefined : `${opts.wallMs.toFixed(0)} ms`;
  const facts: Array<[string, string]> = [
    ['scenario', runs.length === 1 ? m.scenario : each((r) => r.label)],
    ['Xen', `${m.xen}${m.tmem ? ' + tmem' : ''}`],
    ['host', `${(m.totalPages / 256).toFixed(0)} MiB, ${m.nodes} node${m.nodes === 1 ? '' : 's'}`],
    ['schedule', `${m.policy} (${m.mode})`],
    ...(opts.seed === undefined ? [] : [['seed', String(opts.seed)] as [string, string]]),
    ['steps', each((r) => String(r.telemetry.meta.steps))],
    ['virtual time', each((r) => `${(r.telemetry.meta.endNs / 1e9).toFixed(3)} s`)],
    ...(wall === undefined ? [] : [['wall', wall] as [string, string]]),
    ...(runs.some((r) => r.telemetry.meta.hash !== undefined) ? [['hash', each((r) => r.telemetry.meta.hash ?? '–')] as [string, string]] : []),
    ...Object.entries(opts.facts ?? {}),
    ['xen-memsim', version],
  ];
  return facts.map(([k, v]) => `${escapeHtml(k)} <b>${escapeHtml(v)}</b>`).join(' · ');
}

/**
 * Renders the report as one HTML document (no external resources).
 * @param runs from TelemetrySampler.finish() or collectFromTrace(): one run, or several
 *   (variants of one scenario, drawn one over the other on one time axis)
 */
export function renderReport(runs: Telemetry | readonly ReportRun[], opts: ReportOptions = {}): string {
  const list: readonly ReportRun[] = Array.isArray(runs) ? runs : [{ label: (runs as Telemetry).meta.scenario, telemetry: runs as Telemetry, ...(opts.wallMs === undefined ? {} : { wallMs: opts.wallMs }) }];
  return renderReportFrom(list, list.map((r) => reportRunJson(r.label, r.telemetry)), opts);
}

/**
 * renderReport with each run's entry of the report data already serialised (report-data.ts
 * reportRunJson(run.label, run.telemetry), made where the run ran): the same document.
 */
export function renderReportFrom(list: readonly ReportRun[], runJson: readonly string[], opts: ReportOptions = {}): string {
  if (list.length === 0) throw new Error('renderReport: no run to show');
  if (runJson.length !== list.length) throw new Error(`renderReport: ${list.length} runs but ${runJson.length} serialised`);
  const a = loadAssets();
  const first = list[0].telemetry;
  const title = opts.title ?? `xen-memsim report: ${list.length === 1 ? first.meta.scenario : first.meta.scenario.replace(/\s*\S+$/, '') || first.meta.scenario}`;
  const badge = list.length === 1 ? `<span class="outcome ${outcome(first).cls}">${escapeHtml(outcome(first).text)}</span>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${a.uplotCss}</style>
<style>${a.pageCss}</style>
</head><body>
<header><h1>${escapeHtml(title)}</h1>${badge}
<div class="meta">${headerFacts(list, opts, a.version)}</div></header>
<section class="card"><h2>Memory over virtual time</h2>
<p class="hint">Labels mark what tells the story: xl commands (and what \`xl info\` printed), the scenario's surge, claims, builds and failures. The band under a chart is each guest's balloon: taking memory, giving it back, and where Xen's claim gate held it back. Click a label to see the interleaving around it; drag across a chart to choose a window (both charts follow); “whole run” resets.</p>
<div id="charts"></div><div class="keys" id="legend"></div></section>
<section class="card" id="interleaving"><h2>Interleaving of critical sections, one lane per pCPU (actor)</h2>
<p class="hint">One mark per critical section, in the order the hypervisor ran them; hover a mark for its label, call and virtual time. Red outline: something failed in that section; amber: the claim gate held a guest back; black: the moment you chose.</p>
<div class="toolbar"><span id="run-tabs"></span><button id="reset">whole run</button><span id="window-info"></span><input id="offset" type="range" min="0" max="0" value="0" aria-label="scroll within the window"></div>
<div id="lanes"></div><div class="keys" id="label-keys"></div><div id="tooltip"></div></section>
<section class="card"><h2>Events</h2><p class="hint">In the window or around the moment chosen; click a row to see the interleaving around it.</p><div class="filters" id="filters"></div><table id="events"></table></section>
<script id="report-data" type="application/json">${reportDataJson(runJson)}</script>
<script>${inlineScript(a.pageJs)}</script>
</body></html>
`;
}

/** Renders the report and writes it to `path` (its folder must exist: no command creates the folders above its outputs). */
export async function writeReport(runs: Telemetry | readonly ReportRun[], path: string, opts: ReportOptions = {}): Promise<void> {
  await prepareReportAssets();
  await writeFile(path, renderReport(runs, opts));
}

/** writeReport with each run's entry of the report data already serialised (renderReportFrom). */
export async function writeReportFrom(list: readonly ReportRun[], runJson: readonly string[], path: string, opts: ReportOptions = {}): Promise<void> {
  await prepareReportAssets();
  await writeFile(path, renderReportFrom(list, runJson, opts));
}

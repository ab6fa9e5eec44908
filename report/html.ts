// The HTML report: one self-contained file (uPlot's JS and CSS, the page's script and styles and
// the telemetry as JSON are all inlined; nothing is fetched), with a header, memory over virtual
// time with event markers, the interleaving of critical sections for a chosen window, and the
// events. The page's logic lives in report/page/ as plain browser JS and CSS.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Telemetry } from './telemetry.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface ReportOptions {
  /** The page title; default "xen-memsim report: <scenario>". */
  title?: string;
  /** The schedule's seed, when there was one (shown in the header). */
  seed?: number | string;
  /** Wall-clock time the run took, in ms (shown beside virtual time). */
  wallMs?: number;
  /** Extra header facts, in order: `{ 'claim_mode': '1' }`. */
  facts?: Readonly<Record<string, string>>;
}

/** The files inlined into every report, read once. */
interface Assets {
  uplotJs: string;
  uplotCss: string;
  pageJs: string;
  pageCss: string;
  version: string;
}

let assets: Assets | undefined;

function loadAssets(): Assets {
  if (assets !== undefined) return assets;
  const uplotDist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const pkg = JSON.parse(readFileSync(join(HERE, '..', 'package.json'), 'utf8')) as { version: string };
  assets = {
    uplotJs: readFileSync(join(uplotDist, 'uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8'),
    pageJs: readFileSync(join(HERE, 'page', 'report.js'), 'utf8'),
    pageCss: readFileSync(join(HERE, 'page', 'report.css'), 'utf8'),
    version: pkg.version,
  };
  return assets;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** JSON safe inside a <script> element: no "</script>" or "<!--" can appear in it. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline script text: a "</script" inside would end the element early. */
const inlineScript = (js: string): string => js.replace(/<\/script/gi, '<\\/script');

/** The outcome badge: what happened, and whether a replay reproduced it. */
function outcome(t: Telemetry): { cls: string; text: string } {
  const m = t.meta;
  if (m.replay !== undefined && !m.replay.reproduced) return { cls: 'diverged', text: `replay diverged: ${m.replay.divergence ?? ''}` };
  if (m.outcome === 'failed') return { cls: 'failed', text: `failed — ${m.failure ?? ''}` };
  return { cls: m.outcome, text: m.outcome === 'completed' ? 'completed' : 'stopped (run not finished)' };
}

function headerFacts(t: Telemetry, opts: ReportOptions, version: string): string {
  const m = t.meta;
  const facts: Array<[string, string]> = [
    ['scenario', m.scenario],
    ['Xen', `${m.xen}${m.tmem ? ' + tmem' : ''}`],
    ['host', `${(m.totalPages / 256).toFixed(0)} MiB, ${m.nodes} node${m.nodes === 1 ? '' : 's'}`],
    ['schedule', `${m.policy} (${m.mode})`],
    ...(opts.seed === undefined ? [] : [['seed', String(opts.seed)] as [string, string]]),
    ['steps', String(m.steps)],
    ['virtual time', `${(m.endNs / 1e9).toFixed(3)} s`],
    ...(opts.wallMs === undefined ? [] : [['wall', `${opts.wallMs.toFixed(0)} ms`] as [string, string]]),
    ...(m.hash === undefined ? [] : [['hash', m.hash] as [string, string]]),
    ...Object.entries(opts.facts ?? {}),
    ['xen-memsim', version],
  ];
  return facts.map(([k, v]) => `${escapeHtml(k)} <b>${escapeHtml(v)}</b>`).join(' · ');
}

/**
 * Renders the report as one HTML document (no external resources).
 * @param telemetry from TelemetrySampler.finish() or collectFromTrace()
 */
export function renderReport(telemetry: Telemetry, opts: ReportOptions = {}): string {
  const a = loadAssets();
  const title = opts.title ?? `xen-memsim report: ${telemetry.meta.scenario}`;
  const o = outcome(telemetry);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${a.uplotCss}</style>
<style>${a.pageCss}</style>
</head><body>
<header><h1>${escapeHtml(title)}</h1><span class="outcome ${o.cls}">${escapeHtml(o.text)}</span>
<div class="meta">${headerFacts(telemetry, opts, a.version)}</div></header>
<section class="card"><h2>Memory over virtual time</h2>
<p class="hint">Drag across the chart to choose a window for the interleaving and the events below; double-click or “whole run” to reset. Hover for values.</p>
<div id="memory"></div><div class="keys" id="markers"></div></section>
<section class="card"><h2>Interleaving of critical sections, one lane per pCPU (actor)</h2>
<p class="hint">One mark per critical section, in the order the hypervisor ran them; hover a mark for its label, call and virtual time. Red outline: something failed in that section.</p>
<div class="toolbar"><button id="reset">whole run</button><span id="window-info"></span><input id="offset" type="range" min="0" max="0" value="0" aria-label="scroll within the window"></div>
<div id="lanes"></div><div class="keys" id="label-keys"></div><div id="tooltip"></div></section>
<section class="card"><h2>Events in the window</h2><table id="events"></table></section>
<script id="report-data" type="application/json">${scriptSafeJson(telemetry)}</script>
<script>${inlineScript(a.uplotJs)}</script>
<script>${inlineScript(a.pageJs)}</script>
</body></html>
`;
}

/** Renders the report and writes it to `path` (its folder must exist: no command creates the folders above its outputs). */
export async function writeReport(telemetry: Telemetry, path: string, opts: ReportOptions = {}): Promise<void> {
  await writeFile(path, renderReport(telemetry, opts));
}

// The report page: one memory chart per run (variants of one scenario stacked on one time axis,
// claim_mode=0 over claim_mode=1), the interleaving of critical sections for a chosen window or
// around a chosen moment, and the events as readable rows. Data: the JSON in #report-data
// (report/html.ts ReportData). Choosing a window (drag on a chart) or a moment (click a marker
// label or an event row) redraws the interleaving and the table. Bundled by report/html.ts.

import { createMemoryChart, legendHtml } from './chart.js';
import { DEFAULT_SHOWN, filtersHtml, renderEvents, wireRows } from './events.js';
import { fmtNs } from './format.js';
import { keysHtml, renderLanes, sectionRange, wireTooltip } from './lanes.js';

const D = JSON.parse(document.getElementById('report-data').textContent);
const $ = (id) => document.getElementById(id);
const runs = D.runs;
const endOf = (t) => Math.max(t.meta.endNs, t.memory.t[t.memory.t.length - 1] ?? 0);
const full = { t0: 0, t1: Math.max(...runs.map((r) => endOf(r.telemetry))) };
/** The run the interleaving and the events show, and what of it: a window or a focused step. */
const state = { run: 0, t0: full.t0, t1: full.t1, offset: 0, focusStep: undefined, marksShown: 0, gapsShown: 0 };
const shown = new Set(DEFAULT_SHOWN);
const current = () => runs[state.run].telemetry;

function renderInterleaving() {
  const t = current();
  const S = t.sections;
  const range = sectionRange(S, state);
  const r = renderLanes($('lanes'), t, range, state.focusStep);
  state.marksShown = r.shown;
  state.gapsShown = r.gaps;
  $('label-keys').innerHTML = keysHtml(r.keys);
  const slider = $('offset');
  const count = range.hi - range.lo;
  slider.hidden = state.focusStep !== undefined;
  slider.max = String(Math.max(0, count - r.shown));
  slider.value = String(range.from - range.lo);
  slider.disabled = count <= r.shown;
  const gaps = r.gaps > 0 ? ` · ${r.gaps} gap${r.gaps > 1 ? 's' : ''} where a long run's sections were left out` : '';
  const label = runs.length > 1 ? `${runs[state.run].label}: ` : '';
  $('window-info').textContent = state.focusStep !== undefined
    ? `${label}${r.shown} sections around step #${state.focusStep} (${fmtNs(S.t[range.from] ?? 0)} – ${fmtNs(S.t[range.to - 1] ?? 0)}) on ${r.lanes} pCPUs${gaps}`
    : `${label}window ${fmtNs(state.t0)} – ${fmtNs(state.t1)}: ${count} sections on ${r.lanes} pCPUs${count > r.shown ? ` (showing ${range.from - range.lo + 1}–${range.to - range.lo}; slide to move)` : ''}${gaps}`;
}

function renderTable() {
  const t = current();
  let t0 = state.t0, t1 = state.t1;
  if (state.focusStep !== undefined) {
    const S = t.sections;
    const range = sectionRange(S, state);
    t0 = (S.t[range.from] ?? 0) - (S.dur[range.from] ?? 0);
    t1 = S.t[range.to - 1] ?? full.t1;
  }
  renderEvents($('events'), t, t0, t1, shown);
}

function renderTabs() {
  $('run-tabs').innerHTML = runs.length < 2 ? '' : runs.map((r, i) =>
    `<button class="tab${i === state.run ? ' on' : ''}" data-run="${i}">${r.label.replace(/[&<>"]/g, '')}</button>`).join('');
}

function redraw() {
  renderTabs();
  renderInterleaving();
  renderTable();
}

function setWindow(t0, t1) {
  state.t0 = Math.max(full.t0, Math.min(t0, t1));
  state.t1 = Math.min(full.t1, Math.max(t0, t1));
  state.offset = 0;
  state.focusStep = undefined;
  charts.forEach((c) => c.setRange(state.t0, state.t1));
  redraw();
}

/** Shows the sections around step `step` of run `run` (a clicked marker or row). */
function focus(run, step) {
  state.run = run;
  state.focusStep = step;
  redraw();
  $('interleaving').scrollIntoView({ block: 'nearest' });
}

$('charts').innerHTML = runs.map((r, i) => {
  const o = r.outcomeClass;
  return `<div class="run"><h3>${r.label.replace(/[&<>"]/g, '')} <span class="outcome ${o}">${r.outcomeText.replace(/[&<>"]/g, '')}</span></h3><div class="chart" id="chart-${i}"></div></div>`;
}).join('');
const charts = runs.map((r, i) => createMemoryChart($(`chart-${i}`), r.telemetry, {
  height: runs.length > 1 ? 280 : 340,
  cursorSync: 'memsim',
  range: () => [state.t0, state.t1],
  onZoom: (t0, t1) => { state.run = i; setWindow(t0, t1); },
  onPick: (e) => focus(i, e.step),
}));
$('legend').innerHTML = legendHtml();
$('filters').innerHTML = filtersHtml(shown);
$('filters').addEventListener('change', (ev) => {
  const cat = ev.target.getAttribute('data-cat');
  if (ev.target.checked) shown.add(cat); else shown.delete(cat);
  renderTable();
});
$('run-tabs').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-run]');
  if (b) { state.run = Number(b.getAttribute('data-run')); redraw(); }
});
wireRows($('events'), (step) => focus(state.run, step));
wireTooltip($('lanes'), $('tooltip'), current);
$('offset').addEventListener('input', (ev) => { state.offset = Number(ev.target.value); renderInterleaving(); });
$('reset').addEventListener('click', () => setWindow(full.t0, full.t1));
setWindow(full.t0, full.t1);

/** For tests and the curious: the data, the charts, and what the page shows. */
window.__report = {
  data: D,
  charts: charts.map((c) => c.plot),
  /** The first run's chart (single-run reports). */
  get chart() { return charts[0].plot; },
  get window() { return { t0: state.t0, t1: state.t1 }; },
  get marksShown() { return state.marksShown; },
  get gapsShown() { return state.gapsShown; },
  get view() { return { run: state.run, focusStep: state.focusStep }; },
  /** Marker labels drawn on run `i`'s chart. */
  labels: (i = 0) => charts[i].labels(),
  bandRows: (i = 0) => charts[i].bandRows(),
  /** Selects a window (virtual ns) exactly as a drag on a memory chart does. */
  setWindow: (t0, t1, run = state.run) => { state.run = run; setWindow(t0, t1); },
  focus,
  ready: true,
};

// The playground page: an xl terminal (xterm.js + xterm-readline: history, line editing,
// Ctrl-C clears the line; Tab completion from the worker), the live memory chart and the
// interleaving view of the report (report/page/), play / pause / step one critical section /
// speed, and the scenario picker. The emulator runs in a Web Worker (worker.ts, inlined by the
// build as __MEMSIM_WORKER__ so the page works from file:// too), driven over comlink.
// "run on": the scheduled world (the default: steppable, the shell types into it) or, in a
// cross-origin isolated page, real threads (Web Workers racing over a SharedArrayBuffer mailbox):
// ▶ then starts a run, pause stops it, step is disabled (threads have no single next section),
// and each run's transcript and replayed trace fill the panel and the chart. Keys typed while a
// command runs are kept and given to the next prompt (TypeAheadReadline).

import '@xterm/xterm/css/xterm.css';
import './style.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { Readline } from 'xterm-readline';
import * as Comlink from 'comlink';
import { createMemoryChart, legendHtml } from '../../report/page/chart.js';
import { DEFAULT_SHOWN, filtersHtml, renderEvents, wireRows } from '../../report/page/events.js';
import { esc, fmtNs } from '../../report/page/format.js';
import { keysHtml, renderLanes, sectionRange, wireTooltip } from '../../report/page/lanes.js';

/* global __MEMSIM_WORKER__ */
const $ = (id) => document.getElementById(id);
const POLL_MS = 400;

const workerUrl = URL.createObjectURL(new Blob([__MEMSIM_WORKER__], { type: 'text/javascript' }));
const emu = Comlink.wrap(new Worker(workerUrl));

const term = new Terminal({
  rows: 28, fontSize: 12.5, convertEol: true, screenReaderMode: true, cursorBlink: true,
  fontFamily: '"DejaVu Sans Mono", Menlo, Consolas, monospace', theme: { background: '#1d2430' },
});
/** Keys typed while no read is active (a command runs) before they are dropped: a paste-sized bound. */
const TYPE_AHEAD_MAX = 4096;

/**
 * xterm-readline drops keys that arrive while no read is active. This one keeps them (up to
 * TYPE_AHEAD_MAX characters) and feeds them to the next prompt once it takes keys, as a terminal's
 * input queue does; Ctrl-C while busy still goes to the Ctrl-C handler and, like a tty's
 * interrupt, discards what was typed ahead.
 */
class TypeAheadReadline extends Readline {
  constructor() {
    super();
    this.typeAhead = [];
    this.typeAheadChars = 0;
    /** Characters held so far (for tests: proves keys came while busy). */
    this.heldTotal = 0;
    // The base class sets activeRead when a read starts taking keys (in a write callback of
    // read()). Keys held meanwhile go in at that very moment, before any key typed later.
    let active;
    Object.defineProperty(this, 'activeRead', {
      get: () => active,
      set: (v) => {
        active = v;
        if (v !== undefined) this.feedTypeAhead();
      },
    });
  }

  readData(data) {
    if (this.activeRead !== undefined) {
      // A paste comes as one chunk, which the base class inserts as text, line breaks and all.
      // As in a terminal, each line of it is typed and entered in turn: the text up to the first
      // Enter, then the Enter alone (which ends the read); the rest is held for the next prompt.
      const enter = data.indexOf('\r');
      if (enter < 0 || data === '\r') return super.readData(data);
      if (enter > 0) super.readData(data.slice(0, enter));
      super.readData('\r');
      if (enter + 1 < data.length) this.readData(data.slice(enter + 1));
      return;
    }
    if (data === '\x03') {
      this.typeAhead = [];
      this.typeAheadChars = 0;
      return super.readData(data);
    }
    if (this.typeAheadChars + data.length > TYPE_AHEAD_MAX) return;
    this.typeAhead.push(data);
    this.typeAheadChars += data.length;
    this.heldTotal += data.length;
  }

  /** Feeds the held keys to the read now active; a key that ends the line (Enter) leaves the rest held for the next. */
  feedTypeAhead() {
    const keys = this.typeAhead;
    this.typeAhead = [];
    this.typeAheadChars = 0;
    for (const k of keys) this.readData(k);
  }
}

const rl = new TypeAheadReadline();
const fit = new FitAddon();
term.loadAddon(rl);
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();
addEventListener('resize', () => fit.fit());

const state = {
  /** The latest telemetry without sections (the chart), and with them after a pick. */
  telemetry: undefined,
  full: undefined,
  focusStep: undefined,
  lastSteps: -1,
  prompt: 'xl> ',
  shown: new Set(DEFAULT_SHOWN),
  steps: [],
  ready: false,
  busy: false,
  /** The mode the session runs in, as the worker said at load. */
  mode: 'scheduled',
  /** Thread runs whose result is shown (status.threads.runs when it last finished). */
  threadRunsShown: 0,
};
let chart;

// ---- the terminal --------------------------------------------------------------------------
function write(text) {
  term.write(text.replace(/\r?\n/g, '\r\n'));
}

/** Tab: complete the word at the end of the line from the worker's candidates. */
term.attachCustomKeyEventHandler((ev) => {
  if (ev.key !== 'Tab') return true;
  if (ev.type === 'keydown') {
    ev.preventDefault();
    void completeLine();
  }
  return false;
});

async function completeLine() {
  if (state.busy) return;
  const line = rl.getLine();
  const { candidates, prefix } = await emu.complete(line);
  // The worker answers asynchronously: keys typed meanwhile win over a completion of the old line.
  if (rl.getLine() !== line) return;
  const hint = $('hint');
  if (candidates.length === 0) { hint.textContent = 'Tab: no completion'; return; }
  let common = candidates[0];
  for (const c of candidates) while (!c.startsWith(common)) common = common.slice(0, -1);
  if (candidates.length === 1) rl.updateLine(prefix + candidates[0] + ' ');
  else if (prefix.length + common.length > line.length) rl.updateLine(prefix + common);
  hint.textContent = candidates.length === 1 ? '' : `Tab: ${candidates.join('  ')}`;
}

rl.setCtrlCHandler(() => { void emu.interrupt(); });

/**
 * xterm-readline takes keys only once its read is active, which happens after the terminal has
 * flushed its writes: a write queued after read() calls back once the prompt takes keys. Until then
 * the page is busy (and, at start, not ready), so nothing typed is lost by a test that waits.
 */
async function repl() {
  for (;;) {
    const pending = rl.read(state.prompt);
    term.write('', () => { state.busy = false; state.ready = true; setStatus(''); });
    const line = await pending;
    $('hint').textContent = '';
    state.busy = true;
    setStatus('running…');
    try {
      const r = await emu.line(line);
      for (const w of r.out) write(w.stream === 'stderr' ? `\x1b[33m${w.text}\x1b[0m` : w.stream === 'note' ? `\x1b[36m${w.text}\x1b[0m` : w.text);
    } catch (e) {
      write(`\x1b[31mxen-memsim: ${e.message}\x1b[0m\n`);
    }
    await refresh(true);
  }
}

// ---- the chart, the interleaving, the events --------------------------------------------------
function drawChart(t) {
  if (chart === undefined) {
    chart = createMemoryChart($('chart'), t, { height: 300, labelRows: 6, onPick: (e) => void pick(e.step), range: () => [0, Math.max(1e9, state.telemetry?.meta.endNs ?? 0)] });
    $('legend').innerHTML = legendHtml();
  } else chart.update(t);
}

function drawEvents() {
  const t = state.full ?? state.telemetry;
  if (t === undefined) return;
  let t0 = 0, t1 = t.meta.endNs;
  if (state.full !== undefined && state.focusStep !== undefined) {
    const S = state.full.sections;
    const r = sectionRange(S, { focusStep: state.focusStep });
    t0 = (S.t[r.from] ?? 0) - (S.dur[r.from] ?? 0);
    t1 = S.t[r.to - 1] ?? t1;
  }
  renderEvents($('events'), t, t0, t1, state.shown);
}

/** Shows the interleaving around `step` (a clicked marker, event row, or the step just run). */
async function pick(step) {
  state.full = await emu.telemetry(true);
  state.focusStep = step;
  const S = state.full.sections;
  const range = sectionRange(S, { focusStep: step });
  const r = renderLanes($('lanes'), state.full, range, step);
  $('label-keys').innerHTML = keysHtml(r.keys);
  $('inter-info').textContent = `${r.shown} critical sections around step #${step} (${fmtNs(S.t[range.from] ?? 0)} – ${fmtNs(S.t[range.to - 1] ?? 0)}) on ${r.lanes} pCPUs${r.gaps > 0 ? `, ${r.gaps} gaps where sections were not kept` : ''}`;
  drawEvents();
}

function setStatus(extra) {
  const s = state.status;
  if (s === undefined) return;
  const mode = s.mode === 'threads' ? `real threads${s.playing ? ' · running…' : s.threads?.runs ? '' : ' · ▶ runs it'}` : 'scheduled world';
  $('clock').textContent = `${mode} · t = ${(s.nowNs / 1e9).toFixed(3)} s · ${s.steps.toLocaleString('en')} sections${s.playing && s.mode !== 'threads' ? ' · playing' : ''}${extra ? ` · ${extra}` : ''}${s.failure ? ` · run failed: ${s.failure}` : ''}`;
  $('play').disabled = s.playing;
  $('pause').disabled = !s.playing;
}

/** Shown when the page cannot run real threads. */
const NOT_ISOLATED_NOTE = 'Note: this page is not cross-origin isolated (file:// or a static host without COOP/COEP headers), so it runs the scheduled world only; serve it with `xen-memsim web` for real threads.';

/** What the controls do in each mode (threads: ▶ starts a run, pause stops it, nothing to step). */
const CONTROLS = {
  scheduled: { play: ['▶ play', 'let virtual time run'], pause: ['pause', 'stop virtual time'], step: [false, 'run exactly one critical section and show it'] },
  threads: {
    play: ['▶ run on threads', 'run the variant on real threads: the owner and each actor in a Web Worker of its own (each run may interleave differently)'],
    pause: ['stop', 'stop the run: a recorded stop, its trace replays up to there'],
    step: [true, 'Real threads race at their own pace: there is no single next section to step. Each run\'s trace is replayed into the chart afterwards: click a label to see the interleaving it recorded. Choose the scheduled world to step one section at a time.'],
  },
};

function setMode(mode) {
  state.mode = mode;
  const c = CONTROLS[mode];
  $('play').textContent = c.play[0];
  $('play').title = c.play[1];
  $('pause').textContent = c.pause[0];
  $('pause').title = c.pause[1];
  $('step').disabled = c.step[0];
  $('step').title = c.step[1];
  $('speed').disabled = mode === 'threads';
  $('threads-panel').hidden = mode !== 'threads';
  document.body.dataset.mode = mode;
}

/** A finished thread run: its summary and transcript into the panel. */
async function showThreadRun(t) {
  state.threadRunsShown = t.runs;
  const last = t.last;
  if (last === undefined) return;
  const replay = last.reproduced === undefined ? '' : last.reproduced ? ' · its trace replayed exactly' : ` · replay diverged: ${last.divergence ?? ''}`;
  const dead = last.threadErrors.length > 0 ? ` · threads lost: ${last.threadErrors.join('; ')}` : '';
  $('threads-summary').textContent = `run ${t.runs} on real threads: ${last.summary}${replay}${last.domains.length > 0 ? ` · domains created: ${last.domains.join(', ')}` : ''}${dead}`;
  $('threads-log').textContent = await emu.threadTranscript();
}

/** Fetches status and, when the run moved, the telemetry; redraws. */
async function refresh(force = false) {
  state.status = await emu.status();
  setStatus(state.busy ? 'running…' : '');
  const t = state.status.threads;
  if (t !== undefined && !t.running && t.runs > state.threadRunsShown) {
    await showThreadRun(t);
    force = true;
  }
  if (!force && state.status.steps === state.lastSteps) return;
  state.lastSteps = state.status.steps;
  state.telemetry = await emu.telemetry(false);
  if (state.focusStep === undefined) state.full = undefined;
  drawChart(state.telemetry);
  drawEvents();
}

// ---- controls --------------------------------------------------------------------------------
async function loadChoice(text, name) {
  const id = $('scenario').value;
  const variant = Number($('variant').value || 0);
  const { banner, prompt, mode, note } = await emu.load(id, variant, text, name, $('mode').value);
  state.prompt = prompt;
  setMode(mode);
  $('mode-note').textContent = note !== undefined ? `Note: ${note}.` : crossOriginIsolated ? '' : NOT_ISOLATED_NOTE;
  state.threadRunsShown = 0;
  $('threads-summary').textContent = '';
  $('threads-log').textContent = '';
  chart?.destroy();
  chart = undefined;
  $('chart').innerHTML = '';
  state.full = undefined;
  state.focusStep = undefined;
  state.lastSteps = -1;
  $('lanes').innerHTML = '';
  $('inter-info').textContent = 'Click a label on the chart or an event row to see the critical sections around it; “step” runs one and shows it.';
  term.write('\r\n');
  write(`\x1b[36m${banner}\x1b[0m`);
  if (note !== undefined) write(`\x1b[33mNote: ${note}.\x1b[0m\n`);
  // On threads, choosing is running: the first run starts at once.
  if (mode === 'threads') await emu.play(1);
  await refresh(true);
}

function fillVariants(choice) {
  const sel = $('variant');
  sel.innerHTML = choice.variants.map((v, i) => `<option value="${i}">${esc(v)}</option>`).join('');
  sel.hidden = choice.variants.length < 2;
  $('about').textContent = choice.description;
}

async function setup() {
  const choices = await emu.scenarios();
  $('scenario').innerHTML = choices.map((c) => `<option value="${c.id}">${esc(c.title)}</option>`).join('') + '<option value="file">Your own scenario file…</option>';
  const byId = new Map(choices.map((c) => [c.id, c]));
  fillVariants(choices[0]);
  $('scenario').addEventListener('change', async () => {
    const id = $('scenario').value;
    if (id === 'file') { $('file').click(); return; }
    fillVariants(byId.get(id));
    await loadChoice();
    term.focus();
  });
  $('variant').addEventListener('change', async () => { await loadChoice(); term.focus(); });
  $('mode').addEventListener('change', async () => { await loadChoice(); term.focus(); });
  $('file').addEventListener('change', async () => {
    const f = $('file').files[0];
    if (f === undefined) return;
    try {
      await loadChoice(await f.text(), f.name);
      $('about').textContent = `${f.name}: your scenario file`;
    } catch (e) {
      write(`\x1b[31m${e.message}\x1b[0m\n`);
    }
    term.focus();
  });
  // The keyboard goes back to the terminal after every control.
  $('play').addEventListener('click', async () => { await emu.play(Number($('speed').value)); term.focus(); await refresh(true); });
  $('pause').addEventListener('click', async () => { await emu.pause(); term.focus(); await refresh(true); });
  $('speed').addEventListener('change', async () => { if (state.status?.playing) await emu.play(Number($('speed').value)); term.focus(); });
  $('step').addEventListener('click', async () => {
    const s = await emu.step();
    term.focus();
    await refresh(true);
    if (s === undefined) { $('inter-info').textContent = 'Nothing left to run: the host is idle (play or type a command).'; return; }
    state.steps.push(s);
    $('stepped').textContent = `step #${s.step}: ${s.actor} ran “${s.label}”${s.token ? ` of ${s.token}` : ''} at ${fmtNs(s.tNs)}`;
    await pick(s.step);
  });
  $('filters').innerHTML = filtersHtml(state.shown);
  $('filters').addEventListener('change', (ev) => {
    const cat = ev.target.getAttribute('data-cat');
    if (ev.target.checked) state.shown.add(cat); else state.shown.delete(cat);
    drawEvents();
  });
  wireRows($('events'), (step) => void pick(step));
  wireTooltip($('lanes'), $('tooltip'), () => state.full);
  $('iso').textContent = crossOriginIsolated ? 'cross-origin isolated: real threads available' : 'not cross-origin isolated: scheduled world only';
  if (!crossOriginIsolated) {
    const threads = $('mode').querySelector('option[value="threads"]');
    threads.disabled = true;
    threads.textContent = 'real threads (need a cross-origin isolated page)';
    $('mode').title = 'Real threads need SharedArrayBuffer, which only a cross-origin isolated page has: serve the playground with `xen-memsim web` (it sends COOP/COEP). Opened from file:// or a plain static host, the playground runs the scheduled world.';
  }
  await loadChoice();
  setInterval(() => { if (!state.busy) void refresh(); }, POLL_MS);
  term.focus();
  void repl();
}

/** For tests and the curious. */
window.__playground = {
  get ready() { return state.ready; },
  get busy() { return state.busy; },
  /** The mode the session runs in: 'scheduled' or 'threads'. */
  get mode() { return state.mode; },
  /** Characters typed while a command ran and kept for the next prompt, in total. */
  get typeAheadHeld() { return rl.heldTotal; },
  /** Feeds `data` to the terminal as typed or pasted input, in one chunk (xterm's input()). */
  input: (data) => term.input(data, true),
  /** The line being edited at the prompt. */
  get line() { return rl.getLine(); },
  /** The chart's data: [x, ...series] as uPlot holds it. */
  chartData: () => chart?.plot.data.map((d) => d.slice()) ?? [],
  chartSeries: () => chart?.plot.series.map((s) => s.label) ?? [],
  get status() { return state.status; },
  get steps() { return state.steps.slice(); },
  get focusStep() { return state.focusStep; },
  labels: () => chart?.labels() ?? [],
  /** The events of the run so far (the chart's telemetry). */
  events: () => state.telemetry?.events ?? [],
  pick,
  /** Mode 'threads': starts a run, with fault injection if given ({ dieAfterRequests: { actor: n } }: that actor's thread dies). */
  runOnThreads: (faults) => emu.play(1, faults),
};

void setup().catch((e) => { write(`\x1b[31mxen-memsim playground: ${e.message}\x1b[0m\n`); });

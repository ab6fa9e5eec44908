// The report page: draws the memory chart with uPlot, the interleaving of critical sections for
// the chosen window, and the events table. Data: the JSON in #report-data (report/telemetry.ts's
// Telemetry). Choosing a window (drag on the chart, or window.__report.setWindow) redraws the
// interleaving and the table. Plain browser JS, no build step: it is inlined as is.
(function () {
  'use strict';
  const R = JSON.parse(document.getElementById('report-data').textContent);
  const PAGES_PER_MIB = 256;
  const MAX_MARKS = 160;
  /** Domain lines: none shares a colour with free, claims, tmem or the event markers. */
  const DOMAIN_COLORS = ['#3d4a5c', '#2f6fde', '#b8860b', '#6f42c1', '#7a5c3e', '#0a6e8a', '#9a6fb0', '#556b2f'];
  const PALETTE = ['#2f6fde', '#e07b00', '#1a9a5b', '#8e44ad', '#c62828', '#0f8b8d', '#b8860b', '#d63384', '#5c6677', '#6f42c1'];
  /** Event markers on the memory chart, by category. */
  const MARKERS = [
    { name: 'claims', color: '#2f6fde', kinds: ['claim_staked', 'claim_cancelled'] },
    { name: 'failures', color: '#c62828', kinds: ['alloc_failed', 'claim_refused', 'claim_leaked', 'run_failed', 'kill', 'xsa231'] },
    { name: 'balloon moves', color: '#0f8b8d', kinds: ['balloon', 'balloon_target'] },
    { name: 'domains created/destroyed', color: '#8a94a6', kinds: ['domain_created', 'domain_destroyed'] },
  ];
  /** Section labels Xen's memory paths use, each its own colour, hues grouped by what they do. */
  const LABEL_COLORS = {
    claim: '#2f6fde', alloc_heap_pages: '#1a9a5b', assign_pages: '#7cc49a', free_heap_pages: '#e07b00',
    guest_remove_page: '#f2b25c', createdomain: '#0f8b8d', max_mem: '#5f9ea0', unpausedomain: '#b8860b',
    tmem_new_pool: '#6f42c1', tmem_put: '#8e44ad', tmem_get: '#c39bd3', tmem_flush_page: '#d63384',
    xenstore: '#8a94a6', wake: '#c3c9d4', return: '#3d4a5c',
  };
  const $ = (id) => document.getElementById(id);

  // ---- formatting ---------------------------------------------------------------------------
  function fmtNs(ns) {
    if (ns === 0) return '0 s';
    if (ns >= 1e9) return (ns / 1e9).toFixed(3) + ' s';
    if (ns >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
    if (ns >= 1e3) return (ns / 1e3).toFixed(1) + ' µs';
    return ns + ' ns';
  }
  const mib = (p) => (p == null ? null : p / PAGES_PER_MIB);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const labelColor = (label, i) => LABEL_COLORS[label] ?? PALETTE[i % PALETTE.length];

  // ---- memory chart -------------------------------------------------------------------------
  /** uPlot's aligned data (x in virtual seconds, y in MiB) and its series options. */
  function memorySeries() {
    const stepped = uPlot.paths.stepped({ align: 1 });
    const m = R.memory;
    const data = [m.t.map((t) => t / 1e9)];
    const series = [{ label: 'virtual time', value: (u, v) => (v == null ? '–' : v.toFixed(3) + ' s') }];
    const add = (label, values, stroke, extra) => {
      data.push(values.map(mib));
      // Memory holds its value until the next sample: draw steps, not slopes.
      series.push(Object.assign({ label, stroke, width: 2, paths: stepped, points: { show: false }, value: (u, v) => (v == null ? '–' : v.toFixed(1) + ' MiB') }, extra));
    };
    add('free (heap)', m.freePages, '#1a9a5b', { fill: 'rgba(26,154,91,.07)' });
    add('outstanding claims', m.outstandingClaims, '#e07b00', { dash: [6, 4] });
    m.domains.forEach((d, i) => {
      const color = DOMAIN_COLORS[i % DOMAIN_COLORS.length];
      add(`d${d.domid} ${d.name}`, d.totPages, color, { width: 1.5 });
      if (d.outstandingPages.some((v) => v != null && v > 0)) add(`d${d.domid} claim`, d.outstandingPages, color, { width: 1, dash: [2, 3] });
    });
    if (m.tmemEphemeral) add('tmem ephemeral', m.tmemEphemeral, '#8e44ad', { width: 1.5 });
    if (m.tmemPersistent) add('tmem persistent', m.tmemPersistent, '#d63384', { width: 1.5, dash: [6, 3] });
    return { data, series };
  }

  /** Vertical ticks at event times, a glyph per category along the top of the plot. */
  function drawMarkers(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    MARKERS.forEach((mk, row) => {
      ctx.strokeStyle = mk.color;
      ctx.fillStyle = mk.color;
      for (const e of R.events) {
        if (!mk.kinds.includes(e.kind)) continue;
        const x = Math.round(u.valToPos(e.t / 1e9, 'x', true));
        if (x < left || x > left + width) continue;
        ctx.globalAlpha = 0.35;
        ctx.lineWidth = devicePixelRatio;
        ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.globalAlpha = 1;
        const y = top + (6 + row * 9) * devicePixelRatio;
        const r = 4 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x - r, y - r);
        ctx.lineTo(x + r, y - r);
        ctx.lineTo(x, y + r);
        ctx.closePath();
        ctx.fill();
      }
    });
    ctx.restore();
  }

  /** x tick labels in the unit that suits the zoom: s, ms or µs, with just enough decimals. */
  function timeTicks(u, splits) {
    const range = u.scales.x.max - u.scales.x.min;
    const [mul, unit] = range >= 2 ? [1, 's'] : range >= 2e-3 ? [1e3, 'ms'] : [1e6, 'µs'];
    const step = splits.length > 1 ? (splits[1] - splits[0]) * mul : 1;
    const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
    return splits.map((v) => (v * mul).toFixed(decimals) + ' ' + unit);
  }

  function makeChart() {
    const { data, series } = memorySeries();
    const el = $('memory');
    const opts = {
      width: el.clientWidth, height: 340, series, cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: 'virtual time', values: timeTicks }, { label: 'MiB', size: 60 }],
      hooks: {
        draw: [drawMarkers],
        setScale: [(u, key) => { if (key === 'x') setWindow(u.scales.x.min * 1e9, u.scales.x.max * 1e9); }],
      },
    };
    const u = new uPlot(opts, data, el);
    addEventListener('resize', () => u.setSize({ width: el.clientWidth, height: 340 }));
    $('markers').innerHTML = MARKERS.map((mk) => {
      const n = R.events.filter((e) => mk.kinds.includes(e.kind)).length;
      return `<span class="key"><i style="background:${mk.color}"></i>${esc(mk.name)} (${n})</span>`;
    }).join('');
    return u;
  }

  // ---- interleaving -------------------------------------------------------------------------
  const S = R.sections;
  /** First index i with S.t[i] >= t (sections are in step order, so t never decreases). */
  function lowerBound(t) {
    let lo = 0, hi = S.t.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (S.t[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  /** Steps at which something failed: their sections get a red outline. */
  const badSteps = new Set(R.events.filter((e) => MARKERS[1].kinds.includes(e.kind)).map((e) => e.step));

  function renderLanes() {
    const lo = lowerBound(state.t0);
    const hi = lowerBound(state.t1 + 1);
    const count = hi - lo;
    const offset = Math.max(0, Math.min(state.offset, count - MAX_MARKS));
    const from = lo + offset;
    const to = Math.min(hi, from + MAX_MARKS);
    const slider = $('offset');
    slider.max = String(Math.max(0, count - MAX_MARKS));
    slider.value = String(offset);
    slider.disabled = count <= MAX_MARKS;
    const lanes = S.actors.map((a, i) => ({ a, i })).filter(({ i }) => S.actor.slice(lo, hi).includes(i));
    const laneOf = new Map(lanes.map(({ i }, k) => [i, k]));
    const gutter = 120, laneH = 26, markH = 18, axisH = 22;
    const avail = Math.max(200, $('lanes').clientWidth - gutter - 12);
    const colW = Math.max(3, Math.min(28, avail / Math.max(1, to - from)));
    const w = gutter + colW * (to - from) + 12;
    const h = lanes.length * laneH + axisH;
    const parts = [`<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">`];
    lanes.forEach(({ a }, k) => {
      const y = k * laneH;
      parts.push(`<rect x="0" y="${y}" width="${w}" height="${laneH}" fill="${k % 2 ? '#fff' : '#f7f8fb'}"/>`);
      parts.push(`<text x="6" y="${y + laneH / 2 + 4}">${esc(a)}</text>`);
    });
    const used = new Map();
    for (let i = from; i < to; i++) {
      const label = S.labels[S.label[i]];
      const color = labelColor(label, S.label[i]);
      used.set(label, color);
      const x = gutter + (i - from) * colW;
      const y = laneOf.get(S.actor[i]) * laneH + (laneH - markH) / 2;
      const cls = badSteps.has(S.step[i]) ? 'mark bad' : 'mark';
      parts.push(`<rect class="${cls}" data-i="${i}" x="${x + 0.5}" y="${y}" width="${Math.max(1, colW - 1)}" height="${markH}" rx="2" fill="${color}"/>`);
    }
    const every = Math.max(1, Math.ceil(70 / colW));
    parts.push(`<g class="axis">`);
    for (let i = from; i < to; i += every) parts.push(`<text x="${gutter + (i - from) * colW}" y="${h - 6}">#${S.step[i]}</text>`);
    parts.push(`</g></svg>`);
    $('lanes').innerHTML = parts.join('');
    $('label-keys').innerHTML = [...used].map(([l, c]) => `<span class="key"><i style="background:${c}"></i>${esc(l)}</span>`).join('');
    const gap = S.omitted > 0 && S.omittedAt > lo && S.omittedAt < hi ? ` · ${S.omitted} sections omitted (long run) before #${S.step[S.omittedAt]}` : '';
    const shown = count > MAX_MARKS ? ` (showing ${from - lo + 1}–${to - lo}; slide to move)` : '';
    $('window-info').textContent = `Window ${fmtNs(state.t0)} – ${fmtNs(state.t1)}: ${count} sections on ${lanes.length} pCPUs${shown}${gap}`;
    state.marksShown = to - from;
  }

  function sectionTip(i) {
    const c = S.call[i];
    const lines = [
      `${S.actors[S.actor[i]]} · section "${S.labels[S.label[i]]}"`,
      c >= 0 ? `call ${R.calls.token[c]} (${R.calls.op[c]})` : 'no hypercall',
      `step #${S.step[i]} · ${fmtNs(S.t[i] - S.dur[i])} → ${fmtNs(S.t[i])} (${fmtNs(S.dur[i])})`,
    ];
    if (c >= 0 && S.finished[i] && R.calls.rc[c] != null) lines.push(`call returned rc=${R.calls.rc[c]}`);
    for (const e of R.events) if (e.step === S.step[i] && e.kind !== 'note') lines.push(`⚑ ${e.text}`);
    return lines.join('\n');
  }

  function wireTooltip() {
    const tip = $('tooltip');
    $('lanes').addEventListener('mousemove', (ev) => {
      const i = ev.target.getAttribute && ev.target.getAttribute('data-i');
      if (i == null) { tip.style.display = 'none'; return; }
      tip.textContent = sectionTip(Number(i));
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX + 14, innerWidth - tip.offsetWidth - 8) + 'px';
      tip.style.top = ev.clientY + 14 + 'px';
    });
    $('lanes').addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  }

  // ---- events table -------------------------------------------------------------------------
  function renderEvents() {
    const inWindow = R.events.filter((e) => e.t >= state.t0 && e.t <= state.t1);
    const rows = inWindow.slice(0, 300).map((e) =>
      `<tr><td class="num">${fmtNs(e.t)}</td><td class="num">#${e.step}</td><td>${esc(e.kind)}</td><td>${esc(e.actor ?? '')}</td><td>${esc(e.text)}</td></tr>`);
    const more = inWindow.length > 300 ? `<tr><td colspan="5">… ${inWindow.length - 300} more in this window</td></tr>` : '';
    const dropped = R.eventsDropped > 0 ? `<tr><td colspan="5">(${R.eventsDropped} events beyond the recorder's cap were not kept)</td></tr>` : '';
    $('events').innerHTML = `<tr><th>time</th><th>step</th><th>kind</th><th>actor</th><th>what</th></tr>${rows.join('')}${more}${dropped}`;
  }

  // ---- window state -------------------------------------------------------------------------
  const full = { t0: 0, t1: Math.max(R.meta.endNs, R.memory.t[R.memory.t.length - 1] ?? 0) };
  const state = { t0: full.t0, t1: full.t1, offset: 0, marksShown: 0 };
  function setWindow(t0, t1) {
    state.t0 = Math.max(full.t0, Math.min(t0, t1));
    state.t1 = Math.min(full.t1, Math.max(t0, t1));
    state.offset = 0;
    renderLanes();
    renderEvents();
  }

  const chart = makeChart();
  wireTooltip();
  $('offset').addEventListener('input', (ev) => { state.offset = Number(ev.target.value); renderLanes(); });
  $('reset').addEventListener('click', () => chart.setScale('x', { min: full.t0 / 1e9, max: full.t1 / 1e9 }));
  setWindow(full.t0, full.t1);

  /** For tests and the curious: the data, the chart, and the window as the page shows it. */
  window.__report = {
    data: R,
    chart,
    get window() { return { t0: state.t0, t1: state.t1 }; },
    get marksShown() { return state.marksShown; },
    /** Selects a window (virtual ns) exactly as a drag on the memory chart does. */
    setWindow: (t0, t1) => chart.setScale('x', { min: t0 / 1e9, max: t1 / 1e9 }),
    ready: true,
  };
})();

// The memory chart of one run: free memory, outstanding claims, each domain (and its claim),
// tmem, over virtual time, with labelled markers for what tells the story (xl commands, the
// surge, claims, builds, failures) and, under it, one band per guest that aggregates its
// balloon's moves (taking, giving back) and the moments the claim gate held it back.
// Used by the HTML report (several runs on one time axis) and by the playground (live updates).

import uPlot from 'uplot';
import { CATEGORIES, esc, mib } from './format.js';

/** Domain lines: none shares a colour with free, claims, tmem or the markers. */
const DOMAIN_COLORS = ['#3d4a5c', '#2f6fde', '#b8860b', '#6f42c1', '#7a5c3e', '#0a6e8a', '#9a6fb0', '#556b2f'];
/** Marker categories drawn on the chart, most important first (they get a label row first). */
const MARKED = ['failure', 'story', 'claim'];
const LABEL_ROWS_DEFAULT = 4;
const LABEL_ROW_PX = 15;
const BAND_ROW_PX = 14;
const BAND_BUCKET_PX = 3;
/** Events drawn in a guest's band. */
const BAND_KINDS = ['balloon', 'claim_gate', 'balloon_short'];

/** uPlot's aligned data (x in virtual seconds, y in MiB) and its series options. */
function memorySeries(t) {
  const stepped = uPlot.paths.stepped({ align: 1 });
  const m = t.memory;
  const data = [m.t.map((x) => x / 1e9)];
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

/** x tick labels in the unit that suits the zoom: s, ms or µs, with just enough decimals. */
function timeTicks(u, splits) {
  const range = u.scales.x.max - u.scales.x.min;
  const [mul, unit] = range >= 2 ? [1, 's'] : range >= 2e-3 ? [1e3, 'ms'] : [1e6, 'µs'];
  const step = splits.length > 1 ? (splits[1] - splits[0]) * mul : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  return splits.map((v) => (v * mul).toFixed(decimals) + ' ' + unit);
}

/** The events drawn as markers, most important first. */
function markerEvents(t) {
  return t.events.filter((e) => MARKED.includes(e.cat) && (e.label || e.cat === 'failure'))
    .sort((a, b) => MARKED.indexOf(a.cat) - MARKED.indexOf(b.cat) || a.t - b.t);
}

/**
 * Markers at the same pixel and of the same category become one, their labels joined
 * ("xl create big1" + "xl create big2" → "xl create big1, big2"). Adds `x` (device px).
 */
function mergedMarkers(u, events) {
  const out = [];
  for (const e of events) {
    const x = Math.round(u.valToPos(e.t / 1e9, 'x', true));
    const same = out.find((o) => o.cat === e.cat && Math.abs(o.x - x) <= 2 * devicePixelRatio && (!o.label || !e.label || o.label === e.label || joinLabels(o.label, e.label) !== undefined));
    if (same === undefined) { out.push({ ...e, x }); continue; }
    if (!e.label || same.label === e.label) continue;
    same.label = same.label ? joinLabels(same.label, e.label) : e.label;
  }
  return out;
}

/** "xl create big1" + "xl create big2" → "xl create big1, big2"; "big1 FAILED" + "big2 FAILED" → "big1, big2 FAILED"; undefined if they share neither end. */
function joinLabels(a, b) {
  const x = a.split(' '), y = b.split(' ');
  if (a.split(', ').length >= 4) return a.endsWith(' …') ? a : `${a} …`;
  let k = 0;
  while (k < x.length - 1 && k < y.length - 1 && x[k] === y[k]) k++;
  // Join on a shared start of two words, or of one when both are just one word more ("claim 1 MiB").
  if (k >= 2 || (k === 1 && x.length === 2 && y.length === 2)) return `${a}, ${y.slice(k).join(' ')}`;
  let j = 0;
  while (j < x.length - 1 && j < y.length - 1 && x[x.length - 1 - j] === y[y.length - 1 - j]) j++;
  if (j > 0 && x.length === j + 1 && y.length === j + 1) return `${x.slice(0, x.length - j).join(' ')}, ${y.slice(0, y.length - j).join(' ')} ${x.slice(x.length - j).join(' ')}`;
  return undefined;
}

/** Guests whose balloon moved or was held back: one band row each, in domid order. */
function bandRows(t) {
  const names = new Map(t.memory.domains.map((d) => [d.domid, d.name]));
  const ids = new Set(t.events.filter((e) => BAND_KINDS.includes(e.kind) && e.domid != null && e.domid !== 0).map((e) => e.domid));
  return [...ids].sort((a, b) => a - b).map((domid) => ({ domid, name: names.get(domid) ?? `d${domid}` }));
}

/**
 * Mounts one run's chart in `el`. @param opts {height, labelRows, onPick(event), onZoom(t0ns, t1ns), cursorSync,
 *   range() → [t0ns, t1ns] the x range to show after mounting and after each update}
 * @returns {update(t), setRange(t0ns, t1ns), labels(), destroy(), plot}
 */
export function createMemoryChart(el, telemetry, opts = {}) {
  let t = telemetry;
  const LABEL_ROWS = opts.labelRows ?? LABEL_ROWS_DEFAULT;
  const height = opts.height ?? 300;
  el.classList.add('memchart');
  el.innerHTML = '<div class="plot"></div><canvas class="band"></canvas><div class="band-names"></div>';
  const plotEl = el.querySelector('.plot');
  const band = el.querySelector('.band');
  const bandNames = el.querySelector('.band-names');
  /** Marker labels as last drawn: {text, cat, t, x, row}. */
  let drawn = [];
  let hitboxes = [];
  let plot;
  let signature = '';
  let quietZoom = false;

  function drawMarkers(u) {
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const { left, top, width, height: h } = u.bbox;
    /** Per label row, the [x0, x1] spans taken (labels are placed by importance, not by x). */
    const taken = Array.from({ length: LABEL_ROWS }, () => []);
    drawn = [];
    hitboxes = [];
    ctx.save();
    ctx.font = `${11.5 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    for (const e of mergedMarkers(u, markerEvents(t))) {
      const x = e.x;
      if (x < left - 1 || x > left + width + 1) continue;
      const color = CATEGORIES[e.cat].color;
      ctx.strokeStyle = color;
      ctx.globalAlpha = e.cat === 'claim' ? 0.45 : 0.7;
      ctx.lineWidth = dpr;
      ctx.setLineDash(e.cat === 'story' ? [] : [3 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + h);
      ctx.stroke();
      ctx.globalAlpha = 1;
      // A marker without a label (a build's own allocation failure: its build_failed says it) is a line only.
      if (!e.label) continue;
      const text = e.label;
      const w = ctx.measureText(text).width + 8 * dpr;
      const x0 = Math.min(Math.max(x - w / 2, left), left + width - w);
      const gap = 3 * dpr;
      const row = taken.findIndex((spans) => spans.every(([a, b]) => x0 + w + gap < a || x0 > b + gap));
      if (row < 0) continue;
      taken[row].push([x0, x0 + w]);
      const y = top - (LABEL_ROWS - row - 0.5) * LABEL_ROW_PX * dpr;
      ctx.fillStyle = '#fff';
      ctx.fillRect(x0, y - 6.5 * dpr, w, 13 * dpr);
      ctx.strokeStyle = color;
      ctx.setLineDash([]);
      ctx.strokeRect(x0 + 0.5, y - 6.5 * dpr + 0.5, w - 1, 13 * dpr - 1);
      ctx.fillStyle = color;
      ctx.fillText(text, x0 + 4 * dpr, y);
      drawn.push({ text, cat: e.cat, kind: e.kind, t: e.t, step: e.step, row });
      hitboxes.push({ x0: x0 / dpr, x1: (x0 + w) / dpr, y0: (y - 6.5 * dpr) / dpr, y1: (y + 6.5 * dpr) / dpr, e });
    }
    ctx.restore();
    drawBand(u);
  }

  function drawBand(u) {
    const rows = bandRows(t);
    const dpr = devicePixelRatio;
    const cssW = u.width;
    const cssH = rows.length * BAND_ROW_PX;
    band.style.width = cssW + 'px';
    band.style.height = cssH + 'px';
    band.width = Math.round(cssW * dpr);
    band.height = Math.round(cssH * dpr);
    bandNames.innerHTML = rows.map((r) => `<div style="height:${BAND_ROW_PX}px">${esc(r.name)}</div>`).join('');
    bandNames.style.width = (u.bbox.left / dpr - 6) + 'px';
    bandNames.style.marginTop = -cssH + 'px';
    const ctx = band.getContext('2d');
    ctx.clearRect(0, 0, band.width, band.height);
    if (rows.length === 0) return;
    const { left, width } = u.bbox;
    const rowOf = new Map(rows.map((r, i) => [r.domid, i]));
    const buckets = Math.max(1, Math.floor(width / (BAND_BUCKET_PX * dpr)));
    const take = rows.map(() => new Float64Array(buckets));
    const give = rows.map(() => new Float64Array(buckets));
    const held = rows.map(() => new Uint16Array(buckets));
    const short = rows.map(() => new Uint16Array(buckets));
    const x0 = u.scales.x.min, x1 = u.scales.x.max;
    for (const e of t.events) {
      if (e.domid == null || !rowOf.has(e.domid)) continue;
      const s = e.t / 1e9;
      if (s < x0 || s > x1) continue;
      const b = Math.min(buckets - 1, Math.floor(((s - x0) / (x1 - x0 || 1)) * buckets));
      const r = rowOf.get(e.domid);
      if (e.kind === 'balloon') (e.pages > 0 ? take : give)[r][b] += Math.abs(e.pages);
      else if (e.kind === 'claim_gate') held[r][b]++;
      else if (e.kind === 'balloon_short') short[r][b]++;
    }
    let max = 1;
    for (const a of [...take, ...give]) for (const v of a) max = Math.max(max, v);
    const bw = width / buckets;
    const rh = BAND_ROW_PX * dpr;
    rows.forEach((_, r) => {
      const y = r * rh;
      ctx.fillStyle = r % 2 ? '#fafbfd' : '#f2f4f8';
      ctx.fillRect(left, y, width, rh);
      for (let b = 0; b < buckets; b++) {
        const x = left + b * bw;
        if (take[r][b] > 0) { ctx.globalAlpha = 0.3 + 0.7 * Math.sqrt(take[r][b] / max); ctx.fillStyle = '#1a9a5b'; ctx.fillRect(x, y + 1 * dpr, bw, rh / 2 - 1 * dpr); }
        if (give[r][b] > 0) { ctx.globalAlpha = 0.3 + 0.7 * Math.sqrt(give[r][b] / max); ctx.fillStyle = '#e07b00'; ctx.fillRect(x, y + rh / 2, bw, rh / 2 - 1 * dpr); }
        if (short[r][b] > 0) { ctx.globalAlpha = 1; ctx.fillStyle = '#7a1f1f'; ctx.fillRect(x + bw / 2 - 1 * dpr, y + 1 * dpr, 2 * dpr, rh - 2 * dpr); }
        if (held[r][b] > 0) {
          ctx.globalAlpha = 1;
          ctx.fillStyle = CATEGORIES.held.color;
          const cx = x + bw / 2, cy = y + rh / 2, k = 3.5 * dpr;
          ctx.beginPath(); ctx.moveTo(cx, cy - k); ctx.lineTo(cx + k, cy); ctx.lineTo(cx, cy + k); ctx.lineTo(cx - k, cy); ctx.closePath(); ctx.fill();
        }
      }
      ctx.globalAlpha = 1;
    });
  }

  function mount() {
    const { data, series } = memorySeries(t);
    signature = series.map((s) => s.label).join('|');
    plot?.destroy();
    plot = new uPlot({
      width: Math.max(300, el.clientWidth), height, series,
      padding: [LABEL_ROWS * LABEL_ROW_PX + 4, 12, 0, 0],
      cursor: { drag: { x: true, y: false }, ...(opts.cursorSync ? { sync: { key: opts.cursorSync } } : {}) },
      scales: { x: { time: false } },
      axes: [{ label: 'virtual time', values: timeTicks }, { label: 'MiB', size: 60 }],
      hooks: {
        draw: [drawMarkers],
        setScale: [(u, key) => { if (key === 'x' && !quietZoom) opts.onZoom?.(u.scales.x.min * 1e9, u.scales.x.max * 1e9); }],
      },
    }, data, plotEl);
    applyRange();
  }

  /** The x range the owner wants (opts.range: [t0ns, t1ns]), applied without calling onZoom. */
  function applyRange() {
    const r = opts.range?.();
    if (r === undefined) return;
    quietZoom = true;
    try { plot.setScale('x', { min: r[0] / 1e9, max: r[1] / 1e9 }); } finally { quietZoom = false; }
  }

  mount();
  el.addEventListener('click', (ev) => {
    const r = plot.root.querySelector('.u-wrap').getBoundingClientRect();
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    const hit = hitboxes.find((h) => x >= h.x0 && x <= h.x1 && y >= h.y0 && y <= h.y1);
    if (hit) opts.onPick?.(hit.e);
  });
  const onResize = () => plot.setSize({ width: Math.max(300, el.clientWidth), height });
  addEventListener('resize', onResize);

  return {
    get plot() { return plot; },
    /** New data (the playground's live run): same series → setData, else a new plot. */
    update(next) {
      t = next;
      const { data, series } = memorySeries(t);
      if (series.map((s) => s.label).join('|') !== signature) mount();
      else { plot.setData(data, true); applyRange(); }
    },
    /** Shows [t0, t1] (virtual ns) without calling onZoom back. */
    setRange(t0, t1) {
      quietZoom = true;
      try { plot.setScale('x', { min: t0 / 1e9, max: t1 / 1e9 }); } finally { quietZoom = false; }
    },
    /** The marker labels as drawn: {text, cat, kind, t, step, row}. */
    labels: () => drawn.slice(),
    /** The band's rows: guests with balloon activity. */
    bandRows: () => bandRows(t),
    destroy() { removeEventListener('resize', onResize); plot.destroy(); },
  };
}

/** The legend under the charts: what each marker and band colour means. */
export function legendHtml() {
  const cat = (c) => `<span class="key"><i style="background:${CATEGORIES[c].color}"></i>${esc(CATEGORIES[c].name)}</span>`;
  return [cat('story'), cat('claim'), cat('failure'),
    '<span class="key"><i style="background:#1a9a5b"></i>balloon takes memory</span>',
    '<span class="key"><i style="background:#e07b00"></i>balloon gives memory back</span>',
    `<span class="key"><i class="diamond" style="background:${CATEGORIES.held.color}"></i>${esc(CATEGORIES.held.name)} (a short populate_physmap reply)</span>`,
    '<span class="key"><i style="background:#7a1f1f;width:3px"></i>balloon asked for memory the host has not got</span>',
  ].join('');
}

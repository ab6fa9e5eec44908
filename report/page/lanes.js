// The interleaving of critical sections, one lane per pCPU (actor), in the order the hypervisor
// ran them: for a window of virtual time, or around one moment (a claim, a failure: focus).
// Where the recorder left sections out (a long run keeps the sections around what matters) a
// dashed gap says how many.

import { esc, fmtNs, lowerBound } from './format.js';

export const MAX_MARKS = 160;
/** Sections shown on each side of a focused moment. */
export const FOCUS_CONTEXT = 60;

const PALETTE = ['#2f6fde', '#e07b00', '#1a9a5b', '#8e44ad', '#c62828', '#0f8b8d', '#b8860b', '#d63384', '#5c6677', '#6f42c1'];
/** Section labels Xen's memory paths use, each its own colour, hues grouped by what they do. */
const LABEL_COLORS = {
  claim: '#2f6fde', alloc_heap_pages: '#1a9a5b', assign_pages: '#7cc49a', free_heap_pages: '#e07b00',
  guest_remove_page: '#f2b25c', createdomain: '#0f8b8d', max_mem: '#5f9ea0', unpausedomain: '#b8860b',
  tmem_new_pool: '#6f42c1', tmem_put: '#8e44ad', tmem_get: '#c39bd3', tmem_flush_page: '#d63384',
  xenstore: '#8a94a6', wake: '#c3c9d4', return: '#3d4a5c',
};
const labelColor = (label, i) => LABEL_COLORS[label] ?? PALETTE[i % PALETTE.length];

/** Index range [from, to) of sections to show. */
export function sectionRange(S, view) {
  if (view.focusStep !== undefined) {
    const i = Math.min(S.step.length - 1, lowerBound(S.step, view.focusStep));
    const from = Math.max(0, i - FOCUS_CONTEXT);
    return { from, to: Math.min(S.step.length, i + FOCUS_CONTEXT + 1), lo: from, hi: Math.min(S.step.length, i + FOCUS_CONTEXT + 1) };
  }
  const lo = lowerBound(S.t, view.t0);
  const hi = lowerBound(S.t, view.t1 + 1);
  const offset = Math.max(0, Math.min(view.offset ?? 0, hi - lo - MAX_MARKS));
  return { lo, hi, from: lo + offset, to: Math.min(hi, lo + offset + MAX_MARKS) };
}

/**
 * Draws sections [from, to) of telemetry `t` into `el` as SVG. Sections of steps where something
 * failed get a red outline, those where the claim gate held a guest back an amber one, and the
 * focused step a thick black one. @returns {shown, lanes, gaps}
 */
export function renderLanes(el, t, range, focusStep) {
  const S = t.sections;
  const { from, to } = range;
  const bad = new Set(t.events.filter((e) => e.cat === 'failure').map((e) => e.step));
  const held = new Set(t.events.filter((e) => e.cat === 'held').map((e) => e.step));
  const gapBefore = new Map(S.gaps.map(([i, n]) => [i, n]));
  const used = new Set();
  for (let i = from; i < to; i++) used.add(S.actor[i]);
  const lanes = S.actors.map((a, i) => ({ a, i })).filter(({ i }) => used.has(i));
  const laneOf = new Map(lanes.map(({ i }, k) => [i, k]));
  const gutter = 130, laneH = 26, markH = 18, axisH = 22, gapW = 16;
  const gapsShown = [];
  for (let i = from + 1; i < to; i++) if (gapBefore.has(i)) gapsShown.push(i);
  const avail = Math.max(200, el.clientWidth - gutter - 12 - gapsShown.length * gapW);
  const colW = Math.max(3, Math.min(28, avail / Math.max(1, to - from)));
  const xOf = [];
  let x = gutter;
  for (let i = from; i < to; i++) {
    if (i > from && gapBefore.has(i)) x += gapW;
    xOf.push(x);
    x += colW;
  }
  const w = x + 12;
  const h = Math.max(1, lanes.length) * laneH + axisH;
  const parts = [`<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="interleaving of ${to - from} critical sections">`];
  lanes.forEach(({ a }, k) => {
    const y = k * laneH;
    parts.push(`<rect x="0" y="${y}" width="${w}" height="${laneH}" fill="${k % 2 ? '#fff' : '#f7f8fb'}"/>`);
    parts.push(`<text x="6" y="${y + laneH / 2 + 4}">${esc(a.length > 18 ? a.slice(0, 17) + '…' : a)}</text>`);
  });
  const keys = new Map();
  for (let i = from; i < to; i++) {
    const label = S.labels[S.label[i]];
    const color = labelColor(label, S.label[i]);
    keys.set(label, color);
    const xi = xOf[i - from];
    if (i > from && gapBefore.has(i)) {
      parts.push(`<line class="gap" x1="${xi - gapW / 2}" y1="0" x2="${xi - gapW / 2}" y2="${h - axisH}" stroke="#8a94a6" stroke-dasharray="3 3"/>`);
      parts.push(`<text class="gap-label" x="${xi - gapW / 2}" y="${h - 6}" text-anchor="middle">…${gapBefore.get(i)}…</text>`);
    }
    const y = laneOf.get(S.actor[i]) * laneH + (laneH - markH) / 2;
    const step = S.step[i];
    const cls = step === focusStep ? 'mark focus' : bad.has(step) ? 'mark bad' : held.has(step) ? 'mark held' : 'mark';
    parts.push(`<rect class="${cls}" data-i="${i}" x="${xi + 0.5}" y="${y}" width="${Math.max(1, colW - 1)}" height="${markH}" rx="2" fill="${color}"/>`);
  }
  const every = Math.max(1, Math.ceil(70 / colW));
  parts.push('<g class="axis">');
  for (let i = from; i < to; i += every) parts.push(`<text x="${xOf[i - from]}" y="${h - 6}">#${S.step[i]}</text>`);
  parts.push('</g></svg>');
  el.innerHTML = parts.join('');
  return { shown: to - from, lanes: lanes.length, gaps: gapsShown.length, keys };
}

/** The tooltip of section i: who, which section of which call, when, and what happened in it. */
export function sectionTip(t, i) {
  const S = t.sections;
  const c = S.call[i];
  const lines = [
    `${S.actors[S.actor[i]]} · section "${S.labels[S.label[i]]}"`,
    c >= 0 ? `call ${t.calls.token[c]} (${t.calls.op[c]})` : 'no hypercall',
    `step #${S.step[i]} · ${fmtNs(S.t[i] - S.dur[i])} → ${fmtNs(S.t[i])} (${fmtNs(S.dur[i])})`,
  ];
  if (c >= 0 && S.finished[i] && t.calls.rc[c] != null) lines.push(`call returned rc=${t.calls.rc[c]}`);
  for (const e of t.events) if (e.step === S.step[i] && e.cat !== 'note') lines.push(`⚑ ${e.text}`);
  return lines.join('\n');
}

/** Shows sectionTip in `tip` while the pointer is over a section of `el`. */
export function wireTooltip(el, tip, current) {
  el.addEventListener('mousemove', (ev) => {
    const i = ev.target.getAttribute && ev.target.getAttribute('data-i');
    if (i == null) { tip.style.display = 'none'; return; }
    tip.textContent = sectionTip(current(), Number(i));
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 14, innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = ev.clientY + 14 + 'px';
  });
  el.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
}

/** The colour key of the section labels drawn. */
export function keysHtml(keys) {
  return [...keys].map(([l, c]) => `<span class="key"><i style="background:${c}"></i>${esc(l)}</span>`).join('');
}

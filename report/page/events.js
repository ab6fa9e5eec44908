// The events of a run as readable rows: when, who, what (and an xl command's output, folded),
// filtered by category; clicking a row shows the interleaving around it.

import { CATEGORIES, esc, fmtNs } from './format.js';

export const MAX_ROWS = 300;
/** Categories shown before the reader chooses (notes and balloon moves are many). */
export const DEFAULT_SHOWN = ['story', 'claim', 'held', 'failure', 'domain'];

const TAG = {
  xl_start: 'xl', xl_end: 'xl', build_done: 'build', build_failed: 'build failed', surge: 'scenario',
  claim_staked: 'claim', claim_cancelled: 'claim released', claim_refused: 'claim refused', claim_gate: 'held back',
  alloc_failed: 'out of memory', balloon_short: 'balloon short', claim_leaked: 'claim leaked', domain_created: 'domain', domain_destroyed: 'domain',
  balloon: 'balloon', balloon_target: 'target', kill: 'thread died', run_failed: 'run failed', xsa231: 'XSA-231', note: 'note',
};

/** The category checkboxes. */
export function filtersHtml(shown) {
  return Object.entries(CATEGORIES).map(([cat, c]) =>
    `<label class="filter"><input type="checkbox" data-cat="${cat}"${shown.has(cat) ? ' checked' : ''}><i style="background:${c.color}"></i>${esc(c.name)}</label>`).join('');
}

/**
 * Renders the rows of `t`'s events in [t0, t1] whose category is in `shown` into `table`.
 * @returns the number of rows matching (before the MAX_ROWS cap)
 */
export function renderEvents(table, t, t0, t1, shown) {
  const rows = t.events.filter((e) => e.t >= t0 && e.t <= t1 && shown.has(e.cat));
  const html = rows.slice(0, MAX_ROWS).map((e) => {
    const c = CATEGORIES[e.cat];
    const detail = e.detail ? `<details><summary>output</summary><pre>${esc(e.detail)}</pre></details>` : '';
    return `<tr class="ev ${e.cat}" data-step="${e.step}" tabindex="0"><td class="num">${fmtNs(e.t)}</td>` +
      `<td><span class="tag" style="border-color:${c.color};color:${c.color}">${esc(TAG[e.kind] ?? e.kind)}</span></td>` +
      `<td>${esc(e.actor ?? '')}</td><td>${esc(e.text)}${detail}</td></tr>`;
  });
  const more = rows.length > MAX_ROWS ? `<tr><td colspan="4">… ${rows.length - MAX_ROWS} more in this window: narrow it on the chart</td></tr>` : '';
  const dropped = t.eventsDropped > 0 ? `<tr><td colspan="4">(${t.eventsDropped} events beyond the recorder's cap were not kept)</td></tr>` : '';
  const none = rows.length === 0 ? '<tr><td colspan="4" class="muted">no events of the chosen kinds in this window</td></tr>' : '';
  table.innerHTML = `<tr><th>time</th><th>what</th><th>who</th><th>what happened</th></tr>${html.join('')}${none}${more}${dropped}`;
  return rows.length;
}

/** Calls onPick(step) when a row is clicked (or Enter pressed on it), not when its output is opened. */
export function wireRows(table, onPick) {
  const pick = (ev) => {
    if (ev.target.closest('details')) return;
    const tr = ev.target.closest('tr.ev');
    if (tr) onPick(Number(tr.getAttribute('data-step')));
  };
  table.addEventListener('click', pick);
  table.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') pick(ev); });
}

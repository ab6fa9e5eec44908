// Formatting shared by the report page and the playground.

export const PAGES_PER_MIB = 256;

/** Virtual ns as the unit that suits it. */
export function fmtNs(ns) {
  if (ns === 0) return '0 s';
  if (ns >= 1e9) return (ns / 1e9).toFixed(3) + ' s';
  if (ns >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
  if (ns >= 1e3) return (ns / 1e3).toFixed(1) + ' µs';
  return ns + ' ns';
}

export const mib = (p) => (p == null ? null : p / PAGES_PER_MIB);

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Event categories (report/telemetry.ts EVENT_CATEGORIES): colour and the name a reader sees. */
export const CATEGORIES = {
  story: { color: '#1d2430', name: 'xl commands and the scenario' },
  claim: { color: '#2f6fde', name: 'claims' },
  held: { color: '#c98a00', name: 'held back by the claim gate' },
  failure: { color: '#c62828', name: 'failures' },
  balloon: { color: '#0f8b8d', name: 'balloon' },
  domain: { color: '#8a94a6', name: 'domains' },
  note: { color: '#8a94a6', name: 'notes' },
};

/** First index i with arr[i] >= v (arr sorted ascending). */
export function lowerBound(arr, v) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid; }
  return lo;
}

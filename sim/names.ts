// "Did you mean": the known name a mistyped one most likely meant. One rule for every place a
// name comes in — the registry's actor kinds and monitors, the command line's bugs, properties,
// families, versions — so a typo is answered the same way everywhere.

import { distance } from 'fastest-levenshtein';

/** Whether `a` is `b` with two neighbouring letters swapped (`dsf` for `dfs`): one slip of the fingers. */
function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]];
}

/**
 * The known name a mistyped one most likely meant: the nearest by Levenshtein distance (case
 * aside; a swap of neighbours counts as one edit), when the edits are few for its length — 1 up
 * to 4 letters, 2 up to 8, 3 beyond — and fewer than its letters.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const typed = name.toLowerCase();
  for (const k of known) {
    const d = isSwap(typed, k.toLowerCase()) ? 1 : distance(typed, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best === undefined) return undefined;
  return bestDistance < best.length && bestDistance <= (best.length <= 4 ? 1 : best.length <= 8 ? 2 : 3) ? best : undefined;
}

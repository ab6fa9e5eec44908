// A readable transcript of a variant's run: each xl command stamped with virtual time, its output,
// and for `xl create` what it populated and claimed; then one line saying how the run ended.
// `xen-memsim run` prints it; the browser playground writes it into its terminal after a run on
// real threads.

import type { VariantRun } from './run.ts';

/** A readable transcript of one variant's xl commands. */
export function transcript(run: VariantRun): string {
  const lines: string[] = [];
  for (const c of [...run.commands].sort((a, b) => a.startNs - b.startNs)) {
    const status = c.status === undefined ? 'killed' : `exit ${c.status}`;
    const end = c.endNs === undefined ? '' : ` → ${(c.endNs / 1e9).toFixed(1)} s`;
    lines.push(`[${(c.startNs / 1e9).toFixed(1).padStart(6)} s${end}] ${c.actor}$ xl ${c.argv.join(' ')}   (${status})`);
    const out = (c.stdout + c.stderr).replace(/\n$/, '');
    if (out !== '') lines.push(...out.split('\n').map((l) => `    ${l}`));
    if (c.argv[0] === 'create') {
      const claims = c.claims.map((x) => `claim ${x.pages} pages → ${x.rc === 0 ? 'ok' : `rc ${x.rc}`} at ${(x.tNs / 1e9).toFixed(3)} s`);
      const fail = c.failNs === undefined ? '' : `; first failure at ${(c.failNs / 1e9).toFixed(3)} s`;
      lines.push(`    · populated ${c.populatedPages} pages (${(c.populatedPages / 256).toFixed(1)} MiB)${claims.length > 0 ? `; ${claims.join('; ')}` : '; no claim'}${fail}`);
    }
  }
  const f = run.failure !== undefined ? `FAILED (${run.failure.kind}): ${run.failure.message}` : run.stopped !== undefined ? `STOPPED: ${run.stopped}` : 'completed';
  lines.push(`-- ${run.label}: ${f}; ${(run.endNs / 1e9).toFixed(1)} virtual s, ${run.steps} steps, ${(run.wallMs / 1000).toFixed(1)} s wall, ${run.mode}${run.hash === undefined ? '' : `, hash ${run.hash}`}`);
  return lines.join('\n') + '\n';
}

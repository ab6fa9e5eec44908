// A readable interleaving of a trace: one column per actor (each actor is a vCPU in a hypercall,
// i.e. its own pCPU while inside Xen), one row per critical section with the section label and
// the call it belongs to as a hypercall-trace token (`claim[d1,767]`), the answer on the row that
// completed the call, and the violated property or invariant at the end.

import { parseTrace, type TraceEvent } from '../../sim/trace.ts';

/** A hypercall as a trace token: `claim[d3,512]`, `populate[d1,o9@0]`, `destroy[d2]` … */
export function callToken(op: string, args: unknown): string {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const d = `d${String(a.domid)}`;
  const at = Array.isArray(a.extent_start) && a.extent_start.length > 0 ? `@${String(a.extent_start[0])}` : '';
  switch (op) {
    case 'XENMEM_claim_pages': return `claim[${d},${String(a.nr_extents)}]`;
    case 'XENMEM_populate_physmap': return `populate[${d},${a.nr_extents === 1 ? '' : `${String(a.nr_extents)}×`}o${String(a.extent_order ?? 0)}${at}]`;
    case 'XENMEM_decrease_reservation': return `decrease[${d},o${String(a.extent_order ?? 0)}${at}]`;
    case 'XENMEM_increase_reservation': return `increase[${d},${String(a.nr_extents)}×o${String(a.extent_order ?? 0)}]`;
    case 'XEN_DOMCTL_createdomain': return `createdomain[${String(a.name ?? '')}]`;
    case 'XEN_DOMCTL_max_mem': return `max_mem[${d},${String(a.max_memkb)}k]`;
    case 'XEN_DOMCTL_destroydomain': return `destroy[${d}]`;
    case 'XEN_DOMCTL_getdomaininfo': return `getdomaininfo[${d}]`;
    case 'XEN_DOMCTL_unpausedomain': return `unpause[${d}]`;
    case 'XEN_DOMCTL_set_paging_mempool_size': return `paging_pool[${d},${Number(a.size) / 4096}p]`;
    case 'XEN_SYSCTL_physinfo': return 'physinfo';
    default: return op.replace(/^XEN(MEM|_DOMCTL|_SYSCTL)?_/, '').toLowerCase();
  }
}

/** The answer of a call, short: `rc=0`, `rc=-22`, `d1`. */
function resultToken(op: string, r: Record<string, unknown>): string {
  if (op === 'XEN_DOMCTL_createdomain' && r.rc === 0) return `→ d${String(r.domid)}`;
  if (op === 'XEN_DOMCTL_getdomaininfo' && r.rc === 0) return `→ d${String(r.domid)} tot ${String(r.tot_pages)}${(r.flags as number) & 1 ? ' dying' : ''}`;
  if (op === 'XEN_SYSCTL_physinfo') return `→ free ${String(r.free_pages)} claimed ${String(r.outstanding_pages)}`;
  return `→ ${String(r.rc)}`;
}

/** Renders the interleaving of a JSONL trace as a fixed-width table. */
export function renderInterleaving(traceText: string, maxColWidth = 34): string {
  const { header, events } = parseTrace(traceText);
  const actors = header.scenario.actors.map((a) => a.name);
  const current = new Map<string, { op: string; token: string; shown: boolean }>();
  const rows: Array<{ step: number; actor: string; cell: string }> = [];
  let step = 0;
  let fail: Extract<TraceEvent, { k: 'fail' }> | undefined;
  for (const e of events) {
    if (e.k === 'arrive' && e.req.kind === 'hypercall') current.set(e.a, { op: e.req.op, token: callToken(e.req.op, e.req.args), shown: false });
    else if (e.k === 'step') {
      step++;
      const c = current.get(e.a);
      const cell = c === undefined ? e.s : c.shown ? `  ${e.s}` : `${c.token} ${e.s}`;
      if (c !== undefined) c.shown = true;
      rows.push({ step, actor: e.a, cell });
    } else if (e.k === 'wake') {
      step++;
      rows.push({ step, actor: e.a, cell: `wake t=${e.t}` });
    } else if (e.k === 'reply' && e.r.kind === 'result') {
      const c = current.get(e.a);
      const last = rows[rows.length - 1];
      if (c !== undefined && last !== undefined && last.actor === e.a) {
        // The section after a call's last yield (its return path) repeats the label: say so.
        if (last.cell.startsWith('  ')) last.cell = '  return';
        last.cell += ` ${resultToken(c.op, e.r.result as Record<string, unknown>)}`;
      }
      current.delete(e.a);
    } else if (e.k === 'fail') fail = e;
  }
  for (const a of new Set(rows.map((r) => r.actor))) if (!actors.includes(a)) actors.push(a);
  const clip = (s: string) => (s.length > maxColWidth ? s.slice(0, maxColWidth - 1) + '…' : s);
  const width = new Map(actors.map((a) => [a, Math.max(a.length, ...rows.filter((r) => r.actor === a).map((r) => clip(r.cell).length))]));
  const numW = String(step).length + 1;
  const line = (first: string, cells: (a: string) => string) => [first.padStart(numW), ...actors.map((a) => cells(a).padEnd(width.get(a)!))].join(' │ ').trimEnd();
  const out = [line('#', (a) => a), line('', (a) => '─'.repeat(width.get(a)!)).replace(/ │ /g, '─┼─')];
  for (const r of rows) out.push(line(String(r.step), (a) => (a === r.actor ? clip(r.cell) : '')));
  if (fail !== undefined) out.push(`✗ after step ${fail.step}: ${fail.kind} — ${fail.message}`);
  return out.join('\n');
}

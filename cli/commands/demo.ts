// `xen-memsim demo`: the seed's story. scenarios/demo.json (Xen 4.3, a host over-committed
// with self-ballooning tmem guests, two toolstacks creating two large guests at once) runs twice
// on the same seed, with claim_mode=0 and claim_mode=1, and the outcomes are printed side by side:
// which creation failed, when (virtual seconds and wall ms), after populating how much, what
// `xl info` said just before, and `xl claims` during the build; then why, in one paragraph.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isXenVersion, type XenVersion } from '../../hv/index.ts';
import { writeReport } from '../../report/html.ts';
import { writePerfetto } from '../../report/perfetto.ts';
import type { Telemetry } from '../../report/telemetry.ts';
import { loadScenario } from '../../sim/scenario-file/load.ts';
import { runVariant, type CommandRecord, type VariantRun } from '../../sim/scenario-file/run.ts';
import { progressLine } from './progress.ts';

const USAGE = `usage: xen-memsim demo [--host-mib N] [--guest-mib N] [--xen VERSION] [--seed N] [--threads] [--out DIR]
  --host-mib   host memory (default 4096, as in scenarios/demo.json)
  --guest-mib  memory of each of the two large guests (default 1100)
  --xen        4.3 | 4.13 | 4.21 | 4.22 (default 4.3: the seed's world, with tmem)
  --seed       seeds the guests' workloads (default 1)
  --threads    run each variant on real threads (owner worker + one thread per actor)
  --out        directory for traces and reports (default ./xen-memsim-demo)
`;

export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.json', import.meta.url));
const BIG = ['big1', 'big2'] as const;

export interface DemoOptions {
  hostMiB?: number;
  guestMiB?: number;
  xen?: XenVersion;
  seed?: number;
  threads?: boolean;
  /** Where traces and reports go; undefined = write nothing. */
  out?: string;
  progress?: boolean;
}

/** One variant's story, as the demo tells it. */
export interface DemoSide {
  label: string;
  run: VariantRun;
  info?: { tNs: number; freeMiB: number; outstandingMiB: number };
  creates: Array<{ guest: string; cmd: CommandRecord }>;
  claimsSamples: Array<{ tNs: number; claimed: Record<string, number>; note?: string }>;
  /** Net MiB the other domains (guests + tmem ephemeral) took between `xl info` and the first failure (or the last build's end). */
  othersTookMiB?: number;
}

export interface DemoResult {
  sides: DemoSide[];
  seed: number;
  xen: XenVersion;
  hostMiB: number;
  guestMiB: number;
  files: string[];
}

const infoField = (text: string, field: string): number | undefined => {
  const m = new RegExp(`^${field}\\s*:\\s*(\\d+)`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
};

/** The Claimed column of `xl claims` for the large guests. */
function parseClaims(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.split('\n').slice(1)) {
    const w = line.trim().split(/\s+/);
    if (w.length >= 7 && (BIG as readonly string[]).includes(w[0])) out[w[0]] = Number(w.at(-1));
  }
  return out;
}

/** Pages of domains other than dom0 and the two large guests, plus tmem's ephemeral pages, at time t. */
function othersAt(t: Telemetry, tNs: number): number | undefined {
  const m = t.memory;
  let i = -1;
  for (let k = 0; k < m.t.length && m.t[k] <= tNs; k++) i = k;
  if (i < 0) return undefined;
  let pages = m.tmemEphemeral?.[i] ?? 0;
  for (const d of m.domains) if (d.domid !== 0 && !(BIG as readonly string[]).includes(d.name)) pages += d.totPages[i] ?? 0;
  return pages;
}

function side(run: VariantRun): DemoSide {
  const infoCmd = run.commands.find((c) => c.argv[0] === 'info' && c.actor === 'admin');
  const free = infoCmd === undefined ? undefined : infoField(infoCmd.stdout, 'free_memory');
  const creates = run.commands.flatMap((cmd) => {
    const guest = BIG.find((g) => cmd.argv.includes(`${g}.cfg`));
    return cmd.argv[0] === 'create' && guest !== undefined ? [{ guest, cmd }] : [];
  });
  const claimsSamples = run.commands.filter((c) => c.argv[0] === 'claims').map((c) => ({
    tNs: c.startNs, claimed: parseClaims(c.stdout), ...(c.stderr.trim() === '' ? {} : { note: c.stderr.trim() }),
  }));
  const s: DemoSide = {
    label: run.label, run, creates, claimsSamples,
    ...(infoCmd === undefined || free === undefined ? {} : { info: { tNs: infoCmd.startNs, freeMiB: free, outstandingMiB: infoField(infoCmd.stdout, 'outstanding_claims') ?? 0 } }),
  };
  const ends = creates.map((c) => c.cmd.failNs ?? c.cmd.endNs).filter((t): t is number => t !== undefined);
  const firstFail = creates.map((c) => (c.cmd.status !== 0 ? c.cmd.failNs : undefined)).filter((t): t is number => t !== undefined);
  const until = firstFail.length > 0 && firstFail.some((t) => t > (s.info?.tNs ?? 0) + 1e9) ? Math.max(...firstFail) : Math.max(0, ...ends);
  if (run.telemetry !== undefined && s.info !== undefined) {
    const a = othersAt(run.telemetry, s.info.tNs);
    const b = othersAt(run.telemetry, until);
    if (a !== undefined && b !== undefined) s.othersTookMiB = Math.round((b - a) / 256);
  }
  return s;
}

const mib = (pages: number): string => `${Math.round(pages / 256)} MiB`;
const secs = (ns: number): string => `${(ns / 1e9).toFixed(1)} s`;
const wall = (ms: number | undefined): string => (ms === undefined ? '' : `, wall ${Math.round(ms)} ms`);

function outcomeLines(c: { guest: string; cmd: CommandRecord } | undefined): string[] {
  if (c === undefined) return ['(not run)'];
  const { cmd } = c;
  if (cmd.status === undefined) return [`killed at ${secs(cmd.failNs ?? cmd.startNs)}`, `after populating ${mib(cmd.populatedPages)}`];
  const claim = cmd.claims[0];
  if (cmd.status === 0) {
    return [`created at ${secs(cmd.endNs!)}${wall(cmd.wallEndMs)}`, `populated ${mib(cmd.populatedPages)}${claim === undefined ? ', no claim' : `, claimed ${mib(claim.pages)} first`}`];
  }
  const at = cmd.failNs ?? cmd.endNs!;
  const why = claim !== undefined && claim.rc < 0 ? `claim of ${mib(claim.pages)}: ENOMEM` : 'out of memory while populating';
  return [`FAILED at ${secs(at)}${wall(cmd.failWallMs ?? cmd.wallEndMs)}`, `after populating ${mib(cmd.populatedPages)}`, `(${why})`];
}

/** The side-by-side table and the explanation. */
export function formatDemo(r: DemoResult): string {
  const [a, b] = r.sides;
  const colW = 40;
  const rows: Array<[string, string, string]> = [];
  const pair = (label: string, left: string[], right: string[]): void => {
    for (let i = 0; i < Math.max(left.length, right.length); i++) rows.push([i === 0 ? label : '', left[i] ?? '', right[i] ?? '']);
  };
  pair('', [a.label], [b.label]);
  pair('', ['-'.repeat(a.label.length)], ['-'.repeat(b.label.length)]);
  const infoLine = (s: DemoSide): string[] => (s.info === undefined ? ['(no xl info)'] : [`t=${secs(s.info.tNs)}: free_memory ${s.info.freeMiB} MiB`, `outstanding_claims ${s.info.outstandingMiB} MiB`]);
  pair('xl info before', infoLine(a), infoLine(b));
  for (const g of BIG) {
    const ca = a.creates.find((c) => c.guest === g);
    const cb = b.creates.find((c) => c.guest === g);
    pair(`${g} (${ca?.cmd.actor ?? cb?.cmd.actor ?? '?'})`, outcomeLines(ca), outcomeLines(cb));
  }
  const n = Math.max(a.claimsSamples.length, b.claimsSamples.length);
  const claimCell = (s: DemoSide, i: number): string => {
    const c = s.claimsSamples[i];
    if (c === undefined) return '';
    const parts = BIG.map((g) => (c.claimed[g] === undefined ? `${g} -` : `${g} ${c.claimed[g]}`));
    return `t=${secs(c.tNs)}: ${parts.join(', ')}`;
  };
  for (let i = 0; i < n; i++) rows.push([i === 0 ? 'xl claims (MiB)' : '', claimCell(a, i), claimCell(b, i)]);
  const note = (s: DemoSide): string => s.claimsSamples.find((c) => c.note !== undefined)?.note ?? '';
  if (note(a) !== '' || note(b) !== '') rows.push(['', note(a), note(b)]);
  const runLine = (s: DemoSide): string => `${(s.run.wallMs / 1000).toFixed(1)} s wall, ${(s.run.steps / 1e6).toFixed(2)}M steps${s.run.mode === 'threads' ? ', threads' : ''}`;
  pair('run', [runLine(a)], [runLine(b)]);
  if (a.run.failure !== undefined || b.run.failure !== undefined) pair('run failure', [a.run.failure?.message ?? ''], [b.run.failure?.message ?? '']);
  const labelW = Math.max(...rows.map((x) => x[0].length)) + 2;
  const table = rows.map(([l, x, y]) => `${l.padEnd(labelW)}${x.padEnd(colW)}${y}`.trimEnd()).join('\n');
  const head = `xen-memsim demo: Xen ${r.xen}, ${r.hostMiB} MiB host over-committed with four self-ballooning${r.xen === '4.3' ? ' tmem' : ''} guests (seed ${r.seed}).\n` +
    `Two toolstacks each run \`xl create\` of a ${r.guestMiB} MiB guest at the same moment, right after \`xl info\`.\n`;
  return `${head}\n${table}\n\n${explain(r)}\n${r.files.length > 0 ? `\nWritten:\n${r.files.map((f) => `  ${f}`).join('\n')}\n` : ''}`;
}

function explain(r: DemoResult): string {
  const [a, b] = r.sides;
  const out: string[] = [];
  const failedAfter = a.creates.filter((c) => c.cmd.status !== 0 && c.cmd.populatedPages > 0);
  if (failedAfter.length > 0) {
    const f = failedAfter[0];
    const dur = ((f.cmd.failNs ?? f.cmd.endNs ?? f.cmd.startNs) - f.cmd.startNs) / 1e9;
    const others = a.creates.filter((c) => c !== f).map((c) => `${c.guest}'s build took ${mib(c.cmd.populatedPages)}`);
    const took = a.othersTookMiB === undefined ? [] : a.othersTookMiB >= 0
      ? [`the self-ballooning guests and tmem grew by ${a.othersTookMiB} MiB`]
      : [`the self-ballooning guests gave back only ${-a.othersTookMiB} MiB`];
    out.push(`${a.label}: the ${a.info?.freeMiB ?? '?'} MiB free that \`xl info\` showed was stale as soon as it was printed. Each toolstack saw room for its ${r.guestMiB} MiB guest and started populating; while ${f.guest} populated for ${dur.toFixed(1)} virtual seconds the memory it had counted on was eaten (${[...others, ...took].join('; ')}), so its creation failed after populating ${mib(f.cmd.populatedPages)}` +
      `${failedAfter.length > 1 ? `, and ${failedAfter.slice(1).map((x) => `${x.guest}'s after ${mib(x.cmd.populatedPages)}`).join(', ')}` : ''} — all that work thrown away.`);
  } else {
    out.push(`${a.label}: no creation failed after populating on this run (see the table).`);
  }
  const refused = b.creates.filter((c) => c.cmd.status !== 0);
  const done = b.creates.filter((c) => c.cmd.status === 0);
  if (refused.length > 0 && refused.every((c) => c.cmd.populatedPages === 0)) {
    const gate = b.othersTookMiB === undefined ? '' : b.othersTookMiB > 0
      ? ` (the ballooning guests still moved, but only into memory no claim covered: they grew by ${b.othersTookMiB} MiB)`
      : '';
    out.push(`${b.label}: the claim reserved each guest's memory up front, atomically. ${refused.map((c) => c.guest).join(' and ')}'s build failed at once with ENOMEM having populated nothing` +
      `${done.length > 0 ? `, and ${done.map((c) => c.guest).join(' and ')} completed because the claim gate kept the ballooning guests out of its memory${gate}` : ''}.`);
  } else if (refused.length === 0) {
    out.push(`${b.label}: both claims fitted, and both builds completed: the claims kept the ballooning guests out of the memory being populated.`);
  } else {
    out.push(`${b.label}: a creation failed after populating ${mib(refused[0].cmd.populatedPages)} — not the guarantee claims promise (see the report).`);
  }
  return wrap(out.join('\n\n'), 100);
}

function wrap(text: string, width: number): string {
  return text.split('\n').map((para) => {
    const lines: string[] = [];
    let cur = '';
    for (const w of para.split(' ')) {
      if (cur !== '' && cur.length + 1 + w.length > width) {
        lines.push(cur);
        cur = w;
      } else cur = cur === '' ? w : `${cur} ${w}`;
    }
    return [...lines, cur].join('\n');
  }).join('\n');
}

/** Runs both variants and writes traces and reports. @throws on an unloadable demo scenario */
export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const xen = o.xen ?? '4.3';
  const overrides: Record<string, unknown> = {
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    host: { ...(o.hostMiB === undefined ? {} : { memory: o.hostMiB }), ...(o.xen === undefined ? {} : { xen, tmem: xen === '4.3' }) },
    ...(o.guestMiB === undefined ? {} : { guests: Object.fromEntries(BIG.map((g) => [g, { cfg: { memory: o.guestMiB } }])) }),
  };
  const text = await readFile(DEMO_SCENARIO, 'utf8');
  const loaded = loadScenario(text, 'scenarios/demo.json', { overrides });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const variants = loaded.scenario.variants;
  const progress = o.progress === false ? undefined : progressLine();
  const runs: VariantRun[] = [];
  for (const v of variants) {
    try {
      runs.push(await runVariant(v, { threads: o.threads, telemetry: true, ...(progress === undefined ? {} : { onProgress: progress.update }) }));
    } finally {
      progress?.done();
    }
  }
  const files: string[] = [];
  if (o.out !== undefined) {
    await mkdir(o.out, { recursive: true });
    for (const run of runs) {
      const base = join(o.out, `demo-${run.label}`);
      await writeFile(`${base}.jsonl`, run.trace);
      files.push(`${base}.jsonl  (trace: xen-memsim replay / report)`);
      await writeReport(run.telemetry!, `${base}.html`, { wallMs: run.wallMs, seed: o.seed ?? 1, facts: { claim_mode: String(run.variant.claimMode), xen } });
      files.push(`${base}.html  (HTML report: open it in a browser)`);
    }
    const perfetto = join(o.out, 'demo.perfetto.json');
    await writePerfetto(runs.map((r) => ({ telemetry: r.telemetry!, name: r.label })), perfetto);
    files.push(`${perfetto}  (both runs, one process each: open in https://ui.perfetto.dev)`);
  }
  const first = variants[0];
  return {
    sides: runs.map(side), seed: o.seed ?? 1, xen, hostMiB: first.spec.host.memoryMiB, files,
    guestMiB: o.guestMiB ?? Number(/^memory=(\d+)/m.exec(first.files['big1.cfg'])?.[1] ?? 0),
  };
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'host-mib': { type: 'string' }, 'guest-mib': { type: 'string' }, xen: { type: 'string' }, seed: { type: 'string' },
        threads: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`xen-memsim demo: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const int = (v: string | undefined, what: string): number | undefined | string =>
    v === undefined ? undefined : /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : `${what} must be a positive integer, got "${v}"`;
  const hostMiB = int(values['host-mib'], '--host-mib');
  const guestMiB = int(values['guest-mib'], '--guest-mib');
  const seed = values.seed === undefined ? undefined : /^\d+$/.test(values.seed) ? Number(values.seed) : '--seed must be a non-negative integer';
  const bad = [hostMiB, guestMiB, seed].find((x) => typeof x === 'string');
  if (bad !== undefined || (values.xen !== undefined && !isXenVersion(values.xen))) {
    process.stderr.write(`xen-memsim demo: ${(bad as string | undefined) ?? '--xen must be one of 4.3, 4.13, 4.21, 4.22'}\n${USAGE}`);
    return 2;
  }
  let result: DemoResult;
  try {
    result = await runDemo({
      hostMiB: hostMiB as number | undefined, guestMiB: guestMiB as number | undefined, seed: seed as number | undefined,
      xen: values.xen as XenVersion | undefined, threads: values.threads, out: values.out ?? 'xen-memsim-demo',
    });
  } catch (e) {
    process.stderr.write(`xen-memsim demo: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(formatDemo(result));
  return 0;
}

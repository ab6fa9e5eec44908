// `xen-memsim demo`: the seed's story. scenarios/demo.json (Xen 4.3, a host over-committed
// with self-ballooning tmem guests whose load surges just as two toolstacks create two large
// guests that fit in what `xl info` showed) runs twice on the same seed, with claim_mode=0 and
// claim_mode=1, and the outcomes are printed side by side: which creation failed, when (virtual
// seconds and wall ms), after populating how much, what `xl info` said just before, what the
// ballooning guests wanted and got while the builds populated, and `xl claims` during the
// build; then why, in one paragraph per variant.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { XenVersion } from '../../hv/index.ts';
import { prepareReportAssets, writeReport, writeReportFrom } from '../../report/html.ts';
import { packageFile } from '../../report/package-files.ts';
import { writePerfetto, writePerfettoFrom } from '../../report/perfetto.ts';
import { TELEMETRY_OBSERVER, type Telemetry } from '../../report/telemetry.ts';
import { loadScenario, type CompiledVariant } from '../../world/scenario-file/load.ts';
import { runVariantsInParallel } from '../../world/scenario-file/parallel.ts';
import { runVariant, type CommandRecord, type RunVariantOptions, type VariantRun } from '../../world/scenario-file/run.ts';
import { onInterrupt } from '../lifecycle.ts';
import { parseCommand, usageError, withDefault } from '../args/command.ts';
import { memoryFlag, numberFlag, outFlag, seedFlag, threadsFlag, wallBudgetFlag, xenFlag } from '../args/flags.ts';
import { HOST_MEMORY_MIB, hostProblems } from '../args/host.ts';
import { ensureOutputDir, fsErrorReason, outputDirProblem, writeResult } from '../args/paths.ts';
import { DEMO_PARTS_MODULE, type DemoParts } from './demo-parts.ts';
import { progressLine } from './progress.ts';

export const DEMO = {
  name: 'demo',
  summary: 'the headline story: claim_mode=0 vs 1 on an over-committed tmem host',
  flags: {
    memory: memoryFlag(4096, ', as in scenarios/demo.json'),
    guestMiB: numberFlag('--guest-mib <MiB>', 'memory of each of the two large guests (default: 900)', { ...HOST_MEMORY_MIB, min: 1 }),
    xen: xenFlag('4.3', ": the seed's world, with tmem"),
    seed: withDefault(seedFlag("seeds the guests' workloads"), 1),
    threads: threadsFlag('run each variant on real threads (owner worker + one thread per actor)'),
    out: withDefault(outFlag('folder for traces and reports (created if missing; its parent must exist)', 'DIR'), 'xen-memsim-demo', './xen-memsim-demo'),
    wallBudget: wallBudgetFlag(3600),
  },
} as const;

export const DEMO_SCENARIO = packageFile('scenarios/demo.json');
const BIG = ['big1', 'big2'] as const;

export interface DemoOptions {
  hostMiB?: number;
  /** Each of the two large guests. */
  guestMiB?: number;
  /** dom0's memory (scenarios/demo.json: 512). */
  dom0MiB?: number;
  /** Each of the four self-ballooning guests (scenarios/demo.json: 512). */
  ballooningMiB?: number;
  xen?: XenVersion;
  seed?: number;
  threads?: boolean;
  /** Where traces and reports go (a folder checked by outputDirProblem); undefined = write nothing. */
  out?: string;
  progress?: boolean;
  /** Told of every file as soon as it is written (each variant's trace and report right after it ran). */
  onFile?: (line: string) => void;
  /** Wall-clock budget of each variant (ms): a variant that runs longer is stopped and the demo fails. */
  wallBudgetMs?: number;
}

/**
 * The same story at a quarter of the size: a 1 GiB host, dom0 and the four ballooning guests
 * 128 MiB each, two 225 MiB builds (0.38M steps a variant instead of 1.3M) — what the default
 * test suite runs, so that it does not depend on the machine's speed. xl info shows 463 MiB
 * free for the two (450 MiB); the surge still makes claim_mode=0 fail after populating.
 */
export const QUARTER_DEMO: Readonly<DemoOptions> = { hostMiB: 1024, dom0MiB: 128, ballooningMiB: 128, guestMiB: 225 };

const BALLOONING = ['web', 'db', 'batch', 'cache'] as const;

/** The self-ballooning guests while the two large guests populated. */
export interface GuestsDuringBuild {
  /** The window: the first build's start … the first failure after populating, else the last build's end. */
  fromNs: number;
  toNs: number;
  /** Growth of the guests' memory (Σ tot_pages, MiB) over the window. */
  grewMiB: number;
  /** Change of tmem's ephemeral pool (MiB) over the window. */
  tmemMiB: number;
  /**
   * How far their selfballoon targets rose in the window above what each guest held at its first
   * selfballoon run of the window (Σ over guests, MiB): the memory they wanted.
   */
  wantedMiB: number;
  /** What their balloon drivers' XENMEM_populate_physmap calls got in the window (MiB). */
  gotMiB: number;
  /** populate_physmap replies that came back short. */
  shortCalls: number;
}

/** One variant's story, as the demo tells it. */
export interface DemoSide {
  label: string;
  run: VariantRun<Telemetry>;
  info?: { tNs: number; freeMiB: number; outstandingMiB: number };
  creates: Array<{ guest: string; cmd: CommandRecord }>;
  claimsSamples: Array<{ tNs: number; claimed: Record<string, number>; note?: string }>;
  guests?: GuestsDuringBuild;
}

export interface DemoResult {
  sides: DemoSide[];
  seed: number;
  xen: XenVersion;
  hostMiB: number;
  guestMiB: number;
  /** When the guests' load surges (virtual ns, from their configs' memsim_surge_at_ms), if it does. */
  surgeNs?: number;
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

const isBig = (name: string): boolean => (BIG as readonly string[]).includes(name);

/** Σ tot_pages of the guests other than dom0 and the two large ones, and tmem's ephemeral pages, at time t. */
function guestPagesAt(t: Telemetry, tNs: number): { pages: number; tmem: number } | undefined {
  const m = t.memory;
  let i = -1;
  for (let k = 0; k < m.t.length && m.t[k] <= tNs; k++) i = k;
  if (i < 0) return undefined;
  let pages = 0;
  for (const d of m.domains) if (d.domid !== 0 && !isBig(d.name)) pages += d.totPages[i] ?? 0;
  return { pages, tmem: m.tmemEphemeral?.[i] ?? 0 };
}

function guestsDuring(run: VariantRun<Telemetry>, creates: DemoSide['creates']): GuestsDuringBuild | undefined {
  if (creates.length === 0 || run.telemetry === undefined) return undefined;
  const fromNs = Math.min(...creates.map((c) => c.cmd.startNs));
  const failedAfter = creates.filter((c) => c.cmd.status !== 0 && c.cmd.populatedPages > 0).map((c) => c.cmd.failNs ?? c.cmd.endNs ?? c.cmd.startNs);
  const toNs = failedAfter.length > 0 ? Math.min(...failedAfter) : Math.max(...creates.map((c) => c.cmd.endNs ?? c.cmd.failNs ?? c.cmd.startNs));
  const a = guestPagesAt(run.telemetry, fromNs);
  const b = guestPagesAt(run.telemetry, toNs);
  if (a === undefined || b === undefined) return undefined;
  let wanted = 0;
  let got = 0;
  let shortCalls = 0;
  for (const [actor, k] of run.kernels) {
    if (isBig(actor.split(':')[1] ?? '')) continue;
    for (const c of k.populates) {
      if (c.tNs < fromNs || c.tNs > toNs) continue;
      got += c.gotPages;
      if (c.short) shortCalls++;
    }
    const inWindow = k.targets.filter((t) => t.tNs >= fromNs && t.tNs <= toNs);
    if (inWindow.length > 0) wanted += Math.max(0, Math.max(...inWindow.map((t) => t.targetPages)) - inWindow[0].currentPages);
  }
  const m = (pages: number): number => Math.round(pages / 256);
  return { fromNs, toNs, grewMiB: m(b.pages - a.pages), tmemMiB: m(b.tmem - a.tmem), wantedMiB: m(wanted), gotMiB: m(got), shortCalls };
}

function side(run: VariantRun<Telemetry>): DemoSide {
  const infoCmd = run.commands.find((c) => c.argv[0] === 'info' && c.actor === 'admin');
  const free = infoCmd === undefined ? undefined : infoField(infoCmd.stdout, 'free_memory');
  const creates = run.commands.flatMap((cmd) => {
    const guest = BIG.find((g) => cmd.argv.includes(`${g}.cfg`));
    return cmd.argv[0] === 'create' && guest !== undefined ? [{ guest, cmd }] : [];
  });
  const claimsSamples = run.commands.filter((c) => c.argv[0] === 'claims').map((c) => ({
    tNs: c.startNs, claimed: parseClaims(c.stdout), ...(c.stderr.trim() === '' ? {} : { note: c.stderr.trim() }),
  }));
  const guests = guestsDuring(run, creates);
  return {
    label: run.label, run, creates, claimsSamples,
    ...(infoCmd === undefined || free === undefined ? {} : { info: { tNs: infoCmd.startNs, freeMiB: free, outstandingMiB: infoField(infoCmd.stdout, 'outstanding_claims') ?? 0 } }),
    ...(guests === undefined ? {} : { guests }),
  };
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
  const guestLines = (s: DemoSide): string[] => {
    const g = s.guests;
    if (g === undefined) return ['(no telemetry)'];
    return [
      `${secs(g.fromNs)} → ${secs(g.toNs)}: ${g.grewMiB >= 0 ? 'grew' : 'shrank'} ${Math.abs(g.grewMiB)} MiB`,
      `wanted ${g.wantedMiB} MiB more, got ${g.gotMiB}`,
      `(${g.shortCalls} populate_physmap short)`,
    ];
  };
  pair('ballooning guests', guestLines(a), guestLines(b));
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
  const surge = r.surgeNs === undefined ? '' : `The ballooning guests' load surges at t=${secs(r.surgeNs)}, as the builds start.\n`;
  const head = `xen-memsim demo: Xen ${r.xen}, ${r.hostMiB} MiB host over-committed with four self-ballooning${r.xen === '4.3' ? ' tmem' : ''} guests (seed ${r.seed}).\n` +
    `Two toolstacks each \`xl create\` a guest of ${r.guestMiB} MiB at the same moment, right after \`xl info\`.\n${surge}`;
  return `${head}\n${table}\n\n${explain(r)}\n${r.files.length > 0 ? `\nWritten:\n${r.files.map((f) => `  ${f}`).join('\n')}\n` : ''}`;
}

function explain(r: DemoResult): string {
  const [a, b] = r.sides;
  const out: string[] = [];
  const both = 2 * r.guestMiB;
  const fits = (s: DemoSide): string => s.info === undefined ? ''
    : both < s.info.freeMiB ? ` — room for both ${r.guestMiB} MiB guests (${both} MiB together)`
    : ` — not room for both ${r.guestMiB} MiB guests (${both} MiB together)`;

  const failedAfter = a.creates.filter((c) => c.cmd.status !== 0 && c.cmd.populatedPages > 0);
  if (failedAfter.length > 0) {
    const f = failedAfter[0];
    const dur = ((f.cmd.failNs ?? f.cmd.endNs ?? f.cmd.startNs) - f.cmd.startNs) / 1e9;
    const g = a.guests;
    const grew = g === undefined ? '' : g.grewMiB > 0
      ? ` But ${r.surgeNs === undefined ? 'the self-ballooning guests grew' : `the self-ballooning guests' load surged at t=${secs(r.surgeNs)}`}: while the builds populated (${secs(g.fromNs)} → ${secs(g.toNs)}) their selfballoon targets rose by ${g.wantedMiB} MiB, their balloon drivers got ${g.gotMiB} MiB from Xen, and their memory grew by ${g.grewMiB} MiB` +
        `${g.tmemMiB !== 0 ? ` (tmem's ephemeral pool ${g.tmemMiB > 0 ? 'grew' : 'shrank'} by ${Math.abs(g.tmemMiB)} MiB)` : ''} — the free memory the toolstacks had counted on was gone.`
      : ` The self-ballooning guests did not grow while the builds populated (${g.grewMiB} MiB); the builds took the memory from each other.`;
    const rest = failedAfter.slice(1).map((x) => `${x.guest}'s after ${mib(x.cmd.populatedPages)}`);
    const ok = a.creates.filter((c) => c.cmd.status === 0).map((c) => c.guest);
    out.push(`${a.label}: at t=${secs(a.info?.tNs ?? 0)} \`xl info\` showed ${a.info?.freeMiB ?? '?'} MiB free${fits(a)}, and both toolstacks went ahead.${grew} ` +
      `${f.guest}'s creation failed at ${secs(f.cmd.failNs ?? f.cmd.endNs ?? 0)} after populating ${mib(f.cmd.populatedPages)} for ${dur.toFixed(1)} virtual seconds${rest.length > 0 ? `, and ${rest.join(', ')}` : ''} — all that work thrown away` +
      `${ok.length > 0 ? ` (${ok.join(' and ')} completed)` : ''}.`);
  } else {
    out.push(`${a.label}: no creation failed after populating on this run (see the table).`);
  }
  const refused = b.creates.filter((c) => c.cmd.status !== 0);
  const done = b.creates.filter((c) => c.cmd.status === 0);
  const g = b.guests;
  const held = g === undefined ? '' : g.shortCalls > 0
    ? `${r.surgeNs === undefined ? '' : `when the guests' load surged (t=${secs(r.surgeNs)}), `}Xen's claim gate held the ballooning guests back: they wanted ${g.wantedMiB} MiB more and got ${g.gotMiB} (${g.shortCalls} populate_physmap calls came back short)`
    : `the ballooning guests got what they asked for (${g.gotMiB} MiB of the ${g.wantedMiB} MiB they wanted) from memory no claim covered`;
  if (refused.length > 0 && refused.every((c) => c.cmd.populatedPages === 0)) {
    out.push(`${b.label}: each build first claimed its guest's memory (XENMEM_claim_pages), atomically. ${refused.map((c) => c.guest).join(' and ')}'s claim failed at once with ENOMEM having populated nothing` +
      `${done.length > 0 ? `; ${done.map((c) => c.guest).join(' and ')} completed at ${secs(Math.max(...done.map((c) => c.cmd.endNs ?? 0)))}${held === '' ? '' : `, because ${held}`}` : ''}.`);
  } else if (refused.length === 0) {
    out.push(`${b.label}: each build first claimed its ${r.guestMiB} MiB (XENMEM_claim_pages), atomically, and both claims fitted. ` +
      `${held === '' ? 'The claims kept the memory for the builds' : held.charAt(0).toUpperCase() + held.slice(1)}, so both creations completed, at ${secs(Math.max(...done.map((c) => c.cmd.endNs ?? 0)))}.`);
  } else {
    out.push(`${b.label}: a creation failed after populating ${mib(refused.find((c) => c.cmd.populatedPages > 0)!.cmd.populatedPages)} — not the guarantee claims promise (see the report).`);
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

/** Options the demo scenario cannot take (a host too small for its guests …): the loader's messages. */
export class DemoOptionsError extends Error {}

/** A variant stopped by its wall-clock budget (DemoOptions.wallBudgetMs): what ran, in words. */
export class DemoStopped extends Error {}

/** Runs `f` on each item in turn; the results in order. */
async function sequentially<A, R>(items: readonly A[], f: (a: A) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const a of items) out.push(await f(a));
  return out;
}

/** Runs both variants and writes traces and reports. @throws DemoOptionsError on options the scenario cannot take */
export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const xen = o.xen ?? '4.3';
  const guests: Record<string, unknown> = {
    ...(o.guestMiB === undefined ? {} : Object.fromEntries(BIG.map((g) => [g, { cfg: { memory: o.guestMiB } }]))),
    ...(o.ballooningMiB === undefined ? {} : Object.fromEntries(BALLOONING.map((g) => [g, { cfg: { memory: o.ballooningMiB } }]))),
  };
  const overrides: Record<string, unknown> = {
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    host: {
      ...(o.hostMiB === undefined ? {} : { memory: o.hostMiB }),
      ...(o.dom0MiB === undefined ? {} : { dom0: { memory: o.dom0MiB } }),
      ...(o.xen === undefined ? {} : { xen, tmem: xen === '4.3' }),
    },
    ...(Object.keys(guests).length === 0 ? {} : { guests }),
  };
  const text = await readFile(DEMO_SCENARIO, 'utf8');
  const loaded = loadScenario(text, 'scenarios/demo.json', { overrides });
  if (!loaded.ok) throw new DemoOptionsError(loaded.errors.join('\n'));
  const variants = loaded.scenario.variants;
  const progress = o.progress === false ? undefined : progressLine();
  const runs: VariantRun<Telemetry>[] = [];
  const files: string[] = [];
  const written = async (path: string, what: string, write: () => Promise<void>): Promise<void> => {
    const problem = await writeResult(path, write);
    if (problem !== undefined) throw new Error(problem);
    files.push(`${path}  (${what})`);
    o.onFile?.(files.at(-1)!);
  };
  if (o.out !== undefined) {
    ensureOutputDir(o.out);
    // The report's page is bundled in esbuild's own process while the variants run.
    void prepareReportAssets();
  }
  // Each variant's trace streams to its file as the run goes (~90 MB: never held in memory).
  const trace = (v: CompiledVariant): RunVariantOptions['trace'] => (o.out === undefined ? 'none' : { file: join(o.out, `demo-${v.label}.jsonl`) });
  const budget = o.wallBudgetMs === undefined ? {} : { wallBudgetMs: o.wallBudgetMs };
  const onProgress = progress === undefined ? {} : { onProgress: progress.update };
  // Each variant's share of the report and the Perfetto file, made where it ran (side by side).
  const parts = new Map<CompiledVariant, DemoParts | undefined>();
  const outputs = o.out === undefined ? {} : { afterModule: DEMO_PARTS_MODULE, onDone: (run: VariantRun<Telemetry>, after?: unknown) => parts.set(run.variant, after as DemoParts | undefined) };
  let all: Array<VariantRun<Telemetry>>;
  try {
    // Scheduled, the variants are independent worlds: side by side, one per core. On real threads, one after the other.
    all = o.threads === true
      ? await sequentially(variants, (v) => runVariant(v, { threads: true, observer: TELEMETRY_OBSERVER, ...onProgress, trace: trace(v), ...budget, ...(o.wallBudgetMs === undefined ? {} : { timeoutMs: o.wallBudgetMs }) }))
      : await runVariantsInParallel(variants, { observer: TELEMETRY_OBSERVER, ...onProgress, trace, ...budget, ...outputs });
  } finally {
    progress?.done();
  }
  for (const run of all) {
    const base = o.out === undefined ? undefined : join(o.out, `demo-${run.label}`);
    if (base !== undefined && run.traceError !== undefined) throw new Error(`cannot write ${base}.jsonl: ${fsErrorReason(run.traceError)}`);
    if (base !== undefined) {
      // A stopped variant's trace ends with its recorded stop: it replays to the same point.
      files.push(`${base}.jsonl  (trace${run.stopped === undefined ? '' : ' up to the stop'}: xen-memsim replay / report)`);
      o.onFile?.(files.at(-1)!);
    }
  }
  const stopped = all.find((r) => r.stopped !== undefined);
  if (stopped !== undefined) {
    const finished = all.filter((r) => r.stopped === undefined);
    throw new DemoStopped(`${stopped.label} stopped (${stopped.stopped}) after ${stopped.steps} critical sections, at virtual ${(stopped.endNs / 1e9).toFixed(1)} s; ` +
      `${finished.length === 0 ? 'no variant finished' : `finished: ${finished.map((r) => r.label).join(', ')}`}`);
  }
  runs.push(...all);
  if (o.out !== undefined) {
    const report = join(o.out, 'demo.html');
    const reportRuns = runs.map((r) => ({ label: r.label, telemetry: r.telemetry!, wallMs: r.wallMs }));
    const reportOptions = { title: 'xen-memsim demo: claim_mode=0 over claim_mode=1', seed: o.seed ?? 1, facts: { xen } };
    // Scheduled, each variant's share was made where it ran; on real threads (one variant after
    // the other) they are made here, one run's Perfetto events at a time, as the files stream.
    const made = runs.map((r) => parts.get(r.variant));
    const each = made.every((p) => p !== undefined) ? made as DemoParts[] : undefined;
    parts.clear();
    await written(report, 'HTML report, both runs on one time axis: open it in a browser', () =>
      each === undefined ? writeReport(reportRuns, report, reportOptions) : writeReportFrom(reportRuns, each.map((p) => p.report), report, reportOptions));
    const perfetto = join(o.out, 'demo.perfetto.json');
    await written(perfetto, 'both runs, one process each: open in https://ui.perfetto.dev', () =>
      each === undefined ? writePerfetto(runs.map((r) => ({ telemetry: r.telemetry!, name: r.label })), perfetto) : writePerfettoFrom(each.map((p) => p.perfetto), perfetto));
  }
  const first = variants[0];
  const surgeMs = Object.values(first.files).map((t) => /^memsim_surge_at_ms=(\d+)/m.exec(t)?.[1]).find((x) => x !== undefined);
  return {
    sides: runs.map(side), seed: o.seed ?? 1, xen, hostMiB: first.spec.host.memoryMiB, files,
    ...(surgeMs === undefined ? {} : { surgeNs: Number(surgeMs) * 1e6 }),
    guestMiB: o.guestMiB ?? Number(/^memory=(\d+)/m.exec(first.files['big1.cfg'])?.[1] ?? 0),
  };
}

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(DEMO, argv);
  if (!p.ok) return p.status;
  const { memory, guestMiB, xen, seed, threads, out, wallBudget } = p.values;
  const host = hostProblems({ memoryMiB: memory, xen, tmem: xen === '4.3' }, { memoryMiB: p.spelled.memory });
  if (host.length > 0) return usageError(DEMO, host.join('; '));
  const problem = outputDirProblem(out);
  if (problem !== undefined) return usageError(DEMO, `--out: ${problem}`);
  const files: string[] = [];
  const stopInterrupts = onInterrupt(() => {
    process.stderr.write(`\nxen-memsim demo: interrupted${files.length > 0 ? `; written so far:\n${files.map((f) => `  ${f}\n`).join('')}` : ' before any variant finished\n'}`);
    return 'exit';
  });
  let result: DemoResult;
  try {
    result = await runDemo({ hostMiB: memory, guestMiB, seed, xen, threads, out, wallBudgetMs: wallBudget * 1000, onFile: (f) => files.push(f) });
  } catch (e) {
    if (e instanceof DemoOptionsError) return usageError(DEMO, e.message);
    const written = e instanceof DemoStopped && files.length > 0 ? `; written so far:\n${files.map((f) => `  ${f}\n`).join('')}` : '\n';
    process.stderr.write(`xen-memsim demo: ${(e as Error).message}${written}`);
    return 1;
  } finally {
    stopInterrupts();
  }
  process.stdout.write(formatDemo(result));
  return 0;
}

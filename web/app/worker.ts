// The playground's emulator, in a Web Worker: the scheduled world (one thread, exact replay) of
// an xl shell host or a scenario file's variant, the same xl shell as `xen-memsim shell`
// (world/shell: runLine over XlHost), and telemetry for the live chart. The page drives it over
// comlink: lines typed, play / pause / step one critical section / speed, snapshots.
// In a cross-origin isolated page a scenario file's variant can instead run on real threads
// (mode 'threads'): this worker supervises the run (web-threads.ts), the hypervisor owner and
// each actor in Web Workers of their own, which run this same script in their role
// (thread-roles.ts); the recorded trace is then replayed here into the chart's telemetry.
// Node built-ins are aliased by web/build.ts: node:fs to the playground's files (web/shims/fs.ts).

import * as Comlink from 'comlink';
import '../../prop-tests/campaign/plugin.ts';
import { attachTelemetry, TELEMETRY_OBSERVER, type Telemetry, type TelemetrySampler } from '../../report/telemetry.ts';
import type { OwnerControl } from '../../workers/owner-host.ts';
import { ArrivalOrder } from '../../sim/policy.ts';
import { CMD_TABLE } from '../../toolstack/xl/cmdtable.ts';
import type { XlParams } from '../../toolstack/xl/context.ts';
import type { XenVersion } from '../../hv/version.ts';
import { SCENARIO_FILE_MAX_BYTES } from '../../world/scenario-file/files.ts';
import { loadScenario, type CompiledVariant } from '../../world/scenario-file/load.ts';
import { runVariant, type Progress, type VariantRun } from '../../world/scenario-file/run.ts';
import { transcript } from '../../world/scenario-file/transcript.ts';
import { XL_TIMELINE_KIND } from '../../world/scenario-file/xl-timeline.ts';
import { XlHost, xenCommandline, type XlHostOptions } from '../../world/shell/host.ts';
import { runLine } from '../../world/shell/run.ts';
import { splitWords } from '../../world/shell/script.ts';
import { World } from '../../world/world.ts';
import { FILES, listFiles } from '../shims/fs.ts';
import './macrotask.ts';
import { startThreadRole } from './thread-roles.ts';
import { runWebThreads, threadsUnavailable } from './web-threads.ts';

/** The repository's files the playground brings (web/build.ts defines it): path → text. */
declare const __MEMSIM_FILES__: Record<string, string>;

/** The folder the shell runs in; the scenario's guest configs and the examples are there. */
const CWD = '/playground';
/** Wall ms one play tick may run before the page gets a chance to ask for news. */
const TICK_BUDGET_MS = 40;

export interface ScenarioChoice {
  id: string;
  title: string;
  description: string;
  variants: string[];
}

const EXAMPLES = ['xlexample.pvlinux', 'xlexample.hvm', 'xlexample.pvhlinux'];

const SCENARIOS: ReadonlyArray<ScenarioChoice & { file?: string; host?: XlHostOptions }> = [
  {
    id: 'shell', title: 'xl shell: Xen 4.22, 8 GiB', variants: ['claim_mode=1 (xl\'s default)'], host: { memoryMiB: 8192, xen: '4.22', nodes: 1 },
    description: `An empty host with xl's defaults. Try: xl info free_memory, xl create ${EXAMPLES[0]}, xl list, xl claims.`,
  },
  { id: 'demo', title: 'The demo: claim_mode=0 vs 1 (Xen 4.3, tmem)', variants: [], file: 'scenarios/demo.json', description: '' },
  { id: 'check-then-act', title: 'Check-then-act race (Xen 4.22)', variants: [], file: 'scenarios/check-then-act-4.22.json', description: '' },
  { id: 'tmem', title: 'tmem self-ballooning (Xen 4.3)', variants: [], file: 'scenarios/tmem-selfballoon-4.3.json', description: '' },
];

/** How a session runs: the scheduled world (steppable), or real threads (web-threads.ts). */
export type RunMode = 'scheduled' | 'threads';

/** A shell on the scheduled world. */
interface Session {
  mode: 'scheduled';
  title: string;
  host: XlHost;
  world: World;
  sampler: TelemetrySampler;
  lines: number;
}

/** What the page is told about real-thread runs (status().threads). */
export interface ThreadRunState {
  /** Runs started in this session. */
  runs: number;
  running: boolean;
  /** Of the run in progress, from the owner's stats. */
  progress?: Progress;
  /** The last finished run: how it ended, and whether its trace replayed exactly. */
  last?: {
    summary: string; steps: number; endNs: number; wallMs: number; hash?: string; reproduced?: boolean; divergence?: string; failure?: string; error?: string; domains: string[];
    /** Actors whose thread died or was terminated, with why (the supervisor's outcome). */
    threadErrors: string[];
  };
}

/** A scenario variant on real threads: runs on demand, each one's trace replayed into telemetry. */
interface ThreadSession {
  mode: 'threads';
  title: string;
  variant: CompiledVariant;
  state: ThreadRunState;
  /** The last run's transcript (xl commands and their output). */
  transcript: string;
  /** The last run's telemetry; before any run, the host at t = 0. */
  telemetry: Telemetry;
  control?: Comlink.Remote<OwnerControl>;
}

let session: Session | ThreadSession | undefined;
let playing = false;
/** Virtual seconds per wall second while playing. */
let speed = 1;
let interrupted = false;
/** Serialises everything that runs the world: commands, play ticks, steps. */
let chain: Promise<unknown> = Promise.resolve();

function enqueue<T>(f: () => Promise<T>): Promise<T> {
  const next = chain.then(f, f);
  chain = next.catch(() => undefined);
  return next;
}

function current(): Session | ThreadSession {
  if (session === undefined) throw new Error('no scenario loaded');
  return session;
}

/** The scheduled session, or an error naming why this needs one. */
function scheduled(what: string): Session {
  const s = current();
  if (s.mode !== 'scheduled') throw new Error(`${what}: a run on real threads is not stepped (choose the scheduled world)`);
  return s;
}

/** The scenario choices, with each file's own description and variants. */
function choices(): ScenarioChoice[] {
  return SCENARIOS.map((c) => {
    if (c.file === undefined) return { id: c.id, title: c.title, description: c.description, variants: c.variants };
    const r = loadScenario(__MEMSIM_FILES__[c.file], c.file);
    return r.ok
      ? { id: c.id, title: c.title, description: r.scenario.description ?? '', variants: r.scenario.variants.map((v) => v.label) }
      : { id: c.id, title: c.title, description: r.errors.join('\n'), variants: [] };
  });
}

function installFiles(files: Record<string, string>): void {
  FILES.clear();
  for (const name of EXAMPLES) FILES.set(`${CWD}/${name}`, __MEMSIM_FILES__[`scenarios/${name}`]);
  for (const [name, text] of Object.entries(files)) FILES.set(`${CWD}/${name}`, text);
}

/** The shell on a scenario variant's world: its xl.conf and Xen command line, as its timeline has them. */
function joinVariant(v: CompiledVariant): { host: XlHost; world: World } {
  const world = new World(v.spec, new ArrivalOrder(), { maxSteps: Number.MAX_SAFE_INTEGER });
  const h = v.spec.host;
  const xl = v.spec.actors.find((a) => a.kind === XL_TIMELINE_KIND)?.params as Partial<XlParams> | undefined;
  const options: XlHostOptions = {
    memoryMiB: h.memoryMiB, xen: v.xen, nodes: h.nodes ?? 1, dom0MiB: h.dom0MiB,
    ...(xl?.xlConf === undefined ? {} : { xlConf: xl.xlConf }),
    ...(xl?.inject === undefined ? {} : { inject: xl.inject }),
  };
  const commandline = xl?.xenCommandline ?? xenCommandline(options, h.dom0MiB ?? 0);
  return { host: new XlHost(options, { world, commandline }), world };
}

export interface Loaded {
  banner: string;
  prompt: string;
  /** The mode the session runs in (threads asked for may fall back to scheduled: `note` says why). */
  mode: RunMode;
  note?: string;
}

function start(title: string, host: XlHost, world: World, scenario?: string, note?: string): Loaded {
  playing = false;
  const sampler = attachTelemetry(world.owner);
  host.observer = { started: (a, argv) => sampler.xlStarted(a, argv), ended: (a, status, out) => sampler.xlEnded(a, status, out) };
  session = { mode: 'scheduled', title, host, world, sampler, lines: 0 };
  const o = host.options;
  const on = scenario === undefined ? '' : ` on scenario "${scenario}"`;
  return {
    banner: `xen-memsim xl shell${on}: Xen ${o.xen}, ${o.memoryMiB} MiB, dom0 ${host.dom0MiB} MiB. Type help; Tab completes; ▶ play lets the guests run.\n`,
    prompt: `xl(${o.xen})> `,
    mode: 'scheduled',
    ...(note === undefined ? {} : { note }),
  };
}

/** Why a session asked to run on threads runs scheduled instead (undefined: it can run on threads). */
function threadsRefused(hasTimeline: boolean): string | undefined {
  const unavailable = threadsUnavailable();
  if (unavailable !== undefined) return `${unavailable}: running the scheduled world`;
  if (!hasTimeline) return 'the empty xl host has no timeline to run on threads (pick a scenario): running the scheduled world';
  return undefined;
}

/** A variant set up to run on real threads; nothing runs until play(). */
function startThreads(title: string, v: CompiledVariant): Loaded {
  playing = false;
  // The host before anything ran, for the chart until the first run ends.
  const preview = attachTelemetry(new World(v.spec, new ArrivalOrder(), { maxSteps: 1 }).owner);
  session = { mode: 'threads', title, variant: v, state: { runs: 0, running: false }, transcript: '', telemetry: preview.snapshot() };
  return {
    banner: `xen-memsim: "${title}" on real threads (Xen ${v.xen}, ${v.spec.host.memoryMiB} MiB): the hypervisor owner in one Web Worker, each actor in its own, hypercalls through a SharedArrayBuffer mailbox. ▶ runs it (again: threads may interleave differently each time); its xl transcript appears under the terminal, its trace is replayed into the chart. The shell and step one section need the scheduled world.\n`,
    prompt: 'threads> ',
    mode: 'threads',
  };
}

/** Wall-clock budget of one real-thread run in the page (the demo's variants take well under it). */
const THREAD_RUN_BUDGET_MS = 600_000;

/** Runs the thread session's variant on real threads; the result and its replayed telemetry land in the session. */
/** Fault injection for tests (ThreadRunOptions): the named actor's thread dies on its way to its (n+1)-th hypercall. */
export interface ThreadFaults {
  dieAfterRequests?: Record<string, number>;
}

async function runOnThreads(s: ThreadSession, faults: ThreadFaults = {}): Promise<void> {
  s.state = { ...s.state, runs: s.state.runs + 1, running: true, progress: undefined };
  let threadErrors: string[] = [];
  try {
    const run: VariantRun<Telemetry> = await runVariant(s.variant, {
      threads: true,
      timeoutMs: THREAD_RUN_BUDGET_MS,
      threadRunner: async (spec, o) => {
        const r = await runWebThreads(spec, { ...o, ...faults, onControl: (c) => (s.control = c) });
        threadErrors = r.actors.filter((a) => a.error !== undefined && /^(thread died|its thread was terminated)/.test(a.error)).map((a) => `${a.actor}: ${a.error}`);
        return r;
      },
      onProgress: (p) => (s.state.progress = p),
      observer: TELEMETRY_OBSERVER,
    });
    const t = run.telemetry!;
    s.telemetry = t;
    s.transcript = transcript(run);
    const rep = t.meta.replay;
    s.state.last = {
      summary: s.transcript.trimEnd().split('\n').at(-1) ?? '', steps: run.steps, endNs: run.endNs, wallMs: run.wallMs, hash: run.hash,
      reproduced: rep?.reproduced, divergence: rep?.divergence, domains: createdDomains(run), threadErrors,
      ...(run.failure === undefined ? {} : { failure: `${run.failure.kind}: ${run.failure.message}` }),
    };
  } catch (e) {
    s.transcript = `xen-memsim: the run on real threads failed: ${(e as Error).message}\n`;
    s.state.last = { summary: s.transcript.trim(), steps: 0, endNs: 0, wallMs: 0, error: (e as Error).message, domains: [], threadErrors };
  } finally {
    s.state.running = false;
    s.state.progress = undefined;
    s.control = undefined;
  }
}

/** The domains the run's `xl create` commands built (name and domid). */
function createdDomains(run: VariantRun): string[] {
  return run.commands.filter((c) => c.argv[0] === 'create' && c.status === 0 && c.domid !== undefined).map((c) => `d${c.domid}`);
}

/** Loads a scenario: a built-in choice (`id`), or a student's file (`text`), in `mode`. @returns the banner */
function load(id: string, variant: number, text?: string, name = 'my-scenario.json', mode: RunMode = 'scheduled'): Loaded {
  // A run on threads still going belongs to the session being left: stop it (its workers end).
  if (session?.mode === 'threads') void session.control?.stop('another scenario was loaded').catch(() => undefined);
  const c = SCENARIOS.find((s) => s.id === id);
  if (text === undefined && c?.host !== undefined) {
    installFiles({});
    const host = new XlHost(c.host);
    return start(c.title, host, host.world, undefined, mode === 'threads' ? threadsRefused(false) : undefined);
  }
  if (text !== undefined && new TextEncoder().encode(text).length > SCENARIO_FILE_MAX_BYTES) throw new Error(`${name}: larger than ${SCENARIO_FILE_MAX_BYTES} bytes, the limit of a scenario file (docs/limits.md)`);
  const source = text ?? __MEMSIM_FILES__[c?.file ?? ''];
  if (source === undefined) throw new Error(`unknown scenario ${id}`);
  const r = loadScenario(source, text === undefined ? c!.file! : name);
  if (!r.ok) throw new Error(r.errors.slice(0, 8).join('\n'));
  const v = r.scenario.variants[Math.max(0, Math.min(variant, r.scenario.variants.length - 1))];
  installFiles(v.files);
  const title = `${r.scenario.name} ${v.label === r.scenario.name ? '' : v.label}`.trim();
  const refused = mode === 'threads' ? threadsRefused(true) : undefined;
  if (mode === 'threads' && refused === undefined) return startThreads(title, v);
  const { host, world } = joinVariant(v);
  return start(title, host, world, title, refused);
}

/** Runs one line of the shell; output comes back in order with its stream. */
/** A line's output: xl's two streams, and the shell's own notes (drawn apart). */
export type LineOutput = Array<{ stream: 'stdout' | 'stderr' | 'note'; text: string }>;

async function line(text: string): Promise<{ out: LineOutput; status?: number }> {
  return enqueue(async () => {
    const s = current();
    const out: LineOutput = [];
    if (s.mode === 'threads') {
      if (text.trim() !== '') out.push({ stream: 'note', text: 'xen-memsim: this scenario runs on real threads, its xl commands from its timeline (▶ runs it). Choose the scheduled world to type xl commands.\n' });
      return { out, ...(text.trim() === '' ? {} : { status: 1 }) };
    }
    const io = {
      stdout: { write: (t: string) => (out.push({ stream: 'stdout', text: t }), true) },
      stderr: { write: (t: string) => (out.push({ stream: 'stderr', text: t }), true) },
    };
    interrupted = false;
    const seen = s.sampler.eventCount;
    try {
      const r = await runLine(s.host, text, ++s.lines, CWD, io as never, '<playground>', () => interrupted);
      // What xl does not say: how much a failed build had populated (claim_mode=0 finds out late).
      for (const e of s.sampler.eventsFrom(seen)) {
        if (e.kind === 'build_failed') out.push({ stream: 'note', text: `xen-memsim: ${e.text.replace(/^[^:]+: /, '')}\n` });
      }
      return { out, ...(typeof r === 'number' ? { status: r } : {}) };
    } catch (e) {
      out.push({ stream: 'stderr', text: `xen-memsim shell: ${(e as Error).message}\n` });
      return { out, status: 70 };
    }
  });
}

/** One play tick: virtual time advances by speed × the wall time since the last one. */
async function tick(wallMs: number): Promise<boolean> {
  return enqueue(async () => {
    const s = scheduled('play');
    const { hv } = s.world.owner;
    const target = hv.now + Math.max(1, Math.round(speed * wallMs * 1e6));
    const t0 = performance.now();
    // Virtual time moves in jumps to the next timer when the host is idle: hold the jump back
    // until the wall clock (times the speed) has caught up with it.
    const held = (): boolean => (s.world.owner.idleUntilNs() ?? -Infinity) > target;
    const progressed = await s.world.runUntil(() => hv.now >= target || held() || performance.now() - t0 > TICK_BUDGET_MS || !playing);
    return progressed || hv.now >= target || held();
  });
}

async function playLoop(): Promise<void> {
  let last = performance.now();
  while (playing && session !== undefined) {
    await new Promise((r) => setTimeout(r, 15));
    const now = performance.now();
    const ok = await tick(Math.min(250, now - last)).catch(() => false);
    last = now;
    if (!ok) playing = false;
  }
}

/** Runs exactly one more critical section (owner step). @returns what ran */
async function step(): Promise<{ actor: string; label: string; token?: string; op?: string; tNs: number; step: number } | undefined> {
  return enqueue(async () => {
    const s = current();
    if (s.mode === 'threads') return undefined;
    const { owner } = s.world;
    const n = owner.steps;
    await s.world.runUntil(() => owner.steps > n);
    if (owner.steps === n) return undefined;
    const last = s.sampler.lastSection();
    if (last.section === undefined) return undefined;
    return { actor: last.section.actor, label: last.section.label, tNs: last.section.t, step: last.section.step, ...(last.token === undefined ? {} : { token: last.token, op: last.op }) };
  });
}

export interface Status {
  /** Virtual time and sections run: the scheduled world's, or the last (or running) thread run's. */
  nowNs: number;
  steps: number;
  /** Scheduled: virtual time runs. Threads: a run is in progress. */
  playing: boolean;
  speed: number;
  failure?: string;
  title: string;
  isolated: boolean;
  mode: RunMode;
  /** Mode 'threads': the runs. */
  threads?: ThreadRunState;
}

function status(): Status {
  const s = current();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (s.mode === 'threads') {
    const { state } = s;
    const p = state.progress;
    return {
      nowNs: p?.nowNs ?? state.last?.endNs ?? 0, steps: p?.steps ?? state.last?.steps ?? 0, playing: state.running, speed, title: s.title, isolated, mode: 'threads',
      threads: structuredClone(state),
      ...(state.last?.failure === undefined ? {} : { failure: state.last.failure }),
    };
  }
  const f = s.world.failure;
  return {
    nowNs: s.world.owner.hv.now, steps: s.world.owner.steps, playing, speed, title: s.title, isolated, mode: 'scheduled',
    ...(f === undefined ? {} : { failure: `${f.kind}: ${f.message}` }),
  };
}

/** The telemetry so far; the sections table only when asked (it is the big part). */
function telemetry(withSections: boolean): Telemetry {
  const s = current();
  const t = s.mode === 'threads' ? s.telemetry : s.sampler.snapshot();
  if (withSections) return t;
  return { ...t, sections: { ...t.sections, t: [], dur: [], actor: [], label: [], call: [], step: [], finished: [], gaps: [] }, calls: { token: [], op: [], rc: [] } };
}

/** Tab completion: the shell's words, xl's sub-commands, config files, domain names. */
function complete(text: string): { candidates: string[]; prefix: string } {
  const s = current();
  if (s.mode === 'threads') return { candidates: [], prefix: text };
  const words = splitWords(text) ?? [];
  const atNew = text === '' || /\s$/.test(text);
  const cur = atNew ? '' : (words.pop() ?? '');
  const prefix = text.slice(0, text.length - cur.length);
  const version: XenVersion = s.host.options.xen;
  let pool: string[];
  if (words.length === 0) pool = ['xl', 'sleep', 'help'];
  else if (words[0] !== 'xl') pool = [];
  else if (words.length === 1) pool = [...CMD_TABLE.filter((c) => c.versions === undefined || c.versions.includes(version)).map((c) => c.name), 'help'];
  else if (words[1] === 'create') pool = listFiles(CWD);
  else pool = [...s.world.owner.hv.domains.values()].map((d) => d.name).filter((n) => n !== '');
  return { candidates: [...new Set(pool)].filter((c) => c.startsWith(cur)).sort(), prefix };
}

const api = {
  scenarios: choices,
  load,
  line,
  step,
  status,
  telemetry,
  complete,
  /** Scheduled: virtual time runs at `v`× wall time. Threads: a new run starts (unless one runs). */
  play(v: number, faults?: ThreadFaults): void {
    speed = Number.isFinite(v) && v > 0 ? Math.min(v, 1000) : 1;
    const s = current();
    if (s.mode === 'threads') {
      if (!s.state.running) void runOnThreads(s, faults);
      return;
    }
    if (playing) return;
    playing = true;
    void playLoop();
  },
  /** Scheduled: virtual time stops. Threads: the run in progress stops (a recorded stop: its trace replays up to there). */
  pause(): void {
    playing = false;
    const s = current();
    if (s.mode === 'threads') void s.control?.stop('stopped from the playground').catch(() => undefined);
  },
  /** The last real-thread run's transcript (mode 'threads'). */
  threadTranscript(): string {
    const s = current();
    return s.mode === 'threads' ? s.transcript : '';
  },
  /** Ctrl-C while a command runs. */
  interrupt(): void {
    interrupted = true;
  },
  get interrupted(): boolean {
    return interrupted;
  },
};

export type PlaygroundApi = typeof api;

// A thread worker (the owner, an actor) runs this same script: it plays its role instead.
if (!startThreadRole()) Comlink.expose(api);

// The playground's emulator, in a Web Worker: the scheduled world (one thread, exact replay) of
// an xl shell host or a scenario file's variant, the same xl shell as `xen-memsim shell`
// (world/shell: runLine over XlHost), and telemetry for the live chart. The page drives it over
// comlink: lines typed, play / pause / step one critical section / speed, snapshots.
// Node built-ins are aliased by web/build.ts: node:fs to the playground's files (web/shims/fs.ts).

import * as Comlink from 'comlink';
import '../../prop-tests/campaign/plugin.ts';
import { attachTelemetry, type Telemetry, type TelemetrySampler } from '../../report/telemetry.ts';
import { ArrivalOrder } from '../../sim/policy.ts';
import { CMD_TABLE } from '../../toolstack/xl/cmdtable.ts';
import type { XlParams } from '../../toolstack/xl/context.ts';
import type { XenVersion } from '../../hv/version.ts';
import { SCENARIO_FILE_MAX_BYTES } from '../../world/scenario-file/files.ts';
import { loadScenario, type CompiledVariant } from '../../world/scenario-file/load.ts';
import { XL_TIMELINE_KIND } from '../../world/scenario-file/xl-timeline.ts';
import { XlHost, xenCommandline, type XlHostOptions } from '../../world/shell/host.ts';
import { runLine } from '../../world/shell/run.ts';
import { splitWords } from '../../world/shell/script.ts';
import { World } from '../../world/world.ts';
import { FILES, listFiles } from '../shims/fs.ts';

/** The repository's files the playground brings (web/build.ts defines it): path → text. */
declare const __MEMSIM_FILES__: Record<string, string>;

// A Web Worker has no setImmediate (world/world.ts yields with it): one macrotask via a channel.
const g = globalThis as unknown as { setImmediate?: (f: () => void) => void };
if (g.setImmediate === undefined) {
  g.setImmediate = (f) => {
    // The browser's MessageChannel (the Node types in scope describe Node's).
    const ch = new MessageChannel() as unknown as { port1: { onmessage: (() => void) | null }; port2: { postMessage(v: unknown): void } };
    ch.port1.onmessage = () => f();
    ch.port2.postMessage(0);
  };
}

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

interface Session {
  title: string;
  host: XlHost;
  world: World;
  sampler: TelemetrySampler;
  lines: number;
}

let session: Session | undefined;
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

function current(): Session {
  if (session === undefined) throw new Error('no scenario loaded');
  return session;
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
}

function start(title: string, host: XlHost, world: World, scenario?: string): Loaded {
  playing = false;
  const sampler = attachTelemetry(world.owner);
  host.observer = { started: (a, argv) => sampler.xlStarted(a, argv), ended: (a, status, out) => sampler.xlEnded(a, status, out) };
  session = { title, host, world, sampler, lines: 0 };
  const o = host.options;
  const on = scenario === undefined ? '' : ` on scenario "${scenario}"`;
  return {
    banner: `xen-memsim xl shell${on}: Xen ${o.xen}, ${o.memoryMiB} MiB, dom0 ${host.dom0MiB} MiB. Type help; Tab completes; ▶ play lets the guests run.\n`,
    prompt: `xl(${o.xen})> `,
  };
}

/** Loads a scenario: a built-in choice (`id`), or a student's file (`text`). @returns the banner */
function load(id: string, variant: number, text?: string, name = 'my-scenario.json'): Loaded {
  const c = SCENARIOS.find((s) => s.id === id);
  if (text === undefined && c?.host !== undefined) {
    installFiles({});
    const host = new XlHost(c.host);
    return start(c.title, host, host.world);
  }
  if (text !== undefined && new TextEncoder().encode(text).length > SCENARIO_FILE_MAX_BYTES) throw new Error(`${name}: larger than ${SCENARIO_FILE_MAX_BYTES} bytes, the limit of a scenario file (docs/limits.md)`);
  const source = text ?? __MEMSIM_FILES__[c?.file ?? ''];
  if (source === undefined) throw new Error(`unknown scenario ${id}`);
  const r = loadScenario(source, text === undefined ? c!.file! : name);
  if (!r.ok) throw new Error(r.errors.slice(0, 8).join('\n'));
  const v = r.scenario.variants[Math.max(0, Math.min(variant, r.scenario.variants.length - 1))];
  installFiles(v.files);
  const { host, world } = joinVariant(v);
  const title = `${r.scenario.name} ${v.label === r.scenario.name ? '' : v.label}`.trim();
  return start(title, host, world, title);
}

/** Runs one line of the shell; output comes back in order with its stream. */
/** A line's output: xl's two streams, and the shell's own notes (drawn apart). */
export type LineOutput = Array<{ stream: 'stdout' | 'stderr' | 'note'; text: string }>;

async function line(text: string): Promise<{ out: LineOutput; status?: number }> {
  return enqueue(async () => {
    const s = current();
    const out: LineOutput = [];
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
    const s = current();
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
    const { owner } = s.world;
    const n = owner.steps;
    await s.world.runUntil(() => owner.steps > n);
    if (owner.steps === n) return undefined;
    const last = s.sampler.lastSection();
    if (last.section === undefined) return undefined;
    return { actor: last.section.actor, label: last.section.label, tNs: last.section.t, step: last.section.step, ...(last.token === undefined ? {} : { token: last.token, op: last.op }) };
  });
}

function status(): { nowNs: number; steps: number; playing: boolean; speed: number; failure?: string; title: string; isolated: boolean } {
  const s = current();
  const f = s.world.failure;
  return {
    nowNs: s.world.owner.hv.now, steps: s.world.owner.steps, playing, speed, title: s.title,
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    ...(f === undefined ? {} : { failure: `${f.kind}: ${f.message}` }),
  };
}

/** The telemetry so far; the sections table only when asked (it is the big part). */
function telemetry(withSections: boolean): Telemetry {
  const t = current().sampler.snapshot();
  if (withSections) return t;
  return { ...t, sections: { ...t.sections, t: [], dur: [], actor: [], label: [], call: [], step: [], finished: [], gaps: [] }, calls: { token: [], op: [], rc: [] } };
}

/** Tab completion: the shell's words, xl's sub-commands, config files, domain names. */
function complete(text: string): { candidates: string[]; prefix: string } {
  const s = current();
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
  play(v: number): void {
    speed = Number.isFinite(v) && v > 0 ? Math.min(v, 1000) : 1;
    if (playing) return;
    playing = true;
    void playLoop();
  },
  pause(): void {
    playing = false;
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

Comlink.expose(api);

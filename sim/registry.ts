// The names a scenario can use for actor programs and property monitors, and where each comes
// from. The kernel knows no actor: the layers above (world/'s built-in actors, the campaign's
// actors and properties, a user's own modules) register theirs here, each under the URL of the
// module that defines it. A run on real threads imports those same modules in every worker
// (pluginModules()), so a name means the same program on both transports and in a replay.

import { closestName } from './names.ts';
import type { Owner, StepInfo } from './owner.ts';
import type { HypercallPort } from './port.ts';

/** An actor program: plain async logic over a port; it ends when its promise settles. */
export type ActorMain = (port: HypercallPort, params: Record<string, unknown>) => Promise<void>;

/** A running check. Each hook returns a one-line breach description, or null when it holds. */
export interface Monitor {
  readonly name: string;
  /** After every step (the hypervisor's state is between two critical sections). */
  afterStep?(info: StepInfo): string | null;
  /** Once, when the run ends without an earlier failure. */
  atEnd?(): string | null;
}

/** Starts a monitor on a fresh owner (before any step): may subscribe to hv.listeners. */
export type MonitorFactory = (owner: Owner) => Monitor;

/** A name no module has registered (a typo, a missing plugin, or a trace from another build). */
export class UnknownNameError extends Error {
  override name = 'UnknownNameError';
}

/** Two modules registered different programs under one name. */
export class NameConflictError extends Error {
  override name = 'NameConflictError';
}

interface Entry<T> {
  readonly value: T;
  /** URL of the module that registered it. */
  readonly from: string;
}

/** One table of names: written by register(), read by everything that runs a scenario. */
class Table<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(private readonly what: string) {}

  register(name: string, value: T, from: string): void {
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,63}$/.test(name)) {
      throw new TypeError(`register ${this.what}: name must be 1–64 characters of letters, digits and _.:@/- (got ${JSON.stringify(name)})`);
    }
    const old = this.entries.get(name);
    if (old !== undefined) {
      // Importing a module twice (two URLs for one file, a test re-import) re-registers: fine
      // when it is the same module; another module taking the name is a conflict.
      if (old.from === from) return;
      throw new NameConflictError(`${this.what} "${name}" is registered by ${old.from} and again by ${from}`);
    }
    this.entries.set(name, { value, from });
  }

  get(name: string): T {
    const e = this.entries.get(name);
    if (e === undefined) throw new UnknownNameError(`unknown ${this.what} "${name}"${suggest(name, this.names())} (known: ${this.names().join(', ')})`);
    return e.value;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  modules(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.from))];
  }

  /** Names registered by the module at `from`, sorted. */
  namesFrom(from: string): string[] {
    return [...this.entries].filter(([, e]) => e.from === from).map(([n]) => n).sort();
  }
}

const actorKinds = new Table<ActorMain>('actor kind');
const monitors = new Table<MonitorFactory>('monitor');
/** Modules that registered something, or were loaded as plugins, in load order. */
const loaded = new Set<string>();

/** Registers an actor program under `kind`. `from` is the defining module's `import.meta.url`. */
export function registerActorKind(kind: string, main: ActorMain, from: string): void {
  if (typeof main !== 'function') throw new TypeError(`registerActorKind("${kind}"): main must be an async function (port, params)`);
  actorKinds.register(kind, main, from);
  loaded.add(from);
}

/** Registers a property monitor under `name`. `from` is the defining module's `import.meta.url`. */
export function registerMonitor(name: string, factory: MonitorFactory, from: string): void {
  if (typeof factory !== 'function') throw new TypeError(`registerMonitor("${name}"): factory must be a function (owner) => Monitor`);
  monitors.register(name, factory, from);
  loaded.add(from);
}

/**
 * The mark of a definition made by defineProperty/defineActor (sim/define.ts): a plugin module
 * that exports one has it registered under the module's URL when the module is loaded. A
 * registered symbol (Symbol.for), so definitions made by another copy of this package count too.
 */
export const DEFINITION: unique symbol = Symbol.for('xen-memsim.definition');

/** What a definition registers: an actor kind or a monitor, under its name. */
export type Registration =
  | { readonly type: 'actor kind'; readonly name: string; readonly main: ActorMain }
  | { readonly type: 'monitor'; readonly name: string; readonly factory: MonitorFactory };

/** A value carrying a registration under DEFINITION (what defineProperty/defineActor return). */
export interface Definition {
  readonly [DEFINITION]: Registration;
}

export function isDefinition(x: unknown): x is Definition {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null || !(DEFINITION in x)) return false;
  const r = (x as Definition)[DEFINITION] as Partial<Registration> | undefined;
  return typeof r === 'object' && r !== null && (r.type === 'actor kind' || r.type === 'monitor') && typeof r.name === 'string';
}

/** Registers a definition's actor kind or monitor. `from` is the defining module's URL. */
export function registerDefinition(def: Definition, from: string): void {
  const r = def[DEFINITION];
  if (r.type === 'actor kind') registerActorKind(r.name, r.main, from);
  else registerMonitor(r.name, r.factory, from);
}

/**
 * The actor kind a module's default-exported bare function is registered under: the module's
 * file name without its extension (`file:///…/greedy-toolstack.mjs` → "greedy-toolstack").
 */
export function defaultActorKind(url: string): string {
  const path = /^[a-z][a-z0-9+.-]*:/i.test(url) ? decodeURIComponent(new URL(url).pathname) : url;
  const base = path.replace(/[/\\]+$/, '').split(/[/\\]/).pop() ?? '';
  return base.replace(/\.[^.]*$/, '');
}

/**
 * Registers what a plugin module exports: every definition (defineProperty, defineActor) among
 * its exports, and a default export that is a bare function as an actor kind named after the
 * file (defaultActorKind). Modules that register their names themselves export neither.
 */
function registerExports(mod: Readonly<Record<string, unknown>>, url: string): void {
  for (const [key, value] of Object.entries(mod)) {
    if (isDefinition(value)) registerDefinition(value, url);
    else if (key === 'default' && typeof value === 'function') registerActorKind(defaultActorKind(url), value as ActorMain, url);
  }
}

/** The actor kinds and monitors the module at `url` registered (by definitions or by itself). */
export function namesRegisteredBy(url: string): { actorKinds: string[]; monitors: string[] } {
  return { actorKinds: actorKinds.namesFrom(url), monitors: monitors.namesFrom(url) };
}

/** The program registered as `kind`. @throws UnknownNameError */
export function actorKind(kind: string): ActorMain {
  return actorKinds.get(kind);
}

export function hasActorKind(kind: string): boolean {
  return actorKinds.has(kind);
}

export function actorKindNames(): string[] {
  return actorKinds.names();
}

export function hasMonitor(name: string): boolean {
  return monitors.has(name);
}

export function monitorNames(): string[] {
  return monitors.names();
}

/** The lookups validateScenarioNames (sim/scenario-validate.ts) checks a spec's names with. */
export const REGISTRY_LOOKUPS = { hasActorKind, hasMonitor, actorKindNames, monitorNames } as const;

/** Starts the named monitors on a fresh owner. @throws UnknownNameError before starting any. */
export function startMonitors(names: readonly string[], owner: Owner): Monitor[] {
  const factories = names.map((n) => monitors.get(n));
  return factories.map((f) => f(owner));
}

/**
 * URLs of every module that registered a name or was loaded as a plugin: what a worker thread
 * imports so that its registry holds what this thread's does.
 */
export function pluginModules(): string[] {
  return [...new Set([...loaded, ...actorKinds.modules(), ...monitors.modules()])];
}

/** Whether `url` was loaded with loadPluginModules (or registered a name). */
export function isPluginLoaded(url: string): boolean {
  return loaded.has(url);
}

/**
 * Imports plugin modules (file URLs or package specifiers), each of which registers its names
 * when it is evaluated or exports definitions (registered here, see registerExports); a module
 * already loaded is not imported again.
 * @throws Error naming the module when one cannot be imported or its names conflict
 */
export async function loadPluginModules(urls: readonly string[]): Promise<void> {
  for (const url of urls) {
    if (loaded.has(url)) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (e) {
      // "… imported from <this file>" names the registry, not anything the user wrote.
      const why = (e instanceof Error ? e.message : String(e)).replace(/ imported from \S*\/sim\/registry\.[jt]s$/, '');
      throw new Error(`cannot load plugin module ${url}: ${why}${typeScriptHint(url, e)}`, { cause: e });
    }
    registerExports(mod, url);
    loaded.add(url);
  }
}

/** Why a .ts plugin may not load: Node without type stripping and no TypeScript loader. */
function typeScriptHint(url: string, e: unknown): string {
  if (!/\.[mc]?ts$/.test(url) || (e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') return '';
  return ' (this Node cannot run TypeScript by itself: write the module in JavaScript, or use Node ≥ 22.18, which strips types)';
}

/** ", did you mean "x"?" for the likely meant known name (sim/names.ts closestName), else "". */
export function suggest(name: string, known: readonly string[]): string {
  const best = closestName(name, known);
  return best === undefined ? '' : `, did you mean "${best}"?`;
}

// A user's own properties and actors: defineProperty() turns a check over a read-only view of
// the hypervisor into a monitor, defineActor() names an actor program. A module that exports
// what they return is a plugin (sim/registry.ts): loading it — a scenario's `plugins`, `check
// --property`, every worker of a real-thread run, a replay — registers them under the module's
// URL, so a user's property is checked, shrunk and replayed exactly like a built-in one.
//
// The view answers with copies in Xen's own shapes (XEN_SYSCTL_physinfo, one
// XEN_DOMCTL_getdomaininfo per domain), frozen: a property can read the hypervisor, never change it.

import { domainInfo, physinfo, type Call, type HvEvent, type XenVersion } from '../hv/index.ts';
import type { Owner, StepInfo } from './owner.ts';
import { DEFINITION, type ActorMain, type Definition, type Monitor, type MonitorFactory } from './registry.ts';

/**
 * XEN_SYSCTL_physinfo (xen/include/public/sysctl.h, struct xen_sysctl_physinfo): the fields the
 * emulator models, under Xen's names. Not modelled: threads_per_core, cores_per_socket,
 * max_cpu_id, max_node_id, cpu_khz, capabilities, arch_capabilities, max_mfn, hw_cap.
 */
export interface XenSysctlPhysinfo {
  /** Online pCPUs (HypervisorOptions.nrCpus). */
  readonly nr_cpus: number;
  /** Online NUMA nodes. */
  readonly nr_nodes: number;
  /** Frames of host memory (MFN 0 included). */
  readonly total_pages: number;
  /** Frames in the heap's free lists; claims are not subtracted (Xen's total_avail_pages). */
  readonly free_pages: number;
  /** Frames waiting to be scrubbed: always 0 (the emulator scrubs at free). */
  readonly scrub_pages: number;
  /** Σ of every domain's outstanding claim (Xen's outstanding_claims). */
  readonly outstanding_pages: number;
}

/**
 * XEN_DOMCTL_getdomaininfo (xen/include/public/domctl.h, struct xen_domctl_getdomaininfo) for
 * one domain: the fields the emulator models, under Xen's names. Not modelled: shared_info_frame,
 * ssidref, handle, cpupool, gpaddr_bits, arch_config.
 */
export interface XenDomctlGetdomaininfo {
  /** The domain's id (`domid` in the emulator's hypercall answer, as libxc's xc_dominfo_t names it). */
  readonly domain: number;
  /** XEN_DOMINF_* bits: dying 1<<0, hvm_guest 1<<1, shutdown 1<<2, paused 1<<3, blocked 1<<4, running 1<<5. */
  readonly flags: number;
  readonly tot_pages: number;
  readonly max_pages: number;
  /** The domain's remaining claim. */
  readonly outstanding_pages: number;
  readonly shr_pages: number;
  readonly paged_pages: number;
  readonly cpu_time: number;
  readonly nr_online_vcpus: number;
  readonly max_vcpu_id: number;
}

/**
 * What a property sees after each critical section. Every answer is a fresh frozen copy: a
 * property cannot change the hypervisor through it (assignments throw in strict-mode code, which
 * every ES module is, and change nothing anywhere).
 */
export interface PropertyView {
  /** XEN_SYSCTL_physinfo as a hypercall would answer it now. */
  physinfo(): XenSysctlPhysinfo;
  /** One XEN_DOMCTL_getdomaininfo per existing domain (dying ones included), by domain id. */
  domains(): readonly XenDomctlGetdomaininfo[];
  /** Virtual time, ns. */
  now(): number;
  /** The step just run: its number, the actor, the section's label, its hypercall; at the end: the last step. */
  step(): Readonly<StepInfo> | undefined;
  /** What the hypervisor reported during that step (allocation failures, claims, …: hv/events.ts). */
  events(): readonly Readonly<HvEvent>[];
  /** A xenstore node's value (absolute path), or undefined. */
  xenstoreRead(path: string): string | undefined;
  /** The Xen version the host behaves as, and the historical bugs injected into it. */
  readonly xen: { readonly version: XenVersion; readonly inject: readonly string[] };
}

/** What a check returns: undefined (or null) when the property holds, else what broke. */
export type CheckResult = string | undefined | null | void;

export interface PropertySpec {
  /** The property's name, in reports and `--ignore`: 1–64 letters, digits and _.:@/- */
  readonly name: string;
  /** After every critical section (and wake-up): undefined when the property holds, or a string saying what broke. */
  check(view: PropertyView): CheckResult;
  /** Once, when the run ends without an earlier failure (optional). */
  atEnd?(view: PropertyView): CheckResult;
}

export interface ActorSpecOf {
  /** The actor kind a scenario names (ActorSpec.kind): 1–64 letters, digits and _.:@/- */
  readonly name: string;
  /** The program: plain async logic over the port, ending when its promise settles. */
  run: ActorMain;
}

/** A property, as defineProperty returns it: export it from a plugin module. */
export interface PropertyDefinition extends Definition {
  readonly kind: 'property';
  readonly name: string;
}

/** An actor kind, as defineActor returns it: export it from a plugin module. */
export interface ActorDefinition extends Definition {
  readonly kind: 'actor';
  readonly name: string;
  readonly run: ActorMain;
}

/** Longest breach message kept (a longer one is cut): messages travel in traces and reports. */
export const BREACH_MESSAGE_MAX = 1000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,63}$/;

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`${what}: name must be 1–64 characters of letters, digits and _.:@/-, starting with a letter or digit (got ${JSON.stringify(name) ?? String(name)})`);
  }
  return name;
}

/**
 * Defines a property checked after every critical section, on both transports.
 * @example
 * export default defineProperty({
 *   name: 'claims-fit',
 *   check: (v) => (v.physinfo().outstanding_pages > v.physinfo().total_pages ? 'claims exceed the host' : undefined),
 * });
 * @throws TypeError on a bad name or a missing check
 */
export function defineProperty(spec: PropertySpec): PropertyDefinition {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineProperty: expects { name, check(view) }');
  const name = checkName('defineProperty', spec.name);
  const { check, atEnd } = spec;
  if (typeof check !== 'function') throw new TypeError(`defineProperty("${name}"): check must be a function (view) => undefined | string`);
  if (atEnd !== undefined && typeof atEnd !== 'function') throw new TypeError(`defineProperty("${name}"): atEnd, when given, must be a function (view) => undefined | string`);
  const factory: MonitorFactory = (owner) => propertyMonitor(name, check.bind(spec), atEnd?.bind(spec), owner);
  return Object.freeze({ kind: 'property', name, [DEFINITION]: Object.freeze({ type: 'monitor', name, factory }) } as const);
}

/**
 * Defines an actor kind: `run(port, params)` issues hypercalls, sleeps and reads xenstore through
 * the port, on both transports, recorded and replayed like any actor.
 * @throws TypeError on a bad name or a missing run
 */
export function defineActor(spec: ActorSpecOf): ActorDefinition {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineActor: expects { name, run(port, params) }');
  const name = checkName('defineActor', spec.name);
  const { run } = spec;
  if (typeof run !== 'function') throw new TypeError(`defineActor("${name}"): run must be an async function (port, params)`);
  return Object.freeze({ kind: 'actor', name, run, [DEFINITION]: Object.freeze({ type: 'actor kind', name, main: run }) } as const);
}

/** The monitor running one user property on an owner. */
function propertyMonitor(name: string, check: PropertySpec['check'], atEnd: PropertySpec['atEnd'], owner: Owner): Monitor {
  let events: Array<Readonly<HvEvent>> = [];
  owner.hv.listeners.push((e) => void events.push(Object.freeze({ ...e })));
  let last: Readonly<StepInfo> | undefined;
  const view = makeView(owner, () => last, () => events);
  const run = (fn: NonNullable<PropertySpec['atEnd']>): string | null => {
    try {
      return breach(fn(view));
    } catch (e) {
      return cut(`check threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  };
  return {
    name,
    afterStep(info) {
      last = Object.freeze({ ...info, ...(info.call === undefined ? {} : { call: publicCall(info.call) }) });
      const b = run(check);
      events = [];
      return b;
    },
    ...(atEnd === undefined ? {} : { atEnd: () => run(atEnd) }),
  };
}

/**
 * The hypercall as a property sees it: its fields, never the hypervisor's machinery for running
 * it (Call.gen holds the op's sections and, through them, the hypervisor itself).
 */
function publicCall(c: Readonly<Call>): Readonly<Call> {
  return Object.freeze({ id: c.id, caller: c.caller, op: c.op, args: c.args, sections: c.sections, lastLabel: c.lastLabel, result: c.result, done: c.done, gen: null });
}

/** A check's answer as a monitor's: null when it holds, else one bounded message. */
function breach(r: unknown): string | null {
  if (r === undefined || r === null) return null;
  if (typeof r === 'string' && r !== '') return cut(r);
  return `check returned ${typeof r === 'string' ? 'an empty string' : JSON.stringify(r) ?? typeof r} (return undefined when the property holds, or a string saying what broke)`;
}

function cut(s: string): string {
  return s.length <= BREACH_MESSAGE_MAX ? s : `${s.slice(0, BREACH_MESSAGE_MAX - 1)}…`;
}

function makeView(owner: Owner, step: () => Readonly<StepInfo> | undefined, events: () => ReadonlyArray<Readonly<HvEvent>>): PropertyView {
  const hv = owner.hv;
  const xen = Object.freeze({ version: hv.version, inject: Object.freeze([...(owner.spec.host.inject ?? [])]) });
  return Object.freeze({
    physinfo: () => Object.freeze({ ...physinfo(hv) }),
    domains: () => Object.freeze([...hv.domains.values()].sort((a, b) => a.domid - b.domid).map(getdomaininfo)),
    now: () => hv.now,
    step,
    events: () => Object.freeze([...events()]),
    xenstoreRead: (path: string) => (typeof path === 'string' ? owner.xenstore.get(path) : undefined),
    xen,
  });
}

type HvDomain = Parameters<typeof domainInfo>[0];

/** The emulator's getdomaininfo answer in struct xen_domctl_getdomaininfo's names. */
function getdomaininfo(d: HvDomain): XenDomctlGetdomaininfo {
  const i = domainInfo(d);
  return Object.freeze({
    domain: i.domid,
    flags: i.flags,
    tot_pages: i.tot_pages,
    max_pages: i.max_pages,
    outstanding_pages: i.outstanding_pages,
    shr_pages: i.shr_pages,
    paged_pages: i.paged_pages,
    cpu_time: i.cpu_time,
    nr_online_vcpus: i.nr_online_vcpus,
    max_vcpu_id: i.max_vcpu_id,
  });
}

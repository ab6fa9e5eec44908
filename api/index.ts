// The package's main entry, `xen-memsim`: the hypervisor, the scheduled world and the
// real-thread runner, the actors' port and scenario specs, scenario files, trace replay, and a
// user's own properties and actors (defineProperty, defineActor). Deliberately small: what a
// program driving the emulator needs, not every module. The campaign (`xen-memsim/campaign`),
// the report (`xen-memsim/report`) and the fast-check/vitest helpers (`xen-memsim/testing`,
// `xen-memsim/vitest`) are entries of their own, so that a plugin module importing this one —
// loaded in every worker thread of a real-thread run — does not load them too.
//
// Stability: while the version is 0.x, a minor release (0.2.0) may change anything exported
// here, a patch release (0.1.1) changes none of it (CHANGELOG.md).

/**
 * The hypervisor: `new Hypervisor(options)` boots a host; `hv.hypercall(caller, op, args)` runs
 * one hypercall to completion (its critical sections one after another) and answers with Xen's
 * result (rc < 0: a Xen errno; memory ops: extents done).
 */
export {
  Hypervisor, PAGES_PER_MIB, checkInvariants, InvariantViolation, XEN_VERSIONS, HV_BUGS, isXenVersion, DEFAULT_COSTS, XENMEMF,
  ALL_OPS, isOpName, DOMID_SELF, DOMID_IO, DOMID_XEN, DOMID_INVALID, DOMID_MAX, XEN_DOMINF,
  type HypervisorOptions, type XenVersion, type HvBug, type CostModel, type HvEvent,
} from '../hv/index.ts';
/** The hypercall contract's types: op names, each op's arguments (OpArgs), results. */
export type * from '../hv/ops.ts';
/** Xen's errno values (positive; a hypercall answers rc = -errno) and their names. */
export * from '../hv/errno.ts';

/** Actors: the port they talk through, and the scenarios that name them. */
export { OwnerGoneError, NS_PER_SEC, NS_PER_MS, type HypercallPort } from '../sim/port.ts';
export type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
export type { Owner, StepInfo } from '../sim/owner.ts';
export type { ActorRequest, OwnerReply } from '../sim/requests.ts';
export type { TraceRecorder, TraceOptions, TraceSink } from '../sim/trace.ts';
export type { Call } from '../hv/hypervisor.ts';
export type { AllocFailure } from '../hv/page-allocator.ts';
export { ArrivalOrder, SeededRandom, Pct, ChoiceSequence, parsePolicy, type SchedulePolicy } from '../sim/policy.ts';
export { actorKindNames, monitorNames, loadPluginModules, UnknownNameError, NameConflictError, type ActorMain } from '../sim/registry.ts';
export type { ScriptStep } from '../world/actor-kinds.ts';
export type { XlParams } from '../toolstack/xl/context.ts';
export type { LinuxGuestOptions } from '../guests/linux-guest.ts';
export type { KernelGeneration } from '../guests/balloon.ts';

/** A user's own properties and actors. */
export {
  defineProperty, defineActor, BREACH_MESSAGE_MAX,
  type PropertySpec, type PropertyDefinition, type PropertyView, type CheckResult, type ActorSpecOf, type ActorDefinition,
  type XenSysctlPhysinfo, type XenDomctlGetdomaininfo,
} from '../sim/define.ts';

/** The scheduled world (one thread, a seeded policy: a run is a pure function of its inputs). */
export { runScheduled, World, PropertyViolation, type RunOptions, type RunResult, type Failure } from '../world/world.ts';

/** Real threads: the owner worker and one thread per actor, over SharedArrayBuffer mailboxes. */
export { runThreads, type ThreadRunOptions, type ThreadRunResult } from '../workers/threads.ts';
export type { OwnerControl, OwnerEvent, OwnerEventPort, OwnerStats, OwnerOutcome } from '../workers/hv-worker.ts';
export type { ActorOutcome } from '../workers/actor-worker.ts';

/** Traces: every run records one; replay re-runs it exactly (scheduled or real-thread). */
export { replayTrace, replayEvents, type ReplayReport, type ReplayOptions } from '../world/replay.ts';
export { PluginNotAllowedError } from '../world/trace-plugins.ts';
export { parseTrace, TraceFormatError, TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from '../sim/trace.ts';

/** Scenario files (docs/scenario-format.md): load one, run its variants. */
export { loadScenario, type LoadResult, type LoadedScenario, type LoadOptions, type CompiledVariant, type TimelineItem } from '../world/scenario-file/load.ts';
export type { FileAccess } from '../world/scenario-file/files.ts';
export { loadScenarioModules } from '../world/scenario-file/modules.ts';
export { runVariantsInParallel, type ParallelOptions } from '../world/scenario-file/parallel.ts';
export { runVariant, type RunVariantOptions, type VariantRun, type CommandRecord, type KernelRecord, type KernelPopulate, type RunObserver, type ThreadRunner, type Progress as VariantProgress } from '../world/scenario-file/run.ts';

/** This package's version (package.json). */
export { PACKAGE_VERSION as VERSION } from '../report/package-files.ts';

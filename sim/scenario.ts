// A scenario: the host and the actors that run on it, as plain data. A trace carries its
// scenario, so any run — scheduled or on real threads — can be rebuilt and replayed from it.

import type { HypervisorOptions } from '../hv/index.ts';

export interface ActorSpec {
  /** Unique name: the actor's identity in schedules, traces and interleaving views. */
  name: string;
  /** Which actor program runs, by its registered name (sim/registry.ts): 'xl', 'linux', 'script' … */
  kind: string;
  /** Domain the actor's calls come from; 0 (dom0) by default. Ignored when `boot` is set. */
  caller?: number;
  /** A guest kernel: starts when a domain of this name is unpaused, running as that domain. */
  boot?: string;
  /** Kind-specific parameters (JSON). */
  params?: Record<string, unknown>;
}

export interface ScenarioSpec {
  name?: string;
  host: HypervisorOptions;
  actors: ActorSpec[];
  /** Virtual time (ns) after which sleeping actors are stopped; default: run until all finish. */
  untilNs?: number;
  /** Timed faults: at virtual time `atNs` the named actor's thread dies (recorded as a kill). */
  faults?: Array<{ atNs: number; kill: string }>;
  /**
   * Property monitors (names registered in sim/registry.ts) checked after every step and at the end of the
   * run. They travel with the scenario, so a replay checks — and reproduces — the same failure.
   */
  monitors?: string[];
  /**
   * Modules (file URLs or package specifiers) that register the actor kinds and monitors this
   * scenario names beyond the built-in ones (sim/registry.ts). They are loaded before the run, in
   * every thread of a real-thread run, and by a replay of its trace.
   */
  plugins?: string[];
}

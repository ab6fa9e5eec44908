// Property monitors a scenario can name (ScenarioSpec.monitors): checks that run after every
// step and at the end of a run, inside the world, so that a replay of a trace checks — and so
// reproduces — exactly what the recorded run checked. The checks themselves live with the
// property campaign (prop-tests/campaign/monitors.ts); this table only names them, as
// world/actor-kinds.ts names actor programs.

import { CAMPAIGN_MONITORS } from '../prop-tests/campaign/monitors.ts';
import type { Owner, StepInfo } from '../sim/owner.ts';

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

export const MONITOR_KINDS: Readonly<Record<string, MonitorFactory>> = CAMPAIGN_MONITORS;

/** Starts the named monitors; throws on an unknown name (a trace from a newer build). */
export function startMonitors(names: readonly string[], owner: Owner): Monitor[] {
  return names.map((n) => {
    const f = MONITOR_KINDS[n];
    if (f === undefined) throw new Error(`unknown monitor "${n}" (known: ${Object.keys(MONITOR_KINDS).join(', ')})`);
    return f(owner);
  });
}

// A RunObserver's owner module for tests (world/scenario-file/parallel.test.ts): what it records
// depends on every section and hypervisor event of the run, so two runs agree only if they ran alike.

import type { Owner } from '../../sim/owner.ts';

export interface StepLog {
  steps: number;
  /** Each section's actor and virtual end time, in order. */
  sections: string[];
  /** Hypervisor events by kind. */
  events: Record<string, number>;
}

export function attachObserver(owner: Owner): { finish(): StepLog } {
  const log: StepLog = { steps: 0, sections: [], events: {} };
  owner.afterStep.push((info) => {
    log.steps++;
    log.sections.push(`${info.actor}@${owner.hv.now}`);
  });
  owner.hv.listeners.push((e) => {
    log.events[e.kind] = (log.events[e.kind] ?? 0) + 1;
  });
  return { finish: () => log };
}

/** The observer for runVariant / runVariantsInParallel. */
export const STEP_OBSERVER = {
  attach: (owner: Owner) => attachObserver(owner),
  fromTrace: (): Promise<StepLog> => Promise.reject(new Error('step-observer: live only')),
  ownerModule: import.meta.url,
};

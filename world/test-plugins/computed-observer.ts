// A RunObserver's owner module that imports a module whose name it computes, as a plugin loading
// others by name may: which module that is cannot be known without running it, so this one is not
// compiled into the workers' tree (workers/compiled-tree.ts), and a run naming it loads the sources.

import type { Owner } from '../../sim/owner.ts';
import type { StepLog } from './step-observer.ts';

const which = 'step';
const steps = (await import(`./${which}-observer.ts`)) as typeof import('./step-observer.ts');

export function attachObserver(owner: Owner): { finish(): StepLog } {
  return steps.attachObserver(owner);
}

/** The observer for runVariant / runVariantsInParallel. */
export const COMPUTED_OBSERVER = { ...steps.STEP_OBSERVER, attach: attachObserver, ownerModule: import.meta.url };

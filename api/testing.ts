// `xen-memsim/testing`: property tests over the emulator in a user's own suite, with fast-check —
// the campaign's arbitraries (hosts, scenarios, schedules, whole cases), a runner for one case, a
// ready fast-check property, and assertEmulator(), which shrinks a failure and reports it with its
// seed, path and replayable trace. Any test runner; `xen-memsim/vitest` wraps it as a vitest test.

import '../prop-tests/campaign/plugin.ts';

export {
  hostArb, runCase, emulatorProperty, assertEmulator, propertiesOf, moduleUrl, EmulatorPropertyError,
  type EmulatorCase, type EmulatorPropertyOptions, type CaseResult,
} from '../prop-tests/campaign/emulator-property.ts';
export { scenarioArb, toScenarioSpec, type CampaignScenario, type ScenarioConstraints } from '../prop-tests/campaign/scenario.ts';
/** Schedules: choice sequences (at each step, an index among the runnable actors; 0 = arrival order). */
export { choicesArb as scheduleArb, caseArb } from '../prop-tests/campaign/campaign.ts';

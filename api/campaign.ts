// `xen-memsim/campaign`: the race-hunting campaign (what `xen-memsim check` runs) — generated
// scenarios, a portfolio of schedules, shrinking of the first failure, and real-thread hunting —
// with a user's own properties beside the built-in ones (CampaignOptions.propertyModules).
// Importing it registers the campaign's actor kinds and properties (prop-tests/campaign/plugin.ts).

import '../prop-tests/campaign/plugin.ts';

export {
  runCampaign, shrinkAndConfirm, failureKey, withPropertyModules, STRATEGIES,
  type CampaignOptions, type CampaignResult, type Found, type FoundUnshrunk, type FirstFailure, type Progress, type Strategy,
} from '../prop-tests/campaign/campaign.ts';
export type { RunOutcome } from '../prop-tests/campaign/run.ts';
export { runCampaignJobs, jobShard, jobsProblems, JOBS_MAX } from '../prop-tests/campaign/jobs.ts';
export { parseShard, shardProblems, SHARDS_MAX, type Shard } from '../prop-tests/campaign/shard.ts';
export {
  toResults, checkResults, mergeResults, coverageOf, ResultsFormatError, RESULTS_FORMAT, RESULTS_VERSION,
  type CampaignResults, type CampaignIdentity, type Coverage, type FoundRecord, type Merged,
} from '../prop-tests/campaign/results.ts';
export { huntOnThreads, type ThreadHuntOptions, type ThreadHuntResult, type ThreadFailure } from '../prop-tests/campaign/threads.ts';
export {
  toScenarioSpec, describeScenario, FAMILIES,
  type CampaignScenario, type ScenarioConstraints, type Family, type GuestSpec, type PokeSpec, type GuestOpSpec, type LinuxSpec, type KillSpec, type XlCreateSpec,
  type BuildPlan, type RogueSpec, type DeviceModelSpec, type OfflineSpec, type VnumaXlSpec, type SqueezeSpec,
} from '../prop-tests/campaign/scenario.ts';
export { portfolioFor, portfolioSummary, slotName, SEARCH_STRATEGIES, type Slot, type SlotReport, type SearchStrategy } from '../prop-tests/campaign/portfolio.ts';
export { monitorsFor } from '../prop-tests/campaign/monitors.ts';
export { renderInterleaving } from '../prop-tests/campaign/interleaving.ts';

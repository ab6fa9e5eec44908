// A campaign from a program: what `xen-memsim check` does, with your own property beside the
// built-in ones. On Xen 4.21 (claims can leak from dying domains, B1, and be granted inside the
// split-lock window, B3: both fixed in 4.22) the campaign finds a built-in property broken,
// shrinks the failure and hands back its trace.
//
//   node examples/campaign.mjs
import { replayTrace } from 'xen-memsim';
import { describeScenario, renderInterleaving, runCampaign } from 'xen-memsim/campaign';

const result = await runCampaign({
  xen: '4.21',
  inject: [],
  claimMode: 1,
  seed: 1,
  runs: 200,
  shrinkTimeMs: 3000,
  propertyModules: [new URL('./running-domains-hold-no-claim.mjs', import.meta.url).href],
});
if (result.found === undefined) {
  console.log(`no failure in ${result.runs} runs`);
} else {
  const f = result.found;
  console.log(`found after ${f.runsToFind} runs (${f.strategy} schedule): ${f.failure.kind}: ${f.failure.message}`);
  console.log(`shrunk from ${f.stepsBefore} to ${f.stepsAfter} critical sections`);
  console.log(describeScenario(f.scenario).join('\n'));
  console.log(renderInterleaving(f.trace));
  const replay = await replayTrace(f.trace);
  console.log(`replay: ${replay.reproduced ? 'reproduced exactly' : replay.divergence}`);
}

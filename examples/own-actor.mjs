// Your own actor and property, programmatically: the greedy toolstack (greedy-toolstack.mjs)
// builds a guest on an emulated Xen 4.22 host while running-domains-hold-no-claim.mjs watches.
// Scheduled first (one thread, a seeded schedule), then on real threads (an owner worker and
// one thread per actor), whose trace then replays exactly in the scheduled world.
//
//   node examples/own-actor.mjs
import { replayTrace, runScheduled, runThreads, SeededRandom } from 'xen-memsim';

const here = (file) => new URL(file, import.meta.url).href;

/** @type {import('xen-memsim').ScenarioSpec} */
const spec = {
  name: 'a greedy toolstack',
  host: { memoryMiB: 64, xen: '4.22', dom0MiB: 16 },
  actors: [
    { name: 'greedy', kind: 'greedy-toolstack', params: { name: 'guest', memoryMiB: 16 } },
    { name: 'other', kind: 'greedy-toolstack', params: { name: 'other', memoryMiB: 8 } },
  ],
  // Modules that define the names above: loaded before the run, in every thread, and by a replay.
  plugins: [here('./greedy-toolstack.mjs'), here('./running-domains-hold-no-claim.mjs')],
  monitors: ['running-domains-hold-no-claim'],
};

const scheduled = await runScheduled(spec, new SeededRandom(1));
console.log(`scheduled:    ${scheduled.failure ? `${scheduled.failure.kind} failure: ${scheduled.failure.message}` : 'no failure'} (${scheduled.steps} steps)`);

const threads = await runThreads(spec);
if (threads.trace === undefined) throw new Error(`real threads: no trace (${threads.ownerLost})`);
console.log(`real threads: ${threads.failure ? `${threads.failure.kind} failure: ${threads.failure.message}` : 'no failure'} (${threads.steps} steps)`);
const replay = await replayTrace(threads.trace);
console.log(`replay of the real-thread trace: ${replay.reproduced ? 'reproduced exactly' : `diverged: ${replay.divergence}`}`);
process.exitCode = replay.reproduced && threads.failure !== undefined ? 0 : 1;

// The thread side of jobs.ts: one shard of a campaign. It reads the lowest failing slot the jobs
// have published before each unit (CampaignOptions.lastSlot), publishes its own failure's slot
// as soon as it finds one, and posts progress, the unshrunk failure and its result back.

import { parentPort, workerData } from 'node:worker_threads';
import { runCampaign } from './campaign.ts';
import { lastSlotOf, type JobData, type JobMessage } from './jobs.ts';

const data = workerData as JobData;
const post = (m: JobMessage): void => parentPort!.postMessage(m);
const shared = lastSlotOf(data.lastSlot);
let lastPost = 0;

runCampaign({
  ...data.options,
  lastSlot: shared.read,
  onProgress: (p) => {
    // At most every 50 ms: a campaign makes thousands of runs a second.
    const now = performance.now();
    if (p.phase === 'search' && now - lastPost < 50) return;
    lastPost = now;
    post({ type: 'progress', progress: p });
  },
  onFound: (f) => {
    shared.publish(f.runs);
    post({ type: 'found', found: f });
  },
}).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);

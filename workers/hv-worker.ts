// The hypervisor owner worker (a plain worker_threads Worker): hosts the owner loop
// (owner-host.ts) with its data from workerData, exposes the control plane with comlink on the
// parent port, and yields between slices with setImmediate.

import { parentPort, workerData } from 'node:worker_threads';
import { Comlink, nodeEndpoint } from './comlink-node.ts';
import { startOwnerHost, type HvWorkerData } from './owner-host.ts';

export type { HvWorkerData, OwnerControl, OwnerEvent, OwnerEventPort, OwnerOutcome, OwnerStats } from './owner-host.ts';

const control = await startOwnerHost(workerData as HvWorkerData, () => new Promise<void>((r) => setImmediate(r)));
Comlink.expose(control, nodeEndpoint(parentPort!));

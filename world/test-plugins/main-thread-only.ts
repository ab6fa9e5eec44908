// Test plugin: loads in the main thread, throws in a worker (a plugin that cannot run there).
import { isMainThread } from 'node:worker_threads';
import { defineProperty } from '../../sim/define.ts';

if (!isMainThread) throw new Error('this plugin refuses to load in a worker');

export default defineProperty({ name: 'main-thread-only', check: () => undefined });

#!/usr/bin/env node
// xen-memsim's command line. The code is TypeScript run through tsx's loader (registered here,
// for the main thread; workers register it themselves, see workers/spawn.ts), so a fresh clone
// needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));

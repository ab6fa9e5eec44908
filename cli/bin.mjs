#!/usr/bin/env node
// xen-memsim's command line. The code is TypeScript run through tsx's loader (registered here,
// for the main thread; workers register it themselves, see workers/spawn.ts), so a fresh clone
// needs no build step. cli/lifecycle.ts decides how every command ends (closed pipes, signals,
// errors no command caught).
import { register } from 'tsx/esm/api';

register();
const { installLifecycle, internalError } = await import('./lifecycle.ts');
installLifecycle();
const { main } = await import('./main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.exitCode = internalError(e);
}

#!/usr/bin/env node
// The command line's entry point. Compiled (dist/cli/xen-memsim.js) it is the package's `bin`
// and runs as plain JavaScript; in a clone, cli/bin.mjs registers tsx and imports this file, so
// the sources run with no build step. cli/lifecycle.ts decides how every command ends (closed
// pipes, signals, errors no command caught).
import { installLifecycle, internalError } from './lifecycle.ts';
import { main } from './main.ts';

installLifecycle();
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.exitCode = internalError(e);
}

#!/usr/bin/env node
// xen-memsim's command line, run from the sources (a clone of the repository: `node cli/bin.mjs`,
// `npm run demo`). The code is TypeScript run through tsx's loader (registered here, for the main
// thread; workers register it themselves, see workers/spawn.ts), with the repository's
// tsconfig.json, whose "paths" let a plugin module import `xen-memsim` from the sources. The
// installed package runs the compiled entry instead (package.json "bin": dist/cli/xen-memsim.js).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('./xen-memsim.ts');

#!/usr/bin/env node
// xen-memsim's command line, run from the sources (a clone of the repository: `node cli/bin.mjs`,
// `npm run demo`). The installed package runs the compiled entry instead (package.json "bin":
// dist/cli/xen-memsim.js).
//
// A command that imports no module a user names (ON_THE_TREE) runs on the sources compiled once
// (workers/compiled-tree.ts, the tree worker threads load): plain JavaScript, no loader — tsx in
// the main thread cost ~0.9 s of CPU, ~1 s of wall time and ~28 MB of RSS at every start (the
// demo's start-up up to its first run: 1.75 s of CPU against 0.85, load 7). Every other command, and any command when the tree cannot be made,
// runs the TypeScript through tsx's loader (registered here, for the main thread; workers
// register it themselves, see workers/spawn.ts), with the repository's tsconfig.json, whose
// "paths" let a plugin module import `xen-memsim` from the sources.
import { fileURLToPath } from 'node:url';

/** Commands that load no plugin, observer or other module named by their input or flags. */
const ON_THE_TREE = new Set(['demo']);

const entry = new URL('./xen-memsim.ts', import.meta.url);
const tree = ON_THE_TREE.has(process.argv[2]) ? await (await import('../workers/compiled-tree-boot.mjs')).compiledTreeWithoutLoader() : undefined;
const compiled = tree?.map(entry.href);
if (compiled !== undefined) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(entry.href);
}

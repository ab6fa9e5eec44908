// Preloaded into every worker thread by spawn.ts (`--import` in the worker's execArgv) when the
// worker is a TypeScript module (the code runs from its sources): registers tsx's ESM hooks
// *inside the worker*, so the worker can import .ts modules, with the repository's tsconfig.json
// (its "paths" map `xen-memsim` to the sources for plugin modules that import it).
//
// Why not `--import tsx`: tsx's own entry registers its ESM hooks in a worker only on Node
// versions whose module.register() is per-thread (22.22+); on Node 20 it skips non-main threads,
// and hooks registered by the parent are not inherited either (privatenumber/tsx#354,
// nodejs/node#47747). Measured on Node 20.20: `--import tsx` in a worker's execArgv still gives
// ERR_UNKNOWN_FILE_EXTENSION for a .ts entry; this module makes it load.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

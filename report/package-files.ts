// Where this package's own files are — package.json, the report's page (report/page/), the example
// scenarios (scenarios/) — whether the code runs from its sources (a clone, through tsx) or
// compiled (dist/, an installed package): both find the package's root by resolving the
// package's own name from inside it (Node's self-reference, through the "./package.json" entry
// of package.json's "exports"), so no path depends on where the compiled files sit. In the clone's
// sources compiled for threads and the command line (workers/compiled-tree.ts) the name resolves
// to the tree's package.json, which names the clone it was compiled from: the root is the clone's.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** The package's root folder (where its package.json is). */
export const PACKAGE_ROOT: string = packageRoot();

function packageRoot(): string {
  const found = require.resolve('xen-memsim/package.json');
  const { compiledFrom } = JSON.parse(readFileSync(found, 'utf8')) as { compiledFrom?: string };
  return compiledFrom === undefined ? dirname(found) : resolve(dirname(found), compiledFrom);
}

/** The absolute path of a file shipped with the package, given relative to its root ('scenarios/demo.json'). */
export function packageFile(relative: string): string {
  return join(PACKAGE_ROOT, relative);
}

/** The package's version (package.json: the one source of it). */
export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

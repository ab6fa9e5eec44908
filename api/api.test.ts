// The public surface, checked: package.json's exports, tsconfig.json's "paths" (what examples/
// import in the repository), the build and the API reference name the same entries, and the
// reference builds with no warning — every type the surface refers to is exported, or listed in
// typedoc.json as the hypervisor's internal state (read through hypercalls or a property's view).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;

/** package.json's code entries: subpath → the api/ module it is compiled from. */
function entries(): Record<string, string> {
  const exports = json('package.json').exports as Record<string, string | { types: string; default: string }>;
  const out: Record<string, string> = {};
  for (const [sub, target] of Object.entries(exports)) {
    if (typeof target === 'string') continue; // data files (package.json, the schema)
    expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'));
    out[sub] = target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
  }
  return out;
}

describe('the public surface', () => {
  test('exports, tsconfig paths and the API reference name the same api/ entries', () => {
    const e = entries();
    expect(Object.keys(e)).toEqual(['.', './campaign', './report', './testing', './vitest']);
    const paths = (json('tsconfig.json').compilerOptions as { paths: Record<string, string[]> }).paths;
    expect(Object.fromEntries(Object.entries(paths).map(([k, [v]]) => [k.replace(/^xen-memsim/, '.'), v.replace(/^\.\//, '')]))).toEqual(e);
    expect((json('typedoc.json').entryPoints as string[]).sort()).toEqual(Object.values(e).sort());
    expect(json('package.json').bin).toEqual({ 'xen-memsim': 'dist/cli/xen-memsim.js' });
  });

  // --skipErrorChecking: typedoc's own checks (a type referenced but not exported or documented,
  // a broken link) still run and warn; only TypeScript's diagnostics over the whole program are
  // left out, which are `npm run typecheck`'s (npm test runs it first) and took half of the time.
  test('the API reference builds from the types with no warning (typedoc --emit none)', () => {
    const r = spawnSync(process.execPath, [`${ROOT}node_modules/typedoc/bin/typedoc`, '--emit', 'none', '--skipErrorChecking'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[(warning|error)\]/);
    expect(r.status).toBe(0);
  }, 300_000);
});

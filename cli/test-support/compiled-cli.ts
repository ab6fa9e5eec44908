// vitest globalSetup: the command line compiled to JavaScript once per test run, for the tests that
// start it as a child process many times (cli/testing.ts runCli). From the sources every child
// process registers tsx and loads each module through its hooks (~1 s of CPU before the command
// does anything, twice what the command's own work takes for most of these tests); compiled, it
// starts as the installed package does. The compilation is esbuild's, the transform tsx itself
// applies to each file (one file in, one file out, the repository's tsconfig.json), with relative
// `.ts` specifiers turned into `.js` as the package build does (rewriteRelativeImportExtensions),
// into a folder inside the repository (out/, so `xen-memsim` still resolves to this package).
// The files are those of the package build (tsconfig.build.json "include", tests left out); the
// JSON files they import are copied beside them. examples.test.ts and the shell tests still run
// cli/bin.mjs from the sources; package.test.ts runs the real package build.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'jsonc-parser';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compiled cli/xen-memsim.ts of this test run (absolute path). */
    compiledCli: string;
  }
}

/**
 * The package build's sources: .ts files under the top folders of tsconfig.build.json's "include"
 * (tsc also compiles what they import: prop-tests/campaign/ imports prop-tests/properties.ts), no
 * tests or test support.
 */
function sources(): string[] {
  const config = parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!['test-support', 'fixtures', 'test-plugins', 'node_modules'].includes(e.name)) walk(path);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
        out.push(path);
      }
    }
  };
  for (const dir of new Set(config.include.map((d) => d.split('/')[0]))) walk(dir);
  return out;
}

/** A relative module specifier ending in `.ts` in a string or template literal ('./x.ts', `./c/${n}.ts`). */
const TS_SPECIFIER = /(["'`])(\.{1,2}\/[^"'`\n]*?)\.ts\1/g;
/** A relative JSON module import. */
const JSON_IMPORT = /from\s+["'](\.{1,2}\/[^"'\n]+\.json)["']/g;

export default async function setup(project: TestProject): Promise<() => void> {
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  const outdir = mkdtempSync(join(ROOT, 'out', 'test-cli-'));
  const files = sources();
  await build({
    entryPoints: files.map((f) => join(ROOT, f)),
    outdir,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`, // as tsx does: the Node that runs the tests
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'silent',
  });
  for (const f of files) {
    const js = join(outdir, f.replace(/\.ts$/, '.js'));
    writeFileSync(js, readFileSync(js, 'utf8').replace(TS_SPECIFIER, '$1$2.js$1'));
    for (const [, spec] of readFileSync(join(ROOT, f), 'utf8').matchAll(JSON_IMPORT)) {
      const from = join(ROOT, dirname(f), spec);
      const to = join(outdir, relative(ROOT, from));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
  }
  project.provide('compiledCli', join(outdir, 'cli', 'xen-memsim.js'));
  return () => rmSync(outdir, { recursive: true, force: true });
}

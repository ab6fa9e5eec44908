// The package build's sources compiled to JavaScript, for worker threads started from the sources.
// From the sources each worker thread registers tsx (spawn.ts), which starts a module-loader
// thread of its own and transforms every module the worker imports: 0.5-0.8 s of CPU a thread,
// and a demo on real threads starts ~20 threads. Compiled once, a worker loads plain JavaScript
// with no loader, as the installed package's workers do.
//
// The compilation is esbuild's per-file transform (one file in, one file out — what tsx applies
// to each module — with the repository's tsconfig.json), relative `.ts` specifiers turned into
// `.js` as the package build does (rewriteRelativeImportExtensions), the JSON files the sources
// import copied beside them. The files are those of the package build (tsconfig.build.json
// "include"; tests, fixtures and test support left out). The tree is cached under
// node_modules/.cache/xen-memsim/, named by a hash of the sources, esbuild's and Node's versions:
// an edited source gives a new tree, and a tree is never rewritten in place (made under a
// temporary name, then renamed), so processes started at once share one safely.

import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { parse } from 'jsonc-parser';

/** The repository's root (this module is workers/compiled-tree.ts of it). */
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Folders under the included ones whose files are not part of the build. */
const LEFT_OUT_DIRS: ReadonlySet<string> = new Set(['test-support', 'fixtures', 'test-plugins', 'node_modules']);

/**
 * The package build's sources, relative to `root`: .ts files under the top folders of
 * tsconfig.build.json's "include" (tsc also compiles what they import: prop-tests/campaign/
 * imports prop-tests/properties.ts), no tests or test support.
 */
export function buildSources(root: string = ROOT): string[] {
  const config = parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!LEFT_OUT_DIRS.has(e.name)) walk(path);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
        out.push(path);
      }
    }
  };
  for (const dir of new Set(config.include.map((d) => d.split('/')[0]))) walk(dir);
  return out.sort();
}

/** A relative module specifier ending in `.ts` in a string or template literal ('./x.ts', `./c/${n}.ts`). */
const TS_SPECIFIER = /(["'`])(\.{1,2}\/[^"'`\n]*?)\.ts\1/g;
/** A relative JSON module import. */
const JSON_IMPORT = /from\s+["'](\.{1,2}\/[^"'\n]+\.json)["']/g;

/**
 * Compiles `files` (relative to `root`) into `outdir`, the same tree with `.js` files, and copies
 * the JSON files they import beside them.
 */
export function compileSources(files: readonly string[], outdir: string, root: string = ROOT): void {
  buildSync({
    entryPoints: files.map((f) => join(root, f)),
    outdir,
    outbase: root,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`, // as tsx does: the Node that runs the code
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  for (const f of files) {
    const js = join(outdir, f.replace(/\.ts$/, '.js'));
    writeFileSync(js, readFileSync(js, 'utf8').replace(TS_SPECIFIER, '$1$2.js$1'));
    for (const [, spec] of readFileSync(join(root, f), 'utf8').matchAll(JSON_IMPORT)) {
      const from = join(root, dirname(f), spec);
      const to = join(outdir, relative(root, from));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
  }
}

/** The sources compiled: where, and how a source module's URL maps to its compiled one. */
export interface CompiledTree {
  /** The tree's folder (absolute). */
  readonly dir: string;
  /** The compiled module's file URL for a source module's (a file URL of a built .ts file), else undefined. */
  map(url: string): string | undefined;
  /** The source module's file URL for a compiled module's of this tree, else undefined. */
  source(url: string): string | undefined;
}

/** Trees left by earlier sources are removed once this old (a process may still be using a newer one). */
const STALE_TREE_MS = 24 * 3600 * 1000;

let memo: CompiledTree | null | undefined;

/**
 * The compiled tree of the sources this module is part of, compiled now if it is not cached;
 * undefined when this module is itself compiled (dist/: its workers are JavaScript already) or
 * the tree cannot be made (no esbuild, a read-only node_modules): workers then load the sources
 * through tsx as before. Once per process.
 */
export function compiledTree(): CompiledTree | undefined {
  if (memo === undefined) memo = makeTree() ?? null;
  return memo ?? undefined;
}

function makeTree(): CompiledTree | undefined {
  if (!import.meta.url.endsWith('.ts')) return undefined;
  try {
    const files = buildSources();
    const hash = createHash('sha256').update(`${esbuildVersion}\0${process.versions.node}\0`);
    for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(ROOT, f), 'utf8')).update('\0');
    const cache = join(ROOT, 'node_modules', '.cache', 'xen-memsim');
    const dir = join(cache, `workers-${hash.digest('hex').slice(0, 16)}`);
    if (!existsSync(dir)) {
      mkdirSync(cache, { recursive: true });
      const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        compileSources(files, tmp);
        renameSync(tmp, dir);
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        if (!existsSync(dir)) throw e; // another process made it first: use theirs
      }
      removeStaleTrees(cache, dir);
    }
    const rootHref = pathToFileURL(ROOT).href;
    const dirHref = `${pathToFileURL(dir).href}/`;
    const built = new Set(files);
    return {
      dir,
      map: (url) => {
        if (!url.startsWith(rootHref) || !url.endsWith('.ts')) return undefined;
        const rel = relative(ROOT, fileURLToPath(url));
        return built.has(rel) ? pathToFileURL(join(dir, rel.replace(/\.ts$/, '.js'))).href : undefined;
      },
      source: (url) => {
        if (!url.startsWith(dirHref) || !url.endsWith('.js')) return undefined;
        const rel = relative(dir, fileURLToPath(url)).replace(/\.js$/, '.ts');
        return built.has(rel) ? pathToFileURL(join(ROOT, rel)).href : undefined;
      },
    };
  } catch {
    return undefined;
  }
}

function removeStaleTrees(cache: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (path === keep || !name.startsWith('workers-')) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_TREE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it
    }
  }
}

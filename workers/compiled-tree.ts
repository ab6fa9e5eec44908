// The package build's sources compiled to JavaScript, for worker threads started from the sources.
// From the sources each worker thread registers tsx (spawn.ts), which starts a module-loader
// thread of its own and transforms every module the worker imports: 0.5-0.8 s of CPU a thread,
// and a demo on real threads starts ~20 threads. Compiled once, a worker loads plain JavaScript
// with no loader, as the installed package's workers do. cli/bin.mjs runs the commands that load
// no user module (the demo) on the same tree in the main thread too (compiled-tree-boot.mjs).
//
// The compilation is esbuild's per-file transform (one file in, one file out — what tsx applies
// to each module — with the repository's tsconfig.json), relative `.ts` specifiers turned into
// `.js` as the package build does (rewriteRelativeImportExtensions), the JSON files the sources
// import copied beside them. The files are those of the package build (tsconfig.build.json
// "include"; tests, fixtures and test support left out). A module of the repository outside the
// build (a test plugin, a fixture, a user's plugin in the clone) is compiled into the same tree on
// demand, when a run names it (CompiledTree.map), with the relative .ts modules it imports; one
// that imports what a loader-less thread cannot resolve (this package by name, through
// tsconfig.json "paths"; a relative module that is not .ts or .json; a computed specifier) is
// not, and its runs load the sources through tsx as before. The tree is cached under
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
  /**
   * The compiled module's file URL for a source module's (a file URL of a built .ts file, or of a
   * repository .ts module outside the build, compiled now with what it imports), else undefined.
   */
  map(url: string): string | undefined;
  /** The source module's file URL for a compiled module's of this tree, else undefined. */
  source(url: string): string | undefined;
  /** `text` (an error's message or stack from a thread on the tree) naming source modules instead of the tree's. */
  sourceText(text: string): string;
}

/**
 * The tree's package.json: its modules are ES modules (no syntax detection when a thread loads
 * them), and the package's own name resolves from inside it (report/package-files.ts) to this
 * file, which names the clone it was compiled from (`compiledFrom`, relative to the tree): the
 * package's files (scenarios/, report/page/, package.json) are the clone's, not copies.
 */
function writeTreePackageJson(tree: string): void {
  const pkg = { name: 'xen-memsim', private: true, type: 'module', exports: { './package.json': './package.json' }, compiledFrom: relative(tree, ROOT) || '.' };
  writeFileSync(join(tree, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
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
        writeTreePackageJson(tmp);
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
    /** Modules outside the build compiled into the tree by this process (with their imports). */
    const extras = new Set<string>();
    /** Modules outside the build found not to load without a loader (each run asks again: not compiled again). */
    const refused = new Set<string>();
    const inTree = (rel: string): boolean => {
      if (built.has(rel) || extras.has(rel)) return true;
      if (refused.has(rel)) return false;
      let ok = false;
      try {
        ok = compileExtra(rel, dir, built, extras);
      } catch {
        // a module esbuild cannot compile, a JSON file it imports that is missing: tsx reports it
      }
      if (!ok) refused.add(rel);
      return ok;
    };
    const source = (url: string): string | undefined => {
      if (!url.startsWith(dirHref) || !url.endsWith('.js')) return undefined;
      const rel = relative(dir, fileURLToPath(url)).replace(/\.js$/, '.ts');
      return built.has(rel) || extras.has(rel) ? pathToFileURL(join(ROOT, rel)).href : undefined;
    };
    const inText = new RegExp(`${dirHref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s'"\`)]*\\.js\\b`, 'g');
    return {
      dir,
      map: (url) => {
        if (!url.startsWith(rootHref) || !url.endsWith('.ts')) return undefined;
        const rel = relative(ROOT, fileURLToPath(url));
        return inTree(rel) ? pathToFileURL(join(dir, rel.replace(/\.ts$/, '.js'))).href : undefined;
      },
      source,
      sourceText: (text) => text.replace(inText, (url) => source(url) ?? url),
    };
  } catch {
    return undefined;
  }
}

/** An import of this package by name: a thread without tsx cannot resolve it from the clone (tsconfig.json "paths"). */
const SELF_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'`])xen-memsim(?:\/[^"'`\n]*)?\1/;
/** A relative specifier an import, export or dynamic import names. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'`])(\.{1,2}\/[^"'`\n]*)\1/g;

/**
 * Compiles the repository module `rel` (a .ts file outside the build) into the tree `dir`, beside
 * where a built one would be, with the relative .ts modules it imports or names (new URL('./x.ts',
 * import.meta.url)) that are not built, and copies the JSON it imports. A compiled copy whose text
 * differs (the source was edited) is replaced, atomically, as a tree is made. `extras` gets every
 * module compiled.
 * @returns whether `rel` (and everything it imports) now loads from the tree without a loader
 */
function compileExtra(rel: string, dir: string, built: ReadonlySet<string>, extras: Set<string>, visiting = new Set<string>()): boolean {
  if (built.has(rel) || extras.has(rel) || visiting.has(rel)) return true;
  visiting.add(rel);
  const src = join(ROOT, rel);
  if (rel.startsWith('..') || rel.split(/[\\/]/).includes('node_modules') || !rel.endsWith('.ts') || rel.endsWith('.d.ts') || rel.endsWith('.test.ts') || !existsSync(src)) return false;
  const js = buildSync({
    entryPoints: [src],
    write: false,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'silent',
  }).outputFiles[0].text;
  if (SELF_IMPORT.test(js)) return false;
  const here = dirname(rel);
  const names = new Set<string>();
  for (const [, , spec] of js.matchAll(RELATIVE_IMPORT)) names.add(spec);
  for (const [, , spec] of js.matchAll(TS_SPECIFIER)) names.add(`${spec}.ts`);
  for (const spec of names) {
    const target = join(here, spec);
    if (spec.includes('${')) return false;
    if (spec.endsWith('.json')) {
      mkdirSync(dirname(join(dir, target)), { recursive: true });
      copyFileSync(join(ROOT, target), join(dir, target));
    } else if (!spec.endsWith('.ts') || !compileExtra(target, dir, built, extras, visiting)) {
      return false;
    }
  }
  const out = join(dir, rel.replace(/\.ts$/, '.js'));
  const text = js.replace(TS_SPECIFIER, '$1$2.js$1');
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  }
  extras.add(rel);
  return true;
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

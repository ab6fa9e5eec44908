// workers/compiled-tree.ts for a process that has no TypeScript loader yet: cli/bin.mjs, which
// runs a command on the compiled sources (no tsx in the main thread) when it can. The module is
// esbuild's transform of compiled-tree.ts, written once beside the trees (named by a hash of its
// text, its location and esbuild's version, made under a temporary name and renamed, as a tree is), with
// `import.meta.url` kept the source's: it finds the same repository root and the same tree as
// the source module does, and its packages (esbuild, jsonc-parser) resolve from node_modules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync, version } from 'esbuild';

const SOURCE = new URL('./compiled-tree.ts', import.meta.url);
const CACHE = fileURLToPath(new URL('../node_modules/.cache/xen-memsim/', import.meta.url));

/**
 * compiledTree() of workers/compiled-tree.ts, loaded without a TypeScript loader; undefined when
 * it cannot be (no esbuild, a read-only node_modules) or the tree cannot be made.
 * @returns {Promise<import('./compiled-tree.ts').CompiledTree | undefined>}
 */
export async function compiledTreeWithoutLoader() {
  try {
    const text = readFileSync(SOURCE, 'utf8');
    const hash = createHash('sha256').update(`${version}\0${SOURCE.href}\0${text}`).digest('hex').slice(0, 16);
    const file = join(CACHE, `compiled-tree-${hash}.mjs`);
    if (!existsSync(file)) {
      const { code } = transformSync(text, { loader: 'ts', format: 'esm', target: `node${process.versions.node}`, define: { 'import.meta.url': JSON.stringify(SOURCE.href) } });
      mkdirSync(CACHE, { recursive: true });
      const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        writeFileSync(tmp, code);
        renameSync(tmp, file);
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    const mod = await import(pathToFileURL(file).href);
    return mod.compiledTree();
  } catch {
    return undefined;
  }
}

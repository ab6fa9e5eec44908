// The scenario schema's validators (schema.ts) as Ajv's standalone code, cached on disk. Ajv
// compiles the schema in ~0.4 s of CPU (~1 s at load 14) at every start of a command that loads a
// scenario file, and the demo's start-up waits for it before either variant runs; the code Ajv
// generates from that same compilation (ajv/dist/standalone) loads in a few ms and validates
// alike, with the same errors (its `verbose` errors name the same schema objects, as literals of
// the code). The file is named by a hash of the schema, Ajv's version and its options, written
// once (under a temporary name, then renamed: processes started at once share it), in the
// node_modules/.cache/xen-memsim/ nearest this module (a clone's; a project's that installed the
// package). Node only: the playground (web/) bundles schema.ts, which compiles.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSchema, SCENARIO_SCHEMA, SCHEMA_AJV_OPTIONS, SCHEMA_PART_IDS, type SchemaPart, type SchemaValidators } from './schema.ts';

const require = createRequire(import.meta.url);

/** Bumped when the file's form changes. */
const FORMAT = 1;

/** The cache folder: node_modules/.cache/xen-memsim/ of the nearest node_modules above `from`, else undefined. */
export function schemaCacheDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) === 'node_modules') return join(dir, '.cache', 'xen-memsim');
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'xen-memsim');
    if (dirname(dir) === dir) return undefined;
  }
}

/** The cached code's file name in the cache folder: the schema, Ajv and its options hashed. */
export function schemaCacheFile(dir: string): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(`${FORMAT}\0${ajvVersion}\0${JSON.stringify(SCHEMA_AJV_OPTIONS)}\0${JSON.stringify(SCENARIO_SCHEMA)}`).digest('hex').slice(0, 16);
  return join(dir, `scenario-schema-${hash}.cjs`);
}

const PARTS: readonly SchemaPart[] = ['file', 'scenario', 'body'];

/**
 * The validators from the cached code in `dir`; when there is none (or it does not load), the
 * schema compiled now, its code written there for the next process. With no folder (or none
 * writable) the schema is compiled, as schema.ts does by itself.
 */
export function cachedSchemaValidators(dir: string | undefined = schemaCacheDir()): SchemaValidators {
  const file = dir === undefined ? undefined : schemaCacheFile(dir);
  if (file !== undefined && existsSync(file)) {
    try {
      const m = require(file) as Partial<Record<SchemaPart, unknown>>;
      if (PARTS.every((p) => typeof m[p] === 'function')) return m as SchemaValidators;
    } catch {
      // a damaged or foreign file: compiled again below, and replaced
    }
  }
  const { ajv, validators } = compileSchema({ source: true });
  if (file !== undefined) {
    // CommonJS, its function as `default`; loaded only to write the code.
    const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: ReturnType<typeof compileSchema>['ajv'], refs: Record<string, string>) => string }).default;
    // Ajv's runtime helpers by absolute path: the code loads wherever the cache folder is.
    const code = standaloneCode(ajv, { ...SCHEMA_PART_IDS }).replace(/require\("(ajv\/dist\/runtime\/[\w/.-]+)"\)/g, (_: string, spec: string) => `require(${JSON.stringify(require.resolve(spec))})`);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    } catch {
      // a read-only folder: the next process compiles too
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return validators;
}

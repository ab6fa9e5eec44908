// The schema's standalone code cached on disk (schema-cache.ts) validates exactly as the schema
// compiled by Ajv: the same answer and the same errors (each with its schema path, params, the
// schemas `verbose` gives and the data), and so the same loader messages, on the shipped
// scenarios and on documents made from them with values swapped for arbitrary JSON.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { loadScenario } from './load.ts';
import { cachedSchemaValidators, schemaCacheDir, schemaCacheFile } from './schema-cache.ts';
import { compileSchema, useSchemaValidators, type SchemaPart, type SchemaValidators } from './schema.ts';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const EXAMPLES = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json').map((f) => readFileSync(join(SCENARIOS, f), 'utf8'));
const PARTS: readonly SchemaPart[] = ['file', 'scenario', 'body'];

const dir = mkdtempSync(join(tmpdir(), 'xen-memsim-schema-cache-'));
afterAll(() => {
  useSchemaValidators(undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Every path of `doc` (objects' keys, arrays' indexes) down to its leaves. */
function paths(doc: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof doc !== 'object' || doc === null) return [at];
  const keys: Array<string | number> = Array.isArray(doc) ? doc.map((_, i) => i) : Object.keys(doc);
  return [at, ...keys.flatMap((k) => paths((doc as Record<string | number, unknown>)[k], [...at, k]))];
}

/** `doc` with the value at `path` replaced (the root replaced: `value` itself). */
function replaced(doc: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path.at(-1)!] = value;
  return copy;
}

/** An example scenario with up to three values swapped for arbitrary JSON (or new keys added). */
const edited = fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 3 })).map(([i, edits]) => {
  let doc: unknown = JSON.parse(EXAMPLES[i % EXAMPLES.length]);
  for (const [k, newKey, key, value] of edits) {
    const ps = paths(doc);
    const p = ps[k % ps.length];
    doc = newKey && typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? replaced(doc, [...p.slice(0, -1), key], value) : replaced(doc, p, value);
  }
  return doc;
});

describe('the scenario schema\'s standalone code cached on disk', () => {
  const compiled = compileSchema().validators;
  const first = cachedSchemaValidators(dir);
  const cached = cachedSchemaValidators(dir);

  test('is written once into the cache folder, then loaded from it; the cache folder of a clone is its node_modules/.cache/xen-memsim', () => {
    expect(readdirSync(dir)).toEqual([schemaCacheFile(dir).slice(dir.length + 1)]);
    // The first call compiled (its functions keep their code); the second loaded the file.
    for (const p of PARTS) {
      expect((first[p] as { source?: unknown }).source, p).toBeDefined();
      expect((cached[p] as { source?: unknown }).source, p).toBeUndefined();
    }
    expect(schemaCacheDir()).toBe(join(SCENARIOS, '..', 'node_modules', '.cache', 'xen-memsim'));
  });

  const errorsOf = (v: SchemaValidators, p: SchemaPart, doc: unknown): unknown => (v[p](doc) ? [] : v[p].errors);

  test('gives the compiled schema\'s answer and errors on the shipped scenarios and on arbitrary edits of them, in every part', () => {
    for (const text of EXAMPLES) for (const p of PARTS) expect(errorsOf(cached, p, JSON.parse(text))).toEqual(errorsOf(compiled, p, JSON.parse(text)));
    fc.assert(fc.property(edited, (doc) => {
      for (const p of PARTS) expect(errorsOf(cached, p, doc)).toEqual(errorsOf(compiled, p, doc));
    }), { numRuns: 300 });
  });

  test('gives the loader the same messages', () => {
    const load = (doc: unknown, source: SchemaValidators): unknown => {
      useSchemaValidators(() => source);
      return loadScenario(JSON.stringify(doc, null, 1), 'edited.json', { baseDir: SCENARIOS });
    };
    fc.assert(fc.property(edited, (doc) => {
      expect(load(doc, cached)).toEqual(load(doc, compiled));
    }), { numRuns: 150 });
  });

  test('a damaged file is compiled again and replaced', () => {
    const damaged = join(dir, 'damaged');
    mkdirSync(damaged);
    writeFileSync(schemaCacheFile(damaged), 'module.exports = { file: 1 };');
    expect(cachedSchemaValidators(damaged).file.source).toBeDefined();
    expect(readFileSync(schemaCacheFile(damaged), 'utf8')).toContain('must NOT have additional properties');
  });
});

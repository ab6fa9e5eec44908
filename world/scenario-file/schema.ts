// The scenario file schema (scenarios/scenario.schema.json) compiled with Ajv, and its errors
// worded for people at the position where the offending key or value was written. Ajv decides
// what is valid; the words come from the schema's own definitions — its types, ranges and enums,
// and its "x-expected", "x-unit" and "x-message" annotations — so a rule and its message live in
// one place. The loader (load.ts) adds only what a schema cannot say.

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import schemaJson from '../../scenarios/scenario.schema.json' with { type: 'json' };
import type { JsonPath } from './source.ts';

/** A schema object as this module reads it (a subset of JSON Schema 2020-12, plus x- annotations). */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  'x-expected'?: string;
  'x-unit'?: string;
  'x-message'?: string;
  [k: string]: unknown;
}

export const SCENARIO_SCHEMA = schemaJson as unknown as Schema & { $defs: Record<string, Schema>; $id: string };

/** Ajv's options for the schema (its errors carry their schemas: `verbose`). */
export const SCHEMA_AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false } as const;

/** Which part of the schema a document is checked against. */
export type SchemaPart = 'file' | 'scenario' | 'body';
/** Each part's schema, by its id. */
export const SCHEMA_PART_IDS: Readonly<Record<SchemaPart, string>> = { file: SCENARIO_SCHEMA.$id, scenario: `${SCENARIO_SCHEMA.$id}#/$defs/scenario`, body: `${SCENARIO_SCHEMA.$id}#/$defs/body` };

/** A validator of each part. */
export type SchemaValidators = Readonly<Record<SchemaPart, ValidateFunction>>;

/**
 * The schema compiled by Ajv (checked against its meta-schema first), and a validator of each
 * part. `source: true` keeps each function's code (for Ajv's standalone code: schema-cache.ts).
 */
export function compileSchema(o: { source?: boolean } = {}): { ajv: Ajv2020; validators: SchemaValidators } {
  const ajv = new Ajv2020({ ...SCHEMA_AJV_OPTIONS, ...(o.source === true ? { code: { source: true } } : {}) });
  ajv.addVocabulary(['x-expected', 'x-unit', 'x-message']);
  ajv.addSchema(SCENARIO_SCHEMA);
  const part = (p: SchemaPart): ValidateFunction => ajv.getSchema(SCHEMA_PART_IDS[p])!;
  return { ajv, validators: { file: part('file'), scenario: part('scenario'), body: part('body') } };
}

const compileValidators = (): SchemaValidators => compileSchema().validators;
/** Where the validators come from (useSchemaValidators), and what it gave, once. */
let loadValidators: () => SchemaValidators = compileValidators;
let validators: SchemaValidators | undefined;

/**
 * Makes `load` the source of the validators (Node front ends: Ajv's standalone code cached on
 * disk, schema-cache.ts) instead of compiling the schema at first use — which it must equal:
 * the same validation and the same errors. Undefined restores compiling.
 */
export function useSchemaValidators(load: (() => SchemaValidators) | undefined): void {
  loadValidators = load ?? compileValidators;
  validators = undefined;
}

function validator(part: SchemaPart): ValidateFunction {
  validators ??= loadValidators();
  return validators[part];
}

/** A document being validated, and where each of its keys and values was written. */
export interface DocView<At> {
  readonly value: unknown;
  /** Where the value at `path` (with `key`, the key of that property) was written. */
  at(path: JsonPath, key?: boolean): At;
  /** The value at `path` as messages show it (numbers as written). */
  shown(path: JsonPath): string;
}

export interface SchemaError<At> {
  at: At;
  message: string;
}

/** The definition a `#/…` pointer names in the schema file. */
export function schemaAtPointer(pointer: string): Schema | undefined {
  let s: unknown = SCENARIO_SCHEMA;
  for (const seg of pointer.replace(/^#\/?/, '').split('/').filter((x) => x !== '')) {
    if (typeof s !== 'object' || s === null) return undefined;
    s = (s as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof s === 'object' && s !== null ? (s as Schema) : undefined;
}

/** `s` with its $ref and allOf applied, as a flat list (the first is `s`). */
function expand(s: Schema, out: Schema[] = [], depth = 0): Schema[] {
  if (depth > 16 || out.includes(s)) return out;
  out.push(s);
  if (s.$ref !== undefined) {
    const t = schemaAtPointer(s.$ref);
    if (t !== undefined) expand(t, out, depth + 1);
  }
  for (const a of s.allOf ?? []) expand(a, out, depth + 1);
  return out;
}

/** Every subschema that applies to the value at `path` (alternatives of oneOf/anyOf included on the way down). */
export function schemasAt(path: JsonPath, root: Schema = SCENARIO_SCHEMA): Schema[] {
  let here = expand(root);
  for (const seg of path) {
    const next: Schema[] = [];
    for (const s of here.flatMap((x) => [x, ...(x.oneOf ?? []), ...(x.anyOf ?? [])].flatMap((y) => expand(y)))) {
      let c: Schema | boolean | undefined;
      if (typeof seg === 'number') c = s.items;
      else {
        c = s.properties?.[seg];
        if (c === undefined) for (const [re, ps] of Object.entries(s.patternProperties ?? {})) if (new RegExp(re, 'u').test(seg)) c ??= ps;
        c ??= s.additionalProperties;
      }
      if (typeof c === 'object') expand(c, next);
    }
    here = next;
  }
  return here;
}

const first = <K extends keyof Schema>(ss: Schema[], k: K): Schema[K] | undefined => ss.find((s) => s[k] !== undefined)?.[k];

/** What a value must be, in words, from its schema: "an integer in [4, 16777216]", "one of …". */
export function expected(ss: Schema[]): string {
  const x = first(ss, 'x-expected');
  if (x !== undefined) return x;
  const en = first(ss, 'enum');
  if (en !== undefined) return `one of ${en.map((e) => JSON.stringify(e)).join(', ')}`;
  const type = first(ss, 'type');
  const min = first(ss, 'minimum');
  const xmin = first(ss, 'exclusiveMinimum');
  const max = first(ss, 'maximum');
  if (type === 'integer' || type === 'number') {
    const what = type === 'integer' ? 'an integer' : 'a number';
    if (min === undefined && xmin === undefined) return max === undefined ? what : `${what} ≤ ${max}`;
    return `${what} in ${xmin !== undefined ? `(${xmin}` : `[${min}`}, ${max === undefined ? '∞)' : `${max}]`}`;
  }
  if (type === 'boolean') return 'true or false';
  if (type === 'string') return 'a string';
  if (type === 'array') return 'a list';
  if (type === 'object') return 'an object';
  return 'something else';
}

/** How messages name the value at `path`. */
export function subject(path: JsonPath): string {
  const last = path.at(-1);
  if (last === undefined) return 'a scenario';
  if (path.length === 2 && path[0] === 'guests') return `guest ${JSON.stringify(last)}`;
  if (path.length === 2 && path[0] === 'variants') return `variant ${JSON.stringify(last)}`;
  if (path.length === 2 && path[0] === 'timeline') return 'a timeline event';
  if (typeof last === 'number') return `item ${last + 1} of ${JSON.stringify(path.at(-2))}`;
  return JSON.stringify(last);
}

/** `path`'s value in `doc`. */
function valueAt(doc: unknown, path: JsonPath): unknown {
  let v = doc;
  for (const seg of path) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

/** An Ajv instancePath as path segments (array indexes as numbers). */
function pathOf(doc: unknown, pointer: string): JsonPath {
  const out: Array<string | number> = [];
  let v = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(v) ? Number(seg) : seg;
    out.push(key);
    v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

/** Keywords about an object's keys, reported on their own even when its values are wrong too. */
const STRUCTURAL = new Set(['required', 'dependentRequired', 'additionalProperties', 'propertyNames', 'maxProperties', 'unevaluatedProperties']);
/** Limits, worded as such. */
const LIMITS = new Set(['maxItems', 'maxLength', 'minLength', 'maxProperties', 'uniqueItems']);

const fill = (template: string, vars: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);

/** The x-message of the schema that holds the failing keyword, if it has one (Ajv's `verbose` gives that schema). */
function annotated(e: ErrorObject): string | undefined {
  const m = (e.parentSchema as Schema | undefined)?.['x-message'];
  return typeof m === 'string' ? m : undefined;
}

/** Whether `e` is an error of one of the alternatives of `c` (a oneOf/anyOf). */
const isBranchOf = (e: ErrorObject, c: ErrorObject): boolean =>
  c !== e && c.instancePath === e.instancePath && ((c.parentSchema as Schema)[c.keyword] as Schema[]).includes(e.parentSchema as Schema);

function limitMessage<At>(e: ErrorObject, path: JsonPath, doc: DocView<At>): string {
  const v = valueAt(doc.value, path);
  const who = subject(path);
  const limit = (e.params as { limit?: number }).limit;
  switch (e.keyword) {
    case 'maxItems': return `${who} has ${(v as unknown[]).length} items; the limit is ${limit} (docs/limits.md)`;
    case 'maxLength': return `${who} is ${[...(v as string)].length} characters long; the limit is ${limit} (docs/limits.md)`;
    case 'minLength': return `${who} must not be empty`;
    case 'maxProperties': return `${who} has ${Object.keys(v as object).length} keys; the limit is ${limit} (docs/limits.md)`;
    default: {
      const { i } = e.params as { i: number };
      return `${who} lists ${doc.shown([...path, i])} more than once`;
    }
  }
}

/**
 * Validates `doc` against a part of the schema.
 * @returns every problem, worded, at the position of what is wrong (empty when valid)
 */
export function checkSchema<At>(part: SchemaPart, doc: DocView<At>): Array<SchemaError<At>> {
  const validate = validator(part);
  if (validate(doc.value)) return [];
  const all = validate.errors ?? [];
  const combinators = all.filter((e) => (e.keyword === 'oneOf' || e.keyword === 'anyOf') && annotated(e) !== undefined);
  const errors = all.filter((e) =>
    e.keyword !== 'propertyNames' && // its nested error names the key
    // A failed alternative's own errors, where the alternation has its own message.
    !combinators.some((c) => isBranchOf(e, c)));
  /** About an object's keys (so the value is an object), not about what a value is. */
  const structural = (e: ErrorObject): boolean => STRUCTURAL.has(e.keyword) || e.propertyName !== undefined || (annotated(e) !== undefined && !LIMITS.has(e.keyword) && e.keyword !== 'enum');
  // A value is reported where it is wrong most precisely: not where a value inside it is wrong, nor
  // where it is an object whose keys are wrong (its errors of "not an object" come from alternatives).
  const suppressed = new Set(errors.filter(structural).map((e) => e.instancePath));
  for (const e of errors) for (let p = e.instancePath; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) if (p !== e.instancePath) suppressed.add(p);
  if (errors.some((e) => e.instancePath !== '')) suppressed.add('');
  const out: Array<SchemaError<At>> = [];
  const valueDone = new Set<string>();
  for (const e of errors) {
    const path = pathOf(doc.value, e.instancePath);
    const note = annotated(e);
    if (e.propertyName !== undefined) {
      out.push({ at: doc.at([...path, e.propertyName], true), message: fill(note ?? '{name} is not an allowed key here', { name: JSON.stringify(e.propertyName) }) });
    } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const key = (e.params as { additionalProperty?: string; unevaluatedProperty?: string }).additionalProperty ?? (e.params as { unevaluatedProperty: string }).unevaluatedProperty;
      const known = [...new Set(schemasAt(path).flatMap((s) => Object.keys(s.properties ?? {})))];
      out.push({ at: doc.at([...path, key], true), message: `unknown key ${JSON.stringify(key)} in ${path.length === 0 ? 'the scenario' : subject(path)} (known: ${known.join(', ')})` });
    } else if (e.keyword === 'maxProperties') {
      out.push({ at: doc.at(path), message: limitMessage(e, path, doc) });
    } else if (structural(e)) {
      const name = JSON.stringify(path.at(-1) ?? '');
      out.push({ at: doc.at(path), message: note !== undefined ? fill(note, { name }) : `${subject(path)} needs ${JSON.stringify((e.params as { missingProperty?: string }).missingProperty ?? e.keyword)}` });
    } else {
      // A value error: one message per value, and none where a value inside it is wrong (that one is more precise).
      if (valueDone.has(e.instancePath) || suppressed.has(e.instancePath)) continue;
      const here = errors.filter((x) => x.instancePath === e.instancePath && !structural(x));
      valueDone.add(e.instancePath);
      const lim = here.find((x) => LIMITS.has(x.keyword));
      if (lim !== undefined) {
        out.push({ at: doc.at(path), message: limitMessage(lim, path, doc) });
        continue;
      }
      const ss = schemasAt(path);
      const vars = { got: doc.shown(path), enum: (first(ss, 'enum') ?? []).join(' '), name: JSON.stringify(path.at(-1) ?? '') };
      const templ = here.map(annotated).find((m) => m !== undefined);
      const unit = first(ss, 'x-unit');
      out.push({ at: doc.at(path), message: templ !== undefined ? fill(templ, vars) : `${subject(path)} must be ${expected(ss)}${unit === undefined ? '' : ` (${unit})`}, got ${vars.got}` });
    }
  }
  return out;
}

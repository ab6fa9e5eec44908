// The semantic actions of libxlu_cfg_y.y and the storage helpers they call in libxlu_cfg.c
// (xlu__cfg_string_mk, xlu__cfg_list_mk, xlu__cfg_list_append, xlu__cfg_set_store and its
// `+=` concatenation). Like libxlu, every helper is a no-op once ctx.err is set, so nothing is
// stored after the first error.

import { lexicalError, type ParseContext } from './context.ts';
import type { ConfigOp, ConfigValue } from './types.ts';

/** xlu__cfg_string_mk: an atom value, or null once the parse has failed. */
export function stringMk(ctx: ParseContext, atom: string | null, line: number): ConfigValue | null {
  if (ctx.err || atom === null) return null;
  return { kind: 'string', string: atom, line };
}

/** xlu__cfg_list_mk: a list holding `first` (or empty), or null once the parse has failed. */
export function listMk(ctx: ParseContext, first: ConfigValue | null, line: number): ConfigValue | null {
  if (ctx.err) return null;
  return { kind: 'list', values: first ? [first] : [], line };
}

/** xlu__cfg_list_append. */
export function listAppend(ctx: ParseContext, list: ConfigValue | null, value: ConfigValue | null): void {
  if (ctx.err || list === null || value === null || list.kind !== 'list') return;
  list.values.push(value);
}

/**
 * xlu__cfg_set_store: records a setting. For `+=` the value is first joined with the latest
 * earlier setting of the same name (strings concatenated, lists appended); mixing the two kinds
 * is reported as a lexical error at the scanner's current token, which is the token after the
 * value (bison reduces the assignment on its default action, before reading further).
 */
export function setStore(
  ctx: ParseContext,
  name: string | null,
  op: ConfigOp,
  value: ConfigValue | null,
  line: number,
): void {
  if (ctx.err || name === null || value === null) return;
  if (op === 'add') {
    const prev = findLast(ctx, name);
    if (prev && !concatValues(ctx, prev, value)) return;
  }
  ctx.settings.push({ name, op, value, line });
}

function findLast(ctx: ParseContext, name: string): ConfigValue | undefined {
  for (let i = ctx.settings.length - 1; i >= 0; i--) {
    const setting = ctx.settings[i]!;
    if (setting.name === name) return setting.value;
  }
  return undefined;
}

/** xlu__cfg_concat_vals: mutates `toAdd` into prev+toAdd. */
function concatValues(ctx: ParseContext, prev: ConfigValue, toAdd: ConfigValue): boolean {
  if (prev.kind === 'string' && toAdd.kind === 'string') {
    toAdd.string = prev.string + toAdd.string;
    return true;
  }
  if (prev.kind === 'list' && toAdd.kind === 'list') {
    toAdd.values = [...prev.values, ...toAdd.values];
    // libxlu moves the items out of the earlier list (its nvalues becomes 0), so the earlier
    // setting is left empty rather than sharing items with the new one.
    prev.values = [];
    return true;
  }
  lexicalError(ctx, `can't add [list] to "string" or vice versa`);
  ctx.err = true;
  return false;
}

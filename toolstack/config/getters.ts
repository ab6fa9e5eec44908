// Typed reads of a parsed config with libxlu's read-time warnings (libxlu_cfg.c:
// find_atom, xlu_cfg_get_string, xlu_cfg_get_bounded_long, xlu_cfg_get_long,
// xlu_cfg_get_defbool, xlu_cfg_get_list, xlu_cfg_get_listitem). A wrong type is a warning, not
// an error: the caller (xl) keeps its default. Every lookup takes the last setting of the name.

import { cStrtol, LONG_MAX, LONG_MIN } from './strtol.ts';
import type { ConfigFile, ConfigList, ConfigSetting, ConfigString, ConfigValue, StderrWrites } from './types.ts';

/** Why a read failed, as libxlu's return codes: absent key, wrong type/format, overflow. */
export type ReadError = 'ESRCH' | 'EINVAL' | 'ERANGE';

/** A read's outcome: `{ ok: true, value }` or the errno libxlu returns. */
export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: ReadError };

/** Options shared by every getter: where warnings go, and libxlu's `dont_warn` flag. */
export interface ReadOptions {
  readonly report: StderrWrites;
  readonly dontWarn?: boolean;
}

const fail = (errno: ReadError): Read<never> => ({ ok: false, errno });

/** libxlu's find(): the latest setting of `name`, if any. */
export function findSetting(cfg: ConfigFile, name: string): ConfigSetting | undefined {
  for (let i = cfg.settings.length - 1; i >= 0; i--) {
    if (cfg.settings[i]!.name === name) return cfg.settings[i];
  }
  return undefined;
}

function warn(cfg: ConfigFile, opts: ReadOptions, line: number, text: string): void {
  if (!opts.dontWarn) opts.report.push(`${cfg.source}:${line}: warning: ${text}\n`);
}

/** find_atom: the latest setting, which must be a single value (STRING or NUMBER). */
function findAtom(cfg: ConfigFile, name: string, opts: ReadOptions): Read<ConfigSetting & { value: ConfigString }> {
  const set = findSetting(cfg, name);
  if (!set) return fail('ESRCH');
  if (set.value.kind !== 'string') {
    warn(cfg, opts, set.line, `parameter \`${name}' is a list but should be a single value`);
    return fail('EINVAL');
  }
  return { ok: true, value: set as ConfigSetting & { value: ConfigString } };
}

/** xlu_cfg_get_string: a single value as text (NUMBERs read as their text). */
export function getString(cfg: ConfigFile, name: string, opts: ReadOptions): Read<string> {
  const set = findAtom(cfg, name, opts);
  return set.ok ? { ok: true, value: set.value.value.string } : set;
}

/**
 * xlu_cfg_get_bounded_long: strtol(text, 0) of a single value; `+=` settings, overflow,
 * trailing junk and bounds each warn once and fail. Values are C longs (64-bit), hence bigint.
 */
export function getBoundedLong(
  cfg: ConfigFile,
  name: string,
  min: bigint,
  max: bigint,
  opts: ReadOptions,
): Read<bigint> {
  const found = findAtom(cfg, name, opts);
  if (!found.ok) return found;
  const set = found.value;
  if (set.op === 'add') {
    warn(cfg, opts, set.line, `can't use += with numbers for parameter \`${name}'`);
    return fail('EINVAL');
  }
  const text = set.value.string;
  const { value, end, erange } = cStrtol(text, 0);
  if (erange) {
    warn(cfg, opts, set.line, `parameter \`${name}' could not be parsed as a number: Numerical result out of range`);
    return fail('ERANGE');
  }
  if (end === 0 || end !== text.length) {
    warn(cfg, opts, set.line, `parameter \`${name}' is not a valid number`);
    return fail('EINVAL');
  }
  if (value < min) {
    warn(cfg, opts, set.line, `value \`${value}' is smaller than minimum bound '${min}'`);
    return fail('EINVAL');
  }
  if (value > max) {
    warn(cfg, opts, set.line, `value \`${value}' is greater than maximum bound '${max}'`);
    return fail('EINVAL');
  }
  return { ok: true, value };
}

/** xlu_cfg_get_long: {@link getBoundedLong} over the whole range of a C long. */
export function getLong(cfg: ConfigFile, name: string, opts: ReadOptions): Read<bigint> {
  return getBoundedLong(cfg, name, LONG_MIN, LONG_MAX, opts);
}

/** xlu_cfg_get_defbool: a number, non-zero meaning true. */
export function getDefbool(cfg: ConfigFile, name: string, opts: ReadOptions): Read<boolean> {
  const l = getLong(cfg, name, opts);
  return l.ok ? { ok: true, value: l.value !== 0n } : l;
}

/** xlu_cfg_get_list: the latest setting, which must be a list. */
export function getList(cfg: ConfigFile, name: string, opts: ReadOptions): Read<ConfigList> {
  const set = findSetting(cfg, name);
  if (!set) return fail('ESRCH');
  if (set.value.kind !== 'list') {
    warn(cfg, opts, set.line, `parameter \`${name}' is a single value but should be a list`);
    return fail('EINVAL');
  }
  return { ok: true, value: set.value };
}

/** xlu_cfg_get_listitem: item `i` as text, undefined if out of range or itself a list. */
export function getListItem(list: ConfigList, i: number): string | undefined {
  const item: ConfigValue | undefined = list.values[i];
  return item?.kind === 'string' ? item.string : undefined;
}

/** xlu_cfg_get_list_as_string_list: every item as text (nested lists become undefined). */
export function getListAsStringList(cfg: ConfigFile, name: string, opts: ReadOptions): Read<(string | undefined)[]> {
  const list = getList(cfg, name, opts);
  if (!list.ok) return list;
  return { ok: true, value: list.value.values.map((_, i) => getListItem(list.value, i)) };
}

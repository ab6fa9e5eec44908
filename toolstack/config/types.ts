// The data a parsed xl config file holds: libxlu's XLU_Config / XLU_ConfigSetting /
// XLU_ConfigValue (tools/libs/util/libxlu_internal.h), as plain immutable-shaped objects.
// Leaves out: value columns (libxlu's `loc.first_column`, only used by the
// xlu_cfg_value_get_* warnings that xl never emits for the keys we model).

/**
 * What a function writes to stderr, one entry per write (fprintf/fputs), each exactly as
 * written: normally ending in `\n`, but not always — xl's `invalid autoballoon option` has no
 * newline, so the next write continues the same terminal line. `stderr.join('')` is the byte
 * stream xl would produce.
 */
export type StderrWrites = string[];

/** A config value: an atom (STRING or NUMBER, both kept as text) or a list of values. */
export type ConfigValue = ConfigString | ConfigList;

export interface ConfigString {
  readonly kind: 'string';
  /** Dequoted text of a STRING, or the NUMBER's text as written (`0x400`, `010`, `12abc`). */
  string: string;
  /** Line of the atom (bison `@1.first_line`). */
  readonly line: number;
}

export interface ConfigList {
  readonly kind: 'list';
  /** Items in order; items may themselves be lists (the grammar allows nesting). */
  values: ConfigValue[];
  /** Line of the opening `[`. */
  readonly line: number;
}

/** `=` or `+=` (libxlu's XLU_OP_ASSIGNMENT / XLU_OP_ADDITION). */
export type ConfigOp = 'assign' | 'add';

/** One `key = value` / `key += value` statement (libxlu's XLU_ConfigSetting). */
export interface ConfigSetting {
  readonly name: string;
  readonly op: ConfigOp;
  readonly value: ConfigValue;
  /** Line of the value's first token: what every read-time warning reports. */
  readonly line: number;
}

/**
 * A parsed file. `settings` are in order of appearance; every lookup takes the **last**
 * setting of a name (libxlu prepends to a linked list and returns the first match).
 */
export interface ConfigFile {
  /** Name used in every message (`<src>:<line>: …`): the path as given to xl. */
  readonly source: string;
  readonly settings: readonly ConfigSetting[];
}

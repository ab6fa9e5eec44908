// One argument parser for every command. A command is declared once — its positional arguments
// and its flags, each flag with its help text, its value parser and its default — and
// commander turns that declaration into the parser, the --help text and the syntax errors
// (unknown options with a "did you mean", missing values, extra arguments, conflicts). Values are
// converted by the flags' own parsers (values.ts), after commander, so that every message has
// one form: `xen-memsim CMD: MESSAGE`, the usage line, exit status 2.

import { Command, CommanderError, Help, Option } from 'commander';
import { bad, ok, type Parsed } from './values.ts';

/** What commander hands a flag's parser: a word, the words of a `<X...>` flag, or a switch's state. */
export type RawValue = string | readonly string[] | boolean;

export interface Flag<T> {
  /** commander's syntax: `--xen <VERSION>`, `--inject <BUG...>`, `--threads`, `--no-pokes`. */
  readonly syntax: string;
  readonly help: string;
  readonly parse: (raw: RawValue) => Parsed<T>;
  /** The value when the flag is absent (see withDefault). */
  readonly default?: T;
  /** How the default reads in --help, when it is not just the value. */
  readonly defaultHelp?: string;
  /** Older or per-command spellings of the same flag (`--host-mib` for `--memory`): accepted, named in the help. */
  readonly aliases?: readonly string[];
  /** Flags (their long names without dashes) that may not be given together with this one. */
  readonly conflicts?: readonly string[];
  /** May be given several times (`--allow-dir A --allow-dir B`): the parser gets every value, in order. */
  readonly repeatable?: boolean;
}

export type Flags = Readonly<Record<string, Flag<unknown>>>;

/** The parsed values: a flag with a default always has a value, the others may be undefined. */
export type Values<F extends Flags> = {
  -readonly [K in keyof F]: F[K] extends { readonly default: infer T } ? T : F[K] extends Flag<infer T> ? T | undefined : never;
};

export function withDefault<T>(flag: Flag<T>, value: T, defaultHelp?: string): Flag<T> & { readonly default: T } {
  return { ...flag, default: value, ...(defaultHelp === undefined ? {} : { defaultHelp }) };
}

/** A switch: present or not. */
export function switchFlag(syntax: string, help: string): Flag<boolean> & { readonly default: boolean } {
  return { syntax, help, parse: (raw) => ok(raw === true), default: syntax.startsWith('--no-') };
}

/** A flag whose value is one word, given to `parse`. */
export function wordFlag<T>(syntax: string, help: string, parse: (text: string) => Parsed<T>): Flag<T> {
  return { syntax, help, parse: (raw) => (typeof raw === 'string' ? parse(raw) : bad(`${longName(syntax)} needs a value`)) };
}

export interface ArgumentDef {
  /** As shown in usage: FILE, TRACE.jsonl. */
  readonly name: string;
  readonly help: string;
  readonly optional?: boolean;
}

export interface CommandDef<F extends Flags> {
  readonly name: string;
  readonly summary: string;
  readonly args?: readonly ArgumentDef[];
  readonly flags: F;
  /** Help text after the options: formats, exit statuses, examples. */
  readonly more?: string;
}

export interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

export type ParseResult<F extends Flags> =
  | {
    readonly ok: true;
    readonly values: Values<F>;
    readonly args: string[];
    /** The spelling each given flag was given as (`--host-mib` or `--memory`), for messages. */
    readonly spelled: Partial<Record<keyof F, string>>;
  }
  | { readonly ok: false; readonly status: number };

const longName = (syntax: string): string => /--[\w-]+/.exec(syntax)?.[0] ?? syntax;

/** Exit status of bad usage (as sysexits' EX_USAGE is not used by xl either: 2, like getopt users). */
export const EXIT_USAGE = 2;

/** Help with lower-case headings ("usage:", "options:"), as the project's messages are written. */
class ProjectHelp extends Help {
  override styleTitle(title: string): string {
    return title.toLowerCase();
  }
}

function optionFor(syntax: string, help: string, f: Flag<unknown>, hidden: boolean): Option {
  const extra = [
    f.defaultHelp !== undefined ? `default: ${f.defaultHelp}` : f.default !== undefined && typeof f.default !== 'boolean' ? `default: ${String(f.default)}` : '',
    f.aliases !== undefined && !hidden ? `also ${f.aliases.join(', ')}` : '',
  ].filter((s) => s !== '');
  const o = new Option(syntax, extra.length > 0 ? `${help} (${extra.join('; ')})` : help);
  if (hidden) o.hideHelp();
  if (f.repeatable === true) o.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return o;
}

function build<F extends Flags>(def: CommandDef<F>, io: Io, errors: string[]): { cmd: Command; options: Array<{ key: keyof F; names: Option[] }> } {
  const cmd = new Command(`xen-memsim ${def.name}`)
    .description(def.summary)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s), outputError: (s) => void errors.push(s) });
  cmd.createHelp = () => Object.assign(new ProjectHelp(), cmd.configureHelp());
  for (const a of def.args ?? []) cmd.argument(a.optional === true ? `[${a.name}]` : `<${a.name}>`, a.help);
  const options: Array<{ key: keyof F; names: Option[] }> = [];
  for (const key of Object.keys(def.flags) as Array<keyof F & string>) {
    const f = def.flags[key];
    const names = [optionFor(f.syntax, f.help, f, false)];
    for (const alias of f.aliases ?? []) names.push(optionFor(f.syntax.replace(/--[\w-]+/, alias), f.help, f, true));
    for (const o of names) cmd.addOption(o);
    options.push({ key, names });
  }
  for (const { key, names } of options) {
    const conflicts = def.flags[key].conflicts ?? [];
    const others = options.filter((o) => conflicts.includes(String(o.key))).flatMap((o) => o.names.map((n) => n.attributeName()));
    if (others.length > 0) for (const n of names) n.conflicts(others);
  }
  if (def.more !== undefined) cmd.addHelpText('after', `\n${def.more.replace(/\n$/, '')}`);
  return { cmd, options };
}

/** The usage line and where to find more, printed after every usage error. */
function usageHint(def: CommandDef<Flags>, cmd: Command): string {
  return `usage: xen-memsim ${def.name} ${cmd.usage()}\n(xen-memsim ${def.name} --help lists the options)\n`;
}

/** commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line of ours. */
function commanderMessage(text: string): string {
  return text.trim().replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)');
}

/** Prints a usage error for `def` (the message, then the usage line). @returns the exit status, 2 */
export function usageError(def: CommandDef<Flags>, message: string, io: Io = process): number {
  const { cmd } = build(def, io, []);
  io.stderr.write(`xen-memsim ${def.name}: ${message}\n${usageHint(def, cmd)}`);
  return EXIT_USAGE;
}

/**
 * Parses `argv` (the words after the command's name) against `def`. --help prints the help on
 * stdout ({ok: false, status: 0}); a usage error prints its message on stderr (status 2).
 */
export function parseCommand<F extends Flags>(def: CommandDef<F>, argv: readonly string[], io: Io = process): ParseResult<F> {
  const errors: string[] = [];
  const { cmd, options } = build(def, io, errors);
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' && e.exitCode === 0) return { ok: false, status: 0 };
    io.stderr.write(`xen-memsim ${def.name}: ${commanderMessage(errors.join('') || e.message)}\n${usageHint(def, cmd)}`);
    return { ok: false, status: EXIT_USAGE };
  }
  const given = cmd.opts() as Record<string, RawValue | undefined>;
  const values: Record<string, unknown> = {};
  const spelled: Partial<Record<keyof F, string>> = {};
  for (const { key, names } of options) {
    const f = def.flags[key];
    const present = names.filter((n) => given[n.attributeName()] !== undefined && cmd.getOptionValueSource(n.attributeName()) !== 'default');
    if (present.length > 1) return { ok: false, status: usageError(def, `give ${present.map((n) => n.long).join(' or ')}, not both (the same flag)`, io) };
    const raw = present.length === 1 ? given[present[0].attributeName()] : undefined;
    if (raw === undefined) {
      values[key as string] = f.default;
      continue;
    }
    spelled[key] = present[0].long;
    // commander hands a required value over even when it is the next option (`--inject --runs 1`).
    const first = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined;
    if (first !== undefined && /^--?[A-Za-z]/.test(first) && def.flags[key].syntax.includes('<')) {
      return { ok: false, status: usageError(def, `${present[0].long} needs a value, not the option ${first}`, io) };
    }
    const p = f.parse(raw);
    // A `<X...>` list takes every word up to the next option: a positional argument after it is read as an item.
    const listHint = Array.isArray(raw) && (def.args ?? []).length > 0 ? ` (the list after ${present[0].long} ends at the next option or at --)` : '';
    if (!p.ok) return { ok: false, status: usageError(def, `${present[0].long}${p.message.startsWith('must ') ? ' ' : ': '}${p.message}${listHint}`, io) };
    values[key as string] = p.value;
  }
  return { ok: true, values: values as Values<F>, args: [...cmd.args], spelled };
}

/** The full --help text of `def`, as --help prints it (for docs and tests). */
export function helpText<F extends Flags>(def: CommandDef<F>): string {
  let text = '';
  const { cmd } = build(def, { stdout: { write: (s) => void (text += s) }, stderr: { write: () => undefined } }, []);
  cmd.outputHelp();
  return text;
}

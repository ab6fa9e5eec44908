// The flags more than one command takes, each defined once so that it means the same thing,
// takes the same values and says the same in every command's --help: --xen, --seed, --inject,
// --memory (alias --host-mib), --nodes, --threads, the output paths --out, --trace, --report, and
// the user's module files --property, --plugin.
// Host sizes are checked against the model's limits by hostProblems() (host.ts), once all flags are read.

import { HV_BUGS, XEN_VERSIONS, type XenVersion } from '../../hv/index.ts';
import { TOOLSTACK_BUGS } from '../../toolstack/bugs.ts';
import { bad, closestName, listOf, ok, oneOf, rangeText, shown, wholeNumber, type Parsed, type Range } from './values.ts';
import { HOST_MEMORY_MIB, HOST_NODES } from './host.ts';
import { switchFlag, withDefault, wordFlag, type Flag, type RawValue } from './command.ts';

/** Every bug --inject knows: the hypervisor's, the toolstack's, and the guest kernel's B14 (guests/selfballoon.ts). */
export const INJECTABLE_BUGS: readonly string[] = [...Object.keys(HV_BUGS), ...Object.keys(TOOLSTACK_BUGS), 'B14'].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

/** Seeds feed 32-bit generators (sim/rng.ts Mulberry32, fast-check): 0 … 2^32 − 1. */
export const SEED_RANGE: Range = { min: 0, max: 0xffff_ffff };

/** A whole number in `r` for `flag`. */
export function numberFlag(syntax: string, help: string, r: Range): Flag<number> {
  return wordFlag(syntax, help, (t) => wholeNumber(t, r));
}

export const xenFlag = (defaultVersion: XenVersion, why = ''): Flag<XenVersion> & { readonly default: XenVersion } =>
  withDefault(
    wordFlag('--xen <VERSION>', `Xen version: ${XEN_VERSIONS.join(' | ')}`, (t) => {
      const p = oneOf('Xen version', XEN_VERSIONS)(t);
      const near = closestName(t, XEN_VERSIONS);
      return p.ok ? p : bad(`must be one of ${XEN_VERSIONS.join(', ')} (got ${shown(t).slice(1, -1)}${near === undefined ? '' : `; did you mean ${near}?`})`);
    }),
    defaultVersion,
    `${defaultVersion}${why}`,
  );

export const seedFlag = (what: string): Flag<number> => numberFlag('--seed <N>', `${what}, 0..2^32-1`, SEED_RANGE);

/** `--inject B1 B2` or `--inject B1,B2`: at least one bug. */
export const injectFlag: Flag<string[]> & { readonly default: string[] } = withDefault(
  {
    syntax: '--inject <BUG...>',
    help: `historical bugs to inject (${INJECTABLE_BUGS.join(' ')})`,
    parse: (raw: RawValue): Parsed<string[]> => (Array.isArray(raw) ? listOf('bug', INJECTABLE_BUGS)(raw) : bad('needs at least one BUG')),
  },
  [],
  'none',
);

/** Host RAM in MiB, within the model's limits. `--host-mib` is the demo's name for it; both work everywhere. */
export const memoryFlag = (defaultMiB: number, where: string): Flag<number> & { readonly default: number } =>
  withDefault({ ...numberFlag('--memory <MiB>', `host RAM, ${rangeText(HOST_MEMORY_MIB)}`, HOST_MEMORY_MIB), aliases: ['--host-mib'] }, defaultMiB, `${defaultMiB}${where}`);

export const nodesFlag = (help: string): Flag<number> => numberFlag('--nodes <N>', `${help}, ${rangeText(HOST_NODES)}`, HOST_NODES);

/** A path written by the command: checked before the run starts (paths.ts). */
export const outputFlag = (syntax: string, help: string): Flag<string> =>
  wordFlag(syntax, help, (t) => (t === '' ? bad('needs a path') : ok(t)));

/** Module files of the user's own (repeatable): `--property FILE` of check, `--plugin FILE` of replay and report. */
export const moduleFilesFlag = (syntax: string, help: string): Flag<string[]> & { readonly default: string[] } =>
  withDefault({
    syntax,
    help: `${help} (repeatable)`,
    repeatable: true,
    parse: (raw) => (Array.isArray(raw) && raw.every((f) => f !== '') ? ok([...raw]) : bad('needs a module file')),
  }, [], 'none');

/** Modules a trace names that the replay may import (world/trace-plugins.ts): replay, report. */
export const pluginFlag = moduleFilesFlag('--plugin <FILE>', "a plugin module the trace names that you trust: a replay imports no module of a trace's unless allowed, since importing runs its code");

export const outFlag = (help: string, metavar: 'FILE' | 'DIR' = 'FILE'): Flag<string> => outputFlag(`--out <${metavar}>`, help);
export const traceFlag = (help: string): Flag<string> => outputFlag('--trace <FILE>', help);
export const reportFlag = (help: string): Flag<string> => outputFlag('--report <FILE>', help);

export const threadsFlag = (help: string): Flag<boolean> & { readonly default: boolean } => switchFlag('--threads', help);

/**
 * Wall-clock budget of a run (run, demo: each variant) or of a whole campaign (check: search and
 * shrinking), seconds: when it is spent the run stops — scheduled, a recorded stop, so its trace
 * still replays; on real threads, runThreads' timeout — and the command prints what it has and
 * exits 1. A week at most (world/world.ts WALL_BUDGET_MS_MAX).
 */
export const WALL_BUDGET_S: Range = { min: 1, max: 7 * 24 * 3600, unit: 's' };
export const wallBudgetFlag = (defaultS: number): Flag<number> & { readonly default: number } =>
  withDefault(numberFlag('--wall-budget <SECONDS>', `stop after this much wall-clock time, print what it has and exit 1, ${rangeText(WALL_BUDGET_S)}`, WALL_BUDGET_S), defaultS, `${defaultS}`);

// The commands' declarations through the one parser, in process: every kind of bad argv gets
// its message and exit status 2, good argv its typed values (the spawned CLI: cli/cli.test.ts).

import { describe, expect, it } from 'vitest';
import { CHECK } from '../commands/check.ts';
import { DEMO } from '../commands/demo.ts';
import { REPLAY } from '../commands/replay.ts';
import { REPORT } from '../commands/report.ts';
import { RUN } from '../commands/run.ts';
import { SHELL } from '../commands/shell.ts';
import { BENCH } from '../commands/bench.ts';
import { XEN_VERSIONS } from '../../hv/index.ts';
import { helpText, parseCommand, type CommandDef, type Flags } from './command.ts';

function parse<F extends Flags>(def: CommandDef<F>, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const r = parseCommand(def, argv, { stdout: { write: (s: string) => void (stdout += s) }, stderr: { write: (s: string) => void (stderr += s) } });
  return { r, stdout, stderr };
}

function refused<F extends Flags>(def: CommandDef<F>, argv: string[], message: RegExp): void {
  const { r, stdout, stderr } = parse(def, argv);
  expect(r, argv.join(' ')).toEqual({ ok: false, status: 2 });
  expect(stdout).toBe('');
  const [first, usage, ...rest] = stderr.split('\n');
  expect(first, argv.join(' ')).toMatch(new RegExp(`^xen-memsim ${def.name}: ${message.source}`));
  expect(usage).toMatch(new RegExp(`^usage: xen-memsim ${def.name} `));
  expect(rest).toEqual([`(xen-memsim ${def.name} --help lists the options)`, '']);
}

describe('values: typed, defaulted, and the same for a shared flag in every command', () => {
  it('check: its defaults, lists, switches and numbers', () => {
    const { r } = parse(CHECK, ['--inject', 'B1', 'B2,B3', '--ignore', 'no-leaked-claims', '--family', 'xl,tmem', '--strategy', 'dfs', '--no-pokes', '--runs', '5', '--nodes', '64', '--seed', '4294967295']);
    expect(r).toMatchObject({ ok: true, values: { xen: '4.22', inject: ['B1', 'B2', 'B3'], ignore: ['no-leaked-claims'], family: ['xl', 'tmem'], strategy: ['dfs'], pokes: false, runs: 5, nodes: 64, seed: 4294967295, threads: false } });
    expect(parse(CHECK, []).r).toMatchObject({ ok: true, values: { xen: '4.22', inject: [], ignore: [], pokes: true, threads: false, runs: undefined, seed: undefined } });
  });

  it('--memory and --host-mib are one flag, in the shell and the demo alike; --flag=value works', () => {
    expect(parse(SHELL, ['--host-mib', '2048']).r).toMatchObject({ ok: true, values: { memory: 2048 }, spelled: { memory: '--host-mib' } });
    expect(parse(DEMO, ['--memory=1024', '--xen', '4.22']).r).toMatchObject({ ok: true, values: { memory: 1024, xen: '4.22', seed: 1, out: 'xen-memsim-demo' } });
    expect(parse(SHELL, ['script.xl', '--inject', 'B1']).r).toMatchObject({ ok: true, values: { inject: ['B1'], memory: 8192, nodes: 1 }, args: ['script.xl'] });
    expect(parse(SHELL, ['--inject', 'B1', '--', 'script.xl']).r).toMatchObject({ ok: true, values: { inject: ['B1'] }, args: ['script.xl'] });
    refused(SHELL, ['--inject', 'B1', 'script.xl'], /--inject: unknown bug "script\.xl"; known: .* \(the list after --inject ends at the next option or at --\)/);
    refused(SHELL, ['--memory', '100', '--host-mib', '200'], /give --memory or --host-mib, not both/);
  });

  it('positional arguments: exactly what each command takes', () => {
    expect(parse(REPLAY, ['t.jsonl']).r).toMatchObject({ ok: true, args: ['t.jsonl'] });
    expect(parse(REPORT, ['t.jsonl', '--perfetto', 'p.json']).r).toMatchObject({ ok: true, values: { perfetto: 'p.json', out: undefined } });
    expect(parse(RUN, ['s.json', '--threads', '--policy', 'pct:1:3']).r).toMatchObject({ ok: true, values: { threads: true, policy: 'pct:1:3' } });
    expect(parse(BENCH, ['--quick']).r).toMatchObject({ ok: true, values: { quick: true } });
  });
});

describe('refusals: exit 2, one message, the usage line', () => {
  it('numbers outside the model\'s limits or not whole numbers', () => {
    refused(CHECK, ['--nodes', '65'], /--nodes must be a whole number in 1\.\.64 \(got "65"\)/);
    refused(CHECK, ['--runs', '0'], /--runs must be a whole number in 1\.\.1000000/);
    refused(CHECK, ['--time', '86401'], /--time must be a whole number in 1\.\.86400 s/);
    refused(CHECK, ['--shrink-time', '1.5'], /--shrink-time must be a whole number in 1\.\.3600 s/);
    refused(CHECK, ['--seed', '4294967296'], /--seed must be a whole number in 0\.\.4294967295/);
    refused(SHELL, ['--memory', '16777217'], /--memory must be a whole number in 4\.\.16777216 MiB \(got "16777217"\)/);
    refused(SHELL, ['--nodes', '0'], /--nodes must be a whole number in 1\.\.64/);
    refused(DEMO, ['--host-mib', '-1'], /--host-mib must be a whole number in 4\.\./);
    refused(DEMO, ['--guest-mib', '0x10'], /--guest-mib must be a whole number in 1\.\./);
  });

  it('names: the known ones listed, a "did you mean" for a likely typo', () => {
    refused(CHECK, ['--ignore', 'no-leaked-claim'], /--ignore: unknown property "no-leaked-claim" \(did you mean no-leaked-claims\?\); known: /);
    refused(CHECK, ['--inject', 'b1'], /--inject: unknown bug "b1" \(did you mean B1\?\)/);
    refused(SHELL, ['--inject', 'B99'], /--inject: unknown bug "B99"; known: B1, /);
    refused(CHECK, ['--family', 'tmm'], /--family: unknown family "tmm" \(did you mean tmem\?\)/);
    refused(CHECK, ['--family', 'xl,,tmem'], /--family: empty family/);
    refused(CHECK, ['--strategy', 'dsf'], /--strategy: unknown strategy "dsf" \(did you mean dfs\?\)/);
    const versions = XEN_VERSIONS.join(', ').replace(/[.+]/g, '\\$&');
    refused(DEMO, ['--xen', '4.211'], new RegExp(`--xen must be one of ${versions} \\(got 4\\.211; did you mean 4\\.21\\?\\)`));
    refused(SHELL, ['--xen', '5.0'], new RegExp(`--xen must be one of ${versions} \\(got 5\\.0\\)$`));
    refused(CHECK, ['--claim-mode', '2'], /--claim-mode: unknown claim_mode "2"; known: 0, 1/);
    refused(RUN, ['s.json', '--policy', 'pct:1:0'], /--policy: schedule policy "pct:1:0": DEPTH must be in 1\.\.100/);
    refused(RUN, ['s.json', '--policy', 'rnd:1'], /--policy: unknown schedule policy "rnd:1"/);
  });

  it('syntax: unknown options (with a suggestion), missing values, options as values, extra arguments, conflicts', () => {
    refused(RUN, ['s.json', '--threds'], /unknown option '--threds' \(did you mean --threads\?\)/);
    refused(BENCH, ['--quik'], /unknown option '--quik' \(did you mean --quick\?\)/);
    refused(REPORT, ['t.jsonl', '--colour'], /unknown option '--colour'/);
    refused(CHECK, ['--seed'], /option '--seed <N>' argument missing/);
    refused(CHECK, ['--inject', '--runs', '1'], /--inject needs a value, not the option --runs/);
    refused(CHECK, ['--out', '--threads'], /--out needs a value, not the option --threads/);
    refused(CHECK, ['--time', '5', '--runs', '3'], /option '--runs <N>' cannot be used with option '--time <SECONDS>'/);
    refused(REPLAY, [], /missing required argument 'FILE'/);
    refused(REPORT, ['a.jsonl', 'b.jsonl'], /too many arguments/);
    refused(CHECK, ['extra'], /too many arguments/);
    refused(REPORT, ['t.jsonl', '--out', ''], /--out: needs a path/);
  });

  it('--help prints the generated help on stdout and stops (status 0)', () => {
    const { r, stdout, stderr } = parse(CHECK, ['--runs', '3', '--help']);
    expect(r).toEqual({ ok: false, status: 0 });
    expect(stderr).toBe('');
    expect(stdout).toBe(helpText(CHECK));
    expect(stdout).toMatch(/^usage: xen-memsim check \[options\]\n/);
  });
});

// Sub-command dispatch. Each sub-command lives in cli/commands/<name>.ts and exports
// `main(argv): Promise<number>` (the process exit status), parsing its argv with its own
// declaration (cli/args/command.ts); modules load on demand so `xen-memsim shell` does not pay
// for the report or the workers. The top level (no command, --help, --version, a mistyped
// command) is commander's too, so it answers in the same form.

import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../report/package-files.ts';
import { cachedSchemaValidators } from '../world/scenario-file/schema-cache.ts';
import { useSchemaValidators } from '../world/scenario-file/schema.ts';
import { EXIT_USAGE } from './args/command.ts';

const COMMANDS: Readonly<Record<string, { summary: string }>> = {
  demo: { summary: 'the headline story: claim_mode=0 vs 1 on an over-committed tmem host' },
  shell: { summary: 'an xl shell on an emulated host (interactive, or a script of xl commands)' },
  run: { summary: 'run a scenario file' },
  check: { summary: 'hunt races: a property campaign over scenarios and schedules' },
  merge: { summary: "combine the results of a campaign's shards (check --shard K/N) into one" },
  replay: { summary: 'replay a trace exactly and report the first divergence' },
  report: { summary: 'write the HTML report / Perfetto trace of a trace file' },
  bench: { summary: 'run every benchmark and print figures with their ratios' },
  web: { summary: 'the browser playground: an xl terminal, live memory chart and interleavings' },
};

/** The package's version (package.json, found from the sources and from dist/ alike). */
export const VERSION: string = PACKAGE_VERSION;

/** The top level as commander sees it: the commands (for help and "did you mean"), --version. */
function topLevel(errors: string[]): Command {
  const program = new Command('xen-memsim')
    .usage('<command> [options]')
    .description('An emulator of Xen\'s memory management (claims, tmem, ballooning guests, xl)\nwith real threads and exact replay.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => void process.stdout.write(s), writeErr: (s) => void process.stderr.write(s), outputError: (s) => void errors.push(s) })
    .addHelpText('after', '\nxen-memsim <command> --help shows the options of one command.');
  program.configureHelp({ styleTitle: (t) => t.toLowerCase() });
  for (const [name, c] of Object.entries(COMMANDS)) program.command(name).description(c.summary);
  return program;
}

/** The top-level help text. */
export function usage(): string {
  return topLevel([]).helpInformation();
}

async function top(argv: string[]): Promise<number> {
  const errors: string[] = [];
  const program = topLevel(errors);
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return 0; // --help, --version
    if (e.code === 'commander.help') return EXIT_USAGE; // no command: the help went to stderr
    const message = (errors.join('') || e.message).trim().replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)');
    process.stderr.write(`xen-memsim: ${message}\n(xen-memsim --help lists the commands)\n`);
    return EXIT_USAGE;
  }
  return EXIT_USAGE; // not reached: every known command is dispatched before commander
}

export async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0 && Object.hasOwn(COMMANDS, rest[0])) [name, rest] = [rest[0], ['--help']];
  if (name === 'help' && rest.length === 0) return top(['--help']);
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) return top(argv);
  // The campaign's actor kinds and property monitors are names scenario files and traces use.
  await import('../prop-tests/campaign/plugin.ts');
  // Scenario files are checked by the schema's code cached on disk, not compiled at every start.
  useSchemaValidators(cachedSchemaValidators);
  const mod = (await import(`./commands/${name}.ts`)) as { main: (argv: string[]) => Promise<number> };
  return mod.main(rest);
}

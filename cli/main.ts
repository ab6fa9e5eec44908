// Sub-command dispatch. Each sub-command lives in cli/commands/<name>.ts and exports
// `main(argv): Promise<number>` (the process exit status); modules load on demand so
// `xen-memsim shell` does not pay for the report or the workers.

const COMMANDS: Readonly<Record<string, { summary: string }>> = {
  demo: { summary: 'the headline story: claim_mode=0 vs 1 on an over-committed tmem host' },
  shell: { summary: 'an xl shell on an emulated host (interactive, or a script of xl commands)' },
  run: { summary: 'run a scenario file' },
  check: { summary: 'hunt races: a property campaign over scenarios and schedules' },
  replay: { summary: 'replay a trace exactly and report the first divergence' },
  report: { summary: 'write the HTML report / Perfetto trace of a trace file' },
  bench: { summary: 'run every benchmark and print figures with their ratios' },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: xen-memsim <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'xen-memsim <command> --help shows the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`xen-memsim: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  // The campaign's actor kinds and property monitors are names scenario files and traces use.
  await import('../prop-tests/campaign/plugin.ts');
  let mod: { main: (argv: string[]) => Promise<number> };
  try {
    mod = (await import(`./commands/${name}.ts`)) as typeof mod;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`commands/${name}.ts`)) {
      process.stderr.write(`xen-memsim: "${name}" is not available in this build yet\n`);
      return 2;
    }
    throw e;
  }
  return mod.main(rest);
}

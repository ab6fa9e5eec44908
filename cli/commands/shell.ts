// `xen-memsim shell [--memory MiB] [--xen VERSION] [--nodes N] [--inject BUG...] [--xl-conf FILE] [SCRIPT]`:
// an xl shell on one emulated host (world/shell/). With SCRIPT, or stdin that is not a
// terminal, it reads one command per line and writes exactly what xl writes (no prompt, no
// banner), and exits with the last xl command's status. On a terminal it is interactive.

import { existsSync } from 'node:fs';
import { XlHost } from '../../world/shell/host.ts';
import { runInteractive, runScript } from '../../world/shell/run.ts';
import { parseCommand, usageError, wordFlag } from '../args/command.ts';
import { injectFlag, memoryFlag, nodesFlag, xenFlag } from '../args/flags.ts';
import { hostProblems } from '../args/host.ts';
import { INPUT_LIMITS, readInput } from '../args/paths.ts';
import { ok } from '../args/values.ts';
import { withDefault } from '../args/command.ts';
import { onInterrupt } from '../lifecycle.ts';

/** The shell's smallest host: dom0 gets an eighth of it and must boot a kernel. */
export const SHELL_MIN_MIB = 64;

export const SHELL = {
  name: 'shell',
  summary: 'an xl shell on an emulated host (interactive, or a script of xl commands)',
  args: [{ name: 'SCRIPT', help: "a file of commands (xl ..., sleep SECONDS, exit, # comments); '-' or none: stdin", optional: true }],
  flags: {
    memory: memoryFlag(8192, `; at least ${SHELL_MIN_MIB}`),
    xen: xenFlag('4.22'),
    nodes: withDefault(nodesFlag('NUMA nodes'), 1),
    inject: injectFlag,
    xlConf: wordFlag('--xl-conf <FILE>', 'xl.conf to use (default: an empty one)', (t) => ok(t)),
  },
  more: 'On a terminal: a prompt with history; Ctrl-C clears the line or interrupts a sleep, exit or Ctrl-D quits.\n' +
    'Otherwise it prints exactly what xl prints and exits with the last xl command\'s status.\n',
} as const;

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(SHELL, argv);
  if (!p.ok) return p.status;
  const { memory, xen, nodes, inject, xlConf } = p.values;
  const problems = hostProblems({ memoryMiB: memory, nodes, xen, inject }, { memoryMiB: p.spelled.memory });
  if (problems.length === 0 && memory < SHELL_MIN_MIB) problems.push(`${p.spelled.memory ?? '--memory'} must be at least ${SHELL_MIN_MIB} MiB for the shell (got ${memory})`);
  if (problems.length > 0) return usageError(SHELL, problems.join('; '));
  let xlConfText: string | null = null;
  if (xlConf !== undefined && existsSync(xlConf)) {
    const r = readInput(xlConf, INPUT_LIMITS.config);
    if (!r.ok) return usageError(SHELL, `--xl-conf: ${r.message}`);
    xlConfText = r.text;
  }
  const script = p.args[0];
  const interactive = (script === undefined || script === '-') && process.stdin.isTTY === true;
  let text = '';
  if (!interactive) {
    const r = readInput(script === undefined || script === '-' ? 0 : script, INPUT_LIMITS.script);
    if (!r.ok) {
      process.stderr.write(`xen-memsim shell: ${r.message}\n`);
      return 2;
    }
    text = r.text;
  }
  const host = new XlHost({
    memoryMiB: memory, xen, nodes,
    ...(inject.length === 0 ? {} : { inject }),
    ...(xlConf === undefined ? {} : { xlConf: { path: xlConf, text: xlConfText } }),
  });
  const io = { stdout: process.stdout, stderr: process.stderr };
  const cwd = process.cwd();
  try {
    if (interactive) {
      // A SIGINT sent to the process acts as Ctrl-C at the terminal; SIGTERM and SIGHUP end the shell.
      return await runInteractive(host, process.stdin, cwd, io, {
        onInterrupt: (ctrlC) => onInterrupt((signal) => {
          if (signal !== 'SIGINT') return 'exit';
          ctrlC();
          return 'handled';
        }),
      });
    }
    return await runScript(host, text, cwd, io, script === undefined || script === '-' ? '<stdin>' : script);
  } catch (e) {
    process.stderr.write(`xen-memsim shell: ${(e as Error).message}\n`);
    return 70;
  }
}

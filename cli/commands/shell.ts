// `xen-memsim shell [--memory MiB] [--xen VERSION] [--nodes N] [--xl-conf FILE] [SCRIPT]`: an xl
// shell on one emulated host (toolstack/shell/). With SCRIPT, or stdin that is not a terminal,
// it reads one command per line and writes exactly what xl writes (no prompt, no banner), and
// exits with the last xl command's status. On a terminal it is interactive.

import { readFileSync } from 'node:fs';
import { isXenVersion, XEN_VERSIONS, type XenVersion } from '../../hv/version.ts';
import { XlHost } from '../../world/shell/host.ts';
import { runInteractive, runScript } from '../../world/shell/run.ts';

const USAGE = `usage: xen-memsim shell [--memory MiB] [--xen VERSION] [--nodes N] [--xl-conf FILE] [SCRIPT]
  --memory MiB     host RAM (default 8192)
  --xen VERSION    ${XEN_VERSIONS.join(' | ')} (default 4.22)
  --nodes N        NUMA nodes (default 1)
  --xl-conf FILE   xl.conf to use (default: an empty one)
  SCRIPT           a file of commands (xl ..., sleep SECONDS, # comments); default: stdin
`;

interface ShellArgs {
  memoryMiB: number;
  xen: XenVersion;
  nodes: number;
  xlConfPath: string | undefined;
  script: string | undefined;
}

function parseArgs(argv: string[]): ShellArgs | string {
  const a: ShellArgs = { memoryMiB: 8192, xen: '4.22', nodes: 1, xlConfPath: undefined, script: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') ? argv[i].split('=', 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--memory': {
        const v = value();
        if (!/^\d+$/.test(v ?? '') || Number(v) < 64) return `--memory needs a whole number of MiB >= 64 (got ${v})`;
        a.memoryMiB = Number(v);
        break;
      }
      case '--xen': {
        const v = value();
        if (!isXenVersion(v)) return `--xen must be one of ${XEN_VERSIONS.join(', ')} (got ${v})`;
        a.xen = v;
        break;
      }
      case '--nodes': {
        const v = value();
        if (!/^\d+$/.test(v ?? '') || Number(v) < 1 || Number(v) > 64) return `--nodes must be in 1..64 (got ${v})`;
        a.nodes = Number(v);
        break;
      }
      case '--xl-conf':
        a.xlConfPath = value();
        if (a.xlConfPath === undefined) return '--xl-conf needs a file';
        break;
      default:
        if (flag.startsWith('-') && flag !== '-') return `unknown option ${flag}`;
        if (a.script !== undefined) return 'only one SCRIPT may be given';
        a.script = flag;
    }
  }
  return a;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`xen-memsim shell: ${args}\n${USAGE}`);
    return 2;
  }
  const host = new XlHost({
    memoryMiB: args.memoryMiB,
    xen: args.xen,
    nodes: args.nodes,
    ...(args.xlConfPath === undefined ? {} : { xlConf: { path: args.xlConfPath, text: readOrNull(args.xlConfPath) } }),
  });
  const io = { stdout: process.stdout, stderr: process.stderr };
  const cwd = process.cwd();
  try {
    if (args.script !== undefined && args.script !== '-') {
      const text = readOrNull(args.script);
      if (text === null) {
        process.stderr.write(`xen-memsim shell: cannot read ${args.script}\n`);
        return 2;
      }
      return await runScript(host, text, cwd, io, args.script);
    }
    if (process.stdin.isTTY) return await runInteractive(host, process.stdin, cwd, io);
    return await runScript(host, readFileSync(0, 'utf8'), cwd, io, '<stdin>');
  } catch (e) {
    process.stderr.write(`xen-memsim shell: ${(e as Error).message}\n`);
    return 70;
  }
}

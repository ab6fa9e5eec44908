// xl's command table (tools/xl/xl_cmdtable.c) for the commands modelled, and help() (xl.c):
// the texts `xl <cmd> -h` and `xl help` print. The tmem-* commands exist only in Xen 4.3 here
// (xl had them until 4.12; removed in 4.13 by c588c002cc).

import type { XenVersion } from '../../hv/version.ts';

export interface CmdSpec {
  readonly name: string;
  /** Takes -f (xl's "modifies" flag) / -N (dry run) at the top level: shown in the usage line. */
  readonly modifies: boolean;
  readonly canDryrun: boolean;
  readonly desc: string;
  readonly usage: string;
  readonly option: string | undefined;
  /** Versions that have the command (undefined: all). */
  readonly versions?: readonly XenVersion[];
}

const MEM_USAGE = "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>";

export const CMD_TABLE: readonly CmdSpec[] = [
  {
    name: 'create', modifies: true, canDryrun: true,
    desc: 'Create a domain from config file <filename>',
    usage: '<ConfigFile> [options] [vars]',
    option:
      '-h                      Print this help.\n' +
      '-p                      Leave the domain paused after it is created.\n' +
      '-c                      Connect to the console after the domain is created.\n' +
      '-f FILE, --defconfig=FILE\n                     Use the given configuration file.\n' +
      '-q, --quiet             Quiet.\n' +
      '-n, --dryrun            Dry run - prints the resulting configuration\n' +
      '                         (deprecated in favour of global -N option).\n' +
      '-d                      Enable debug messages.\n' +
      '-F                      Run in foreground until death of the domain.\n' +
      '-e                      Do not wait in the background for the death of the domain.',
  },
  {
    name: 'list', modifies: false, canDryrun: false,
    desc: 'List information about all/some domains',
    usage: '[options] [Domain]\n',
    option:
      '-l, --long              Output all VM details\n' +
      '-v, --verbose           Prints out UUIDs and security context\n' +
      '-Z, --context           Prints out security context\n' +
      '-c, --cpupool           Prints the cpupool the domain is in\n' +
      '-n, --numa              Prints out NUMA node affinity',
  },
  {
    name: 'destroy', modifies: false, canDryrun: true,
    desc: 'Terminate a domain immediately',
    usage: '[options] <Domain>\n',
    option: '-f                      Permit destroying domain 0.',
  },
  {
    name: 'shutdown', modifies: false, canDryrun: true,
    desc: 'Issue a shutdown signal to a domain',
    usage: '[options] <-a|Domain>',
    option:
      '-a, --all               Shutdown all guest domains.\n' +
      '-h                      Print this help.\n' +
      '-F                      Fallback to ACPI power event for HVM guests with\n' +
      '                        no PV drivers.\n' +
      '-w, --wait              Wait for guest(s) to shutdown.\n',
  },
  {
    name: 'pause', modifies: false, canDryrun: true,
    desc: 'Pause execution of a domain', usage: '<Domain>', option: undefined,
  },
  {
    name: 'unpause', modifies: false, canDryrun: true,
    desc: 'Unpause a paused domain', usage: '<Domain>', option: undefined,
  },
  {
    name: 'mem-max', modifies: false, canDryrun: true,
    desc: 'Set the maximum amount reservation for a domain',
    usage: MEM_USAGE, option: undefined,
  },
  {
    name: 'mem-set', modifies: false, canDryrun: true,
    desc: 'Set the current memory usage for a domain',
    usage: MEM_USAGE, option: undefined,
  },
  {
    name: 'info', modifies: false, canDryrun: false,
    desc: 'Get information about Xen host',
    usage: '-n, --numa         List host NUMA topology information', option: undefined,
  },
  {
    name: 'domid', modifies: false, canDryrun: false,
    desc: 'Convert a domain name to domain id', usage: '<DomainName>', option: undefined,
  },
  {
    name: 'dmesg', modifies: false, canDryrun: false,
    desc: 'Read and/or clear dmesg buffer', usage: '[-c]',
    option: '  -c                        Clear dmesg buffer as well as printing it',
  },
  {
    name: 'uptime', modifies: false, canDryrun: false,
    desc: 'Print uptime for all/some domains', usage: '[-s] [Domain]', option: undefined,
  },
  {
    name: 'claims', modifies: false, canDryrun: false,
    desc: 'List outstanding claim information about all domains',
    usage: '', option: '',
  },
  {
    name: 'tmem-list', modifies: false, canDryrun: false, versions: ['4.3'],
    desc: 'List tmem pools', usage: '[-l] [<Domain>|-a]',
    option: '  -l                             List tmem stats',
  },
  {
    name: 'tmem-freeze', modifies: false, canDryrun: false, versions: ['4.3'],
    desc: 'Freeze tmem pools', usage: '[<Domain>|-a]',
    option: '  -a                             Freeze all tmem',
  },
  {
    name: 'tmem-thaw', modifies: false, canDryrun: false, versions: ['4.3'],
    desc: 'Thaw tmem pools', usage: '[<Domain>|-a]',
    option: '  -a                             Thaw all tmem',
  },
  {
    name: 'tmem-freeable', modifies: false, canDryrun: false, versions: ['4.3'],
    desc: 'Get information about how much freeable memory (MB) is in-use by tmem',
    usage: '', option: undefined,
  },
];

/** cmdtable_lookup: exact names, restricted to the version's table. */
export function cmdtableLookup(name: string, version: XenVersion): CmdSpec | undefined {
  return CMD_TABLE.find((c) => c.name === name && (c.versions === undefined || c.versions.includes(version)));
}

/** help(command): the whole table, or one command's usage (stdout). */
export function helpText(command: string | undefined, version: XenVersion): string {
  if (command === undefined || command === 'help') {
    const head = version === '4.3' ? 'Usage xl [-vfN] <subcommand> [args]\n\n' : 'Usage xl [-vfNtT] <subcommand> [args]\n\n';
    const rows = CMD_TABLE.filter((c) => c.versions === undefined || c.versions.includes(version)).map((c) =>
      ` ${c.name.padEnd(19)} ${c.name.length > 19 ? `\n ${''.padEnd(19)} ` : ''}${c.desc}\n`);
    return `${head}xl full list of subcommands:\n\n${rows.join('')}`;
  }
  const cmd = cmdtableLookup(command, version);
  if (cmd === undefined) return `command "${command}" not implemented\n`;
  let text = `Usage: xl [-v${cmd.modifies ? 'f' : ''}${cmd.canDryrun ? 'N' : ''}] ${cmd.name} ${cmd.usage}\n\n${cmd.desc}.\n\n`;
  if (cmd.option !== undefined) text += `Options:\n\n${cmd.option}\n`;
  return text;
}

// xl's main() (tools/xl/xl.c) as an actor program: read xl.conf (warnings, or exit 1 on a
// syntax error), look the sub-command up, run it, record the exit status.

import type { HypercallPort } from '../../sim/port.ts';
import { readXlConf, XL_GLOBAL_CONFIG } from '../xl-conf.ts';
import { cmdtableLookup, helpText } from './cmdtable.ts';
import { mainCreate } from './cmd-create.ts';
import { mainDestroy } from './cmd-destroy.ts';
import { mainInfo } from './cmd-info.ts';
import { mainClaims, mainList } from './cmd-list.ts';
import { mainMemMax, mainMemSet } from './cmd-mem.ts';
import { mainTmemFreeable, mainTmemFreeze, mainTmemList, mainTmemThaw } from './cmd-tmem.ts';
import { mainDomid, mainPause, mainShutdown, mainUnpause } from './cmd-domain.ts';
import { mainUptime } from './cmd-uptime.ts';
import { mainDmesg } from './cmd-dmesg.ts';
import type { XlContext, XlGlobals, XlParams } from './context.ts';
import { sinkFor, type XlSink } from './io.ts';

type CmdMain = (x: XlContext, argv: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, CmdMain>> = {
  create: mainCreate,
  destroy: mainDestroy,
  list: mainList,
  info: mainInfo,
  claims: mainClaims,
  'mem-set': mainMemSet,
  'mem-max': mainMemMax,
  'tmem-list': mainTmemList,
  'tmem-freeze': mainTmemFreeze,
  'tmem-thaw': mainTmemThaw,
  'tmem-freeable': mainTmemFreeable,
  pause: mainPause,
  unpause: mainUnpause,
  shutdown: mainShutdown,
  domid: mainDomid,
  uptime: mainUptime,
  dmesg: mainDmesg,
};

/**
 * xl's global options: getopt("+vftTN") — bundled letters, stops at the first word that is not
 * an option (or after `--`). 4.3's xl knows -v, -f and -N only.
 * @returns the options and the words from the sub-command on, or undefined for an unknown option
 */
export function globalOptions(argv: readonly string[], version: string): { globals: XlGlobals; rest: string[] } | undefined {
  const known = version === '4.3' ? 'vfN' : 'vftTN';
  let verbose = 0;
  let dryrun = false;
  let force = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a.length < 2 || !a.startsWith('-')) break;
    for (const c of a.slice(1)) {
      if (!known.includes(c)) return undefined;
      if (c === 'v') verbose++;
      else if (c === 'N') dryrun = true;
      else if (c === 'f') force = true;
      // -t (progress with CR) and -T (timestamps) change how libxl's progress is drawn: nothing to model.
    }
  }
  return { globals: { verbose, dryrun, force }, rest: argv.slice(i) };
}

/** Runs one xl command line; writes go to `out`. @returns xl's exit status (0–255) */
export async function xlMain(port: HypercallPort, params: XlParams, out: XlSink): Promise<number> {
  const conf = readXlConf(params.xlConf === undefined ? '' : (params.xlConf.text ?? undefined), params.xlConf?.path ?? XL_GLOBAL_CONFIG, params.version);
  for (const w of conf.stderr) out.write('stderr', w);
  if (conf.exitStatus !== undefined) return conf.exitStatus;
  const g = globalOptions(params.argv, params.version);
  if (g === undefined) {
    out.write('stderr', 'unknown global option\n');
    return 1;
  }
  const [cmd, ...rest] = g.rest;
  if (cmd === undefined) {
    out.write('stdout', helpText(undefined, params.version));
    return 1;
  }
  if (cmd === 'help') {
    out.write('stdout', helpText(rest[0], params.version));
    return 0;
  }
  const spec = cmdtableLookup(cmd, params.version);
  const impl = spec === undefined ? undefined : COMMANDS[spec.name];
  if (impl === undefined) {
    out.write('stderr', 'command not implemented\n');
    return 1;
  }
  if (g.globals.dryrun && !spec!.canDryrun) {
    out.write('stderr', 'command does not implement -N (dryrun) option\n');
    return 1;
  }
  const status = await impl({ globals: g.globals, port, params, version: params.version, conf: conf.conf, out }, rest);
  return status & 0xff;
}

/** The 'xl' actor kind: params are XlParams; the exit status lands in the sink. */
export async function xlActorMain(port: HypercallPort, params: Record<string, unknown>): Promise<void> {
  const p = params as unknown as XlParams;
  const out = sinkFor(p.io, port);
  try {
    out.exitStatus = await xlMain(port, p, out);
  } finally {
    // An xl killed mid-command (its run ended) still counts as finished for whoever waits.
    out.exitStatus ??= 255;
  }
}

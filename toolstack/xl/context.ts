// One xl process: its parameters (JSON, as an actor's params travel), xl.conf as read at
// start-up, and where its output goes.

import type { XenVersion } from '../../hv/version.ts';
import type { HypercallPort } from '../../sim/port.ts';
import type { XlConf } from '../xl-conf.ts';
import type { XlSink } from './io.ts';

/** The xl actor's params. */
export interface XlParams {
  /** The command line after `xl` (e.g. ['create', '-q', 'guest.cfg', 'memory=256']). */
  argv: string[];
  version: XenVersion;
  /** xl.conf: its path for messages and its text; null = missing file; absent = empty file. */
  xlConf?: { path: string; text: string | null };
  /** Files the command may read (guest configs), by the path as given on the command line. */
  files?: Record<string, string>;
  /** Output sink id (toolstack/xl/io.ts). */
  io?: string;
  /** Toolstack bugs to inject (B6, B7). */
  inject?: string[];
  /** Xen's command line (`xl info`'s xen_commandline; autoballoon=auto looks for dom0_mem=). */
  xenCommandline?: string;
}

/** xl's global options (xl.c main: getopt "+vftTN"), before the sub-command. */
export interface XlGlobals {
  /** -v, once per -v: libxl's log level lowered by one each (debug messages are not modelled). */
  readonly verbose: number;
  /** -N: dry run only (commands that cannot dry-run refuse it). */
  readonly dryrun: boolean;
  /** -f: force execution where a command would refuse. */
  readonly force: boolean;
}

export const NO_GLOBALS: XlGlobals = { verbose: 0, dryrun: false, force: false };

export interface XlContext {
  readonly globals: XlGlobals;
  readonly port: HypercallPort;
  readonly params: XlParams;
  readonly version: XenVersion;
  readonly conf: XlConf;
  readonly out: XlSink;
}

/** libxl's stderr lines go to xl's stderr. */
export function writeLines(x: XlContext, lines: readonly string[]): void {
  for (const l of lines) x.out.write('stderr', l);
}

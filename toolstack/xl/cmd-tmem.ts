// Xen 4.3's tmem commands (xl_cmdimpl.c main_tmem_list/_freeze/_thaw/_freeable over
// libxl_tmem_*, i.e. TMEM_CONTROL sub-ops LIST, FREEZE, THAW, QUERY_FREEABLE_MB). xl never had
// `tmem-flush` (that was xm); tmem-set and tmem-shared-auth are not modelled.

import { CLI_ID_NULL, TMEMC } from '../../hv/tmem.ts';
import { SOURCE_SITES, libxlError } from '../builder/sites.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

/** `[<Domain>|-a]`: the client id, or undefined after xl's message (exit 1). */
async function target(x: XlContext, cmd: string, operands: readonly string[], all: boolean): Promise<number | undefined> {
  if (all) return CLI_ID_NULL;
  if (operands.length === 0) {
    x.out.write('stderr', 'You must specify -a or a domain id.\n\n');
    return undefined;
  }
  return findDomain(x, operands[0]);
}

function libxlTmemError(x: XlContext, func: string, msg: string, rc: number): void {
  const sites = SOURCE_SITES[x.version];
  x.out.write('stderr', libxlError(sites, { file: 'libxl.c', line: 4530 }, func, undefined, `${msg}: ${errnoText(rc)}`));
}

/** LIBXL__LOG_ERRNOVAL with the raw rc (-1 from the control paths): glibc's text for it. */
function errnoText(rc: number): string {
  return `Unknown error ${rc}`;
}

async function control(x: XlContext, subop: number, cliId: number, arg1 = 0, arg2 = 0) {
  return x.port.hypercall('TMEM_CONTROL', { subop, cli_id: cliId, arg1, arg2 });
}

export async function mainTmemList(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'al', {}, 'tmem-list', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const all = p.opts.some((o) => o.opt === 'a');
  const useLong = p.opts.some((o) => o.opt === 'l');
  if (!all && p.operands.length === 0) {
    x.out.write('stderr', 'You must specify -a or a domain id.\n\n');
    return 1;
  }
  const cliId = await target(x, 'tmem-list', p.operands, all);
  if (cliId === undefined) return 1;
  const r = await control(x, TMEMC.LIST, cliId, 32768, useLong ? 1 : 0);
  if (r.rc < 0) {
    libxlTmemError(x, 'libxl_tmem_list', 'Can not get tmem list', r.rc);
    return 255;
  }
  x.out.write('stdout', `${String(r.buf ?? '')}\n`);
  return 0;
}

async function freezeThaw(x: XlContext, argv: readonly string[], cmd: 'tmem-freeze' | 'tmem-thaw'): Promise<number> {
  const p = xlGetopt(argv, 'a', {}, cmd, 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const cliId = await target(x, cmd, p.operands, p.opts.some((o) => o.opt === 'a'));
  if (cliId === undefined) return 1;
  const freeze = cmd === 'tmem-freeze';
  const r = await control(x, freeze ? TMEMC.FREEZE : TMEMC.THAW, cliId);
  if (r.rc < 0) libxlTmemError(x, freeze ? 'libxl_tmem_freeze' : 'libxl_tmem_thaw', `Can not ${freeze ? 'freeze' : 'thaw'} tmem pools`, r.rc);
  return 0; // main_tmem_freeze/thaw ignore libxl's result
}

export const mainTmemFreeze = (x: XlContext, argv: readonly string[]) => freezeThaw(x, argv, 'tmem-freeze');
export const mainTmemThaw = (x: XlContext, argv: readonly string[]) => freezeThaw(x, argv, 'tmem-thaw');

export async function mainTmemFreeable(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, '', {}, 'tmem-freeable', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const r = await control(x, TMEMC.QUERY_FREEABLE_MB, CLI_ID_NULL);
  let mb = r.rc;
  if (r.rc < 0) {
    libxlTmemError(x, 'libxl_tmem_freeable', 'Can not get tmem freeable memory', r.rc);
    mb = -3; // ERROR_FAIL, which main_tmem_freeable does not recognise as its -1: it prints it
  }
  if (mb === -1) return 255;
  x.out.write('stdout', `${mb}\n`);
  return 0;
}

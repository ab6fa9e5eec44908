// `xl mem-set` and `xl mem-max` (xl_vmcontrol.c set_memory_target / set_memory_max,
// parse_mem_size_kb) over libxl_set_memory_target / libxl_domain_setmaxmem.

import { SOURCE_SITES, libxlError } from '../builder/sites.ts';
import { LIBXL_MAXMEM_CONSTANT } from '../builder/build.ts';
import { setMemoryTarget } from '../freemem.ts';
import { writeLines, type XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

/**
 * parse_mem_size_kb: strtoll base 10 and at most one unit letter (b, k, m, g, t; none = MiB).
 * @returns KiB, or -1 for an invalid size
 */
export function parseMemSizeKb(mem: string): number {
  const m = /^\s*([+-]?\d*)(.*)$/s.exec(mem)!;
  let kb = m[1] === '' || m[1] === '+' || m[1] === '-' ? 0 : Number(m[1]);
  const unit = m[2];
  if (unit.length > 1) return -1;
  switch (unit.toLowerCase()) {
    case 't': kb *= 1024 * 1024 * 1024; break;
    case 'g': kb *= 1024 * 1024; break;
    case '':
    case 'm': kb *= 1024; break;
    case 'k': break;
    case 'b': kb = Math.floor(kb / 1024); break;
    default: return -1;
  }
  return kb;
}

async function domainAndSize(x: XlContext, argv: readonly string[], cmd: string): Promise<{ domid: number; mem: string; kb: number } | number> {
  const p = xlGetopt(argv, '', {}, cmd, 2, x.out, x.version);
  if (typeof p === 'number') return p;
  const domid = await findDomain(x, p.operands[0]);
  if (domid === undefined) return 1;
  const mem = p.operands[1];
  const kb = parseMemSizeKb(mem);
  if (kb === -1) {
    x.out.write('stderr', `invalid memory size: ${mem}\n`);
    return 1;
  }
  return { domid, mem, kb };
}

export async function mainMemSet(x: XlContext, argv: readonly string[]): Promise<number> {
  const a = await domainAndSize(x, argv, 'mem-set');
  if (typeof a === 'number') return a;
  const ctx = { port: x.port, version: x.version, stderr: [] as string[] };
  const rc = await setMemoryTarget(ctx, a.domid, a.kb, false, true);
  writeLines(x, ctx.stderr);
  return rc === 0 ? 0 : 1;
}

/** libxl_domain_setmaxmem: refuses a max below the current target; max_mem = max + 1 MiB. */
export async function mainMemMax(x: XlContext, argv: readonly string[]): Promise<number> {
  const a = await domainAndSize(x, argv, 'mem-max');
  if (typeof a === 'number') return a;
  const home = `/local/domain/${a.domid}/memory`;
  const sites = SOURCE_SITES[x.version];
  const target = await x.port.xsRead(`${home}/target`);
  const fail = (msg: string) => {
    x.out.write('stderr', libxlError(sites, { file: sites.setMemoryTarget.file, line: 255 }, 'libxl_domain_setmaxmem', a.domid, msg));
    x.out.write('stderr', `cannot set domid ${a.domid} static max memory to : ${a.mem}\n`);
    return 1;
  };
  if (target === undefined) return fail(`Unable to read ${home}/target`);
  if (a.kb < Number(target)) return fail('memory_static_max must be greater than or or equal to memory_dynamic_max');
  const r = await x.port.hypercall('XEN_DOMCTL_max_mem', { domid: a.domid, max_memkb: a.kb + LIBXL_MAXMEM_CONSTANT });
  if (r.rc < 0) return fail('xc_domain_setmaxmem failed');
  await x.port.xsWrite(`${home}/static-max`, String(a.kb));
  return 0;
}

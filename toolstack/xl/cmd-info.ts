// `xl info [-n] [field]` (xl_info.c main_info): physinfo through the shared formatter.

import { physinfo } from '../builder/domain-info.ts';
import { defaultHostInfo, formatXlInfo } from '../xl-format.ts';
import type { XlContext } from './context.ts';
import { xlGetopt } from './getopt.ts';

export async function mainInfo(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'nx', { numa: 'n', xsm: 'x' }, 'info', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const numa = p.opts.some((o) => o.opt === 'n');
  const pi = await physinfo(x.port);
  const host = { ...defaultHostInfo(x.version), ...(x.params.xenCommandline === undefined ? {} : { xenCommandline: x.params.xenCommandline }) };
  // The field is ignored with -n; DIVERGENCE: -n's topology tables are not printed.
  const field = numa ? undefined : p.operands[0];
  x.out.write('stdout', formatXlInfo({
    totalPages: pi.total_pages,
    freePages: pi.free_pages,
    scrubPages: pi.scrub_pages,
    outstandingPages: pi.outstanding_pages,
    nrCpus: pi.nr_cpus,
    nrNodes: pi.nr_nodes,
  }, x.version, field, host));
  return 0;
}

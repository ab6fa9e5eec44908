// `xl destroy [-f] <Domain>` (xl_vmcontrol.c main_destroy → libxl_domain_destroy).

import { domainInfo } from '../builder/domain-info.ts';
import { SOURCE_SITES, libxlError } from '../builder/sites.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

/** ERROR_DOMAIN_NOTFOUND. */
const ERROR_DOMAIN_NOTFOUND = -21;

export async function mainDestroy(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'f', {}, 'destroy', 1, x.out, x.version);
  if (typeof p === 'number') return p;
  const force = p.opts.some((o) => o.opt === 'f') && x.version !== '4.3';
  const domid = await findDomain(x, p.operands[0]);
  if (domid === undefined) return 1;
  if (domid === 0 && !force) {
    // 4.3: exit(-1); the -f escape hatch came later.
    if (x.version === '4.3') {
      x.out.write('stderr', 'Cannot destroy privileged domain 0.\n\n');
      return 255;
    }
    x.out.write('stderr', 'Not destroying domain 0; use -f to force.\n\n');
    return 1;
  }
  if ((await domainInfo(x.port, domid)) === undefined) {
    // Plausible libxl wording (not verified against a host): libxl__destroy_domid's lookup.
    const sites = SOURCE_SITES[x.version];
    x.out.write('stderr', libxlError(sites, { file: 'libxl_domain.c', line: 1277 }, 'libxl__destroy_domid', domid, 'Non-existant domain'));
    x.out.write('stderr', `destroy failed (rc=${ERROR_DOMAIN_NOTFOUND})\n`);
    return 1;
  }
  await x.port.hypercall('XEN_DOMCTL_destroydomain', { domid });
  return 0;
}

// `xl list [dom]` and `xl claims` (xl_info.c main_list, main_claims, list_domains).

import { XEN_DOMINF, type DomainInfo } from '../../hv/ops.ts';
import { domainInfo, listDomains } from '../builder/domain-info.ts';
import { domainDoesNotExistMessage, formatXlClaims, formatXlList, xlClaimsStderr, type DomainRow } from '../xl-format.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

function row(d: DomainInfo): DomainRow {
  return {
    domid: d.domid,
    name: d.name,
    totPages: d.tot_pages,
    outstandingPages: d.outstanding_pages,
    vcpuOnline: d.nr_online_vcpus,
    running: (d.flags & XEN_DOMINF.running) !== 0,
    blocked: (d.flags & XEN_DOMINF.blocked) !== 0,
    paused: (d.flags & XEN_DOMINF.paused) !== 0,
    shutdown: (d.flags & XEN_DOMINF.shutdown) !== 0,
    dying: (d.flags & XEN_DOMINF.dying) !== 0,
    cpuTimeNs: d.cpu_time,
  };
}

export async function mainList(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'lvhZcn', { long: 'l', verbose: 'v', context: 'Z', cpupool: 'c', numa: 'n' }, 'list', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  // DIVERGENCE: -l/-v/-Z/-c/-n are accepted but print the plain table.
  let infos: DomainInfo[];
  if (p.operands.length > 0) {
    const arg = p.operands[0];
    const domid = await findDomain(x, arg);
    if (domid === undefined) return 1;
    const info = await domainInfo(x.port, domid);
    if (info === undefined) {
      x.out.write('stderr', domainDoesNotExistMessage(arg));
      return 1;
    }
    infos = [info];
  } else {
    infos = await listDomains(x.port, x.version);
  }
  x.out.write('stdout', formatXlList(infos.map(row), x.version));
  return 0;
}

export async function mainClaims(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'h', {}, 'claims', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  for (const line of xlClaimsStderr(x.conf.claimMode)) x.out.write('stderr', line);
  x.out.write('stdout', formatXlClaims((await listDomains(x.port, x.version)).map(row), x.version));
  return 0;
}

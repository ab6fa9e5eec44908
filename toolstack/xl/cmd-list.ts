// `xl list [dom]` and `xl claims` (xl_info.c main_list, main_claims, list_domains).

import { XEN_DOMINF, type DomainInfo } from '../../hv/ops.ts';
import { domainInfo, listDomains } from '../builder/domain-info.ts';
import { domainDoesNotExistMessage, formatXlClaims, formatXlList, xlClaimsStderr, type DomainRow } from '../xl-format.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { SOURCE_SITES, libxlError } from '../builder/sites.ts';
import { liveConfigJson, loadVnumaNodes } from './config-json.ts';
import { VNUMA_NODES_NODE } from '../builder/build.ts';
import { jsonCPretty, type JsonValue } from './json-c.ts';
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
  // DIVERGENCE: -v/-Z/-c/-n are accepted but print the plain table.
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
  if (p.opts.some((o) => o.opt === 'l')) return listDetails(x, infos);
  x.out.write('stdout', formatXlList(infos.map(row), x.version));
  return 0;
}

/**
 * `xl list -l`: list_domains_details — each domain whose configuration libxl can retrieve, as
 * [{"domid":N,"config":{…}}, …] (json-c pretty, then puts' newline). Domain 0 was not built by
 * libxl: retrieving its configuration fails, libxl logs it, and it is left out.
 */
async function listDetails(x: XlContext, infos: readonly DomainInfo[]): Promise<number> {
  const out: JsonValue[] = [];
  for (const d of infos) {
    if (d.domid === 0) {
      x.out.write('stderr', libxlError(SOURCE_SITES[x.version], RETRIEVE_CONFIG_SITE, 'retrieve_domain_configuration_lock_acquired', 0, 'Fail to get domain configuration'));
      continue;
    }
    const kb = async (node: string): Promise<number | undefined> => {
      const v = await x.port.xsRead(`/local/domain/${d.domid}/memory/${node}`);
      return v === undefined || !/^\d{1,15}$/.test(v) ? undefined : Number(v);
    };
    const [targetKb, staticMaxKb] = [await kb('target'), await kb('static-max')];
    const vm = await x.port.xsRead(`/local/domain/${d.domid}/vm`);
    const vnumaText = vm === undefined ? undefined : await x.port.xsRead(`${vm}/${VNUMA_NODES_NODE}`);
    const vnuma = vnumaText === undefined ? undefined : loadVnumaNodes(vnumaText);
    out.push({ domid: d.domid, config: liveConfigJson(d, { ...(targetKb === undefined ? {} : { targetKb }), ...(staticMaxKb === undefined ? {} : { staticMaxKb }) }, vnuma) });
  }
  x.out.write('stdout', `${jsonCPretty(out)}\n`);
  return 0;
}

/** libxl_domain.c's LOGD(ERROR, …, "Fail to get domain configuration") at 4.22. */
const RETRIEVE_CONFIG_SITE = { file: 'libxl_domain.c', line: 2328 };

export async function mainClaims(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'h', {}, 'claims', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  for (const line of xlClaimsStderr(x.conf.claimMode)) x.out.write('stderr', line);
  x.out.write('stdout', formatXlClaims((await listDomains(x.port, x.version)).map(row), x.version));
  return 0;
}

// ≈ libxl_list_domain / libxl_domain_info / libxl_get_physinfo (libxl_domain.c, libxl.c): the
// read side every xl command and the builder use, over XEN_SYSCTL_getdomaininfolist,
// XEN_DOMCTL_getdomaininfo and XEN_SYSCTL_physinfo.

import { XEN_DOMINF, type DomainInfo, type PhysInfo } from '../../hv/ops.ts';
import { features, type XenVersion } from '../../hv/version.ts';
import type { HypercallPort } from '../../sim/port.ts';

/** libxl_list_domain's buffer: `GCNEW_ARRAY(info, 1024)`. */
const LIST_BATCH = 1024;

/**
 * libxl_list_domain: every domain (dying ones too), in domid order. libxl calls
 * xc_domain_getinfolist (XEN_SYSCTL_getdomaininfolist) in batches of 1024 until a batch is empty.
 * DIVERGENCE: on versions whose getdomaininfo still searches (4.3, 4.13) the list is walked with
 * getdomaininfo (first domain >= next) as before, so recorded traces of those versions stay the
 * same; the answer is the same list.
 */
export async function listDomains(port: HypercallPort, version: XenVersion): Promise<DomainInfo[]> {
  if (features(version).getdomaininfo === 'exact') {
    const out: DomainInfo[] = [];
    for (let first = 0; ; ) {
      const r = await port.hypercall('XEN_SYSCTL_getdomaininfolist', { first_domain: first, max_domains: LIST_BATCH });
      const batch = r.rc < 0 || !Array.isArray(r.domains) ? [] : (r.domains as DomainInfo[]);
      if (batch.length === 0) return out;
      out.push(...batch);
      first = batch[batch.length - 1].domid + 1;
    }
  }
  const out: DomainInfo[] = [];
  for (let next = 0; ; ) {
    const r = await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid: next });
    if (r.rc < 0) return out;
    const info = r as unknown as DomainInfo;
    out.push(info);
    next = info.domid + 1;
  }
}

/** libxl_domain_info: the domain with exactly this id, or undefined (ERROR_DOMAIN_NOTFOUND). */
export async function domainInfo(port: HypercallPort, domid: number): Promise<DomainInfo | undefined> {
  const r = await port.hypercall('XEN_DOMCTL_getdomaininfo', { domid });
  return r.rc === 0 && r.domid === domid ? (r as unknown as DomainInfo) : undefined;
}

/** libxl_get_physinfo. */
export async function physinfo(port: HypercallPort): Promise<PhysInfo> {
  return (await port.hypercall('XEN_SYSCTL_physinfo', {})) as unknown as PhysInfo;
}

export const isDying = (d: DomainInfo): boolean => (d.flags & XEN_DOMINF.dying) !== 0;

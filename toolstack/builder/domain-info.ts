// ≈ libxl_list_domain / libxl_domain_info / libxl_get_physinfo (libxl_domain.c, libxl.c): the
// read side every xl command and the builder use, over XEN_DOMCTL_getdomaininfo (which answers
// the first domain with an id >= the one asked for) and XEN_SYSCTL_physinfo.

import { XEN_DOMINF, type DomainInfo, type PhysInfo } from '../../hv/ops.ts';
import type { HypercallPort } from '../../sim/port.ts';

/** libxl_list_domain: every domain (dying ones too), in domid order. */
export async function listDomains(port: HypercallPort): Promise<DomainInfo[]> {
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

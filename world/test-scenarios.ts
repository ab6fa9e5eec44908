// Small scenarios shared by sim tests (and handy in a REPL): two toolstacks racing to build.

import type { ScenarioSpec } from '../sim/scenario.ts';
import type { XenVersion } from '../hv/index.ts';

/** A script that creates `name`, sets max_mem, claims, populates in 2 MiB extents and unpauses. */
export function buildScript(name: string, mib: number, claim: boolean): Record<string, unknown> {
  const pages = mib * 256;
  const extents = pages / 512;
  return {
    steps: [
      { op: 'XEN_DOMCTL_createdomain', args: { name, type: 'pv' } },
      { op: 'XEN_DOMCTL_max_mem', args: { domid: '$domid', max_memkb: mib * 1024 + 1024 } },
      ...(claim ? [{ op: 'XENMEM_claim_pages', args: { domid: '$domid', nr_extents: pages } }] : []),
      ...Array.from({ length: extents }, (_, i) => ({
        op: 'XENMEM_populate_physmap',
        args: { domid: '$domid', nr_extents: 1, extent_order: 9, extent_start: [i * 512] },
      })),
      ...(claim ? [{ op: 'XENMEM_claim_pages', args: { domid: '$domid', nr_extents: 0 } }] : []),
      { op: 'XEN_DOMCTL_unpausedomain', args: { domid: '$domid' } },
    ],
  };
}

export function twoBuilders(xen: XenVersion, claim: boolean, hostMiB = 64, guestMiB = 16): ScenarioSpec {
  return {
    name: `two builders on ${xen}`,
    host: { memoryMiB: hostMiB, xen, dom0MiB: 8 },
    actors: [
      { name: 'xl-a', kind: 'script', params: buildScript('a', guestMiB, claim) },
      { name: 'xl-b', kind: 'script', params: buildScript('b', guestMiB, claim) },
    ],
  };
}

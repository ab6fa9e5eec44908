// The library in a plain script: boot an emulated Xen host and issue hypercalls to it directly.
// Each call runs its critical sections to completion and answers as Xen does (rc < 0: an errno).
//
//   node examples/hypercall.mjs
import { Hypervisor, PAGES_PER_MIB, errnoName } from 'xen-memsim';

const hv = new Hypervisor({ memoryMiB: 1024, xen: '4.22', dom0MiB: 256 });
/** createdomain + max_mem, as a toolstack starts a guest of `mib` MiB. */
const newGuest = (name, mib) => {
  const { domid } = hv.hypercall(0, 'XEN_DOMCTL_createdomain', { name, type: 'pv' });
  hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: mib * 1024 });
  return domid;
};
const free = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {}).free_pages;
const a = newGuest('a', 512);
const b = newGuest('b', 512);
const claimA = hv.hypercall(0, 'XENMEM_claim_pages', { domid: a, nr_extents: 512 * PAGES_PER_MIB });
const claimB = hv.hypercall(0, 'XENMEM_claim_pages', { domid: b, nr_extents: 512 * PAGES_PER_MIB });
const info = hv.hypercall(0, 'XEN_SYSCTL_physinfo', {});
console.log(`free_pages ${free}: claim of 512 MiB for d${a} → rc ${errnoName(claimA.rc)}; for d${b} → rc ${errnoName(claimB.rc)}`);
console.log(`outstanding_pages ${info.outstanding_pages}, free_pages ${info.free_pages} (a claim takes no page, it reserves them)`);

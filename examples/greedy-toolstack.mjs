// An actor of your own: a toolstack that claims 50 % more than it populates, and never cancels
// the rest. It builds one PV guest the way libxl's builder does — createdomain, max_mem, claim,
// populate_physmap in 2 MiB extents, unpause — except that the claim is 1.5 × the guest's memory.
// The guest runs, and its leftover claim keeps that memory from everybody else.
//
// An actor is plain async logic over its port: hypercall(op, args), sleep(ns), xsRead/xsWrite,
// note(text), spawn(spec). It runs on the scheduled world and on real threads, and its hypercalls
// are recorded in the trace and replayed exactly. Keep it deterministic: no clock but port.now(),
// no randomness but a seed from its params.
import { defineActor, PAGES_PER_MIB } from 'xen-memsim';

/** Pages per populate_physmap extent: 2 MiB superpages (order 9). */
const EXTENT_ORDER = 9;

export default defineActor({
  name: 'greedy-toolstack',
  /**
   * params: name — the guest's name (default "greedy"); memoryMiB — its memory (default 16, a
   * multiple of 2); startS — when to start, in virtual seconds (default 0).
   */
  async run(port, { name = 'greedy', memoryMiB = 16, startS = 0 } = {}) {
    if (startS > 0) await port.sleep(startS * 1e9);
    const pages = memoryMiB * PAGES_PER_MIB;
    const c = await port.hypercall('XEN_DOMCTL_createdomain', { name, type: 'pv' });
    if (c.rc !== 0) return port.note(`greedy: createdomain failed, rc ${c.rc}`);
    const domid = c.domid;
    await port.hypercall('XEN_DOMCTL_max_mem', { domid, max_memkb: pages * 2 * 4 });
    const claim = await port.hypercall('XENMEM_claim_pages', { domid, nr_extents: Math.floor(pages * 1.5) });
    port.note(`greedy: claimed ${Math.floor(pages * 1.5)} pages for d${domid}, rc ${claim.rc}`);
    for (let gpfn = 0; gpfn < pages; gpfn += 2 ** EXTENT_ORDER) {
      const r = await port.hypercall('XENMEM_populate_physmap', { domid, nr_extents: 1, extent_order: EXTENT_ORDER, extent_start: [gpfn] });
      if (r.rc !== 1) return port.note(`greedy: populate failed at gpfn ${gpfn}`);
    }
    // libxc would cancel the rest of the claim here: XENMEM_claim_pages with nr_extents 0.
    await port.hypercall('XEN_DOMCTL_unpausedomain', { domid });
  },
});

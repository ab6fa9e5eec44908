// A property of your own: no running guest still holds a claim. A toolstack stakes a claim
// (XENMEM_claim_pages) before it populates a guest and cancels what is left once the guest is
// built — libxc does (`xc_domain_claim_pages(xch, domid, 0)` after meminit) — so by the time the
// guest is unpaused its claim is zero; a claim left behind keeps memory from every other guest.
//
//   xen-memsim check --property examples/running-domains-hold-no-claim.mjs
//
// Plain JavaScript, no build step. `check` runs after every critical section, on the scheduled
// world and on real threads alike; the view is read-only (docs/library.md says what it offers).
import { defineProperty, XEN_DOMINF } from 'xen-memsim';

export default defineProperty({
  name: 'running-domains-hold-no-claim',
  check(view) {
    for (const d of view.domains()) {
      const running = (d.flags & (XEN_DOMINF.paused | XEN_DOMINF.dying)) === 0;
      if (running && d.outstanding_pages > 0) return `d${d.domain} runs with ${d.outstanding_pages} pages still claimed`;
    }
    return undefined;
  },
});

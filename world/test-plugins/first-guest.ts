// Test plugin: breaks as soon as a guest holds memory, and says what the view showed then (the
// test compares it with the hypervisor's own answers at that moment: the run stops there).
import { defineProperty } from '../../sim/define.ts';

export const firstGuest = defineProperty({
  name: 'no-guest-memory',
  check(view) {
    const guest = view.domains().find((d) => d.domain !== 0 && d.tot_pages > 0);
    if (guest === undefined) return undefined;
    return `d${guest.domain} holds ${guest.tot_pages} pages ${JSON.stringify({ physinfo: view.physinfo(), domains: view.domains(), step: view.step(), events: view.events(), now: view.now(), xen: view.xen })}`;
  },
});

/** A second definition in the same module: every exported definition is registered. */
export const neverBreaks = defineProperty({ name: 'never-breaks', check: () => undefined, atEnd: () => null });

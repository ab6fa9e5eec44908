// Test plugin: a property that tries every way to change what its view shows, after every step.
// It reports a breach when an attempt neither throws nor leaves the value as it was; the test
// also checks that the run's trace and hypervisor are those of a run without it.
import { defineProperty, type PropertyView } from '../../sim/define.ts';

const ATTEMPTS: Array<[string, (v: PropertyView) => unknown, (v: PropertyView) => unknown]> = [
  ['physinfo().free_pages = 0', (v) => ((v.physinfo() as { free_pages: number }).free_pages = 0), (v) => v.physinfo().free_pages],
  ['domains().push(…)', (v) => (v.domains() as unknown[]).push({}), (v) => v.domains().length],
  ['domains()[0].tot_pages = 0', (v) => ((v.domains()[0] as { tot_pages: number }).tot_pages = 0), (v) => v.domains()[0].tot_pages],
  ['domains().length = 0', (v) => ((v.domains() as unknown[]).length = 0), (v) => v.domains().length],
  ['view.physinfo = …', (v) => ((v as { physinfo: unknown }).physinfo = () => ({})), (v) => typeof v.physinfo().total_pages],
  ['delete view.domains', (v) => delete (v as { domains?: unknown }).domains, (v) => typeof v.domains],
  ['xen.inject.push("B1")', (v) => (v.xen.inject as string[]).push('B1'), (v) => v.xen.inject.length],
  ['xen.version = "4.3"', (v) => ((v.xen as { version: string }).version = '4.3'), (v) => v.xen.version],
  ['events().push(…)', (v) => (v.events() as unknown[]).push({ kind: 'claim' }), (v) => v.events().length],
  ['step().actor = …', (v) => ((v.step() as { actor: string }).actor = 'nobody'), (v) => v.step()?.actor],
  ['defineProperty on physinfo()', (v) => Object.defineProperty(v.physinfo(), 'free_pages', { value: 0 }), (v) => v.physinfo().free_pages],
  ['a new key on the view', (v) => ((v as unknown as Record<string, unknown>).hv = {}), (v) => Object.keys(v).includes('hv')],
  // Sloppy-mode code (not an ES module): assignments to frozen objects fail silently.
  ['sloppy physinfo().free_pages = 0', (v) => new Function('v', 'var p = v.physinfo(); p.free_pages = 0; return p.free_pages')(v), (v) => v.physinfo().free_pages],
];

export default defineProperty({
  name: 'mutation-attempts',
  check(view) {
    if (view.domains().length === 0) return undefined;
    for (const [what, attempt, read] of ATTEMPTS) {
      const before = JSON.stringify(read(view));
      let threw = false;
      try {
        attempt(view);
      } catch (e) {
        if (!(e instanceof TypeError)) return `${what} threw ${String(e)}, not a TypeError`;
        threw = true;
      }
      const after = JSON.stringify(read(view));
      if (after !== before) return `${what} changed the view: ${before} → ${after}${threw ? ' (and threw)' : ''}`;
    }
    return undefined;
  },
});

// Test plugin: an actor module whose default export is a bare async function (kind "bare-actor",
// the file's name). It creates a guest, claims, populates part of it, writes and reads xenstore
// and sleeps: every kind of request a port carries. params.notesFirst: that many notes first
// (requests answered at arrival, with no section).
import type { HypercallPort } from '../../sim/port.ts';

export default async function (port: HypercallPort, params: Record<string, unknown>): Promise<void> {
  const pages = typeof params.pages === 'number' ? params.pages : 512;
  for (let i = 0; i < (typeof params.notesFirst === 'number' ? params.notesFirst : 0); i++) port.note(`bare: note ${i + 1}`);
  const c = await port.hypercall('XEN_DOMCTL_createdomain', { name: String(params.name ?? 'bare'), type: 'pv' });
  const domid = c.domid as number;
  await port.hypercall('XEN_DOMCTL_max_mem', { domid, max_memkb: pages * 8 });
  await port.hypercall('XENMEM_claim_pages', { domid, nr_extents: pages });
  await port.xsWrite(`/local/domain/${domid}/memory/target`, String(pages * 4));
  port.note(`bare: target ${await port.xsRead(`/local/domain/${domid}/memory/target`)}`);
  await port.sleep(1_000_000);
  await port.hypercall('XENMEM_populate_physmap', { domid, nr_extents: 1, extent_order: 8, extent_start: [0] });
  await port.hypercall('XEN_DOMCTL_unpausedomain', { domid });
}

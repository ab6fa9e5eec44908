// Page offlining in the campaign (the 'offline' family): a dom0 toolstack thread that, after a
// few calls of its own (so its offlining lands at any section of the others' races), offlines a
// range of frames with XEN_SYSCTL_page_offline_op (sysctl.c → page_alloc.c offline_page, one
// section per frame), and maybe onlines them again. Its property, offline-recalls-claims: an
// offlined free frame never leaves outstanding_claims above the memory that backs them — the
// claim-set series' reserve_offlined_page recalls claims to keep that; every released Xen breaks
// it (bug B10 of the shared reference). Registered with sim/registry.ts when evaluated.

import type { HypercallPort } from '../../sim/port.ts';
import { registerActorKind, registerMonitor, type MonitorFactory } from '../../sim/registry.ts';
import { ledgerOf } from './ledger.ts';

/** XEN_SYSCTL_page_offline_op's cmds (public/sysctl.h). */
const SYSCTL_PAGE_OFFLINE = 1;
const SYSCTL_PAGE_ONLINE = 2;

/** Parameters of an 'offliner' actor. */
export interface OfflinerParams {
  /** physinfo calls first (each one section), so the offlining starts later in the race. */
  delay: number;
  /** First frame and number of frames offlined ([start, start + count - 1]). */
  start: number;
  count: number;
  /** Online the same frames again afterwards. */
  online: boolean;
}

/** The 'offliner' actor: waits `delay` calls, offlines the range, maybe onlines it back. */
export async function runOffliner(port: HypercallPort, raw: Record<string, unknown>): Promise<void> {
  const p = raw as unknown as OfflinerParams;
  for (let i = 0; i < p.delay; i++) await port.hypercall('XEN_SYSCTL_physinfo', {});
  const range = { start: p.start, end: p.start + p.count - 1 };
  await port.hypercall('XEN_SYSCTL_page_offline_op', { cmd: SYSCTL_PAGE_OFFLINE, ...range });
  if (p.online) await port.hypercall('XEN_SYSCTL_page_offline_op', { cmd: SYSCTL_PAGE_ONLINE, ...range });
}

/**
 * offline-recalls-claims: a section of XEN_SYSCTL_page_offline_op that found outstanding_claims
 * within the memory backing them (total_avail_pages, + tmem's freeable pages on 4.3) leaves them
 * within it. On every released Xen offlining a free frame only takes it from the heap (B10); the
 * claim-set series recalls node claims, then host-wide claims, until they fit again.
 */
const offlineRecallsClaims: MonitorFactory = (owner) => {
  const ledger = ledgerOf(owner);
  return {
    name: 'offline-recalls-claims',
    afterStep: (info) => {
      const v = ledger.section(info);
      if (v === undefined || v.info.call?.op !== 'XEN_SYSCTL_page_offline_op' || v.info.label !== 'offline_page') return null;
      const { before, after } = v;
      if (before.claims > before.availForClaims || after.claims <= after.availForClaims) return null;
      return `offlining a frame left outstanding_claims ${after.claims} above the ${after.availForClaims} pages available (was ${before.claims} of ${before.availForClaims}): claims not recalled (B10)`;
    },
  };
};

registerActorKind('offliner', runOffliner, import.meta.url);
registerMonitor('offline-recalls-claims', offlineRecallsClaims, import.meta.url);

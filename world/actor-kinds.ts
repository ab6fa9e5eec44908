// The actor programs a scenario can name, by kind. Each is plain async logic over a
// HypercallPort; the same table is used by the scheduled world and by actor worker threads, so a
// scenario means the same thing on both transports.

import { runLinuxGuest, type LinuxGuestOptions } from '../guests/linux-guest.ts';
import { lockTicketMain, LOCK_TICKET_KIND } from '../toolstack/xl/lock.ts';
import { xlActorMain } from '../toolstack/xl/main.ts';
import type { HypercallPort } from '../sim/port.ts';
import { xlTimelineMain, XL_TIMELINE_KIND } from './scenario-file/xl-timeline.ts';
import { runGuestPoke, runMiniBuilder, runPoke } from '../prop-tests/campaign/actors.ts';

export type ActorMain = (port: HypercallPort, params: Record<string, unknown>) => Promise<void>;

/**
 * A fixed list of steps, for tests and small campaigns: `{op, args}` issues a hypercall (the
 * string "$domid" anywhere in args is replaced by the domid the last XEN_DOMCTL_createdomain
 * returned), `{sleep: ns}` sleeps, `{xs_write: [path, value]}` writes xenstore.
 */
export interface ScriptStep {
  op?: string;
  args?: unknown;
  sleep?: number;
  xs_write?: [string, string];
}

async function runScript(port: HypercallPort, params: Record<string, unknown>): Promise<void> {
  const steps = (params.steps ?? []) as ScriptStep[];
  let domid = -1;
  const subst = (v: unknown): unknown =>
    v === '$domid' ? domid : Array.isArray(v) ? v.map(subst) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subst(x)])) : v;
  for (const s of steps) {
    if (s.sleep !== undefined) await port.sleep(s.sleep);
    else if (s.xs_write !== undefined) await port.xsWrite(s.xs_write[0], s.xs_write[1]);
    else if (s.op !== undefined) {
      const r = await port.hypercall(s.op as never, subst(s.args ?? {}) as never);
      if (s.op === 'XEN_DOMCTL_createdomain' && r.rc === 0) domid = r.domid as number;
    }
  }
}

async function runLinux(port: HypercallPort, params: Record<string, unknown>): Promise<void> {
  await runLinuxGuest(port, params as unknown as LinuxGuestOptions, () => false);
}

export const ACTOR_KINDS: Readonly<Record<string, ActorMain>> = {
  script: runScript,
  linux: runLinux,
  /** The race campaign's small libxl-like builder and its "other toolstack thread" (prop-tests/campaign/actors.ts). */
  'mini-builder': runMiniBuilder,
  poke: runPoke,
  /** A guest kernel making one call of its own (boots on its domain; prop-tests/campaign/actors.ts). */
  'guest-poke': runGuestPoke,
  /** One xl command line (toolstack/xl/main.ts; params: XlParams). */
  xl: xlActorMain,
  /** Takes a ticket of the xl lock by existing (toolstack/xl/lock.ts). */
  [LOCK_TICKET_KIND]: lockTicketMain,
  /** A scenario file's xl process: timed xl command lines, results noted in the trace (world/scenario-file/xl-timeline.ts). */
  [XL_TIMELINE_KIND]: xlTimelineMain,
};

export function actorKind(kind: string): ActorMain {
  const main = ACTOR_KINDS[kind];
  if (main === undefined) throw new Error(`unknown actor kind "${kind}" (known: ${Object.keys(ACTOR_KINDS).join(', ')})`);
  return main;
}

// The built-in actor programs a scenario can name, by kind, registered with the kernel's
// registry (sim/registry.ts) when this module is evaluated. Each is plain async logic over a
// HypercallPort; actor worker threads import this same module (registry.pluginModules()), so a
// scenario means the same thing on both transports. The campaign's actors register themselves
// (prop-tests/campaign/actors.ts), as a user's plugin module does.

import { runLinuxGuest, type LinuxGuestOptions } from '../guests/linux-guest.ts';
import { validateLinuxGuestOptions } from '../guests/linux-guest-options.ts';
import { lockTicketMain, LOCK_TICKET_KIND } from '../toolstack/xl/lock.ts';
import { xlActorMain } from '../toolstack/xl/main.ts';
import type { HypercallPort } from '../sim/port.ts';
import { xlTimelineMain, XL_TIMELINE_KIND } from './scenario-file/xl-timeline.ts';
import { registerActorKind, type ActorMain } from '../sim/registry.ts';

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
  // Options from a trace header or a user's spec: refused with the kernel's limits, not met by a RangeError inside it.
  const bad = validateLinuxGuestOptions(params);
  if (bad.length > 0) throw new Error(`linux: invalid options: ${bad.join('; ')}`);
  await runLinuxGuest(port, params as unknown as LinuxGuestOptions, () => false);
}

const BUILTIN_ACTOR_KINDS: Readonly<Record<string, ActorMain>> = {
  script: runScript,
  linux: runLinux,
  /** One xl command line (toolstack/xl/main.ts; params: XlParams). */
  xl: xlActorMain,
  /** Takes a ticket of the xl lock by existing (toolstack/xl/lock.ts). */
  [LOCK_TICKET_KIND]: lockTicketMain,
  /** A scenario file's xl process: timed xl command lines, results noted in the trace (world/scenario-file/xl-timeline.ts). */
  [XL_TIMELINE_KIND]: xlTimelineMain,
};

for (const [kind, main] of Object.entries(BUILTIN_ACTOR_KINDS)) registerActorKind(kind, main, import.meta.url);

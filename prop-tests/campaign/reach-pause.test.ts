// The generators and properties that catch what mutants 49, 51 and 56 broke, each pinned with
// a fixed seed: it fires on a deliberately broken hypervisor (a small mutation made through a
// prototype hook) and stays silent on the real one with the same seed and budget.
// - reservation-accounting's reach rule (reservation-reach.ts): a permitted call with nothing in
//   its way does or tries its first extent (4.22 answers an XSM denial with start_extent);
// - the domid-probe's own twice-paused domain (domctl-results' pause counts);
// - the domid-probe's node byte at MAX_NUMNODES from the control domain (decodeRefusal), sent
//   only where the version bounds it (4.10+; 4.3 indexes with it unchecked: XSA-231, B15).

import { describe, expect, test } from 'vitest';
import { Hypervisor } from '../../hv/index.ts';
import { HypercallContext } from '../../hv/hypercall-context.ts';
import { runCampaign, type CampaignOptions } from './campaign.ts';
import { toScenarioSpec, scenarioArb, type CampaignScenario } from './scenario.ts';
import './plugin.ts';
import { patch } from './test-support/patch.ts';
import fc from 'fast-check';
import { pinnedSeed } from '../setup.ts';

const BUDGET = { runs: 200, shrinkRuns: 40, shrinkTimeMs: 600_000 };
type Step = Hypervisor['step'];

/** The same campaign on the real tree (finds nothing) and on the broken one (`message`). */
async function firesOnlyWhenBroken(o: Omit<CampaignOptions, 'runs'>, message: RegExp, breakIt: () => void): Promise<void> {
  const real = await runCampaign({ ...BUDGET, ...o });
  expect(real.found?.failure.message).toBeUndefined();
  breakIt();
  const broken = await runCampaign({ ...BUDGET, ...o });
  expect(broken.found?.failure.message ?? 'nothing found').toMatch(message);
}

/** After a finished call of `op` that `hit` selects, `mutate` runs on the hypervisor. */
function after(op: string, mutate: (hv: Hypervisor, call: Parameters<Step>[0]) => void): void {
  patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
    const label = orig.call(this, call);
    if (call.done && call.op === op) mutate(this, call);
    return label;
  });
}

/** XSM refuses a guest's reservation ops on itself (what mutant 51 does to DOMID_SELF calls). */
function denySelfReservations(): void {
  let reservation = false;
  patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
    reservation = /^XENMEM_(populate_physmap|increase_reservation|decrease_reservation)$/.test(call.op);
    return orig.call(this, call);
  });
  patch(HypercallContext.prototype, 'xsmTarget', (orig) => function (this: HypercallContext, caller, d) {
    return caller !== 0 && d.domid === caller && reservation ? false : orig.call(this, caller, d);
  });
}

describe(`reach, pause counts, the control domain's node bound (fast-check seed ${pinnedSeed}; campaign seeds pinned)`, () => {
  test('reservation-accounting: a guest\'s own reservation call refused as if by XSM (mutant 51: DOMID_SELF looked up as dom0), answered start_extent, is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['guest-ops'], seed: 1 }, /^reservation-accounting: .* yet it returned start_extent \d+ in its first section without (trying to allocate|removing a page)/, denySelfReservations);
  }, 120_000);

  test('reservation-accounting\'s reach rule stays silent on 4.3 and 4.13 (their preempted first extents, B13, are continuations)', async () => {
    for (const xen of ['4.3', '4.13'] as const) {
      const r = await runCampaign({ ...BUDGET, xen, inject: [], families: ['guest-ops'], seed: 1 });
      expect(r.found?.failure.message ?? '').not.toMatch(/in its first section without/);
    }
  }, 240_000);

  test('domctl-results: an unpause that runs a domain the controller paused twice (mutant 56) is a breach; the probe pauses a domain of its own', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['rogue'], seed: 1 }, /^domctl-results: domid-probe: XEN_DOMCTL_unpausedomain\[d\d+\] returned 0, (the domain is not paused|pause count 2 → 0)/, () =>
      patch(Hypervisor.prototype, 'step', (orig: Step): Step => function (this: Hypervisor, call) {
        // The unpause drops every controller pause at once: the domain runs.
        const d = call.op === 'XEN_DOMCTL_unpausedomain' ? this.domains.get((call.args as { domid: number }).domid) : undefined;
        if (d !== undefined && d.controllerPauseCount > 1) d.controllerPauseCount = 1;
        return orig.call(this, call);
      }));
  }, 120_000);

  test('reservation-accounting: the control domain\'s populate on node 64 (mutant 49: the bound off by one) that does anything is a breach', async () => {
    await firesOnlyWhenBroken({ xen: '4.22', inject: [], families: ['rogue'], seed: 1 }, /^reservation-accounting: domid-probe: populate_physmap\[d0,1×o0\]: the control domain's node 64 is at or above MAX_NUMNODES/, () =>
      after('XENMEM_populate_physmap', (_hv, call) => {
        if (call.caller === 0 && (((call.args as { mem_flags: number }).mem_flags >>> 8) & 0xff) === 65) (call.result as { rc: number }).rc = 1;
      }));
  }, 120_000);

  test('the probe sends the node byte 64 only where the version bounds it (4.10+), never on 4.3 (XSA-231)', () => {
    const probe = (xen: CampaignScenario['xen']): unknown => {
      const [s] = fc.sample(scenarioArb({ xen, inject: [], families: ['rogue'] }), { seed: 1, numRuns: 1 });
      return toScenarioSpec(s).actors.find((a) => a.kind === 'domid-probe')?.params?.nodeBound;
    };
    expect(probe('4.3')).toBe(false);
    expect(probe('4.13')).toBe(true);
    expect(probe('4.22')).toBe(true);
  });
});

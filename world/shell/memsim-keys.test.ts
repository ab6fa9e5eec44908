// A guest config's emulator-only memsim_* keys with hostile values: `xl create` refuses them with
// an xl-style message before building anything, and a kernel given bad options by a spec or a
// trace refuses them as an actor error — never a throw or an endless loop inside the kernel.

import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../sim/policy.ts';
import { runScheduled } from '../world.ts';
import { loadScenario } from '../scenario-file/load.ts';
import { runVariant } from '../scenario-file/run.ts';
import { XlHost } from './host.ts';
import '../actor-kinds.ts';

describe('memsim_* keys with hostile values', () => {
  it('xl create with memsim_surge_pct=999999999: refused at parse time, exit 1, nothing built', async () => {
    const h = new XlHost({ memoryMiB: 2048, xen: '4.22', nodes: 1 });
    const r = await h.xl(['create', '-q', 'w.cfg'], { 'w.cfg': 'name="w"\nmemory=256\nmemsim_workload="idle"\nmemsim_surge_at_ms=0\nmemsim_surge_pct=999999999\n' });
    expect(r.exitStatus).toBe(1);
    expect(r.writes.map((w) => w.text).join('')).toContain('Invalid memsim_surge_pct: must be an integer in [1, 6400]');
    const list = await h.xl(['list'], {});
    expect(list.writes.map((w) => w.text).join('')).not.toMatch(/^w /m);
    expect(h.world.owner.actorNames().some((a) => a.startsWith('linux:'))).toBe(false);
    expect(h.world.failure).toBeUndefined();
  });

  it('in a scenario file: the run completes and the create reports exit 1', async () => {
    const text = JSON.stringify({
      host: { memory: 1024 },
      guests: { g: { cfg: 'name="g"\nmemory=128\nmemsim_workload="idle"\nmemsim_surge_at_ms=0\nmemsim_surge_pct=999999999\n' } },
      timeline: [{ at: '1s', actor: 'xl-1', xl: 'create g.cfg' }],
      until: '5s',
    });
    const l = loadScenario(text, 's.json');
    if (!l.ok) throw new Error(l.errors.join('\n'));
    const run = await runVariant(l.scenario.variants[0]);
    expect(run.failure).toBeUndefined();
    expect(run.commands.map((c) => [c.status, c.stderr.includes('Invalid memsim_surge_pct')])).toEqual([[1, true]]);
  });

  it('a linux actor with bad options in a spec fails as an actor error naming the option', async () => {
    const r = await runScheduled({
      host: { memoryMiB: 256, xen: '4.22', dom0MiB: 64 },
      actors: [{ name: 'k', kind: 'linux', params: { seed: 1, workload: 'idle', initialPages: 16384, maxPfn: 16384, tmem: false, surge: { atNs: 0, level: 1e9 } } }],
      untilNs: 5e9,
    }, new ArrivalOrder());
    expect(r.failure?.kind).toBe('actor-error');
    expect(r.failure?.message).toContain('linux: invalid options: surge.level must be a number in (0, 64]');
  });
});

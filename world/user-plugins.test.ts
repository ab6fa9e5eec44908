// A user's own properties and actors (sim/define.ts) as plugin modules (sim/registry.ts): checked,
// recorded and replayed like the built-in ones, on the scheduled world and on real threads; the
// property's view is Xen's physinfo/getdomaininfo and cannot change the hypervisor.

import { describe, expect, test } from 'vitest';
import { domainInfo, physinfo } from '../hv/index.ts';
import { defineActor, defineProperty } from '../sim/define.ts';
import { ArrivalOrder, SeededRandom } from '../sim/policy.ts';
import { actorKindNames, defaultActorKind, loadPluginModules, monitorNames, NameConflictError, namesRegisteredBy, registerDefinition } from '../sim/registry.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';
import { LAGGING_WAIT_MS } from '../workers/owner-host.ts';
import { runThreads } from '../workers/threads.ts';
import { replayTrace } from './replay.ts';
import { buildScript } from './test-scenarios.ts';
import { runScheduled } from './world.ts';

const plugin = (file: string): string => new URL(`./test-plugins/${file}`, import.meta.url).href;
const MUTATION = plugin('mutation-attempts.ts');
const FIRST_GUEST = plugin('first-guest.ts');
const BARE = plugin('bare-actor.ts');
const ODD = plugin('odd-checks.ts');

/** A host and one user actor (bare-actor.ts): creates a guest, claims, populates 256 pages. */
function spec(monitors: string[], plugins: string[]): ScenarioSpec {
  return {
    name: 'user plugins',
    host: { memoryMiB: 16, xen: '4.22', dom0MiB: 4 },
    actors: [
      { name: 'bare-1', kind: 'bare-actor', params: { name: 'g1', pages: 512 } },
      { name: 'bare-2', kind: 'bare-actor', params: { name: 'g2', pages: 768 } },
    ],
    monitors,
    plugins: [BARE, ...plugins],
  };
}

describe('defineProperty and defineActor', () => {
  test('refuse bad names and missing functions with a message naming the call', () => {
    expect(() => defineProperty({ name: 'has space', check: () => undefined })).toThrow(/defineProperty: name must be 1–64 characters/);
    expect(() => defineProperty({ name: 'x'.repeat(65), check: () => undefined })).toThrow(/defineProperty: name/);
    expect(() => defineProperty({ name: 'ok' } as never)).toThrow(/defineProperty\("ok"\): check must be a function/);
    expect(() => defineProperty({ name: 'ok', check: () => undefined, atEnd: 3 } as never)).toThrow(/atEnd, when given, must be a function/);
    expect(() => defineProperty(null as never)).toThrow(/expects \{ name, check\(view\) \}/);
    expect(() => defineActor({ name: '', run: async () => {} })).toThrow(/defineActor: name/);
    expect(() => defineActor({ name: 'a' } as never)).toThrow(/defineActor\("a"\): run must be an async function/);
  });

  test('a name another module registered cannot be taken: a built-in actor kind, another module\'s property', async () => {
    const xl = defineActor({ name: 'xl', run: async () => {} });
    expect(() => registerDefinition(xl, 'file:///elsewhere/clash.mjs')).toThrow(NameConflictError);
    await loadPluginModules([FIRST_GUEST]);
    const clash = defineProperty({ name: 'no-guest-memory', check: () => undefined });
    expect(() => registerDefinition(clash, 'file:///elsewhere/clash.mjs')).toThrow(/monitor "no-guest-memory" is registered by file:.*first-guest\.ts and again by file:\/\/\/elsewhere\/clash\.mjs/);
    expect(actorKindNames()).toContain('xl'); // the built-in one, still
  });

  test('a bare default export is an actor kind named after its file', () => {
    expect(defaultActorKind('file:///a/b/greedy-toolstack.mjs')).toBe('greedy-toolstack');
    expect(defaultActorKind('file:///a/b/my%20actor.js')).toBe('my actor');
    expect(defaultActorKind('my-package/actor.js')).toBe('actor');
  });
});

describe('a user property in the scheduled world', () => {
  test('a breach fails the run as a property named by the property, and the trace replays it exactly', async () => {
    const r = await runScheduled(spec(['no-guest-memory'], [FIRST_GUEST]), new SeededRandom(3));
    expect(r.failure?.kind).toBe('property');
    expect(r.failure?.message).toMatch(/^no-guest-memory: d[12] holds 256 pages /);
    expect(namesRegisteredBy(FIRST_GUEST).monitors).toEqual(['never-breaks', 'no-guest-memory']);
    const rep = await replayTrace(r.owner.trace.toJsonl());
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
    expect(rep.failure?.message).toBe(r.failure?.message);
  });

  test("the view answers XEN_SYSCTL_physinfo and XEN_DOMCTL_getdomaininfo in Xen's field names, as the hypervisor has them", async () => {
    const r = await runScheduled(spec(['no-guest-memory'], [FIRST_GUEST]), new ArrivalOrder());
    const seen = JSON.parse(r.failure!.message.replace(/^[^{]*/, '')) as Record<string, unknown>;
    const hv = r.owner.hv; // the run stopped right after the breach: this is the state the view showed
    expect(seen.physinfo).toEqual(physinfo(hv));
    expect(Object.keys(seen.physinfo as object).sort()).toEqual(['free_pages', 'nr_cpus', 'nr_nodes', 'outstanding_pages', 'scrub_pages', 'total_pages']);
    const expected = [...hv.domains.values()].map(domainInfo).map(({ domid, name: _n, type: _t, ...rest }) => ({ domain: domid, ...rest }));
    expect(seen.domains).toEqual(expected);
    expect((seen.domains as Array<{ domain: number }>).map((d) => d.domain)).toEqual([0, 1, 2].slice(0, hv.domains.size));
    expect(seen.now).toBe(hv.now);
    expect(seen.xen).toEqual({ version: '4.22', inject: [] });
    expect(seen.step).toMatchObject({ step: r.failure!.step, op: 'XENMEM_populate_physmap' });
    // The call as the property sees it: its fields, not the hypervisor's machinery that runs it.
    const call = (seen.step as { call: Record<string, unknown> }).call;
    expect(Object.keys(call).sort()).toEqual(['args', 'caller', 'done', 'gen', 'id', 'lastLabel', 'op', 'result', 'sections'].filter((k) => k !== 'result' || 'result' in call));
    expect(call.gen).toBeNull();
  });

  test('mutation attempts through the view throw or do nothing, and the run is the one without the property', async () => {
    const plain = await runScheduled(spec([], []), new SeededRandom(5));
    const watched = await runScheduled(spec(['mutation-attempts'], [MUTATION]), new SeededRandom(5));
    expect(watched.failure).toBeUndefined();
    expect(watched.steps).toBe(plain.steps);
    expect(physinfo(watched.owner.hv)).toEqual(physinfo(plain.owner.hv));
    expect([...watched.owner.hv.domains.values()].map(domainInfo)).toEqual([...plain.owner.hv.domains.values()].map(domainInfo));
    // The traces differ only in the header's monitor list and plugins: every event is the same.
    const events = (t: string) => t.split('\n').slice(1).join('\n');
    expect(events(watched.owner.trace.toJsonl())).toBe(events(plain.owner.trace.toJsonl()));
  });

  test('a check that throws or answers something other than a string is a breach saying so', async () => {
    const throwing = await runScheduled(spec(['throws-check'], [ODD]), new ArrivalOrder());
    expect(throwing.failure?.message).toMatch(/^throws-check: check threw SyntaxError: /);
    const falsy = await runScheduled(spec(['false-check'], [ODD]), new ArrivalOrder());
    expect(falsy.failure?.message).toBe('false-check: check returned false (return undefined when the property holds, or a string saying what broke)');
  });

  test('a long breach message is cut to BREACH_MESSAGE_MAX characters', async () => {
    const r = await runScheduled(spec(['long-breach'], [ODD]), new ArrivalOrder());
    expect(r.failure?.message.length).toBe('long-breach: '.length + 1000);
    expect(r.failure?.message.endsWith('…')).toBe(true);
  });

  test("a user actor's requests are all in the trace, and the trace replays", async () => {
    const r = await runScheduled(spec([], []), new SeededRandom(11));
    expect(r.failure).toBeUndefined();
    expect(actorKindNames()).toContain('bare-actor');
    const arrivals = r.owner.trace.events.filter((e) => e.k === 'arrive' && e.a === 'bare-2').map((e) => (e.k === 'arrive' ? (e.req.kind === 'hypercall' ? e.req.op : e.req.kind) : ''));
    expect(arrivals).toEqual([
      'XEN_DOMCTL_createdomain', 'XEN_DOMCTL_max_mem', 'XENMEM_claim_pages', 'xsWrite', 'xsRead', 'note', 'sleep', 'XENMEM_populate_physmap', 'XEN_DOMCTL_unpausedomain', 'exit',
    ]);
    expect((await replayTrace(r.owner.trace.toJsonl())).reproduced).toBe(true);
  });
});

describe('a user property and a user actor on real threads', () => {
  test('run where the monitors run (the owner worker): the breach is recorded, named, and the trace replays exactly', async () => {
    const r = await runThreads(spec(['no-guest-memory', 'mutation-attempts'], [FIRST_GUEST, MUTATION]), { timeoutMs: 60_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure?.kind).toBe('property');
    expect(r.failure?.message).toMatch(/^no-guest-memory: d[12] holds 256 pages /);
    expect(monitorNames()).toContain('mutation-attempts');
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  });

  test('a breach while an actor\'s thread has not started yet: the owner waits for its first request, and the trace replays exactly', async () => {
    // xl-late's thread starts its actor 7 s late (past LAGGING_WAIT_MS), as a thread an
    // overloaded machine has not run yet, while xl-a builds a guest with no sleep (virtual time
    // never has to move): the breach comes while xl-late is still starting. A replay lets it reach
    // its first requests before every choice, so the trace must hold them too.
    const s: ScenarioSpec = {
      name: 'a late thread',
      host: { memoryMiB: 16, xen: '4.22', dom0MiB: 4 },
      actors: [
        { name: 'xl-a', kind: 'script', params: buildScript('a', 2, true) },
        // Its first requests are notes, answered at arrival with no section: a replay records them.
        { name: 'xl-late', kind: 'bare-actor', params: { name: 'late', notesFirst: 2 } },
      ],
      monitors: ['no-guest-memory'],
      plugins: [BARE, FIRST_GUEST],
    };
    const r = await runThreads(s, { timeoutMs: 60_000, startDelayMs: { 'xl-late': LAGGING_WAIT_MS + 2_000 } });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure?.message).toMatch(/^no-guest-memory: d1 holds 512 pages /);
    const arrivals = r.trace!.split('\n').filter((l) => l.includes('"k":"arrive"') && l.includes('"a":"xl-late"'));
    expect(arrivals.map((l) => (JSON.parse(l) as { req: { kind: string } }).req.kind)).toEqual(['note', 'note', 'hypercall']);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  }, 240_000);

  test('startDelayMs outside 0…OWNER_START_MS is refused before any thread starts', async () => {
    await expect(runThreads(spec([], []), { startDelayMs: { 'bare-1': -1 } })).rejects.toThrow(/options\.startDelayMs\["bare-1"\] must be an integer in 0…180000, got -1/);
    await expect(runThreads(spec([], []), { startDelayMs: { 'bare-1': 0.5 } })).rejects.toThrow(RangeError);
  });

  test('a plugin module the owner worker cannot load ends the run at once, saying which and why', async () => {
    const r = await runThreads(spec(['main-thread-only'], [plugin('main-thread-only.ts')]), { timeoutMs: 60_000 });
    expect(r.ownerLost).toMatch(/^the owner could not start: Error: cannot load plugin module file:.*main-thread-only\.ts: this plugin refuses to load in a worker/);
    expect(r.actors).toEqual([]);
  });
});

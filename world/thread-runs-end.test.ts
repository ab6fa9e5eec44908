// Every real-thread run ends with a clear answer (issue 17): an owner that cannot start comes
// back as its error, the wall-clock budget stops a run that goes on (with a trace that replays up
// to the stop), actors beyond the threads' reach are never silently killed, and a timed kill that
// lands while its actor computes between two requests replays exactly. Runs that must end by
// themselves get a generous budget; a run that never ends by design gets a small one, and the
// tests assert outcomes, never durations.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EFAULT, EINVAL } from '../hv/index.ts';
import { Owner } from '../sim/owner.ts';
import { parsePolicy } from '../sim/policy.ts';
import type { OwnerReply } from '../sim/requests.ts';
import type { ActorSpec, ScenarioSpec } from '../sim/scenario.ts';
import { parseTrace } from '../sim/trace.ts';
import { rogueSlot, runRogue, type RogueReport } from '../workers/faults-support.ts';
import { TEST_ACTORS_PLUGIN } from '../workers/fixtures/test-actors.ts';
import { runThreads } from '../workers/threads.ts';
import './actor-kinds.ts';
import { replayTrace } from './replay.ts';
import { buildScript } from './test-scenarios.ts';

const seed = fc.readConfigureGlobal().seed;
const host = { memoryMiB: 64, xen: '4.22' as const, dom0MiB: 8 };
const physinfo = { op: 'XEN_SYSCTL_physinfo', args: {} };
const kills = (trace: string) => parseTrace(trace).events.filter((e) => e.k === 'kill');

/**
 * A stopped run's trace: the stop, then only the owner's end of the run — 'gone' to actors still
 * asleep or booting (how many depends on how far virtual time got before the stop: a loaded
 * machine gets less far), then the end.
 */
function expectStopThenEnd(trace: string, why: RegExp): void {
  const events = parseTrace(trace).events;
  const stopAt = events.findIndex((e) => e.k === 'stop');
  expect(events[stopAt]).toMatchObject({ k: 'stop', why: expect.stringMatching(why) });
  expect(events.slice(stopAt + 1).map((e) => (e.k === 'reply' ? `reply ${e.r.kind}` : e.k))).toEqual([...events.slice(stopAt + 1, -1).map(() => 'reply gone'), 'end']);
}

describe(`real-thread runs always end (seed: ${seed})`, () => {
  test('an owner that cannot start comes back as its error, not a hang', async () => {
    // A timeline actor named like dom0's kernel: the owner refuses the duplicate at construction.
    const spec: ScenarioSpec = {
      host,
      actors: [
        { name: 'dom0-linux', kind: 'script', params: { steps: [physinfo] } },
        { name: 'dom0-linux', kind: 'script', params: { steps: [physinfo] } },
      ],
    };
    // The spec is validated as data before any thread starts (sim/scenario-validate.ts): the
    // duplicate no longer reaches the owner, and the answer is a ScenarioSpecError naming it.
    await expect(runThreads(spec, { timeoutMs: 60_000 })).rejects.toThrow(/invalid scenario: actors\[1\]\.name "dom0-linux" is used twice/);
  }, 240_000);

  test('the wall-clock budget stops a run that never ends: a timed-out result whose trace replays to the stop', async () => {
    const spec: ScenarioSpec = {
      host,
      plugins: [TEST_ACTORS_PLUGIN],
      actors: [
        { name: 'ticker', kind: 'test-forever' },
        { name: 'xl', kind: 'script', params: { steps: [physinfo, { sleep: 5e9 }, physinfo] } },
      ],
    };
    const r = await runThreads(spec, { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/1500 ms/) });
    expect(r.actors.map((a) => a.actor).sort()).toEqual(['ticker', 'xl']);
    expectStopThenEnd(r.trace!, /timed out/);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.hash).toBe(r.hash);
  }, 240_000);

  test('the budget also ends an actor that computes forever between two requests (its thread is terminated)', async () => {
    const spec: ScenarioSpec = { host, plugins: [TEST_ACTORS_PLUGIN], actors: [{ name: 'spinner', kind: 'test-spin' }] };
    const r = await runThreads(spec, { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(r.failure?.kind).toBe('timeout');
    // Terminated if it was spinning when the run stopped; told the owner stopped if its thread was
    // still starting (a loaded machine): either way it is accounted for, and the run came back.
    expect(r.actors).toEqual([{ actor: 'spinner', error: expect.stringMatching(/terminated|OwnerGone/) }]);
  }, 240_000);
});

/** A spawner that starts `count` actors of `child`, `gapNs` of virtual time apart. */
function spawning(count: number, child: Omit<ActorSpec, 'name'>, gapNs: number): ScenarioSpec {
  return {
    host,
    plugins: [TEST_ACTORS_PLUGIN],
    actors: [{ name: 'spawner', kind: 'test-spawner', params: { count, prefix: 'kid', child, gapNs } }],
  };
}

describe('actors beyond the threads at hand', () => {
  test('actors left waiting for a domain that never boots: the run ends where the scheduled world ends it, they stop cleanly, the trace replays', async () => {
    // Before: the owner waited for them until their calls timed out (60 s), failing both with
    // OwnerGoneError (the soak's guest-ops round, whose builders' domains never came up).
    const spec: ScenarioSpec = {
      host,
      actors: [
        { name: 'work', kind: 'script', params: { steps: [physinfo, { sleep: 1e9 }, physinfo] } },
        { name: 'waits-1', kind: 'script', boot: 'never-created', params: { steps: [physinfo] } },
        { name: 'waits-2', kind: 'script', boot: 'nor-this-one', params: { steps: [physinfo] } },
      ],
    };
    const r = await runThreads(spec, { timeoutMs: 120_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(r.timedOut).toBeUndefined();
    expect(r.actors.filter((a) => a.error !== undefined)).toEqual([]);
    expect(parseTrace(r.trace!).events.filter((e) => e.k === 'step' && e.a.startsWith('waits-'))).toEqual([]);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  }, 150_000);

  test('more actors over a run than threads at once: slots and threads are reused, every actor runs, the trace replays', async () => {
    const r = await runThreads(spawning(24, { kind: 'script', params: { steps: [physinfo] } }, 1e9), { maxActors: 4, timeoutMs: 120_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(kills(r.trace!)).toEqual([]);
    expect(r.actors).toHaveLength(25);
    expect(r.actors.filter((a) => a.error !== undefined)).toEqual([]);
    const kidSteps = parseTrace(r.trace!).events.filter((e) => e.k === 'step' && e.a.startsWith('kid-'));
    expect(new Set(kidSteps.map((e) => (e as { a: string }).a)).size).toBe(24);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
  }, 150_000);

  test('more actors alive at once than the documented limit: the run fails clearly, nobody is killed, the trace replays', async () => {
    const r = await runThreads(spawning(6, { kind: 'script', params: { steps: [{ sleep: 100e9 }, physinfo] } }, 0), { maxActors: 3, timeoutMs: 120_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toMatchObject({ kind: 'limit', message: expect.stringMatching(/more than 3 actors alive at once.*maxActors/) });
    expect(kills(r.trace!)).toEqual([]);
    expectStopThenEnd(r.trace!, /more than 3 actors/);
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
  }, 150_000);
});

describe('a timed kill that lands while its actor computes between two requests', () => {
  /**
   * The owner as the owner worker drives it, with thread timing played by hand: `a` has its
   * reply and is still computing when the scenario's kill comes due; only then does its next
   * request (`next`) arrive. `b` keeps the clock moving. Every request is exactly what the
   * script actor sends, so a replay runs the same programs.
   */
  function traceOf(aSteps: object[], next: 'exit' | 'hypercall'): string {
    const spec = (faults: ScenarioSpec['faults']): ScenarioSpec => ({
      host,
      actors: [
        { name: 'a', kind: 'script', params: { steps: aSteps } },
        { name: 'b', kind: 'script', params: { steps: [physinfo, physinfo, physinfo] } },
      ],
      faults,
    });
    const hypercall = { kind: 'hypercall', op: 'XEN_SYSCTL_physinfo', args: {} } as const;
    /** Runs until a has its first answer; then (if `more`) lets the kill come due, sends a's next request and runs b out. */
    const drive = (owner: Owner, due: number | undefined): number => {
      const replies = new Map<string, OwnerReply[]>([['a', []], ['b', []]]);
      const send = (actor: string, req: Parameters<Owner['submit']>[1]): void => {
        if (owner.canSubmit(actor)) owner.submit(actor, req, (r) => replies.get(actor)!.push(r));
      };
      let handled = 0;
      const feedB = (): void => {
        for (const got = replies.get('b')!.length; handled < got; ) send('b', ++handled < 3 ? hypercall : { kind: 'exit' });
      };
      send('a', hypercall);
      send('b', hypercall);
      while (replies.get('a')!.length === 0) {
        expect(owner.step()).toBe(true);
        feedB();
      }
      const answeredAt = owner.hv.now;
      if (due === undefined) return answeredAt;
      // b runs on until the clock passes the kill's time; the next step fires it while a still
      // computes (its next request is not in yet).
      while (owner.hv.now < due) {
        expect(owner.step()).toBe(true);
        feedB();
      }
      expect(owner.step()).toBe(true);
      feedB();
      send('a', next === 'exit' ? { kind: 'exit' } : hypercall);
      for (let i = 0; i < 100 && owner.step(); i++) feedB();
      feedB();
      expect(replies.get('b')).toHaveLength(4); // three results and the exit's ack
      return answeredAt;
    };
    // The kill is due just after a gets its answer.
    const due = drive(new Owner(spec(undefined), parsePolicy('arrival'), 'threads'), undefined) + 1;
    const owner = new Owner(spec([{ atNs: due, kill: 'a' }]), parsePolicy('arrival'), 'threads');
    drive(owner, due);
    owner.finishRun();
    return owner.trace.toJsonl();
  }

  test.each([
    ['its last request, then it exits (answered at arrival)', [physinfo], 'exit'],
    ['a request that waits', [physinfo, physinfo], 'hypercall'],
  ] as const)('%s: the replay matches', async (_label, aSteps, next) => {
    const trace = traceOf([...aSteps], next);
    const rep = await replayTrace(trace);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  });
});

describe(`rogue slots when the run ends (seed: ${seed})`, () => {
  test('requests from an unattached slot are refused with an errno even after the honest actors are done', async () => {
    const spec: ScenarioSpec = { host, actors: [{ name: 'xl-honest', kind: 'script', params: { steps: Array.from({ length: 300 }, () => physinfo) } }] };
    // Several runs: the rogue's request must be refused whether it falls before or after the end.
    for (let run = 0; run < 3; run++) {
      let rogue: Promise<RogueReport> | undefined;
      const r = await runThreads(spec, { timeoutMs: 60_000, onMailbox: (buffer) => (rogue = runRogue(buffer, fc.sample(rogueSlot, 5000))) });
      const report = await rogue!;
      expect(r.failure).toBeUndefined();
      expect(report.accepted).toEqual([]);
      for (const errno of report.errnos) expect([-EFAULT, -EINVAL]).toContain(errno);
    }
  }, 150_000);
});

describe('a run that fails while another actor computes between two requests', () => {
  test('the trace holds that actor\'s next request, as the replay makes it, and replays exactly', async () => {
    // Before: the owner ended the run at the failing step with the slow actor's next request not
    // yet sent; the replay's world lets it reach that request before each choice, so it diverged
    // ("slow, its event N: recorded null": the campaign's threads test under load).
    const spec: ScenarioSpec = {
      host,
      monitors: ['long-breach'], // a message of its own: no internal call ids, whose order arrivals decide
      plugins: [TEST_ACTORS_PLUGIN, new URL('./test-plugins/odd-checks.ts', import.meta.url).href],
      actors: [
        { name: 'slow', kind: 'test-slow-asker', params: { computeMs: 300 } },
        { name: 'xl-1', kind: 'script', params: buildScript('g1', 4, false) },
      ],
    };
    const r = await runThreads(spec, { timeoutMs: 120_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure?.kind).toBe('property');
    const slow = parseTrace(r.trace!).events.filter((e) => (e.k === 'arrive' || e.k === 'reply') && e.a === 'slow');
    expect(slow.at(-1)?.k).toBe('arrive');
    const rep = await replayTrace(r.trace!);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  }, 240_000);
});


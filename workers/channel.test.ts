// Real-thread integration tests of the mailbox channel: echo owner + caller fixtures. No test
// asserts on wall-clock time; every wait is bounded so a broken protocol fails, never hangs.
import { afterEach, describe, expect, test } from 'vitest';
import { abandonSlotsOfThread, createMailbox, markOwnerDead, requestShutdown } from './channel.ts';
import type { CallerData, CallerReport } from './fixtures/caller.ts';
import type { EchoOwnerData, EchoOwnerReport } from './fixtures/echo-owner.ts';
import { spawnFixture, type Watched } from './fixtures/harness.ts';
import type { MailboxClientOptions } from './mailbox-client.ts';

/** Short spins (2 shared cores) and short liveness bounds, so failure paths finish quickly. */
const CLIENT: MailboxClientOptions = { spinIterations: 200, waitSliceMs: 20, ownerSilenceLimitMs: 400, callTimeoutMs: 20_000 };

const live: Array<Watched<{ type: string }>> = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((w) => w.worker.terminate()));
});

function owner(data: EchoOwnerData): Watched<EchoOwnerReport> {
  const w = spawnFixture<EchoOwnerReport>('echo-owner', data);
  live.push(w);
  return w;
}

function caller(data: CallerData): Watched<CallerReport> {
  const w = spawnFixture<CallerReport>('caller', { options: CLIENT, ...data });
  live.push(w);
  return w;
}

describe('mailbox channel on real threads', () => {
  test.each([1, 4])('%i concurrent caller(s) get their own echoes back', async (n) => {
    const buffer = createMailbox({ slotCount: 4, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'echo' });
    await own.next('ready');
    const callers = Array.from({ length: n }, (_, i) => caller({ buffer, who: `c${i}`, calls: 300 }));
    const done = await Promise.all(callers.map((c) => c.next('done')));
    for (const d of done) expect(d).toMatchObject({ calls: 300, mismatches: 0 });
    requestShutdown(buffer);
    await own.next('stopped');
  });

  test('replies can come back in any order', async () => {
    const buffer = createMailbox({ slotCount: 4, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'reverse', batch: 4 });
    await own.next('ready');
    const callers = Array.from({ length: 4 }, (_, i) => caller({ buffer, who: `c${i}`, calls: 1 }));
    const done = await Promise.all(callers.map((c) => c.next('done')));
    for (const d of done) expect(d.mismatches).toBe(0);
    const { slots } = await own.next('answered');
    expect([...slots].sort()).toEqual([0, 1, 2, 3]);
  });

  test('a caller terminated mid-call disturbs no one and its slot is reclaimed', async () => {
    const buffer = createMailbox({ slotCount: 2, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'hold' });
    await own.next('ready');
    const hung = caller({ buffer, who: 'hung', calls: 1, hang: true });
    const { slot, threadId } = await hung.next('ready');
    await hung.next('calling');
    const steady = caller({ buffer, who: 'steady', calls: 200, waitForGo: true });
    await steady.next('ready');
    await hung.worker.terminate();
    expect(abandonSlotsOfThread(buffer, threadId)).toEqual([slot]);
    steady.worker.postMessage('go');
    expect(await steady.next('done')).toMatchObject({ mismatches: 0 });
    expect(await own.next('abandoned')).toEqual({ type: 'abandoned', slot, inFlight: true });
    // The only free slot left is the reclaimed one (steady closed its own, so allow either).
    const next = caller({ buffer, who: 'next', calls: 50 });
    expect([slot, 1 - slot]).toContain((await next.next('ready')).slot);
    expect(await next.next('done')).toMatchObject({ mismatches: 0 });
  });

  test.each([
    ['silent heartbeat', false],
    ['supervisor marks it dead', true],
  ])('owner terminated (%s): every blocked caller gets OwnerGoneError', async (_label, mark) => {
    const buffer = createMailbox({ slotCount: 3, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'hold' });
    await own.next('ready');
    const callers = Array.from({ length: 3 }, (_, i) => caller({ buffer, who: `c${i}`, calls: 1, hang: true }));
    await Promise.all(callers.map((c) => c.next('calling')));
    await own.worker.terminate();
    if (mark) markOwnerDead(buffer);
    const errors = await Promise.all(callers.map((c) => c.next('error')));
    for (const e of errors) expect(e.name).toBe('OwnerGoneError');
  });
});

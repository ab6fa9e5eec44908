// Real-thread integration tests of the mailbox channel: echo owner + caller fixtures. No test
// asserts on wall-clock time; every wait is bounded so a broken protocol fails, never hangs.
import { afterEach, describe, expect, test } from 'vitest';
import { abandonSlotsOfThread, createMailbox, markOwnerDead, requestShutdown } from './channel.ts';
import type { CallerData, CallerReport } from './fixtures/caller.ts';
import type { EchoOwnerData, EchoOwnerReport } from './fixtures/echo-owner.ts';
import { spawnFixture, type Watched } from './fixtures/harness.ts';
import type { MailboxClientOptions } from './mailbox-client.ts';

/**
 * Short spins (2 shared cores). A live owner may be starved of CPU for seconds on a busy machine,
 * so callers of a live owner allow it 10 s of silence; the owner-death tests, which wait for that
 * silence, allow 400 ms so they finish quickly.
 */
const CLIENT: MailboxClientOptions = { spinIterations: 200, waitSliceMs: 20, ownerSilenceLimitMs: 10_000, callTimeoutMs: 60_000 };
const OWNER_DIES: MailboxClientOptions = { ...CLIENT, ownerSilenceLimitMs: 400 };
/** How long a report may take: worker start-up (tsx) and hundreds of calls on a starved machine. */
const REPORT_MS = 120_000;

const live: Array<Watched<{ type: string }>> = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((w) => w.worker.terminate()));
});

function owner(data: EchoOwnerData): Watched<EchoOwnerReport> {
  const w = spawnFixture<EchoOwnerReport>('echo-owner', data);
  live.push(w);
  return w;
}

function caller(data: CallerData, options: MailboxClientOptions = CLIENT): Watched<CallerReport> {
  const w = spawnFixture<CallerReport>('caller', { options, ...data });
  live.push(w);
  return w;
}

// Timeouts only guard against a hang: a few reports per test, each bounded by REPORT_MS.
describe('mailbox channel on real threads', { timeout: 4 * REPORT_MS }, () => {
  test.each([1, 4])('%i concurrent caller(s) get their own echoes back', async (n) => {
    const buffer = createMailbox({ slotCount: 4, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'echo' });
    await own.next('ready', REPORT_MS);
    const callers = Array.from({ length: n }, (_, i) => caller({ buffer, who: `c${i}`, calls: 300 }));
    const done = await Promise.all(callers.map((c) => c.next('done', REPORT_MS)));
    for (const d of done) expect(d).toMatchObject({ calls: 300, mismatches: 0 });
    requestShutdown(buffer);
    await own.next('stopped', REPORT_MS);
  });

  test('replies can come back in any order', async () => {
    const buffer = createMailbox({ slotCount: 4, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'reverse', batch: 4 });
    await own.next('ready', REPORT_MS);
    const callers = Array.from({ length: 4 }, (_, i) => caller({ buffer, who: `c${i}`, calls: 1 }));
    const done = await Promise.all(callers.map((c) => c.next('done', REPORT_MS)));
    for (const d of done) expect(d.mismatches).toBe(0);
    const { slots } = await own.next('answered', REPORT_MS);
    expect([...slots].sort()).toEqual([0, 1, 2, 3]);
  });

  test('a caller terminated mid-call disturbs no one and its slot is reclaimed', async () => {
    const buffer = createMailbox({ slotCount: 2, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'hold' });
    await own.next('ready', REPORT_MS);
    const hung = caller({ buffer, who: 'hung', calls: 1, hang: true });
    const { slot, threadId } = await hung.next('ready', REPORT_MS);
    await hung.next('calling', REPORT_MS);
    const steady = caller({ buffer, who: 'steady', calls: 200, waitForGo: true });
    await steady.next('ready', REPORT_MS);
    await hung.worker.terminate();
    expect(abandonSlotsOfThread(buffer, threadId)).toEqual([slot]);
    steady.worker.postMessage('go');
    expect(await steady.next('done', REPORT_MS)).toMatchObject({ mismatches: 0 });
    expect(await own.next('abandoned', REPORT_MS)).toEqual({ type: 'abandoned', slot, inFlight: true });
    // The only free slot left is the reclaimed one (steady closed its own, so allow either).
    const next = caller({ buffer, who: 'next', calls: 50 });
    expect([slot, 1 - slot]).toContain((await next.next('ready', REPORT_MS)).slot);
    expect(await next.next('done', REPORT_MS)).toMatchObject({ mismatches: 0 });
  });

  test.each([
    ['silent heartbeat', false],
    ['supervisor marks it dead', true],
  ])('owner terminated (%s): every blocked caller gets OwnerGoneError', async (_label, mark) => {
    const buffer = createMailbox({ slotCount: 3, payloadCapacityBytes: 4096 });
    const own = owner({ buffer, mode: 'hold' });
    await own.next('ready', REPORT_MS);
    const callers = Array.from({ length: 3 }, (_, i) => caller({ buffer, who: `c${i}`, calls: 1, hang: true }, OWNER_DIES));
    await Promise.all(callers.map((c) => c.next('calling', REPORT_MS)));
    await own.worker.terminate();
    if (mark) markOwnerDead(buffer);
    const errors = await Promise.all(callers.map((c) => c.next('error', REPORT_MS)));
    for (const e of errors) expect(e.name).toBe('OwnerGoneError');
  });
});

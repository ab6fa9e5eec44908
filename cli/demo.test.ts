import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDemo, QUARTER_DEMO, runDemo, type DemoOptions } from './commands/demo.ts';

// The default suite tells the story at a quarter of the size (QUARTER_DEMO: 0.38M steps a
// variant, ~12 s of CPU for both, a third of the full demo's); XEN_MEMSIM_LONG=1 runs the
// full-size demo of `xen-memsim demo` (1.3M steps a variant, ~40 s of CPU) with the same
// assertions. The timeout only guards against a hang: it is 25 times the CPU the test needs, so
// a machine busy with other jobs (or two CPU hogs beside the suite) still finishes it.
const LONG = process.env.XEN_MEMSIM_LONG === '1';
const SIZE: DemoOptions = LONG ? {} : QUARTER_DEMO;

describe(`xen-memsim demo (default seed, ${LONG ? 'full size' : 'quarter size'})`, () => {
  it('tells the seed\'s story: the guests grow during the builds; claim_mode=0 fails after populating, claim_mode=1 never does', async () => {
    const out = mkdtempSync(join(tmpdir(), 'xen-memsim-demo-'));
    const r = await runDemo({ ...SIZE, out, progress: false });
    const [cm0, cm1] = r.sides;
    expect([cm0.label, cm1.label]).toEqual(['claim_mode=0', 'claim_mode=1']);
    expect(r.hostMiB).toBe(LONG ? 4096 : 1024);
    // What xl info said just before: room for both large guests.
    expect(cm0.info?.freeMiB).toBeGreaterThan(2 * r.guestMiB);
    // claim_mode=0: at least one creation fails after populating something, and the
    // self-ballooning guests grew while the builds populated.
    expect(cm0.creates.some((c) => c.cmd.status !== 0 && c.cmd.populatedPages > 0)).toBe(true);
    expect(cm0.guests?.grewMiB).toBeGreaterThan(0);
    expect(cm0.guests?.gotMiB).toBeGreaterThan(0);
    // claim_mode=1: no failure after populating (a refused claim has populated nothing) …
    expect(cm1.creates.every((c) => c.cmd.status === 0 || c.cmd.populatedPages === 0)).toBe(true);
    expect(cm1.creates.some((c) => c.cmd.status === 0)).toBe(true);
    // … while the claim gate held the ballooning guests back: short populate_physmap replies.
    expect(cm1.guests?.shortCalls).toBeGreaterThan(0);
    expect(cm1.guests!.gotMiB).toBeLessThan(cm1.guests!.wantedMiB);
    // Claims sampled during the build.
    expect(cm1.claimsSamples.some((s) => (s.claimed.big1 ?? 0) + (s.claimed.big2 ?? 0) > 0)).toBe(true);
    const text = formatDemo(r).replace(/\s*\n\s*/g, ' ');
    expect(text).toMatch(/claim_mode=0\s+claim_mode=1/);
    expect(text).toMatch(/FAILED at [\d.]+ s, wall \d+ ms/);
    expect(text).toMatch(/their memory grew by \d+ MiB/);
    expect(text).toMatch(/claim gate held the ballooning guests back|failed at once with ENOMEM having populated nothing/);
    for (const f of ['demo-claim_mode=0.html', 'demo-claim_mode=1.html', 'demo-claim_mode=0.jsonl', 'demo.perfetto.json']) expect(existsSync(join(out, f))).toBe(true);
  }, LONG ? 900_000 : 300_000);
});

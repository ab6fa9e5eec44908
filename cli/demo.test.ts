import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../report/test-support.ts';
import { formatDemo, QUARTER_DEMO, runDemo, type DemoOptions, type DemoResult } from './commands/demo.ts';

// The default suite tells the story at a quarter of the size (QUARTER_DEMO: 0.38M steps a
// variant, ~12 s of CPU for both, a third of the full demo's); XEN_MEMSIM_LONG=1 runs the
// full-size demo of `xen-memsim demo` (1.3M steps a variant, ~40 s of CPU) with the same
// assertions. The timeout only guards against a hang: it is 25 times the CPU the test needs, so
// a machine busy with other jobs (or two CPU hogs beside the suite) still finishes it.
const LONG = process.env.XEN_MEMSIM_LONG === '1';
const SIZE: DemoOptions = LONG ? {} : QUARTER_DEMO;
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'out');

describe(`xen-memsim demo (default seed, ${LONG ? 'full size' : 'quarter size'})`, () => {
  let out: string;
  let r: DemoResult;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'xen-memsim-demo-'));
    r = await runDemo({ ...SIZE, out, progress: false });
  }, LONG ? 900_000 : 300_000);

  it('tells the seed\'s story: the guests grow during the builds; claim_mode=0 fails after populating, claim_mode=1 never does', () => {
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
    for (const f of ['demo.html', 'demo-claim_mode=0.jsonl', 'demo-claim_mode=1.jsonl', 'demo.perfetto.json']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('writes a report that tells it: xl info, the surge and both builds marked, no short reply drawn as a failure, both runs on one axis, the sections around the first failure', async () => {
    const browser = await launchChromium({ width: 1400, height: 1000 });
    try {
      const page = await browser.ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(out, 'demo.html')).href);
      await page.waitForFunction(() => (globalThis as unknown as { __report?: { ready: boolean } }).__report?.ready === true, undefined, { timeout: 60_000 });
      type Label = { text: string; cat: string; kind: string; step: number };
      const seen = await page.evaluate(() => {
        const R = (globalThis as unknown as { __report: { labels(i: number): Label[]; charts: Array<{ scales: { x: { min: number; max: number } } }>; data: { runs: Array<{ label: string; telemetry: { events: Array<{ kind: string; cat: string; step: number }> } }> } } }).__report;
        return {
          labels: [R.labels(0), R.labels(1)],
          ranges: R.charts.map((c) => [c.scales.x.min, c.scales.x.max]),
          runs: R.data.runs.map((x) => x.label),
          held: R.data.runs.map((x) => x.telemetry.events.filter((e) => e.kind === 'claim_gate').map((e) => e.cat)),
          firstFailure: R.data.runs[0].telemetry.events.find((e) => e.cat === 'failure')?.step,
        };
      });
      expect(seen.runs).toEqual(['claim_mode=0', 'claim_mode=1']);
      const texts = seen.labels.map((ls: Label[]) => ls.map((l) => l.text).join(' | '));
      for (const t of texts) {
        expect(t).toMatch(new RegExp(`xl info: ${r.sides[0].info!.freeMiB} MiB free`));
        expect(t).toContain('load surges');
        expect(t).toMatch(/xl create big1/);
        expect(t).toMatch(/big2/);
      }
      expect(texts[0]).toMatch(/big1(, big2)? FAILED/);
      expect(texts[1]).toMatch(/big1(, big2)? created/);
      // claim_mode=1: the claim gate held the guests back (short replies) and none of it is a failure.
      expect(seen.held[1].length).toBeGreaterThan(0);
      expect(new Set(seen.held[1])).toEqual(new Set(['held']));
      expect(seen.labels[1].filter((l: Label) => l.cat === 'failure')).toEqual([]);
      // One time axis for both.
      expect(seen.ranges[0]).toEqual(seen.ranges[1]);
      // The sections around claim_mode=0's first failure were kept.
      expect(seen.firstFailure).toBeGreaterThan(0);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'demo-report.png'), fullPage: false });
      await page.evaluate((step) => (globalThis as unknown as { __report: { focus(run: number, step: number): void } }).__report.focus(0, step), seen.firstFailure!);
      const shown = await page.evaluate(() => (globalThis as unknown as { __report: { marksShown: number } }).__report.marksShown);
      expect(shown).toBeGreaterThan(20);
      expect(await page.locator('#lanes rect.focus').count()).toBeGreaterThan(0);
      await page.locator('#interleaving').screenshot({ path: join(SHOTS, 'demo-report-interleaving.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

// The report in a real browser: Debian's Chromium (installed by `npm test`'s pretest script)
// driven by playwright-core. Checks that the memory chart rendered with the run's data, that the
// interleaving view responds to a chosen window (programmatic and by dragging on the chart), and
// writes out/report-screenshot.png.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ArrivalOrder } from '../sim/policy.ts';
import { World } from '../world/world.ts';
import { writeReport } from './html.ts';
import { attachTelemetry, type Telemetry } from './telemetry.ts';
import { ballooningHost } from './test-support.ts';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'out');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What the page exposes as window.__report, as far as the test reads it. */
interface PageReport {
  ready: boolean;
  marksShown: number;
  window: { t0: number; t1: number };
  setWindow(t0: number, t1: number): void;
  chart: { series: unknown[]; data: Array<Array<number | null>> };
}
declare const window: { __report: PageReport };
declare const document: { querySelectorAll(s: string): ArrayLike<{ width: number; height: number }> };

/** The series the page should draw: free, claims, each domain (and its claim if any), tmem ×2. */
function expectedSeries(t: Telemetry): number {
  const claims = t.memory.domains.filter((d) => d.outstandingPages.some((v) => v !== null && v > 0)).length;
  return 2 + t.memory.domains.length + claims + (t.memory.tmemEphemeral ? 2 : 0);
}

describe('HTML report in headless Chromium', () => {
  let telemetry: Telemetry;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const world = new World(ballooningHost(), new ArrivalOrder());
    const sampler = attachTelemetry(world.owner);
    await world.runUntil();
    await world.finish();
    telemetry = sampler.finish();
    await mkdir(OUT, { recursive: true });
    const file = join(OUT, 'report-browser-test.html');
    await writeReport(telemetry, file, { title: 'Two builders, ballooning tmem guests', seed: 'arrival order' });
    profile = await mkdtemp(join(tmpdir(), 'memsim-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 }, offline: true,
    });
    page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => window.__report?.ready === true, undefined, { timeout: 10_000 });
  });

  afterAll(async () => {
    await ctx?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });

  test('the memory chart rendered every series with the run\'s data', async () => {
    expect(pageErrors).toEqual([]);
    const canvases = await page.evaluate(() => Array.from(document.querySelectorAll('#chart-0 .plot canvas'), (c) => [c.width, c.height]));
    expect(canvases).toHaveLength(1);
    expect(canvases[0][0]).toBeGreaterThan(300);
    expect(canvases[0][1]).toBeGreaterThan(200);
    const shape = await page.evaluate(() => ({ series: window.__report.chart.series.length, data: window.__report.chart.data.map((d) => d.length) }));
    expect(shape.series - 1).toBe(expectedSeries(telemetry)); // series[0] is the x axis
    expect(new Set(shape.data)).toEqual(new Set([telemetry.memory.t.length]));
    const free = await page.evaluate(() => window.__report.chart.data[1]);
    expect(free).toEqual(telemetry.memory.freePages.map((p) => p / 256));
  });

  test('the interleaving view responds to the chosen window', async () => {
    const marks = () => page.locator('#lanes rect.mark').count();
    const whole = await page.evaluate(() => window.__report.marksShown);
    expect(whole).toBeGreaterThan(0);
    expect(await marks()).toBe(whole);
    // The build: the first 40 sections (both toolstacks), selected as a drag on the chart would.
    const t40 = telemetry.sections.t[39];
    await page.evaluate((t1) => window.__report.setWindow(0, t1), t40);
    expect(await page.evaluate(() => window.__report.window)).toEqual({ t0: 0, t1: t40 });
    const build = await page.evaluate(() => window.__report.marksShown);
    expect(build).toBe(telemetry.sections.t.filter((t) => t <= t40).length);
    expect(build).not.toBe(whole);
    expect(await marks()).toBe(build);
    expect(await page.locator('#window-info').textContent()).toContain(`${build} sections`);
  });

  test('dragging across the chart selects a window, and a screenshot is written', async () => {
    await page.evaluate(() => window.__report.setWindow(0, 3e6)); // zoom into the first 3 ms: the builds
    const before = await page.evaluate(() => window.__report.window);
    const over = (await page.locator('#chart-0 .u-over').boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.05, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.7, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    const after = await page.evaluate(() => window.__report.window);
    expect(after.t0).toBeGreaterThan(before.t0);
    expect(after.t1).toBeLessThan(before.t1);
    await page.locator('#lanes rect.mark').nth(12).hover();
    await page.screenshot({ path: join(OUT, 'report-screenshot.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

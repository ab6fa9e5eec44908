// The playground in Debian's Chromium (playwright-core): served by `xen-memsim web` (cross-origin
// isolated), and as the static build opened from file://. In each: the terminal has the focus,
// `xl list` and `xl create` typed into it echo their output into the DOM, Tab completes, the
// chart's data grows a series for the new domain, "step one section" runs exactly one critical
// section and shows the interleaving around it, and a command typed while the previous one runs
// is kept and run next. Served, a scenario also runs on real threads (Web Workers over the
// SharedArrayBuffer mailbox); from file:// the page says it cannot and runs the scheduled world.
// Every wait is for a DOM condition.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../report/test-support.ts';
import { writeWeb } from './build.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'out');
/** Generous, bounded: a loaded 2-core machine builds and boots the page slowly. */
const WAIT = { timeout: 90_000 };
/** Each test: a build, a boot and a dozen waits, each bounded by WAIT (the served one also a run on threads, THREADS_WAIT). */
const TEST_TIMEOUT = 600_000;

interface Playground {
  ready: boolean;
  busy: boolean;
  line: string;
  mode: 'scheduled' | 'threads';
  typeAheadHeld: number;
  input(data: string): void;
  runOnThreads(faults: { dieAfterRequests: Record<string, number> }): Promise<void>;
  chartSeries(): string[];
  status: { steps: number; nowNs: number };
  steps: Array<{ step: number; actor: string; label: string }>;
}
declare const window: { __playground?: Playground; crossOriginIsolated: boolean };
declare const document: { activeElement: { className: string } | null; querySelector(s: string): { textContent: string | null } | null };
/** Generous, bounded: a run on real threads in the page, then its replay (a few seconds on a quiet machine). */
const THREADS_WAIT = { timeout: 240_000 };

const screenText = (page: Page): Promise<string> => page.evaluate(() => document.querySelector('.xterm-rows')?.textContent ?? '');

/** Waits until the terminal's DOM shows `text` after what it showed before. */
async function waitForScreen(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (document.querySelector('.xterm-rows')?.textContent ?? '').includes(t), text, WAIT);
}

/** The checks both ways of opening the playground must pass; writes out/playground-NAME.png. */
async function drive(page: Page, name: string): Promise<void> {
  await page.waitForFunction(() => window.__playground?.ready === true, undefined, WAIT);
  expect(await page.evaluate(() => document.activeElement?.className ?? '')).toContain('xterm-helper-textarea');
  await page.keyboard.type('xl list');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'Domain-0                                     0  1024');
  expect(await screenText(page)).toContain('xl(4.22)> xl list');
  await page.waitForFunction(() => window.__playground!.busy === false && window.__playground!.chartSeries().length > 0, undefined, WAIT);
  const before = await page.evaluate(() => window.__playground!.chartSeries());
  expect(before).not.toContain('d1 example.pvlinux');
  // Tab completes the sub-command and the file name.
  // Completion is asynchronous (the worker answers): wait for each before typing on.
  await page.keyboard.type('xl cre');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => window.__playground!.line === 'xl create ', undefined, WAIT);
  await page.keyboard.type('xlexample.pvl');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => window.__playground!.line === 'xl create xlexample.pvlinux ', undefined, WAIT);
  await waitForScreen(page, 'xl(4.22)> xl create xlexample.pvlinux');
  await page.keyboard.press('Enter');
  await waitForScreen(page, 'Parsing config from xlexample.pvlinux');
  await page.waitForFunction(() => window.__playground!.chartSeries().includes('d1 example.pvlinux'), undefined, WAIT);
  await page.waitForFunction(() => window.__playground!.busy === false, undefined, WAIT);
  const stepsBefore = await page.evaluate(() => window.__playground!.status.steps);
  await page.click('#step');
  await page.waitForFunction(() => window.__playground!.steps.length === 1, undefined, WAIT);
  const stepped = await page.evaluate(() => window.__playground!.steps[0]);
  expect(stepped.step).toBe(stepsBefore + 1);
  await page.waitForFunction(() => (document.querySelector('#stepped')?.textContent ?? '').startsWith('step #'), undefined, WAIT);
  expect(await page.locator('#lanes rect.focus').count()).toBe(1);
  // Type-ahead and pastes: two commands pasted at once (one chunk of input, so the second surely
  // comes while `xl create` runs, however fast it is) run one after the other, the second kept
  // until the first is done (xterm-readline alone inserted the whole paste as one line).
  await page.locator('.xterm-helper-textarea').focus();
  const heldBefore = await page.evaluate(() => window.__playground!.typeAheadHeld);
  await page.evaluate(() => window.__playground!.input('xl create xlexample.hvm\rxl list\r'));
  await page.waitForFunction(() => /example\.hvm\s+2\s+\d+\s+2/.test(document.querySelector('.xterm-rows')?.textContent ?? ''), undefined, WAIT);
  await page.waitForFunction(() => window.__playground!.busy === false, undefined, WAIT);
  expect(await page.evaluate(() => window.__playground!.typeAheadHeld)).toBe(heldBefore + 'xl list\r'.length);
  expect(await screenText(page)).toContain('xl(4.22)> xl list');
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, `playground-${name}.png`) });
}

const text = (page: Page, selector: string): Promise<string> => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);

/**
 * Real threads (a cross-origin isolated page): the empty host cannot run on threads (a note says
 * so, it stays scheduled); the check-then-act scenario then runs with the owner and each actor in
 * Web Workers, its transcript and replayed trace in the DOM, step disabled with its reason.
 */
async function onThreads(page: Page): Promise<void> {
  await page.selectOption('#mode', 'threads');
  await page.waitForFunction(() => (document.querySelector('#mode-note')?.textContent ?? '').includes('no timeline to run on threads'), undefined, WAIT);
  expect(await page.evaluate(() => window.__playground!.mode)).toBe('scheduled');
  await page.selectOption('#scenario', 'check-then-act');
  await page.waitForFunction(() => window.__playground!.mode === 'threads', undefined, WAIT);
  expect(await page.locator('#step').isDisabled()).toBe(true);
  expect(await page.locator('#step').getAttribute('title')).toContain('Real threads race at their own pace');
  await page.waitForFunction(() => (document.querySelector('#threads-summary')?.textContent ?? '').includes('run 1 on real threads'), undefined, THREADS_WAIT);
  const summary = await text(page, '#threads-summary');
  expect(summary).toMatch(/completed; [\d.]+ virtual s, \d+ steps, [\d.]+ s wall, threads, hash [0-9a-f]{16}/);
  expect(summary).toContain('its trace replayed exactly');
  expect(await text(page, '#clock')).toContain('real threads');
  const log = await text(page, '#threads-log');
  expect(log).toContain('xl-1$ xl create -q left.cfg');
  expect(log).toContain('xl-2$ xl create -q right.cfg');
  // The chart shows the replayed run: both domains the builders created (which got domid 1 is the race's to decide).
  await page.waitForFunction(() => ['left', 'right'].every((name) => window.__playground!.chartSeries().some((s) => new RegExp(`^d[12] ${name}$`).test(s))), undefined, WAIT);
  await page.screenshot({ path: join(OUT, 'playground-threads.png') });
  // A thread that dies (an actor's worker ends with an uncaught error on its way to its 4th
  // hypercall) is reported, the others go on, and the run still ends and replays.
  await page.evaluate(() => window.__playground!.runOnThreads({ dieAfterRequests: { 'xl-1': 3 } }));
  await page.waitForFunction(() => (document.querySelector('#threads-summary')?.textContent ?? '').includes('run 2 on real threads'), undefined, THREADS_WAIT);
  const second = await text(page, '#threads-summary');
  expect(second).toMatch(/threads lost: xl-1: thread died: .*fault injection/);
  expect(second).toContain('its trace replayed exactly');
  expect(await text(page, '#threads-log')).toContain('xl-2$ xl create -q right.cfg');
}

describe('the playground in headless Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: ChildProcess | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium({ width: 1500, height: 1000 });
  }, TEST_TIMEOUT);

  afterAll(async () => {
    if (server?.exitCode === null) server.kill('SIGTERM');
    await browser?.close();
  });

  test('served by `xen-memsim web`: cross-origin isolated, the shell answers in the terminal (type-ahead kept), the chart follows, one section steps, a scenario runs on real threads', async () => {
    server = spawn(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), 'web', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`xen-memsim web printed no URL in time: ${seen}`)), WAIT.timeout);
      server!.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen);
        if (m !== null) { clearTimeout(timer); resolve(m[1]); }
      });
      server!.stderr!.on('data', (d: Buffer) => { seen += d.toString(); });
      server!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`xen-memsim web exited (${code}): ${seen}`)); });
    });
    const page = await browser.ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(url);
    expect(res?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(res?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    await drive(page, 'served');
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    await onThreads(page);
    // The one uncaught error is the injected one, in the actor's worker that it ended.
    expect(errors.filter((e) => !e.includes("fault injection: xl-1's thread dies"))).toEqual([]);
    errors.length = 0;
    await page.close();
  }, TEST_TIMEOUT);

  test('the static build from file://: the same shell, chart and step; no real threads, and a note says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memsim-web-'));
    await writeWeb(dir);
    const page = await browser.ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await drive(page, 'static');
    // Not cross-origin isolated: no real threads, and the page says so.
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    expect(await text(page, '#mode-note')).toContain('not cross-origin isolated');
    expect(await page.locator('#mode option[value="threads"]').isDisabled()).toBe(true);
    expect(await text(page, '#clock')).toContain('scheduled world');
    expect(errors).toEqual([]);
    await page.close();
  }, TEST_TIMEOUT);
});

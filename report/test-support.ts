// A small run worth drawing, shared by the report's tests: Xen 4.3 with tmem, two toolstacks
// building a 16 MiB guest each with claims, both guests self-ballooning with tmem, and an admin
// who lowers g1's memory target at 3 s and raises it again at 6 s (balloon moves both ways).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildScript } from '../world/test-scenarios.ts';
import type { ScenarioSpec } from '../sim/scenario.ts';

const NS_PER_S = 1e9;

/** The scenario; `untilNs` bounds the run (guests tick once per virtual second). */
export function ballooningHost(untilS = 8): ScenarioSpec {
  const guest = (name: string, seed: number) => ({
    name: `linux-${name}`, kind: 'linux', boot: name,
    params: { seed, workload: 'bursty', initialPages: 4096, maxPfn: 4096, tmem: true },
  });
  return {
    name: 'two builders, ballooning tmem guests (4.3)',
    host: { memoryMiB: 128, xen: '4.3', dom0MiB: 16, tmem: true },
    untilNs: untilS * NS_PER_S,
    actors: [
      { name: 'xl-1', kind: 'script', params: buildScript('g1', 16, true) },
      { name: 'xl-2', kind: 'script', params: buildScript('g2', 16, true) },
      guest('g1', 1),
      guest('g2', 2),
      {
        name: 'admin', kind: 'script',
        params: {
          steps: [
            { sleep: 3 * NS_PER_S }, { xs_write: ['/local/domain/1/memory/target', String(8 * 1024)] },
            { sleep: 3 * NS_PER_S }, { xs_write: ['/local/domain/1/memory/target', String(16 * 1024)] },
          ],
        },
      },
    ],
  };
}

/** Chromium flags for the browser tests: headless, no sandbox (root on CI), nothing fetched. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium through playwright-core, in a fresh profile; close() removes it. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<{ ctx: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'memsim-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport });
  return { ctx, close: async () => { await ctx.close(); await rm(profile, { recursive: true, force: true }); } };
}

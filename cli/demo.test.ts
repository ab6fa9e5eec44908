import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDemo, runDemo } from './commands/demo.ts';

describe('xen-memsim demo (default seed)', () => {
  it('shows the claim_mode contrast: 0 fails after populating, 1 fails with nothing populated or not at all', async () => {
    const out = mkdtempSync(join(tmpdir(), 'xen-memsim-demo-'));
    const r = await runDemo({ out, progress: false });
    const [cm0, cm1] = r.sides;
    expect([cm0.label, cm1.label]).toEqual(['claim_mode=0', 'claim_mode=1']);
    // claim_mode=0: at least one creation fails after populating something.
    expect(cm0.creates.some((c) => c.cmd.status !== 0 && c.cmd.populatedPages > 0)).toBe(true);
    // claim_mode=1: every failure happened before a single page was populated; never after.
    expect(cm1.creates.every((c) => c.cmd.status === 0 || c.cmd.populatedPages === 0)).toBe(true);
    expect(cm1.creates.some((c) => c.cmd.status === 0)).toBe(true);
    // What xl info said just before, and claims sampled during the build.
    expect(cm0.info?.freeMiB).toBeGreaterThan(0);
    expect(cm1.claimsSamples.some((s) => (s.claimed.big1 ?? 0) + (s.claimed.big2 ?? 0) > 0)).toBe(true);
    const text = formatDemo(r).replace(/\s*\n\s*/g, ' ');
    expect(text).toMatch(/claim_mode=0\s+claim_mode=1/);
    expect(text).toMatch(/FAILED at [\d.]+ s, wall \d+ ms/);
    expect(text).toContain('failed at once with ENOMEM having populated nothing');
    for (const f of ['demo-claim_mode=0.html', 'demo-claim_mode=1.html', 'demo-claim_mode=0.jsonl', 'demo.perfetto.json']) expect(existsSync(join(out, f))).toBe(true);
  });
});

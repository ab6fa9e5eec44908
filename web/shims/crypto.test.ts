import { createHash as nodeCreateHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../sim/policy.ts';
import { traceHash } from '../../sim/trace.ts';
import { twoBuilders } from '../../world/test-scenarios.ts';
import { runScheduled } from '../../world/world.ts';
import { build } from 'esbuild';
import { runInNewContext } from 'node:vm';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeShims } from '../build.ts';
import { createHash } from './crypto.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the browser\'s sha256 (web/shims/crypto.ts)', () => {
  // Text (any UTF-16, lone surrogates too) and bytes (a streamed trace hashes its chunks' bytes), mixed.
  test.prop([fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array()), { maxLength: 8 })])('digests exactly as node:crypto, update by update, text or bytes', (parts) => {
    const a = createHash('sha256');
    const b = nodeCreateHash('sha256');
    for (const p of parts) {
      a.update(p);
      b.update(p);
    }
    expect(a.digest('hex')).toBe(b.digest('hex'));
  });

  it('sim/trace.ts bundled for the browser (node:crypto → this shim) hashes a run\'s trace as Node does', async () => {
    const { owner, hash } = await runScheduled(twoBuilders('4.22', true), new ArrivalOrder());
    const events = owner.trace.events.slice(0, -1); // what traceHash saw when the run ended
    expect(traceHash(events)).toBe(hash);
    const bundle = await build({ entryPoints: [join(ROOT, 'sim', 'trace.ts')], bundle: true, format: 'iife', globalName: 'memsimTrace', platform: 'browser', write: false, plugins: [nodeShims], logLevel: 'silent' });
    const code = bundle.outputFiles[0].text;
    expect(code).not.toMatch(/require\(|from\s*["']node:/);
    // A fresh context with only what a browser worker has (no require, no process).
    const browserTrace = runInNewContext(`${code}; memsimTrace`, { TextEncoder, TextDecoder }) as { traceHash: typeof traceHash };
    expect(browserTrace.traceHash(JSON.parse(JSON.stringify(events)))).toBe(hash);
  });

  it('refuses what it does not implement', () => {
    expect(() => createHash('md5')).toThrow(/only sha256/);
  });
});


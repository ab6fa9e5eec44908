import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, LineChunks } from './line-chunks.ts';

/** Lines as a trace has them (short ASCII), with non-ASCII text and lines longer than a chunk now and then. */
const lineArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: 1, max: CHUNK_BYTES })).map(([c, n]) => c.repeat(n)) },
).map((s) => s + '\n');

function record(lines: Array<[string, boolean]>): { bytes: string; hash: string; chunks: number[] } {
  const h = createHash('sha256');
  const out: string[] = [];
  const chunks: number[] = [];
  const c = new LineChunks(h, (b) => {
    chunks.push(b.length);
    out.push(Buffer.from(b).toString('hex')); // the buffer is reused after the call
  });
  for (const [line, hashed] of lines) c.add(line, hashed);
  c.flush();
  return { bytes: out.join(''), hash: h.digest('hex'), chunks };
}

describe('LineChunks (a streamed trace as bytes)', () => {
  test.prop([fc.array(fc.tuple(lineArb, fc.boolean()), { maxLength: 60 })], { numRuns: 60 })(
    'writes the UTF-8 of every line in order and hashes exactly the hashed ones, in order',
    (lines) => {
      const r = record(lines);
      expect(r.bytes).toBe(Buffer.from(lines.map(([l]) => l).join(''), 'utf8').toString('hex'));
      const want = createHash('sha256');
      for (const [l, hashed] of lines) if (hashed) want.update(l);
      expect(r.hash).toBe(want.digest('hex'));
      // Chunks are bounded, except a single line longer than a chunk, which goes alone.
      for (const n of r.chunks) expect(n <= CHUNK_BYTES || lines.some(([l]) => Buffer.byteLength(l) === n)).toBe(true);
    },
  );

  test.prop([fc.array(fc.tuple(fc.oneof(fc.maxSafeNat(), fc.nat(2_000_000_000), fc.constantFrom(0, 9, 10, 999_999_999, 1e9, 1e9 + 7, 2 ** 31, Number.MAX_SAFE_INTEGER)), fc.boolean()), { maxLength: 40 })], { numRuns: 60 })(
    'a prefixed integer is written and hashed as JSON.stringify writes the step line',
    (items) => {
      const prefix = new TextEncoder().encode('{"k":"step","a":"x","s":"y","t":');
      const h = createHash('sha256');
      const out: string[] = [];
      const c = new LineChunks(h, (b) => out.push(Buffer.from(b).toString('utf8')));
      const want = createHash('sha256');
      let text = '';
      for (const [t, viaString] of items) {
        const line = JSON.stringify({ k: 'step', a: 'x', s: 'y', t }) + '\n';
        if (viaString) c.add(line, true);
        else c.addPrefixedInt(prefix, t);
        want.update(line);
        text += line;
      }
      c.flush();
      expect(out.join('')).toBe(text);
      expect(h.digest('hex')).toBe(want.digest('hex'));
    },
  );

  it('hashPending hashes the lines so far without writing them; what follows is hashed after', () => {
    const h = createHash('sha256');
    const written: string[] = [];
    const c = new LineChunks(h, (b) => written.push(Buffer.from(b).toString('utf8')));
    c.add('a\n', true);
    c.add('b\n', false);
    c.add('c\n', true);
    c.hashPending();
    expect(written).toEqual([]);
    h.update('tail');
    c.add('d\n', true);
    c.flush();
    expect(written).toEqual(['a\nb\nc\nd\n']);
    expect(h.digest('hex')).toBe(createHash('sha256').update('a\nc\ntaild\n').digest('hex'));
  });

  it('with no writer the lines are only hashed', () => {
    const h = createHash('sha256');
    const c = new LineChunks(h, undefined);
    for (let i = 0; i < 50_000; i++) c.add(`{"k":"step","t":${i}}\n`, i % 3 !== 0);
    c.flush();
    const want = createHash('sha256');
    for (let i = 0; i < 50_000; i++) if (i % 3 !== 0) want.update(`{"k":"step","t":${i}}\n`);
    expect(h.digest('hex')).toBe(want.digest('hex'));
  });
});

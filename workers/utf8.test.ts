// utf8.ts: the copying path browsers need (their TextEncoder/TextDecoder refuse shared views)
// gives exactly what the direct path gives, into and out of shared and unshared memory — the
// same units read and bytes written when the destination is too small, the same strings and the
// same refusals of bytes that are not UTF-8.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeUtf8, encodeUtf8Into } from './utf8.ts';

/** One unshared and one shared buffer, allocated once; each case uses their first `n` bytes. */
const BUFFERS = [new Uint8Array(512), new Uint8Array(new SharedArrayBuffer(512))];
const views = (n: number): Uint8Array[] => BUFFERS.map((b) => b.subarray(0, n));

describe('UTF-8 in shared memory', () => {
  test('encoding through the scratch buffer writes the same bytes and counts as encodeInto, whatever the room', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(400), (text, room) => {
      const direct = new Uint8Array(room);
      const want = new TextEncoder().encodeInto(text, direct);
      for (const dest of views(room)) {
        dest.fill(0xff);
        expect(encodeUtf8Into(text, dest, true)).toEqual(want);
        // Bytes past `written` are left alone, as encodeInto leaves them.
        expect(Buffer.from(dest.subarray(0, want.written)).equals(direct.subarray(0, want.written))).toBe(true);
        expect(dest.subarray(want.written).every((b) => b === 0xff)).toBe(true);
      }
    }));
  });

  test('decoding through a copy gives the same string, and a fatal decoder refuses the same bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      let want: string | Error;
      try {
        want = fatal.decode(bytes);
      } catch (e) {
        want = e as Error;
      }
      for (const view of views(bytes.length)) {
        view.set(bytes);
        if (typeof want === 'string') expect(decodeUtf8(fatal, view, true)).toBe(want);
        else expect(() => decodeUtf8(fatal, view, true)).toThrow(TypeError);
      }
    }));
  });

  test('the default path round-trips text through a shared view on this platform', () => {
    const dest = new Uint8Array(new SharedArrayBuffer(64));
    const { written } = encodeUtf8Into('xl create — d1 ✓', dest);
    expect(decodeUtf8(new TextDecoder(), dest.subarray(0, written))).toBe('xl create — d1 ✓');
  });
});

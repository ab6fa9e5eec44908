// The playground's node:string_decoder and node:url shims agree with Node's own.

import fc from 'fast-check';
import { StringDecoder as NodeDecoder } from 'node:string_decoder';
import { fileURLToPath as nodeFileURLToPath, pathToFileURL as nodePathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { StringDecoder } from './string-decoder.ts';
import { fileURLToPath, pathToFileURL } from './url.ts';

describe('browser shims', () => {
  test('StringDecoder: any text cut into any chunks decodes as Node decodes it (characters split across reads)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.array(fc.nat({ max: 200 }), { maxLength: 6 }), (text, cuts) => {
      const bytes = new TextEncoder().encode(text);
      const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const ours = new StringDecoder('utf8');
      const node = new NodeDecoder('utf8');
      let a = '';
      let b = '';
      let from = 0;
      for (const to of [...at, bytes.length]) {
        a += ours.write(bytes.subarray(from, to));
        b += node.write(Buffer.from(bytes.subarray(from, to)));
        from = to;
      }
      expect(a).toBe(b);
      expect(ours.end()).toBe(node.end());
    }));
  });

  test('pathToFileURL / fileURLToPath: as Node for absolute POSIX paths, spaces and non-ASCII included', () => {
    for (const p of ['/scenarios/demo.json', '/a b/c#d?.json', '/é/ü.mjs', '/x/%41.json']) {
      expect(pathToFileURL(p).href).toBe(nodePathToFileURL(p).href);
      expect(fileURLToPath(pathToFileURL(p))).toBe(p);
      expect(fileURLToPath(nodePathToFileURL(p).href)).toBe(nodeFileURLToPath(nodePathToFileURL(p)));
    }
    expect(() => fileURLToPath('https://example.org/x')).toThrow(/scheme file/);
  });
});

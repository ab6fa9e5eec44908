import { describe, expect } from 'vitest';
import { fc, it } from '@fast-check/vitest';
import { parseConfig } from './parser.ts';
import { pinnedSeed } from '../../prop-tests/setup.ts';

/** Fragments that steer generated text into every lexer rule and parser state. */
const fragment = fc.constantFrom(
  'a', 'memory', 'vif.x', '=', '+=', ';', ',', '[', ']', '\n', '\r', '\t', ' ', '#', '# c\n', '"s"', "'q'", '"\\x41"',
  '"\\1"', '"\\101"', '"', "'", '\\', '-', '.', '(', ':', '0x1', '12abc', 'G', 'é', '\0', '😀',
);
const configText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join('')),
);

describe(`parseConfig never throws (seed: ${pinnedSeed})`, () => {
  it.prop([configText])('reports failures as messages and succeeds only without them', (text) => {
    const r = parseConfig(text, 't.cfg');
    expect(r.ok).toBe(r.stderr.length === 0);
    for (const write of r.stderr) expect(write.endsWith('\n')).toBe(true);
    for (const setting of r.cfg.settings) expect(setting.name).toMatch(/^[a-z][._0-9a-z]*$/);
  });

  it.prop([fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.nat()), { maxLength: 10 })])(
    'reads back well-formed settings, last one winning',
    (pairs) => {
      const r = parseConfig(pairs.map(([k, v]) => `${k} = ${v}\n`).join(''), 't.cfg');
      expect(r.ok).toBe(true);
      expect(r.cfg.settings.map((s) => [s.name, s.value.kind === 'string' ? s.value.string : null])).toEqual(
        pairs.map(([k, v]) => [k, String(v)]),
      );
    },
  );
});

import { describe, expect, it } from 'vitest';
import { listOf, oneOf, unknownName, wholeNumber } from './values.ts';

describe('name parsers', () => {
  it('oneOf refuses an unknown name with the known ones (and a suggestion when close)', () => {
    expect(oneOf('bug', ['B1', 'B2'])('B1')).toEqual({ ok: true, value: 'B1' });
    expect(oneOf('bug', ['B1', 'B2'])('b2')).toEqual({ ok: false, message: 'unknown bug "b2" (did you mean B2?); known: B1, B2' });
    expect(unknownName('family', 'zzz', ['xl'])).toBe('unknown family "zzz"; known: xl');
  });

  it('listOf takes words and comma lists, drops duplicates, refuses empty items and the first unknown', () => {
    const families = listOf('family', ['xl', 'tmem', 'linux']);
    expect(families(['xl,tmem', 'linux', 'xl'])).toEqual({ ok: true, value: ['xl', 'tmem', 'linux'] });
    expect(families(['xl,,tmem'])).toMatchObject({ ok: false, message: expect.stringMatching(/^empty family/) });
    expect(families(['xl', 'tmm'])).toMatchObject({ ok: false, message: expect.stringMatching(/unknown family "tmm" \(did you mean tmem\?\)/) });
  });

  it('echoes at most 60 characters of a hostile value', () => {
    const r = oneOf('bug', ['B1'])('x'.repeat(10_000));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message.length).toBeLessThan(120);
  });
});

describe('wholeNumber: decimal digits within a range', () => {
  const r = { min: 1, max: 64 };
  it('accepts the range and its ends', () => {
    expect(wholeNumber('1', r)).toEqual({ ok: true, value: 1 });
    expect(wholeNumber('64', r)).toEqual({ ok: true, value: 64 });
    expect(wholeNumber('007', r)).toEqual({ ok: true, value: 7 });
  });

  it('refuses what is outside, signed, exponent, fraction, hex, empty or beyond 2^53', () => {
    for (const t of ['0', '65', '200', '-1', '+1', '1e3', '1.5', '0x10', '', ' 1', 'NaN', 'Infinity', '99999999999999999999']) {
      expect(wholeNumber(t, r), t).toMatchObject({ ok: false, message: expect.stringMatching(/^must be a whole number in 1\.\.64 \(got /) });
    }
    expect(wholeNumber('9007199254740993', { min: 0, max: Number.MAX_SAFE_INTEGER }).ok).toBe(false);
  });
});

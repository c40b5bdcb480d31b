import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { neutralizeText } from '../../src/util/neutralize-text.ts';

/** The definition, without the fast path: what neutralizeText must return for any text. */
function reference(text: string, max = 512): string {
  let out = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g,
      (ch) => (ch === '\\' ? '\\\\' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
  if (out.length > max) out = `${out.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
  return out;
}

test('log text: controls, bidi, separators, backslashes and lone surrogates are escaped; clean text comes back unchanged', () => {
  assert.equal(neutralizeText('plain text, é and 😀'), 'plain text, é and 😀');
  assert.equal(neutralizeText('a\nb\u202ec\\d\u0000'), 'a\\u000ab\\u202ec\\\\d\\u0000');
  assert.equal(neutralizeText('x\ud800y'), 'x\ufffdy');
  assert.equal(neutralizeText('abcdef', 4), 'abc…');
});

test('property: the fast path returns exactly what the full escaping would', () => {
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('a', '\\', '\n', '\u202e', '\ud800', '\udc00', '😀', 'é') }));
  fc.assert(fc.property(text, fc.integer({ min: 2, max: 40 }), (t, max) => {
    assert.equal(neutralizeText(t), reference(t));
    assert.equal(neutralizeText(t, max), reference(t, max));
  }), { numRuns: 2000 });
});

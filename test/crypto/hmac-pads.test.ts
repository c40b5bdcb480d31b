import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { padMac } from '../../src/crypto/hmac-pads.ts';

const data = fc.oneof(fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), fc.string({ unit: 'grapheme', maxLength: 800 }));

test('the pad-based HMAC equals createHmac for any key and message, across scratch growth', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 150 }), fc.array(data, { minLength: 1, maxLength: 6 }), (keyBytes, messages) => {
    const key = Buffer.from(keyBytes);
    const copy = Buffer.from(key);
    const m = padMac(key);
    for (const msg of messages) assert.deepEqual(m.mac(msg), createHmac('sha256', copy).update(msg).digest());
    assert.deepEqual(key, copy, 'the caller\'s key is left as it was');
  }), { numRuns: 300 });
});

test('a digest is the caller\'s own: the next MAC does not change it', () => {
  const m = padMac(Buffer.alloc(32, 7));
  const first = m.mac('one');
  const kept = Buffer.from(first);
  m.mac('two');
  assert.deepEqual(first, kept);
});

test('dispose zeroes the pads: the handle no longer computes the key\'s MAC', () => {
  const key = Buffer.alloc(32, 0xab);
  const m = padMac(key);
  const want = createHmac('sha256', key).update('msg').digest();
  assert.deepEqual(m.mac('msg'), want);
  m.dispose();
  assert.notDeepEqual(m.mac('msg'), want);
  // zeroed pads are the pads of no key: SHA-256(0x00…) chains, not HMAC(K, ·)
  assert.notDeepEqual(m.mac('msg'), createHmac('sha256', key).update('msg').digest());
});

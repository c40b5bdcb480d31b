import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateSessionToken, hashSessionToken, isWellFormedSessionToken } from '../../src/crypto/session-token.ts';

test('session tokens are 256-bit base64url and unique', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const t = generateSessionToken();
    assert.match(t, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(t, 'base64url').length, 32);
    seen.add(t);
  }
  assert.equal(seen.size, 1000);
});

test('the stored form is the SHA-256 hex of the token, never the token', () => {
  const t = generateSessionToken();
  const h = hashSessionToken(t);
  assert.equal(h, createHash('sha256').update(t).digest('hex'));
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.ok(!h.includes(t));
});

test('malformed tokens are recognized before any lookup', () => {
  assert.equal(isWellFormedSessionToken(generateSessionToken()), true);
  for (const bad of [undefined, null, 42, '', 'short', `${generateSessionToken()}x`, "' OR 1=1 --".padEnd(43, 'a'), 'a'.repeat(42) + '=']) {
    assert.equal(isWellFormedSessionToken(bad), false, String(bad));
  }
});

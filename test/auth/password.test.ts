import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash } from '@node-rs/argon2';
import { hashPassword, verifyPassword, needsRehash, verifyDummyPassword, PASSWORD_PARAMS } from '../../src/crypto/password.ts';

test('hashes are argon2id with the parameters encoded (m ≥ 19 MiB, t ≥ 2, p ≥ 1)', async () => {
  const h = await hashPassword('correct horse battery');
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(h);
  assert.ok(m, h);
  assert.ok(Number(m[1]) >= 19456 && Number(m[2]) >= 2 && Number(m[3]) >= 1);
  assert.ok(!h.includes('correct horse'));
  assert.notEqual(h, await hashPassword('correct horse battery'), 'salted: same password, different hash');
});

test('verifyPassword accepts the right password only and never throws', async () => {
  const h = await hashPassword('pässwörd-ünïcode');
  assert.equal(await verifyPassword(h, 'pässwörd-ünïcode'), true);
  assert.equal(await verifyPassword(h, 'pässwörd-ünïcodE'), false);
  assert.equal(await verifyPassword(h, ''), false);
  for (const bad of ['', 'garbage', '$argon2id$v=19$m=1', '$2b$10$abcdefghijklmnopqrstuv']) {
    assert.equal(await verifyPassword(bad, 'x'), false);
  }
  assert.equal(await verifyDummyPassword('anything'), false);
});

test('needsRehash is true for weaker parameters or foreign formats, false for current ones', async () => {
  assert.equal(needsRehash(await hashPassword('pw-for-rehash')), false);
  const weak = await hash('pw-for-rehash', { memoryCost: 8192, timeCost: 1, parallelism: 1 });
  assert.equal(needsRehash(weak), true);
  const argon2i = await hash('pw-for-rehash', { ...PASSWORD_PARAMS, algorithm: 1 as never });
  assert.equal(needsRehash(argon2i), true);
  assert.equal(needsRehash('not a hash'), true);
});

test('hashing runs on the thread pool: the event loop keeps ticking during 8 hashes', async () => {
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`password-${i}`)));
  const took = performance.now() - started;
  clearInterval(timer);
  // If hashing ran on the loop, the timer could not fire until all hashes were done.
  assert.ok(maxGap < Math.max(50, took / 2), `event loop blocked for ${maxGap.toFixed(1)} ms of ${took.toFixed(1)} ms`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hash, hashSync } from '@node-rs/argon2';
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

test('the event loop stays responsive while 8 hashes run at once', async (t) => {
  // What one hash costs on this thread right now: hashing on the loop would block it for 8 of
  // these per round, and a busy box slows this and that alike, so the bound scales with it.
  const costs = [0, 1, 2].map(() => {
    const t = performance.now();
    hashSync('calibrate', { ...PASSWORD_PARAMS, algorithm: 2 as never });
    return performance.now() - t;
  }).sort((a, b) => a - b);
  const oneHash = costs[1];
  const bound = Math.max(20, 4 * oneHash); // ms; hashing on the loop gives ≥ 8 × oneHash

  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  let rounds = 0;
  while (performance.now() - started < 600 && rounds < 50) {
    await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`password-${rounds}-${i}`)));
    rounds++;
  }
  delay.disable();
  const p99 = delay.percentile(99) / 1e6;
  const max = delay.max / 1e6;
  t.diagnostic(`event-loop delay p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms, bound ${bound.toFixed(1)} ms, ${rounds} rounds, ${delay.count} samples`);
  // A 1 ms timer that got its turn: ~1 sample per ms when the loop is free, none while blocked.
  const elapsed = performance.now() - started;
  assert.ok(delay.count >= elapsed / 5, `${delay.count} event-loop samples in ${elapsed.toFixed(0)} ms: the loop hardly ran`);
  assert.ok(p99 < bound, `event-loop delay p99 ${p99.toFixed(1)} ms (max ${max.toFixed(1)} ms) over ${rounds} rounds ≥ ${bound.toFixed(1)} ms; one hash costs ${oneHash.toFixed(1)} ms`);
});

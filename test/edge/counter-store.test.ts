import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCounterStore } from '../../src/core/limits/memory-counter-store.ts';
import { RateLimiter, clientKey } from '../../src/core/limits/rate-limiter.ts';
import { defaultEdge } from '../../src/config/parse-edge.ts';

const MIN = 60_000;
const T0 = 1_800_000_000_000; // a window boundary (divisible by 60 000)

test('memory store: synchronous counts per key and window, reset, bounded size', () => {
  const s = new MemoryCounterStore({ maxKeys: 100 });
  assert.deepEqual(s.hit('a', MIN, T0), { start: T0, resetAt: T0 + MIN, count: 1 });
  assert.equal(s.hit('a', MIN, T0 + 10).count, 2);
  assert.equal(s.hit('b', MIN, T0 + 10).count, 1);
  assert.equal(s.peek('a', MIN, T0 + 59_999), 2);
  assert.equal(s.hit('a', MIN, T0 + MIN).count, 1, 'a new window starts at 1');
  s.reset('a');
  assert.equal(s.peek('a', MIN, T0 + MIN), 0);
  for (let i = 0; i < 1000; i++) s.hit(`k${i}`, MIN, T0 + MIN);
  assert.ok(s.size <= 100, `bounded: ${s.size}`);
});

test('the limiter: allows the limit, then denies with the time left; 0 means no limit; IPv6 by /64', () => {
  let now = T0 + 15_000;
  const cfg = { ...defaultEdge().rateLimit, auth: { ip: 3, account: 0 } };
  const limiter = new RateLimiter(cfg, new MemoryCounterStore(), () => now);
  for (let i = 0; i < 3; i++) assert.equal(limiter.check('ip', 'auth', '192.0.2.1'), null);
  const d = limiter.check('ip', 'auth', '192.0.2.1');
  assert.deepEqual(d, { scope: 'ip', routeClass: 'auth', limit: 3, windowSeconds: 60, retryAfter: 45 });
  assert.equal(limiter.check('ip', 'auth', '192.0.2.2'), null, 'another address has its own budget');
  assert.equal(limiter.check('account', 'auth', 'acct'), null, 'limit 0 = unlimited');
  now = T0 + MIN;
  assert.equal(limiter.check('ip', 'auth', '192.0.2.1'), null, 'the next window');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), clientKey('2001:db8:1:2:ffff:1:2:3'));
  assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
});

// The shared store (counted in process, flushed to the database): test/limits/database-counter-store.test.ts

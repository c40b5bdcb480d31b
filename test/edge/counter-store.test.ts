import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { DatabaseCounterStore } from '../../src/core/limits/database-counter-store.ts';
import { MemoryCounterStore } from '../../src/core/limits/memory-counter-store.ts';
import { RateLimiter, clientKey } from '../../src/core/limits/rate-limiter.ts';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import { eachDialect } from '../helpers/dialects.ts';

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

eachDialect('database counter store', (t) => {
  test('upsert counts atomically under concurrency, per window, and prunes ended windows', async () => {
    const db = await openDatabase(await t.freshDatabase());
    const store = new DatabaseCounterStore(db);
    try {
      await runSystemMigrations(db);
      const hits = await Promise.all(Array.from({ length: 40 }, () => store.hit('ip:x', MIN, T0 + 5)));
      assert.deepEqual(hits.map((h) => h.count).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1), 'every hit saw a distinct count');
      assert.equal(hits[0].resetAt, T0 + MIN);
      assert.equal(await store.peek('ip:x', MIN, T0 + 100), 40);
      assert.equal((await store.hit('ip:x', MIN, T0 + MIN)).count, 1, 'a new window');
      assert.equal((await store.hit('ip:y', MIN, T0, 5)).count, 5, 'cost');
      await store.prune(T0 + MIN + 1);
      const rows = await db.kysely.selectFrom('_sb_rate_limits').select(['key', 'count']).execute();
      assert.deepEqual(rows.map((r) => [r.key, Number(r.count)]), [['ip:x', 1]]);
      await store.reset('ip:x');
      assert.equal(await store.peek('ip:x', MIN, T0 + MIN), 0);
    } finally {
      await store.close();
      await db.close();
    }
  });
});

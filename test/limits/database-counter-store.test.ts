import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import type { Database } from '../../src/db/database.ts';
import { DatabaseCounterStore } from '../../src/core/limits/database-counter-store.ts';
import { RateLimiter } from '../../src/core/limits/rate-limiter.ts';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import { eachDialect } from '../helpers/dialects.ts';

const MIN = 60_000;
const T0 = 1_800_000_000_000; // a window boundary (divisible by 60 000)

async function rows(db: Database): Promise<[string, number][]> {
  const r = await db.kysely.selectFrom('_sb_rate_limits').select(['key', 'count']).orderBy('key').execute();
  return r.map((x) => [String(x.key), Number(x.count)]);
}

eachDialect('database counter store (counted in process, flushed in one statement)', (t) => {
  test('hits answer synchronously; a flush sends the sums, per window, and reads back the shared totals', async () => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    // two instances on one database, flushed by hand
    const a = new DatabaseCounterStore(db, { flushMs: 0 });
    const b = new DatabaseCounterStore(db, { flushMs: 0 });
    try {
      for (let i = 1; i <= 3; i++) assert.deepEqual(a.hit('ip:x', MIN, T0 + i), { count: i, resetAt: T0 + MIN });
      assert.equal(b.hit('ip:x', MIN, T0 + 5, 5).count, 5, 'cost; b has not heard of a yet');
      assert.deepEqual(await rows(db), [], 'nothing is written before a flush');
      await a.flush();
      await b.flush();
      assert.deepEqual(await rows(db), [['ip:x', 8]], 'one row per window: the sum of both');
      assert.equal(b.hit('ip:x', MIN, T0 + 6).count, 9, 'b read back the shared total with its flush');
      assert.equal(a.hit('ip:x', MIN, T0 + 6).count, 4, 'a has not flushed since b counted: the bounded lag');
      await a.flush();
      assert.equal(a.hit('ip:x', MIN, T0 + 7).count, 10, 'a knows every flushed hit once it flushed again (8 + its 4th, and this one; b\'s 6th is still pending in b)');
      assert.equal(await b.peek('ip:x', MIN, T0 + 7), 10, 'peek flushes first: 9 + b\'s 6th (a\'s last is still pending in a)');
      assert.equal(a.hit('ip:x', MIN, T0 + MIN).count, 1, 'a new window starts at 1');
      await a.flush();
      await b.flush();
      await a.prune(T0 + MIN + 1);
      assert.deepEqual(await rows(db), [['ip:x', 1]], 'the ended window is pruned');
      await a.reset('ip:x');
      assert.equal(await b.peek('ip:x', MIN, T0 + MIN), 0);
      assert.equal(a.hit('ip:x', MIN, T0 + MIN).count, 1, 'a reset forgets the window in process too');
    } finally {
      await a.close();
      await b.close();
      await db.close();
    }
  });

  test('three instances, limit 30, 5 hits each between flushes: the limit holds within one interval of hits', async () => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    const now = T0 + 1000;
    const cfg = { ...defaultEdge().rateLimit, read: { ip: 0, account: 30 } };
    const stores = [0, 1, 2].map(() => new DatabaseCounterStore(db, { flushMs: 0 }));
    const limiters = stores.map((s) => new RateLimiter(cfg, s, () => now));
    try {
      let admitted = 0;
      for (let round = 0; round < 10; round++) {
        for (const l of limiters) for (let i = 0; i < 5; i++) if (l.check('account', 'read', 'acct') === null) admitted++;
        for (const s of stores) await s.flush();
      }
      // Counted alone, each would admit 30 (90 in all). Shared, the others' hits reach an
      // instance at its next flush: beyond the limit, at most one interval's hits get through.
      assert.ok(admitted >= 30, `never fewer than the limit: ${admitted}`);
      assert.ok(admitted <= 30 + 3 * 5, `at most the limit plus one flush interval's hits on every instance: ${admitted}`);
      for (const l of limiters) assert.notEqual(l.check('account', 'read', 'acct'), null, 'every instance now refuses');
      assert.deepEqual(await rows(db), [['read:account:acct', 150]], 'every hit counted, denied ones too');
    } finally {
      for (const s of stores) await s.close();
      await db.close();
    }
  });

  test('an exact hit (sign-in budgets) is counted in the database at once, with the exact shared total', async () => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    const now = T0 + 1000;
    const cfg = { ...defaultEdge().rateLimit, auth: { ip: 4, account: 0 } };
    const stores = [0, 1].map(() => new DatabaseCounterStore(db, { flushMs: 0 }));
    const limiters = stores.map((s) => new RateLimiter(cfg, s, () => now));
    try {
      const a = stores[0]!.hit('auth:ip:x', MIN, now, 1, true);
      assert.ok(a instanceof Promise, 'the exact path waits for the database');
      assert.equal((await a).count, 1);
      const outcomes: boolean[] = [];
      for (let i = 0; i < 8; i++) outcomes.push((await limiters[i % 2]!.check('ip', 'auth', '192.0.2.9')) === null);
      assert.deepEqual(outcomes, [true, true, true, true, false, false, false, false], 'four in all, whichever instance took them, no flush needed');
    } finally {
      for (const s of stores) await s.close();
      await db.close();
    }
  });

  test('on its own timer; close() sends what is pending; a failed flush keeps its counts', async () => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    const errors: unknown[] = [];
    const s = new DatabaseCounterStore(db, { flushMs: 20, onError: (e) => errors.push(e) });
    for (let i = 0; i < 4; i++) s.hit('k', MIN, T0);
    for (let i = 0; i < 100 && (await rows(db)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await rows(db), [['k', 4]], 'flushed by its timer');
    s.hit('k', MIN, T0);
    await db.kysely.schema.alterTable('_sb_rate_limits').renameTo('_sb_rate_limits_away').execute();
    await assert.rejects(s.flush());
    assert.equal(s.hit('k', MIN, T0).count, 6, 'the failed increment is still counted here');
    await db.kysely.schema.alterTable('_sb_rate_limits_away').renameTo('_sb_rate_limits').execute();
    await s.close();
    assert.deepEqual(await rows(db), [['k', 6]], 'sent by close(), nothing lost, nothing twice');
    await db.close();
  });

  test('memory stays bounded under a flood of keys: ended, settled windows are dropped', async () => {
    const db = await openDatabase(await t.freshDatabase());
    await runSystemMigrations(db);
    const s = new DatabaseCounterStore(db, { flushMs: 0, maxKeys: 100, now: () => T0 + MIN });
    try {
      for (let i = 0; i < 100; i++) s.hit(`old${i}`, MIN, T0);
      await s.flush();
      assert.equal(s.size, 0, 'windows that ended when flushed are forgotten');
      for (let i = 0; i < 100; i++) s.hit(`a${i}`, MIN, T0 + MIN);
      await s.flush();
      for (let i = 0; i < 50; i++) s.hit(`b${i}`, MIN, T0 + MIN);
      assert.ok(s.size <= 100, `bounded: ${s.size}`);
      assert.equal(s.hit('b0', MIN, T0 + MIN).count, 2, 'pending hits are never evicted');
    } finally {
      await s.close();
      await db.close();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobRunner } from '../../src/core/jobs/job-runner.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { sql } from 'kysely';
import { eachDialect } from '../helpers/dialects.ts';

/** Waits (bounded) until cond holds. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

eachDialect('JobRunner', (t) => {
  test('a job runs when due, and a new runner keeps the schedule it finds in _sb_jobs', async () => {
    const cfg = await t.freshDatabase();
    const db = await openDatabase(cfg);
    await runSystemMigrations(db);
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const runs: string[] = [];
    const job = (who: string) => ({ name: 'nightly', everyMs: 60_000, run: async () => { runs.push(who); } });
    const a = new JobRunner(db, cfg, { pollMs: 20, now: () => clock, instance: 'a' });
    try {
      a.register(job('a'));
      await until(() => runs.length === 1, 'the first run');
      await sleep(150);
      assert.deepEqual(runs, ['a'], 'not again before everyMs');
      assert.equal(a.leads('nightly'), true);
    } finally {
      await a.stop();
    }
    const state = await db.kysely.selectFrom('_sb_jobs').selectAll().executeTakeFirstOrThrow();
    assert.equal(state.instance, 'a');
    assert.equal(state.last_started, '2026-01-01T00:00:00.000Z');
    assert.ok(state.last_finished);
    clock += 30_000;
    const b = new JobRunner(db, cfg, { pollMs: 20, now: () => clock, instance: 'b' });
    try {
      b.register(job('b'));
      await until(() => b.leads('nightly'), 'b leading');
      await sleep(150);
      assert.deepEqual(runs, ['a'], 'the schedule moved with the leadership: not due yet');
      clock += 30_001;
      await until(() => runs.length === 2, 'the run once due');
      assert.deepEqual(runs, ['a', 'b']);
    } finally {
      await b.stop();
      await db.close();
    }
  });

  test('each job runs on its own: a long run does not hold up another job; stop() aborts and waits for it', async () => {
    const cfg = await t.freshDatabase();
    const db = await openDatabase(cfg);
    await runSystemMigrations(db);
    const r = new JobRunner(db, cfg, { pollMs: 20, instance: 'r' });
    let fast = 0;
    let slowStarted = 0;
    let slowAborted = false;
    try {
      r.register({
        name: 'slow', everyMs: 1,
        run: (signal) => new Promise<void>((done) => {
          slowStarted++;
          signal.addEventListener('abort', () => { slowAborted = true; done(); }, { once: true });
        }),
      });
      r.register({ name: 'fast', everyMs: 1, run: async () => { fast++; } });
      await until(() => fast >= 3, 'the fast job running while the slow one is still in its first run');
      assert.equal(slowStarted, 1, 'a job never overlaps itself');
    } finally {
      await r.stop();
    }
    assert.equal(slowAborted, true, 'stop() aborted the run and waited for it');
    const slow = await db.kysely.selectFrom('_sb_jobs').selectAll().where('name', '=', 'slow').executeTakeFirstOrThrow();
    assert.equal(slow.last_finished, null, 'an aborted run is not recorded as finished');
    await db.close();
  });

  test('bad job definitions are refused', async () => {
    const cfg = await t.freshDatabase();
    const db = await openDatabase(cfg);
    const r = new JobRunner(db, cfg, { pollMs: 1000 });
    try {
      for (const def of [{ name: 'Bad Name', everyMs: 1 }, { name: 'ok', everyMs: 0 }, { name: 'ok', everyMs: 1.5 }]) {
        assert.throws(() => r.register({ ...def, run: async () => undefined }), (err) => err instanceof StrongboxError && err.code === 'ERR_CONFIG');
      }
      r.register({ name: 'once', everyMs: 1000, run: async () => undefined });
      assert.throws(() => r.register({ name: 'once', everyMs: 1000, run: async () => undefined }), /twice/);
    } finally {
      await r.stop();
      await db.close();
    }
  });

  if (t.dialect === 'postgres') {
    test('exclusive(): one instance at a time, outside any transaction, released afterwards', async () => {
      const cfg = await t.freshDatabase();
      const db = await openDatabase(cfg);
      await runSystemMigrations(db);
      const x = new JobRunner(db, cfg, { pollMs: 20, instance: 'x' });
      const y = new JobRunner(db, cfg, { pollMs: 20, instance: 'y' });
      try {
        let inner: boolean | null = null;
        let again: boolean | null = null;
        const ran = await x.exclusive('backup', async () => {
          inner = await y.exclusive('backup', async () => undefined);
          again = await x.exclusive('backup', async () => undefined);
          // longer than nothing: the lock is no transaction of the pool's (idle-in-transaction timeouts do not apply)
          const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where state like 'idle in transaction%' and datname = current_database()`.execute(db.kysely);
          assert.equal(Number(rows[0]!.n), 0);
        });
        assert.deepEqual([ran, inner, again], [true, false, false], 'the other instance and a nested call both skip');
        let both = 0;
        const twice = await Promise.all([0, 1].map(() => x.exclusive('drill', async () => { both++; await sleep(20); })));
        assert.deepEqual([twice.filter(Boolean).length, both], [1, 1], 'two calls at once in one process: one runs');
        assert.equal(await y.exclusive('backup', async () => undefined), true, 'released afterwards');
        y.register({ name: 'nightly', everyMs: 60_000, run: async () => undefined });
        await assert.rejects(y.exclusive('nightly', async () => undefined), /registered/);
      } finally {
        await x.stop();
        await y.stop();
        await db.close();
      }
    });

    test('two runners on one database: one leads; when it stops, the other takes over', async () => {
      const cfg = await t.freshDatabase();
      const db = await openDatabase(cfg);
      await runSystemMigrations(db);
      const job = { name: 'solo', everyMs: 1, run: async () => { await sleep(5); } };
      const x = new JobRunner(db, cfg, { pollMs: 20, instance: 'x' });
      const y = new JobRunner(db, cfg, { pollMs: 20, instance: 'y' });
      try {
        x.register(job);
        await until(() => x.leads('solo'), 'x leading');
        y.register(job);
        for (let i = 0; i < 10; i++) {
          await sleep(30);
          assert.ok(!(x.leads('solo') && y.leads('solo')), 'never two leaders');
          assert.equal(y.leads('solo'), false);
        }
        await x.stop();
        await until(() => y.leads('solo'), 'y taking over');
      } finally {
        await x.stop();
        await y.stop();
        await db.close();
      }
    });
  }
});

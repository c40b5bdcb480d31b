import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { Database, SyncWriter } from '../../src/db/database.ts';
import { withSqlitePair } from '../helpers/sqlite-pair.ts';
import { batchWriterOf } from '../../src/db/sqlite/write-batch.ts';

const withDb = (work: Parameters<typeof withSqlitePair>[1]): Promise<void> => withSqlitePair({ unique: true, otherReadonly: true }, work);

const committed = (other: BetterSqlite3.Database): string[] =>
  (other.prepare('select v from t order by v').all() as Array<{ v: string }>).map((r) => r.v);

const insert = (v: string) => (trx: Parameters<Parameters<Database['write']>[0]>[0]) =>
  trx.insertInto('t').values({ v }).execute().then(() => v);

test('the writes of one turn share one commit, and none is answered before it is committed', async () => {
  await withDb(async (db, other) => {
    const seen: string[][] = [];
    const jobs = ['a', 'b', 'c'].map((v) => db.write(insert(v)).then((out) => {
      seen.push(committed(other)); // what another process sees when this caller hears back
      return out;
    }));
    assert.deepEqual(await Promise.all(jobs), ['a', 'b', 'c']);
    for (const s of seen) assert.deepEqual(s, ['a', 'b', 'c'], 'every write was committed before any caller heard back');
  });
});

test('a failing write rolls back alone: the others of its batch commit', async () => {
  await withDb(async (db, other) => {
    const results = await Promise.allSettled([
      db.write(insert('a')),
      db.write(async (trx) => {
        await insert('half')(trx); // its first statement succeeds …
        await insert('a')(trx); // … then a unique violation: the whole job must go
      }),
      db.write(async () => {
        throw new Error('refused by a rule');
      }),
      db.write(insert('c')),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.equal(String((results[2] as PromiseRejectedResult).reason), 'Error: refused by a rule');
    assert.deepEqual(committed(other), ['a', 'c'], 'nothing of the failed jobs stays');
  });
});

test('a write alone in its batch that fails halfway leaves nothing, and the next write commits', async () => {
  await withDb(async (db, other) => {
    await db.write(insert('a'));
    const failed = db.write(async (trx) => {
      await insert('half')(trx); // its first statement succeeds …
      await insert('a')(trx); // … then a unique violation
    });
    await assert.rejects(failed, /UNIQUE/);
    assert.deepEqual(committed(other), ['a'], 'the lone job rolled back whole');
    assert.equal(await db.write(insert('b')), 'b', 'the connection is not left inside a transaction');
    assert.deepEqual(committed(other), ['a', 'b']);
  });
});

test('writes queued while a batch commits go into the next one, in order, and each sees the earlier ones', async () => {
  await withDb(async (db, other) => {
    const first = db.write(insert('1'));
    await new Promise((r) => setImmediate(r)); // the first batch has started
    const later = Array.from({ length: 300 }, (_, i) => db.write(async (trx) => {
      const n = Number((await sql<{ n: number }>`select count(*) as n from t`.execute(trx)).rows[0].n);
      await insert(`x${String(i).padStart(3, '0')}`)(trx);
      return n;
    }));
    await first;
    const counts = await Promise.all(later);
    assert.deepEqual(counts, counts.map((_, i) => i + 1), 'each write saw every write queued before it');
    assert.equal(committed(other).length, 301);
  });
});

test('a transaction that cannot commit fails every write of its batch, and none of them stays', async () => {
  await withDb(async (db, other) => {
    // a deferred foreign key is checked at COMMIT: the commit itself fails
    await sql`create table child (p text references t(v) deferrable initially deferred)`.execute(db.kysely);
    await sql`pragma foreign_keys = on`.execute(db.kysely);
    const results = await Promise.allSettled([
      db.write(insert('ok')),
      db.write((trx) => trx.insertInto('child').values({ p: 'no such parent' }).execute()),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(committed(other), [], 'the batch left nothing');
    // and the connection is usable afterwards
    assert.equal(await db.write(insert('after')), 'after');
    assert.deepEqual(committed(other), ['after']);
  });
});

/** A job whose statements go straight to the batch's connection (batchWriterOf), as the audit trail's appends do. */
const viaConnection = (db: Database) => <T>(fn: (w: SyncWriter) => T): Promise<T> => db.write(async (trx) => {
  const w = batchWriterOf(trx);
  if (w === undefined) assert.fail('a job has its batch\'s connection');
  return fn(w);
});

const insertNow = (v: string) => (w: SyncWriter): string => {
  w.run('insert into t (v) values (?)', [v]);
  return v;
};

test('jobs writing through the batch\'s connection share the turn\'s group commit with Kysely jobs, and none is answered before it', async () => {
  await withDb(async (db, other) => {
    const writeSync = viaConnection(db);
    const seen: string[][] = [];
    const after = (p: Promise<string>) => p.then((v) => {
      seen.push(committed(other));
      return v;
    });
    const jobs = [after(db.write(insert('a'))), after(writeSync(insertNow('b'))), after(writeSync(insertNow('c')))];
    assert.deepEqual(await Promise.all(jobs), ['a', 'b', 'c']);
    for (const s of seen) assert.deepEqual(s, ['a', 'b', 'c']);
    // a batch of such jobs only: same guarantee
    const only = [after(writeSync(insertNow('d'))), after(writeSync(insertNow('e')))];
    seen.length = 0;
    assert.deepEqual(await Promise.all(only), ['d', 'e']);
    for (const s of seen) assert.deepEqual(s, ['a', 'b', 'c', 'd', 'e']);
  });
});

test('a job failing halfway through the batch\'s connection rolls back alone, alone or among others, and the connection stays usable', async () => {
  await withDb(async (db, other) => {
    const writeSync = viaConnection(db);
    const halfThenClash = (w: SyncWriter): void => {
      w.run('insert into t (v) values (?)', ['half']);
      w.run('insert into t (v) values (?)', ['a']); // unique violation
    };
    // among others (a batch of such jobs only, then a mixed one)
    for (const mixed of [false, true]) {
      const tag = mixed ? 'm' : 's';
      const results = await Promise.allSettled([
        writeSync(insertNow(`a`)).catch(() => 'dup'),
        writeSync(halfThenClash),
        mixed ? db.write(insert(`${tag}1`)) : writeSync(insertNow(`${tag}1`)),
      ]);
      assert.equal(results[1].status, 'rejected');
      assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
      assert.equal(results[2].status, 'fulfilled');
      assert.ok(!committed(other).includes('half'), 'nothing of the failed job stays');
    }
    // alone in its batch
    await assert.rejects(writeSync(halfThenClash), /UNIQUE/);
    assert.deepEqual(committed(other), ['a', 'm1', 's1']);
    assert.equal(await writeSync(insertNow('z')), 'z', 'the connection is not left inside a transaction');
    assert.deepEqual(committed(other), ['a', 'm1', 's1', 'z']);
  });
});

test('a write through the batch\'s connection ends the turn\'s read snapshot and leaves the change stamp (it writes no session); a Kysely write moves it', async () => {
  await withDb(async (db, other) => {
    const writeSync = viaConnection(db);
    await db.write(insert('a'));
    const read = () => db.readNow?.('select v from t order by v', []);
    const stamp = db.changeStamp?.();
    assert.deepEqual(read(), [{ v: 'a' }]); // opens this turn's read snapshot
    await writeSync(insertNow('b'));
    assert.deepEqual(read(), [{ v: 'a' }, { v: 'b' }], 'reads after the write see it');
    assert.deepEqual(committed(other), ['a', 'b']);
    assert.equal(db.changeStamp?.(), stamp, 'the batch\'s own statements leave the stamp');
    await db.write(insert('c'));
    assert.notEqual(db.changeStamp?.(), stamp, 'a statement through Kysely moves it');
  });
});

test('a job\'s executor names its batch\'s connection while the batch runs, and nothing else does', async () => {
  await withDb(async (db, other) => {
    let inside: SyncWriter | undefined;
    let kept: Parameters<Parameters<Database['write']>[0]>[0] | undefined;
    await db.write(async (trx) => {
      inside = batchWriterOf(trx);
      kept = trx;
      inside?.run('insert into t (v) values (?)', ['via the writer']);
    });
    assert.ok(inside !== undefined, 'a job gets the connection');
    assert.deepEqual(committed(other), ['via the writer'], 'its statements joined the job\'s transaction and committed with it');
    assert.equal(batchWriterOf(db.kysely), undefined, 'the plain executor has none');
    assert.equal(batchWriterOf(kept as NonNullable<typeof kept>), undefined, 'nor the job\'s executor once its batch ended');
  });
});

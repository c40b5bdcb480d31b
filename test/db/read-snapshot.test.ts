import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/database.ts';
import { withSqlitePair } from '../helpers/sqlite-pair.ts';

const COUNT = 'select count(*) as n from t';
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const withDb = (work: Parameters<typeof withSqlitePair>[1]): Promise<void> => withSqlitePair({ unique: false, otherReadonly: false }, work);

const count = (db: Database): number => {
  const rows = db.readNow?.(COUNT, []) as Array<{ n: number }> | undefined;
  assert.ok(rows, 'answered synchronously');
  return Number(rows[0].n);
};

test('the synchronous reads of one event-loop turn share one snapshot, and the next turn sees new commits', async () => {
  await withDb(async (db, other) => {
    assert.equal(count(db), 0);
    // another connection commits while the turn's snapshot is open: it is not blocked by it
    other.prepare("insert into t (v) values ('x')").run();
    assert.equal(count(db), 0, 'same turn, same snapshot');
    await nextTurn();
    assert.equal(count(db), 1, 'a later turn reads the commit');
  });
});

test('a write through the connection ends the snapshot first, so the same turn reads its own write', async () => {
  await withDb(async (db) => {
    assert.equal(count(db), 0);
    await db.kysely.insertInto('t').values({ v: 'mine' }).execute();
    assert.equal(count(db), 1);
  });
});

test('the snapshot never joins, commits or hides inside a Kysely transaction', async () => {
  await withDb(async (db) => {
    assert.equal(count(db), 0); // a snapshot is open when the transaction starts
    await assert.rejects(db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'rolled back' }).execute();
      assert.equal(db.readNow?.(COUNT, []), undefined, 'no synchronous read inside another transaction');
      await nextTurn(); // the turn ends mid-transaction: ending the snapshot must not commit it
      throw new Error('roll back');
    }), /roll back/);
    assert.equal(count(db), 0, 'the rollback held');
    await db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'kept' }).execute();
    });
    assert.equal(count(db), 1);
  });
});

test('statements that write never run on the synchronous read path', async () => {
  await withDb(async (db) => {
    assert.equal(db.readNow?.("insert into t (v) values ('no') returning v", []), undefined);
    await nextTurn();
    assert.equal(count(db), 0);
  });
});

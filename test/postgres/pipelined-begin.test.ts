import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { NamedStatementClient } from '../../src/db/postgres/connect.ts';
import { poolConfig } from '../../src/db/postgres/connection-options.ts';
import { NamedStatements } from '../../src/db/postgres/statement-cache.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';

describeWithTool(postgresStatus(), 'BEGIN sent with the first statement of a transaction [postgres]', () => {
  test('one round trip less, the same transaction: a rollback undoes the pipelined statement, a failure leaves the connection usable', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const pool = new pg.Pool(poolConfig(url, cluster.password, { poolSize: 1 }));
    const raw = await pool.connect();
    const sent: string[] = [];
    const spy = new Proxy(raw, {
      get(target, prop, recv) {
        if (prop !== 'query') return Reflect.get(target, prop, recv);
        return (q: unknown, ...rest: unknown[]) => {
          sent.push(typeof q === 'string' ? q : (q as { text: string }).text);
          return (target.query as (...a: unknown[]) => unknown).call(target, q, ...rest);
        };
      },
    });
    const c = new NamedStatementClient(spy as pg.PoolClient, new NamedStatements());
    const insert = 'insert into t (id) values ($1) returning id';
    const count = async (): Promise<number> => Number((await raw.query('select count(*) as n from t')).rows[0].n);
    try {
      await raw.query('create table t (id int primary key)');
      // an empty transaction sends nothing
      await c.query('begin', []);
      await c.query('commit', []);
      assert.deepEqual(sent, []);
      // first use: the statement is not prepared on this connection yet, so BEGIN goes alone
      await c.query('begin', []);
      await c.query(insert, [1]);
      await c.query('commit', []);
      assert.deepEqual(sent, ['begin', insert, 'commit']);
      sent.length = 0;
      // prepared now: BEGIN rides with it (one query call), and it is inside the transaction
      await c.query('begin', []);
      const r = await c.query<{ id: number }>(insert, [2]);
      assert.deepEqual(r.rows, [{ id: 2 }], 'the statement\'s own result, not BEGIN\'s');
      assert.equal(r.command, 'INSERT');
      const inside = await raw.query('select pg_current_xact_id_if_assigned() is not null as open');
      assert.equal(inside.rows[0].open, true, 'a transaction is open');
      await c.query('rollback', []);
      assert.deepEqual(sent, [insert, 'rollback']);
      assert.equal(await count(), 1, 'the rollback undid the pipelined insert');
      // a failing pipelined statement: its error, an aborted transaction, then a usable connection
      await c.query('begin', []);
      await assert.rejects(c.query(insert, [1]), (err: { code?: string }) => err.code === '23505');
      await assert.rejects(raw.query('select 1'), /current transaction is aborted/);
      await c.query('rollback', []);
      await c.query('begin', []);
      await c.query(insert, [3]);
      await c.query('commit', []);
      assert.equal(await count(), 2);
    } finally {
      raw.release();
      await pool.end();
    }
  });

  test('through Kysely: db.write commits the pipelined transaction, and a throw rolls it back', async () => {
    const cluster = await testCluster();
    const db = await openDatabase({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password });
    try {
      await db.kysely.schema.createTable('t').addColumn('id', 'integer', (col) => col.primaryKey()).execute();
      for (let i = 1; i <= 3; i++) await db.write((trx) => trx.insertInto('t').values({ id: i }).execute());
      await assert.rejects(db.write(async (trx) => {
        await trx.insertInto('t').values({ id: 4 }).execute();
        throw new Error('abandon');
      }), /abandon/);
      const rows = await db.kysely.selectFrom('t').select('id').orderBy('id').execute();
      assert.deepEqual(rows.map((r) => r.id), [1, 2, 3]);
    } finally {
      await db.close();
    }
  });
});

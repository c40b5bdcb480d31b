import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { NamedStatementClient } from '../../src/db/postgres/connect.ts';
import { poolConfig } from '../../src/db/postgres/connection-options.ts';
import { NamedStatements } from '../../src/db/postgres/statement-cache.ts';
import { WITH_COMMIT_MARK } from '../../src/db/postgres/pipelining.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { openTestEngine, rowCounts } from '../helpers/test-engine.ts';
import { caller } from '../records/records-fixture.ts';
import { sql } from 'kysely';
import { spyOnQueries } from '../helpers/query-spy.ts';

describeWithTool(postgresStatus(), 'BEGIN with the first statement, the audit append with the COMMIT [postgres]', () => {
  test('one round trip less, the same transaction: a rollback undoes the pipelined statement, a failure leaves the connection usable', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const pool = new pg.Pool(poolConfig(url, cluster.password, { poolSize: 1 }));
    const raw = await pool.connect();
    const { spy, sent } = spyOnQueries(raw);
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

  test('the marked audit append goes with the COMMIT: one round trip, committed together; its failure commits nothing (ERR_AUDIT_UNAVAILABLE)', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const pool = new pg.Pool(poolConfig(url, cluster.password, { poolSize: 1 }));
    const raw = await pool.connect();
    const { spy, sent } = spyOnQueries(raw);
    const c = new NamedStatementClient(spy as pg.PoolClient, new NamedStatements());
    const row = 'insert into t (id) values ($1)';
    const append = `insert into log (id) values ($1) ${WITH_COMMIT_MARK}`;
    const ids = async (table: string): Promise<number[]> => (await raw.query(`select id from ${table} order by id`)).rows.map((r) => Number(r.id));
    try {
      await raw.query('create table t (id int primary key); create table log (id int primary key)');
      const tx = async (id: number, end = 'commit'): Promise<void> => {
        await c.query('begin', []);
        await c.query(row, [id]);
        await c.query(append, [id]);
        await c.query(end, []);
      };
      await tx(1); // first use prepares both statements, one by one
      sent.length = 0;
      await tx(2);
      assert.deepEqual(sent, [row, append], 'BEGIN rode with the first statement, COMMIT with the append');
      assert.deepEqual([await ids('t'), await ids('log')], [[1, 2], [1, 2]]);
      sent.length = 0;
      await tx(3, 'rollback');
      assert.deepEqual(sent, [row, 'rollback'], 'a rollback drops the held append unsent');
      assert.deepEqual([await ids('t'), await ids('log')], [[1, 2], [1, 2]]);
      // the append fails (a duplicate key): the COMMIT fails, the row before it is not committed either
      await c.query('begin', []);
      await c.query(row, [4]);
      await c.query(append, [2]);
      await assert.rejects(c.query('commit', []), (err: { code?: string }) => err.code === 'ERR_AUDIT_UNAVAILABLE');
      await c.query('rollback', []);
      assert.deepEqual([await ids('t'), await ids('log')], [[1, 2], [1, 2]], 'nothing of that transaction was committed');
      // another statement after the held append sees it (it is sent first)
      await c.query('begin', []);
      await c.query(row, [5]);
      await c.query(append, [5]);
      const seen = await c.query<{ n: string }>('select count(*) as n from log where id = $1', [5]);
      assert.equal(Number(seen.rows[0]!.n), 1);
      await c.query('commit', []);
      assert.deepEqual([await ids('t'), await ids('log')], [[1, 2, 5], [1, 2, 5]]);
    } finally {
      raw.release();
      await pool.end();
    }
  });

  test('the row lock that followed a transaction\'s first statement is sent behind it next time, and served only as the very next statement', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const pool = new pg.Pool(poolConfig(url, cluster.password, { poolSize: 2 }));
    const raw = await pool.connect();
    const other = await pool.connect();
    const { spy, sent } = spyOnQueries(raw);
    const c = new NamedStatementClient(spy as pg.PoolClient, new NamedStatements());
    const row = 'insert into t (id) values ($1)';
    const lock = 'select seq from head where id = $1 for update';
    const move = `update head set seq = $1 where id = 1 ${WITH_COMMIT_MARK}`;
    try {
      await raw.query('create table t (id int primary key); create table head (id int primary key, seq int); insert into head values (1, 0)');
      const tx = async (id: number): Promise<number> => {
        await c.query('begin', []);
        await c.query(row, [id]);
        const { rows: [h] } = await c.query<{ seq: number }>(lock, [1]);
        await c.query(move, [h!.seq + 1]);
        await c.query('commit', []);
        return h!.seq;
      };
      assert.equal(await tx(1), 0);
      assert.equal(await tx(2), 1);
      sent.length = 0;
      assert.equal(await tx(3), 2, 'the lock sent ahead returned the head as it is under the lock');
      assert.deepEqual(sent, [row, move], 'two round trips: BEGIN, the insert and the lock; the move with the COMMIT');
      // the lock is held from the first round trip: another connection waits for the commit
      await c.query('begin', []);
      await c.query(row, [4]);
      const waiting = other.query('select seq from head where id = 1 for update nowait').then(() => 'got it', (err: { code?: string }) => err.code);
      assert.equal(await waiting, '55P03', 'the head was already locked by the first round trip');
      // another statement comes between: the lock sent ahead is not served, the real one is sent
      sent.length = 0;
      await c.query('select count(*) from t', []);
      await c.query(lock, [1]);
      assert.deepEqual(sent, ['select count(*) from t', lock]);
      await c.query('rollback', []);
      assert.equal(Number((await raw.query('select seq from head')).rows[0].seq), 3);
    } finally {
      raw.release();
      other.release();
      await pool.end();
    }
  });

  test('a record create whose audit append fails at the COMMIT: ERR_AUDIT_UNAVAILABLE, neither the record nor the event is stored', async () => {
    const cluster = await testCluster();
    const engine = await openTestEngine({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password });
    const alice = caller();
    try {
      await engine.records.create(alice, 'notes', { title: 'prepares the statements' });
      await engine.records.create(alice, 'notes', { title: 'held append, committed' });
      const before = await rowCounts(engine, ['notes', '_sb_audit']);
      // the insider's sabotage: every audit insert now fails inside the database
      await sql`create function sb_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`.execute(engine.db.kysely);
      await sql`create trigger sb_refuse before insert on _sb_audit for each row execute function sb_refuse()`.execute(engine.db.kysely);
      await assert.rejects(engine.records.create(alice, 'notes', { title: 'must not stay' }), (err: { code?: string }) => err.code === 'ERR_AUDIT_UNAVAILABLE');
      assert.deepEqual(await rowCounts(engine, ['notes', '_sb_audit']), before, 'fail-closed: nothing of the write was committed');
      await sql`drop trigger sb_refuse on _sb_audit`.execute(engine.db.kysely);
      await engine.records.create(alice, 'notes', { title: 'the pool is fine afterwards' });
      assert.equal((await engine.audit.verify()).ok, true, 'one intact chain');
    } finally {
      await engine.close();
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

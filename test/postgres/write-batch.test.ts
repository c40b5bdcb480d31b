import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { NamedStatementClient } from '../../src/db/postgres/connect.ts';
import { poolConfig } from '../../src/db/postgres/connection-options.ts';
import { NamedStatements } from '../../src/db/postgres/statement-cache.ts';
import { spyOnQueries } from '../helpers/query-spy.ts';
import type { Engine } from '../../src/core/engine.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { batchCounts } from '../../src/db/postgres/write-batch.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { collection, field, NOTES, openTestEngine, rowCounts } from '../helpers/test-engine.ts';
import { caller } from '../records/records-fixture.ts';

const TAGS = collection('tags', [field('code', 'text', { required: true, unique: true, max: 20 })], {
  list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id',
});

type Settled = { ok: true; id: string } | { ok: false; code: string | undefined };
const settle = (p: Promise<Record<string, unknown>>): Promise<Settled> =>
  p.then((r) => ({ ok: true as const, id: String(r.id) }), (err: { code?: string }) => ({ ok: false as const, code: err.code }));

/** The events after `afterSeq`: the record each names, and how many distinct transactions (xmin) wrote them. */
async function eventsAfter(engine: Engine, afterSeq: number): Promise<{ records: string[]; writers: number }> {
  const { rows } = await sql<{ target_record: string; writer: string }>`select target_record, xmin::text as writer from _sb_audit where seq > ${afterSeq} order by seq`.execute(engine.db.kysely);
  return { records: rows.map((r) => r.target_record), writers: new Set(rows.map((r) => r.writer)).size };
}

async function headSeq(engine: Engine): Promise<number> {
  const { rows: [h] } = await sql<{ seq: string }>`select seq from _sb_audit_head where id = 1`.execute(engine.db.kysely);
  return Number(h!.seq);
}

describeWithTool(postgresStatus(), 'group commit of concurrent creates [postgres]', () => {
  test('creates of one turn share a transaction, each in its savepoint: a duplicate fails alone, the others and their events stay, the chain verifies', async () => {
    const cluster = await testCluster();
    const engine = await openTestEngine({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password }, { collections: [TAGS] });
    const alice = caller();
    try {
      await engine.records.create(alice, 'tags', { code: 'first' });
      const before = await headSeq(engine);
      const codes = ['a', 'b', 'first', 'c', 'd', 'e'];
      const results = await Promise.all(codes.map((code) => settle(engine.records.create(alice, 'tags', { code }))));
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.code)), ['ok', 'ok', 'ERR_CONFLICT', 'ok', 'ok', 'ok']);
      const created = results.flatMap((r) => (r.ok ? [r.id] : []));
      const events = await eventsAfter(engine, before);
      assert.deepEqual(events.records, created, 'one event per kept create, in order; none for the refused one');
      assert.equal(events.writers, 1, 'the five events were written together, by one statement');
      assert.equal(await headSeq(engine), before + 5, 'the head moved once per kept event, no gap');
      assert.deepEqual(await rowCounts(engine, ['tags']), { tags: 6 });
      assert.equal((await engine.audit.verify()).ok, true);
    } finally {
      await engine.close();
    }
  });

  test('one instance alone: waves of concurrent creates, several batches at once, each chained on from the head the one before left (no slow path)', async () => {
    const cluster = await testCluster();
    const engine = await openTestEngine({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password }, { collections: [NOTES] });
    const alice = caller();
    try {
      // each wave queued once the batch of the one before has started: a batch of its own, committing alongside
      const turn = (): Promise<void> => new Promise((done) => setImmediate(done));
      const waves = async (name: string): Promise<Settled[]> => {
        const pending: Promise<Settled>[] = [];
        for (let w = 0; w < 3; w++) {
          for (let i = 0; i < 5; i++) pending.push(settle(engine.records.create(alice, 'notes', { title: `${name} w${w} n${i}` })));
          await turn();
          await turn();
        }
        return Promise.all(pending);
      };
      // The first use of the batch's statements on a connection sends them one by one (not yet
      // prepared there), which may take the slow path once per connection: warm until two rounds
      // in a row took none (bounded), so every connection the waves use has prepared them.
      for (let round = 0, quiet = 0; quiet < 2 && round < 12; round++) {
        const moved = batchCounts.headMoved;
        await waves(`warm${round}`);
        quiet = batchCounts.headMoved === moved ? quiet + 1 : 0;
      }
      const before = await headSeq(engine);
      const counts = { ...batchCounts };
      const results = await waves('measured');
      assert.ok(results.every((r) => r.ok));
      assert.ok(batchCounts.batches - counts.batches >= 3, 'a batch per wave at least');
      assert.equal(batchCounts.headMoved, counts.headMoved, 'each batch found the head where this process\'s last batch left it');
      assert.equal(await headSeq(engine), before + 15);
      assert.equal((await eventsAfter(engine, before)).records.length, 15);
      assert.equal((await engine.audit.verify()).ok, true);
    } finally {
      await engine.close();
    }
  });

  test('a create that fails after its insert (the audit gate refuses) rolls back alone: no record, no event, the others commit', async () => {
    const cluster = await testCluster();
    const engine = await openTestEngine({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password }, { collections: [NOTES] });
    const alice = caller();
    try {
      await engine.records.create(alice, 'notes', { title: 'warm' });
      const before = await headSeq(engine);
      let appends = 0;
      engine.audit.addGate(() => {
        if (++appends === 2) throw new StrongboxError('ERR_AUDIT_UNAVAILABLE', 'refused by the test');
      });
      const titles = ['one', 'two', 'three', 'four'];
      const results = await Promise.all(titles.map((title) => settle(engine.records.create(alice, 'notes', { title }))));
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.code)), ['ok', 'ERR_AUDIT_UNAVAILABLE', 'ok', 'ok']);
      const { rows } = await sql<{ title: string }>`select title from notes order by title`.execute(engine.db.kysely);
      assert.deepEqual(rows.map((r) => r.title), ['four', 'one', 'three', 'warm'], 'the refused create\'s insert was rolled back');
      assert.deepEqual((await eventsAfter(engine, before)).records, results.flatMap((r) => (r.ok ? [r.id] : [])));
      assert.equal((await engine.audit.verify()).ok, true);
    } finally {
      await engine.close();
    }
  });

  test('a failed COMMIT fails every create of the batch (fail-closed): none of their records or events stays, the next batch commits', async () => {
    const cluster = await testCluster();
    const engine = await openTestEngine({ kind: 'postgres', url: await cluster.createDatabase(), password: cluster.password }, { collections: [NOTES] });
    const alice = caller();
    const k = engine.db.kysely;
    try {
      await engine.records.create(alice, 'notes', { title: 'warm' });
      await engine.records.create(alice, 'notes', { title: 'warm again' });
      const before = await rowCounts(engine, ['notes', '_sb_audit']);
      const seq = await headSeq(engine);
      // checked only at COMMIT: the statements all succeed, the transaction does not
      await sql`create function sb_poison() returns trigger language plpgsql as $$ begin if new.title = 'poison' then raise exception 'poisoned'; end if; return null; end $$`.execute(k);
      await sql`create constraint trigger sb_poison after insert on notes deferrable initially deferred for each row execute function sb_poison()`.execute(k);
      const results = await Promise.all(['innocent', 'poison', 'bystander'].map((title) => settle(engine.records.create(alice, 'notes', { title }))));
      assert.deepEqual(results.map((r) => r.ok), [false, false, false], 'all of the batch failed with its COMMIT');
      assert.deepEqual(await rowCounts(engine, ['notes', '_sb_audit']), before, 'nothing of it stays');
      assert.equal(await headSeq(engine), seq, 'the head did not move');
      const next = await Promise.all(['after', 'after too'].map((title) => settle(engine.records.create(alice, 'notes', { title }))));
      assert.deepEqual(next.map((r) => r.ok), [true, true]);
      assert.equal(await headSeq(engine), seq + 2, 'chained on from the head the failed batch left unmoved');
      assert.equal((await engine.audit.verify()).ok, true);
    } finally {
      await engine.close();
    }
  });

  test('two instances creating at once on one database: one linear chain, every event once, a verifiable trail', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const first = await openTestEngine({ kind: 'postgres', url, password: cluster.password }, { collections: [NOTES] });
    const second = await openTestEngine({ kind: 'postgres', url, password: cluster.password }, { collections: [NOTES] });
    const alice = caller();
    try {
      await first.records.create(alice, 'notes', { title: 'warm' });
      await second.records.create(alice, 'notes', { title: 'warm' });
      const before = await headSeq(first);
      const created: string[] = [];
      const moved = batchCounts.headMoved;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => settle((i % 2 === 0 ? first : second).records.create(alice, 'notes', { title: `r${round} n${i}` }))));
        for (const r of results) {
          assert.ok(r.ok, `every create commits (got ${r.ok ? '' : r.code})`);
          created.push(r.id);
        }
      }
      const events = await eventsAfter(first, before);
      assert.deepEqual([...events.records].sort(), [...created].sort(), 'one event per create, none lost or doubled');
      assert.equal(await headSeq(first), before + created.length);
      assert.equal((await first.audit.verify()).ok, true);
      assert.equal((await second.audit.verify()).ok, true);
      assert.ok(batchCounts.headMoved > moved, 'some batch found the head moved by the other instance, and took the slow path');
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('a SAVEPOINT rides with the next statement; a ROLLBACK TO one that was never sent sends nothing; one that was sent undoes the statement', async () => {
    const cluster = await testCluster();
    const pool = new pg.Pool(poolConfig(await cluster.createDatabase(), cluster.password, { poolSize: 1 }));
    const raw = await pool.connect();
    const { spy, sent } = spyOnQueries(raw);
    const c = new NamedStatementClient(spy as pg.PoolClient, new NamedStatements());
    const insert = 'insert into t (id) values ($1)';
    try {
      await raw.query('create table t (id int primary key)');
      await c.query('begin', []);
      await c.query(insert, [1]); // prepares it
      await c.query('commit', []);
      sent.length = 0;
      await c.query('begin', []);
      await c.query('savepoint sb_write', []);
      await c.query(insert, [2]);
      await c.query('savepoint sb_write', []);
      await c.query('rollback to savepoint sb_write', []); // nothing since it: nothing to undo
      await c.query('savepoint sb_write', []);
      await assert.rejects(c.query(insert, [1]), (err: { code?: string }) => err.code === '23505');
      await c.query('rollback to savepoint sb_write', []); // sent: the duplicate's savepoint
      await c.query('savepoint sb_write', []);
      await c.query(insert, [3]);
      await c.query('commit', []);
      assert.deepEqual(sent, [insert, insert, 'rollback to savepoint sb_write', insert, 'commit'], 'each SAVEPOINT went with the statement after it');
      const { rows } = await raw.query('select id from t order by id');
      assert.deepEqual(rows.map((r: { id: number }) => r.id), [1, 2, 3]);
    } finally {
      raw.release();
      await pool.end();
    }
  });
});

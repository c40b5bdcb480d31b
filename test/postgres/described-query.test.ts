import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { NamedStatementClient } from '../../src/db/postgres/connect.ts';
import { poolConfig } from '../../src/db/postgres/connection-options.ts';
import { NamedStatements } from '../../src/db/postgres/statement-cache.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';

describeWithTool(postgresStatus(), 'a prepared statement is described once per connection [postgres]', () => {
  test('later runs skip Describe and parse rows exactly as the described run did; a changed result type describes again', async () => {
    const cluster = await testCluster();
    const url = await cluster.createDatabase();
    const pool = new pg.Pool(poolConfig(url, cluster.password, { poolSize: 2 }));
    const raw = await pool.connect();
    const other = await pool.connect();
    const connection = (raw as unknown as { connection: { describe: (m: unknown) => void } }).connection;
    let describes = 0;
    const describe = connection.describe.bind(connection);
    connection.describe = (m: unknown) => { describes++; describe(m); };
    const c = new NamedStatementClient(raw, new NamedStatements());
    const select = 'select id, big, note, at, flag from d where id >= $1 order by id';
    const insert = 'insert into d (id, big, note, at, flag) values ($1, $2, $3, $4, $5)';
    try {
      await other.query(`create table d (id int primary key, big bigint, note text, at timestamptz, flag boolean)`);
      await c.query(insert, [1, 9007199254740993n.toString(), 'one', '2026-01-02T03:04:05.000Z', true]);
      assert.equal(describes, 1);
      const second = await c.query(insert, [2, 42, null, null, false]);
      assert.equal(describes, 1, 'the second insert was not described');
      const { command, rowCount } = second as unknown as { command: string; rowCount: number };
      assert.deepEqual([command, rowCount], ['INSERT', 1], 'what Kysely counts affected rows from');

      const described = await c.query<Record<string, unknown>>(select, [0]);
      assert.equal(describes, 2);
      const again = await c.query<Record<string, unknown>>(select, [0]);
      assert.equal(describes, 2, 'the second select was not described');
      assert.deepEqual(again.rows, described.rows);
      assert.deepEqual(again.rows, [
        { id: 1, big: '9007199254740993', note: 'one', at: again.rows[0]!.at, flag: true }, // beyond 2^53: a string, not a rounded number
        { id: 2, big: 42, note: null, at: null, flag: false },
      ]);
      assert.equal(typeof again.rows[0]!.at, 'string', 'timestamps stay text (type-parsers.ts)');
      assert.deepEqual(Object.keys(again.rows[1]!), ['id', 'big', 'note', 'at', 'flag']);
      const none = await c.query<Record<string, unknown>>(select, [3]);
      assert.deepEqual(none.rows, []);

      // another connection changes the result type under the prepared statement
      await other.query('alter table d alter column note type int using length(note)');
      const changed = await c.query<Record<string, unknown>>(select, [0]);
      assert.deepEqual(changed.rows.map((r) => r.note), [3, null], 'the new type, parsed as the new type');
      const after = await c.query<Record<string, unknown>>(select, [0]);
      assert.deepEqual(after.rows, changed.rows);
    } finally {
      raw.release();
      other.release();
      await pool.end();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { ReadStatements } from '../../src/db/sqlite/read-statements.ts';

function fixture(): { raw: BetterSqlite3.Database; reads: ReadStatements } {
  const raw = new BetterSqlite3(':memory:');
  raw.exec(`create table t (id text primary key, n real, i integer, b blob, s text);
    insert into t values ('a', 1.5, 7, x'0102', null), ('b', -2, 9007199254740991, null, 'ü"\\u0000');`);
  return { raw, reads: new ReadStatements(raw, 10) };
}

test('rows built from raw arrays equal better-sqlite3 row objects, keys in select order', () => {
  const { raw, reads } = fixture();
  const sql = 'select s, id, n, i, b, n * 2 as twice from t where id >= ? order by id';
  const read = reads.lookup(sql);
  assert.ok(read);
  const built = ReadStatements.rows(read, ['a']);
  const reference = raw.prepare(sql).all('a') as Record<string, unknown>[];
  assert.deepEqual(built, reference);
  assert.deepEqual(built.map((r) => Object.keys(r)), reference.map((r) => Object.keys(r)));
  assert.deepEqual(ReadStatements.rows(read, ['z']), []);
  raw.close();
});

test('statements that may write are never served, and the decision is kept', () => {
  const { raw, reads } = fixture();
  for (const sql of ["insert into t (id) values ('x') returning id", "update t set s = 'y' returning id", "delete from t returning id"]) {
    assert.equal(reads.lookup(sql), null, sql);
  }
  assert.equal((raw.prepare('select count(*) as n from t').get() as { n: number }).n, 2, 'nothing ran');
  raw.close();
});

test('a column named __proto__ never becomes a prototype', () => {
  const { raw, reads } = fixture();
  // a BLOB comes back as a Buffer, an object: assigned to __proto__ it would become the prototype
  const read = reads.lookup('select id, b as "__proto__" from t');
  assert.ok(read);
  const rows = ReadStatements.rows(read, []);
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.ok(Object.hasOwn(row, '__proto__'), 'kept as an own property');
  }
  raw.close();
});

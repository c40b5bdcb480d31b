import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { NamedStatements } from '../../src/db/postgres/statement-cache.ts';
import { StatementCache } from '../../src/db/sqlite/statement-cache.ts';

describe('sqlite StatementCache', () => {
  test('returns the same statement for the same SQL and evicts the least recently used', () => {
    const raw = new BetterSqlite3(':memory:');
    const cache = new StatementCache(raw, 2);
    const twice = (sql: string) => { cache.prepare(sql); return cache.prepare(sql); }; // kept from the second use
    const a = twice('select 1 as a');
    const b = twice('select 2 as b');
    assert.equal(cache.prepare('select 1 as a'), a, 'a hit returns the cached statement');
    twice('select 3 as c'); // evicts b: a was used more recently
    assert.deepEqual(cache.stats(), { hits: 1, misses: 6, size: 2, capacity: 2 });
    assert.equal(cache.prepare('select 1 as a'), a);
    assert.notEqual(cache.prepare('select 2 as b'), b, 'b was evicted and prepared again');
    assert.equal(cache.stats().size, 2, 'never more than capacity');
    cache.close();
    cache.close();
    assert.throws(() => cache.prepare('select 1 as a'));
  });

  test('a shape seen once is used and dropped, so thousands of one-off shapes pin no statement', () => {
    const cache = new StatementCache(new BetterSqlite3(':memory:'), 100);
    for (let i = 0; i < 5000; i++) cache.prepare(`select ${i} as v${i}`).get();
    assert.equal(cache.stats().size, 0, 'nothing kept for one-off shapes');
    const first = cache.prepare('select 42 as answer');
    const second = cache.prepare('select 42 as answer');
    assert.notEqual(first, second, 'the second use prepares the statement it keeps');
    assert.equal(cache.prepare('select 42 as answer'), second, 'and later uses get it');
    cache.close();
  });

  test('schema statements are not cached', () => {
    const cache = new StatementCache(new BetterSqlite3(':memory:'), 10);
    cache.prepare('create table t (x integer)').run();
    cache.prepare('  DROP TABLE t').run();
    assert.equal(cache.stats().size, 0);
    cache.close();
  });

  test('rejects a capacity that is not a positive integer', () => {
    const raw = new BetterSqlite3(':memory:');
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new StatementCache(raw, bad), RangeError);
    raw.close();
  });
});

describe('postgres NamedStatements', () => {
  test('names each distinct query once and reuses the name', () => {
    const s = new NamedStatements(10);
    const n1 = s.nameFor('select * from t where id = $1');
    const n2 = s.nameFor('select * from t where id = $1');
    const n3 = s.nameFor('insert into t (id) values ($1)');
    assert.ok(n1 !== undefined && n3 !== undefined);
    assert.equal(n1, n2);
    assert.notEqual(n1, n3);
    const held = (sql: string) => 2 * sql.length + 32 + 64; // the text as V8 may store it, plus the name
    const bytes = held('select * from t where id = $1') + held('insert into t (id) values ($1)');
    assert.deepEqual(s.stats(), { named: 3, unnamed: 0, size: 2, capacity: 10, bytes });
  });

  test('schema changes, transaction control and multi-statement text run unnamed', () => {
    const s = new NamedStatements(10);
    for (const text of ['begin', 'commit', 'create table x (a int)', 'select 1; select 2', 'savepoint sp']) {
      assert.equal(s.nameFor(text), undefined, text);
    }
  });

  test('a schema change starts a new generation of names', () => {
    const s = new NamedStatements(10);
    const before = s.nameFor('select * from t');
    s.nameFor('alter table t add column b text');
    const after = s.nameFor('select * from t');
    assert.ok(before !== undefined && after !== undefined);
    assert.notEqual(before, after, 'a statement prepared before ALTER is never reused after it');
  });

  test('past capacity, new queries run unnamed and known ones keep their name', () => {
    const s = new NamedStatements(2);
    const a = s.nameFor('select 1');
    s.nameFor('select 2');
    assert.equal(s.nameFor('select 3'), undefined);
    assert.equal(s.nameFor('select 1'), a);
    assert.equal(s.stats().size, 2);
  });

  test('property: the bytes kept never exceed the byte budget, whatever the mix of SQL lengths', () => {
    fc.assert(fc.property(fc.integer({ min: 200, max: 20_000 }), fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 200 }), (budget, lengths) => {
      const s = new NamedStatements(10_000, budget);
      lengths.forEach((n, i) => s.nameFor(`select ${i} as ${'x'.repeat(n)}`));
      assert.ok(s.stats().bytes <= budget, `${s.stats().bytes} > ${budget}`);
    }));
  });
});

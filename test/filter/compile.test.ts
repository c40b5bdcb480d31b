import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../src/filter/parser.ts';
import { parseSort } from '../../src/filter/sort.ts';
import { checkExpr } from '../../src/filter/check.ts';
import { compileFilter } from '../../src/db/filter-compile.ts';
import { applySort } from '../../src/db/filter-sort.ts';
import type { MacroValues } from '../../src/filter/macros.ts';
import type { Dialect } from '../../src/db/database.ts';
import { ANON_MACROS, COMPILERS, ITEMS, MACROS, compileWhere } from './filter-fixtures.ts';

function where(dialect: Dialect, text: string, macros: MacroValues = MACROS, mode: 'filter' | 'write-rule' = 'filter') {
  const expr = checkExpr(parseFilter(text), { collection: ITEMS, mode });
  const { sql, parameters } = compileWhere(dialect, compileFilter(expr, { collection: ITEMS, dialect, macros }));
  return { sql: sql.replace(/^select "id" from "items" where /, ''), parameters };
}

describe('compileFilter: SQL and parameters', () => {
  test('null-safe =/!= and index-friendly forms', () => {
    for (const d of ['sqlite', 'postgres'] as const) {
      const p = d === 'sqlite' ? '?' : '$1';
      assert.deepEqual(where(d, "title = 'a'"), { sql: `"title" = ${p}`, parameters: ['a'] });
      assert.deepEqual(where(d, "title != 'a'"), { sql: `("title" <> ${p} or "title" is null)`, parameters: ['a'] });
      assert.deepEqual(where(d, 'title = null'), { sql: '"title" is null', parameters: [] });
      assert.deepEqual(where(d, 'null != title'), { sql: '"title" is not null', parameters: [] });
    }
  });

  test('~ and !~ use instr/strpos, never LIKE, so % _ \\ match literally', () => {
    assert.deepEqual(where('sqlite', "title ~ '%_\\\\'"), { sql: 'instr("title", ?) > 0', parameters: ['%_\\'] });
    assert.deepEqual(where('postgres', "title !~ 'a'"), { sql: '("title" is null or strpos("title", $1) = 0)', parameters: ['a'] });
    assert.deepEqual(where('sqlite', "'abc' ~ title"), { sql: 'instr(?, "title") > 0', parameters: ['abc'] });
    for (const d of ['sqlite', 'postgres'] as const) assert.doesNotMatch(where(d, "title ~ 'a' && email !~ 'b'").sql, /like/i);
  });

  test('ordering: text-stored columns byte-wise on PostgreSQL, plain on SQLite', () => {
    assert.deepEqual(where('postgres', "title < 'b'"), { sql: '"title" collate "C" < $1', parameters: ['b'] });
    assert.deepEqual(where('sqlite', "'b' > title"), { sql: '"title" < ?', parameters: ['b'] });
    assert.deepEqual(where('postgres', 'n >= 3'), { sql: '"n" >= $1', parameters: [3] });
  });

  test('booleans are encoded per dialect', () => {
    assert.deepEqual(where('sqlite', 'ok = true'), { sql: '"ok" = ?', parameters: [1] });
    assert.deepEqual(where('postgres', 'ok != false'), { sql: '("ok" <> $1 or "ok" is null)', parameters: [false] });
  });

  test('integer columns against fractions and huge numbers: rewritten, never cast', () => {
    assert.deepEqual(where('postgres', 'n > 2.5'), { sql: '"n" >= $1', parameters: [3] });
    assert.deepEqual(where('postgres', 'n <= -2.5'), { sql: '"n" <= $1', parameters: [-3] });
    assert.deepEqual(where('postgres', 'n = 2.5'), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('postgres', 'n != 2.5'), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('postgres', 'n < 1e30'), { sql: '"n" is not null', parameters: [] });
    assert.deepEqual(where('postgres', 'n > 1e30'), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('postgres', 'x > 2.5'), { sql: '"x" > $1', parameters: [2.5] });
  });

  test('strings holding U+0000 never reach the database', () => {
    assert.deepEqual(where('postgres', "title = 'a\u0000b'"), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('postgres', "title > 'a\u0000b'"), { sql: '"title" collate "C" > $1', parameters: ['a'] });
    assert.deepEqual(where('postgres', "'a\u0000b' ~ title"), { sql: '(strpos($1, "title") > 0 or strpos($2, "title") > 0)', parameters: ['a', 'b'] });
  });

  test('field against field', () => {
    assert.deepEqual(where('sqlite', 'created = updated'), { sql: '"created" is "updated"', parameters: [] });
    assert.deepEqual(where('postgres', 'created != updated'), { sql: '"created" is distinct from "updated"', parameters: [] });
    assert.deepEqual(where('postgres', 'n < x'), { sql: '"n" < "x"', parameters: [] });
  });

  test('macros: values bound at compile time; a macro with no value equals nothing', () => {
    assert.deepEqual(where('sqlite', 'owner = @auth.id'), { sql: '"owner" = ?', parameters: [MACROS.auth.id] });
    // an anonymous caller must never match ownerless records through owner = @auth.id
    assert.deepEqual(where('sqlite', 'owner = @auth.id', ANON_MACROS), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('sqlite', 'owner != @auth.id', ANON_MACROS), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', '@auth.id = null', ANON_MACROS), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', 'created < @now'), { sql: '"created" < ?', parameters: [MACROS.now] });
    const body = { ...MACROS, body: { ok: true, d: '2024-01-01' } };
    assert.deepEqual(where('sqlite', 'ok = @body.ok && d = @body.d && n != @body.n', body, 'write-rule'),
      { sql: '("ok" = ? and "d" = ?)', parameters: [1, '2024-01-01'] });
    assert.deepEqual(where('sqlite', 'ok = @body.ok && n = @body.n', body, 'write-rule'), { sql: '1 = 0', parameters: [] });
    // a field the body did not send equals nothing, not even null; sent as null it is null
    assert.deepEqual(where('sqlite', '@body.n = null', body, 'write-rule'), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('sqlite', '@body.n != null', body, 'write-rule'), { sql: '1 = 1', parameters: [] });
    const sentNull = { ...MACROS, body: { n: null } };
    assert.deepEqual(where('sqlite', '@body.n = null', sentNull, 'write-rule'), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', '@body.n:isset = true && @body.ok:isset = false', sentNull, 'write-rule'), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', '@body.ok:isset = true || ok = @body.n:isset', body, 'write-rule'), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', 'ok = @body.n:isset', body, 'write-rule'), { sql: '"ok" = ?', parameters: [0] });
  });

  test('comparisons without a column fold to constants, and fold the tree', () => {
    assert.deepEqual(where('sqlite', "owner = @auth.id || @auth.role = 'doctor'"), { sql: '1 = 1', parameters: [] });
    assert.deepEqual(where('sqlite', "owner = @auth.id || @auth.role = 'doctor'", ANON_MACROS), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('sqlite', "@auth.id != null && title = 'a'", ANON_MACROS), { sql: '1 = 0', parameters: [] });
    assert.deepEqual(where('sqlite', "true && (false || title = 'a')"), { sql: '"title" = ?', parameters: ['a'] });
    assert.deepEqual(where('sqlite', "title = 'a' && n = 1 || x = 2"), { sql: '(("title" = ? and "n" = ?) or "x" = ?)', parameters: ['a', 1, 2] });
  });

  test('table option qualifies columns', () => {
    const expr = parseFilter("title = 'a'");
    const w = compileFilter(expr, { collection: ITEMS, dialect: 'postgres', macros: MACROS, table: 'items' });
    assert.match(compileWhere('postgres', w).sql, /"items"\."title" = \$1$/);
  });
});

describe('applySort', () => {
  test('directions, null order, byte-wise text on PostgreSQL, id tiebreaker', () => {
    const pg = applySort(COMPILERS.postgres.selectFrom('items').select('id'), parseSort('-title,n'), { collection: ITEMS, dialect: 'postgres' }).compile();
    assert.equal(pg.sql, 'select "id" from "items" order by "title" collate "C" desc nulls last, "n" asc nulls first, "id" collate "C" asc');
    const lite = applySort(COMPILERS.sqlite.selectFrom('items').select('id'), parseSort('dt'), { collection: ITEMS, dialect: 'sqlite' }).compile();
    assert.equal(lite.sql, 'select "id" from "items" order by "dt" asc nulls first, "id" asc');
  });

  test('no duplicate tiebreaker when id is sorted explicitly; empty sort still orders by id', () => {
    const q = applySort(COMPILERS.sqlite.selectFrom('items').select('id'), parseSort('-id'), { collection: ITEMS, dialect: 'sqlite' }).compile();
    assert.equal(q.sql, 'select "id" from "items" order by "id" desc nulls last');
    const e = applySort(COMPILERS.sqlite.selectFrom('items').select('id'), [], { collection: ITEMS, dialect: 'sqlite' }).compile();
    assert.equal(e.sql, 'select "id" from "items" order by "id" asc');
  });
});

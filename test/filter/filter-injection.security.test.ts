// Attack: a client puts SQL, comment markers, quote look-alikes, NUL bytes or LIKE wildcards into `filter` and `sort` to run their own SQL, widen a match, or probe fields they may not read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { parseFilter } from '../../src/filter/parser.ts';
import { parseSort } from '../../src/filter/sort.ts';
import { checkExpr, checkSort } from '../../src/filter/check.ts';
import { compileFilter } from '../../src/db/filter-compile.ts';
import { applySort } from '../../src/db/filter-sort.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { Database } from '../../src/db/database.ts';
import { ITEMS, MACROS } from './filter-fixtures.ts';
import { quote } from './filter-arbitraries.ts';
import { insertRows, openItemsDb } from './filter-db.ts';

const PAYLOADS = [
  "'; DROP TABLE items; --", "' OR '1'='1", '" OR 1=1 --', "x' /* comment */ OR 'a'='a", 'a\u0000b',
  '\uFF07 OR 1=1 --', '\u2019 OR 1=1', '\u202Eevil', "1); DELETE FROM items; --", '%', '_', '\\', '%_\\%',
  "') UNION SELECT id FROM items --", '$1', '?',
];
const ROWS = PAYLOADS.filter((p) => !p.includes('\0')).map((title, i) => ({ id: `p${String(i).padStart(2, '0')}`, created: '2024-01-01T00:00:00.000Z', title, n: i, ok: i % 2 === 0 }));

async function run(db: Database, filter: string, sort = '', readable?: ReadonlySet<string>) {
  const ctx = { collection: ITEMS, mode: 'filter' as const, readable };
  const expr = checkExpr(parseFilter(filter), ctx);
  const terms = sort ? parseSort(sort) : [];
  checkSort(terms, ctx);
  const q = db.kysely.selectFrom('items').select('id').where(compileFilter(expr, { collection: ITEMS, dialect: db.dialect, macros: MACROS }));
  return applySort(q, terms, { collection: ITEMS, dialect: db.dialect }).execute().then((rows) => rows.map((r) => r.id));
}

eachDialect('filter injection', (t) => {
  let db: Database;
  before(async () => {
    db = await openItemsDb(t);
    await insertRows(db, ROWS);
  });
  after(async () => { await db?.close(); });

  test('a payload as a value matches exactly the row holding it, and nothing runs', async () => {
    for (const row of ROWS) {
      assert.deepEqual(await run(db, `title = ${quote(row.title)}`), [row.id], row.title);
      assert.deepEqual(await run(db, `title = ${quote(row.title, '"')} && n >= 0`), [row.id], row.title);
    }
    assert.deepEqual(await run(db, `title = ${quote('a\u0000b')}`), []);
    const all = await db.kysely.selectFrom('items').select('id').execute();
    assert.equal(all.length, ROWS.length, 'no row deleted, table still there');
  });

  test('~ wildcards match literally: % and _ are not LIKE patterns', async () => {
    const ids = (...titles: string[]) => ROWS.filter((r) => titles.some((x) => r.title === x)).map((r) => r.id);
    assert.deepEqual(await run(db, "title ~ '%'", 'id'), ids('%', '%_\\%'));
    assert.deepEqual(await run(db, "title ~ '_'", 'id'), ids('_', '%_\\%'));
    assert.deepEqual(await run(db, "title ~ '\\\\'", 'id'), ids('\\', '%_\\%'));
    assert.deepEqual(await run(db, "title ~ '%_\\\\%'", 'id'), ids('%_\\%'));
    assert.equal((await run(db, "title !~ '%'")).length, ROWS.length - 2);
  });

  test('a payload as filter or sort text is a typed error before any SQL exists', async () => {
    for (const p of PAYLOADS) {
      for (const text of [p, `title = 'x' ${p}`, `title = x${p}`]) {
        assert.throws(() => checkExpr(parseFilter(text), { collection: ITEMS, mode: 'filter' }), (err: unknown) =>
          err instanceof StrongboxError && /^ERR_FILTER_/.test(err.code) && typeof err.details?.position === 'number');
      }
      assert.throws(() => checkSort(parseSort(`title,${p}`), { collection: ITEMS, mode: 'filter' }), (err: unknown) =>
        err instanceof StrongboxError && /^ERR_FILTER_(SYNTAX|UNKNOWN_FIELD)$/.test(err.code));
    }
  });

  test('fields the caller may not read cannot be probed through filter or sort', async () => {
    const readable = new Set(['title']);
    for (const [filter, sort] of [["n = 3", ''], ["ok = true", ''], ["title = 'x' || n > 0", ''], ["title = 'x'", '-n']]) {
      await assert.rejects(run(db, filter, sort, readable), (err: unknown) =>
        err instanceof StrongboxError && err.code === 'ERR_FILTER_FORBIDDEN_FIELD' && !/\d+ rows?/.test(err.message));
    }
    await assert.rejects(run(db, "secret ~ 'a'"), (err: unknown) => err instanceof StrongboxError && err.code === 'ERR_FILTER_SENSITIVE_OPERATOR');
    await assert.rejects(run(db, "title = 'a'", 'ssn'), (err: unknown) => err instanceof StrongboxError && err.code === 'ERR_FILTER_SENSITIVE_OPERATOR');
  });

  test('error messages never echo SQL or the hostile value', () => {
    for (const p of PAYLOADS) {
      try {
        checkExpr(parseFilter(`n = '${p}'`), { collection: ITEMS, mode: 'filter' });
        assert.fail('accepted a string for a number field');
      } catch (err) {
        assert.ok(err instanceof StrongboxError);
        assert.ok(!err.message.includes(p), err.message);
        assert.doesNotMatch(err.message, /select|drop|where/i);
      }
    }
  });
});

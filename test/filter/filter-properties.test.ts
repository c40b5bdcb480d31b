import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eachDialect } from '../helpers/dialects.ts';
import { parseFilter } from '../../src/filter/parser.ts';
import { parseSort } from '../../src/filter/sort.ts';
import { parseFields } from '../../src/filter/fields.ts';
import { checkExpr, checkFields, checkSort } from '../../src/filter/check.ts';
import { compileFilter } from '../../src/db/filter-compile.ts';
import { applySort } from '../../src/db/filter-sort.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { Database, Dialect } from '../../src/db/database.ts';
import { ITEMS, MACROS, compileWhere } from './filter-fixtures.ts';
import { filterText, quote } from './filter-arbitraries.ts';
import { insertRows, openItemsDb } from './filter-db.ts';

const DIALECTS: Dialect[] = ['sqlite', 'postgres'];
const ctx = { collection: ITEMS, mode: 'filter' as const };

/** Any well-formed Unicode, including NUL, quotes and astral characters. */
const anyString = fc.string({ unit: 'binary', maxLength: 30 });
/** Places a literal can sit: every text-like comparison shape, both sides. */
const SLOTS = ['title = $', 'title != $', '$ = email', 'title < $', '$ >= owner', 'title ~ $', 'email !~ $', '$ ~ title', '$ !~ email', 'ssn = $', 'kind != $', '$ = $'];

const withLiterals = fc.tuple(
  fc.array(fc.tuple(fc.constantFrom(...SLOTS), anyString, fc.constantFrom<"'" | '"'>("'", '"')), { minLength: 1, maxLength: 6 }),
  filterText,
);

function build(slots: [string, string, "'" | '"'][], rest: string, literal: (s: string) => string): string {
  return [...slots.map(([slot, s, q]) => slot.replaceAll('$', quote(literal(s), q))), `(${rest})`].join(' || ');
}

describe('(a) no byte of a string literal reaches the SQL text', () => {
  test('literals appear only among parameters, on both compilers', () => {
    fc.assert(fc.property(withLiterals, ([slots, rest]) => {
      // a marker makes "the literal is in the SQL" detectable even for short or SQL-like literals
      const text = build(slots, rest, (s) => `\u{1F512}${s}\u{1F512}`);
      const expr = checkExpr(parseFilter(text), ctx);
      const bare = checkExpr(parseFilter(build(slots, rest, () => 'x')), ctx);
      for (const dialect of DIALECTS) {
        const { sql } = compileWhere(dialect, compileFilter(expr, { collection: ITEMS, dialect, macros: MACROS }));
        assert.ok(!sql.includes('\u{1F512}'), sql);
        // a literal that is also part of the SQL's own words (e.g. "ro" in "from") proves nothing
        const skeleton = compileWhere(dialect, compileFilter(bare, { collection: ITEMS, dialect, macros: MACROS })).sql;
        for (const [, s] of slots) {
          if (s.length >= 2 && !skeleton.includes(s)) assert.ok(!sql.includes(s), `literal ${JSON.stringify(s)} in ${sql}`);
        }
        // alone (no folding around it), each literal is bound as a parameter, unchanged
        for (const [slot, s, q] of slots) {
          if (slot === '$ = $' || s.includes('\0')) continue;
          const lit = `\u{1F512}${s}\u{1F512}`;
          const one = compileFilter(checkExpr(parseFilter(slot.replace('$', quote(lit, q))), ctx), { collection: ITEMS, dialect, macros: MACROS });
          assert.deepEqual(compileWhere(dialect, one).parameters, [lit]);
        }
      }
    }), { numRuns: 500 });
  });

  test('the SQL text does not depend on the content of string literals', () => {
    const noNul = fc.tuple(
      fc.array(fc.tuple(fc.constantFrom(...SLOTS), anyString.filter((s) => !s.includes('\0')), fc.constantFrom<"'" | '"'>("'", '"')), { minLength: 1, maxLength: 6 }),
      filterText,
    );
    fc.assert(fc.property(noNul, ([slots, rest]) => {
      const real = checkExpr(parseFilter(build(slots, rest, (s) => s)), ctx);
      const blank = checkExpr(parseFilter(build(slots, rest, () => 'x')), ctx);
      for (const dialect of DIALECTS) {
        // '$ = $' folds in JS; its outcome may differ, so compare with folding held equal
        const env = { collection: ITEMS, dialect, macros: MACROS };
        const a = compileWhere(dialect, compileFilter(real, env));
        const b = compileWhere(dialect, compileFilter(blank, env));
        if (slots.some(([slot]) => slot === '$ = $')) continue;
        assert.equal(a.sql, b.sql);
      }
    }), { numRuns: 300 });
  });
});

const FRAGMENTS = [
  "'", '"', '\\', '--', '/*', '*/', ';', ' ', '(', ')', '&&', '||', '=', '!=', '~', '<', '>=', 'title', 'n', 'ok', 'ssn', 'meta',
  '@auth.id', '@body.title', '@now', 'null', 'true', '1', '-2.5', '1e309', '01', 'x\u0000', '\u0000', '\uFF07', '\u2019', '\u202E',
  '\u200F', '\u00A0', '\uD800', '😀', "'; DROP TABLE items; --", '" OR 1=1 --', "') OR ('1'='1", '%', '_', 'UNION SELECT', '$1', '?',
];
const adversarial = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...FRAGMENTS).map((f) => `title = '${f}'`),
  fc.tuple(fc.constantFrom(...FRAGMENTS), fc.constantFrom('title = ', 'title ~ ', 'n > ', '(', 'ok = ')).map(([f, p]) => p + f),
);

/** Either a typed filter error or a query; anything else is a failure. */
function attempt<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof StrongboxError, `not a StrongboxError: ${String(err)}`);
    assert.match(err.code, /^ERR_FILTER_/);
    assert.equal(typeof err.details?.position, 'number');
    return null;
  }
}

eachDialect('(b) hostile filter, sort and fields text', (t) => {
  let db: Database;
  before(async () => {
    db = await openItemsDb(t);
    await insertRows(db, [{ id: 'r1', created: '2024-01-01T00:00:00.000Z', title: "'; DROP TABLE items; --", n: 1, ok: true }]);
  });
  after(async () => { await db?.close(); });

  test('only ERR_FILTER_* errors or queries that run without a database error', async () => {
    await fc.assert(fc.asyncProperty(adversarial, async (text) => {
      const where = attempt(() => compileFilter(checkExpr(parseFilter(text), ctx), { collection: ITEMS, dialect: t.dialect, macros: MACROS }));
      const sort = attempt(() => { const s = parseSort(text); checkSort(s, ctx); return s; });
      attempt(() => checkFields(parseFields(text), ctx));
      let q = db.kysely.selectFrom('items').select('id');
      if (where) q = q.where(where);
      if (sort) q = applySort(q, sort, { collection: ITEMS, dialect: t.dialect });
      await q.execute();
    }), { numRuns: 400 });
    const count = await db.kysely.selectFrom('items').select((eb) => eb.fn.countAll().as('c')).executeTakeFirstOrThrow();
    assert.equal(Number(count.c), 1);
  });
});

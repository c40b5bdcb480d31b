import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../src/filter/parser.ts';
import { checkExpr } from '../../src/filter/check.ts';
import { checkFilterCost, COMPILED_LIMITS } from '../../src/filter/filter-cost.ts';
import { compileFilter } from '../../src/db/filter-compile.ts';
import { Kysely, SqliteDialect, PostgresDialect } from 'kysely';
import { ITEMS, MACROS } from './filter-fixtures.ts';
import { assertFilterError } from '../helpers/filter-errors.ts';

const checked = (text: string) => checkExpr(parseFilter(text), { collection: ITEMS, mode: 'filter' });
const cost = (text: string) => checkFilterCost(checked(text));

// A compiler that never connects: only compile() is used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const compilers: Record<'sqlite' | 'postgres', Kysely<any>> = {
  sqlite: new Kysely({ dialect: new SqliteDialect({ database: {} as never }) }),
  postgres: new Kysely({ dialect: new PostgresDialect({ pool: {} as never }) }),
};
function compiled(dialect: 'sqlite' | 'postgres', text: string) {
  const where = compileFilter(checked(text), { collection: ITEMS, dialect, macros: MACROS });
  return compilers[dialect].selectFrom('items').select('id').where(where).compile();
}

test('NUL pieces of a `literal ~ field` count one SQL term each', () => {
  const pieces = (n: number) => `${quoteLit(Array.from({ length: n }, (_, i) => `p${i}`).join('\u0000'))} ~ title`;
  cost(pieces(COMPILED_LIMITS.maxSqlTerms));
  assertFilterError(() => cost(pieces(COMPILED_LIMITS.maxSqlTerms + 1)), 'ERR_FILTER_TOO_MANY_TERMS', 0, /more than 64 SQL terms/);
  // repeated pieces compile once each
  cost(`${quoteLit(Array.from({ length: 300 }, () => 'same').join('\u0000'))} ~ title`);
  // the attack of the issue: 450 pieces of one character pair
  assertFilterError(() => cost(`${quoteLit(Array.from({ length: 450 }, (_, i) => String.fromCharCode(65 + (i % 26), 97 + Math.floor(i / 26))).join('\u0000'))} ~ title && id != "x"`),
    'ERR_FILTER_TOO_MANY_TERMS', 0);
});

test('the count is an upper bound of what the compiler emits, on both dialects', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    for (const text of [
      `${quoteLit(Array.from({ length: 64 }, (_, i) => `p${i}`).join('\u0000'))} ~ title`,
      Array.from({ length: 40 }, (_, i) => `title ~ 'n${i}'`).join(' || '),
      Array.from({ length: 40 }, (_, i) => `n != ${i}`).join(' && '),
    ]) {
      cost(text);
      const q = compiled(dialect, text);
      assert.ok(q.parameters.length <= COMPILED_LIMITS.maxParameters, `${dialect}: ${q.parameters.length} parameters`);
    }
  }
});

test('needles for ~ and !~ are bounded in characters; a haystack literal is not a needle', () => {
  const at = (n: number) => 'x'.repeat(n);
  cost(`title ~ '${at(COMPILED_LIMITS.maxNeedleLength)}'`);
  cost(`title !~ '${'😀'.repeat(COMPILED_LIMITS.maxNeedleLength)}'`); // code points, not UTF-16 units
  assertFilterError(() => cost(`title ~ '${at(COMPILED_LIMITS.maxNeedleLength + 1)}'`), 'ERR_FILTER_NEEDLE_TOO_LONG', 8, /longer than 256 characters/);
  assertFilterError(() => cost(`n = 1 || title !~ '${at(300)}'`), 'ERR_FILTER_NEEDLE_TOO_LONG', 18);
  cost(`'${at(1000)}' ~ title`);
  cost(`title = '${at(1000)}'`); // equality binds one value and uses an index
});

test('comparisons that fold (no column) cost nothing; field against field costs a term and no parameter', () => {
  cost(Array.from({ length: 40 }, () => `@auth.id = 'x'`).join(' || '));
  cost(Array.from({ length: 40 }, () => 'n = x').join(' || '));
});

function quoteLit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

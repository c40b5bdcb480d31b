import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eachDialect } from '../helpers/dialects.ts';
import { referenceEval, type Row } from '../helpers/reference-eval.ts';
import { parseFilter } from '../../src/filter/parser.ts';
import { checkExpr } from '../../src/filter/check.ts';
import { compileFilter, foldConstant } from '../../src/db/filter-compile.ts';
import type { Database } from '../../src/db/database.ts';
import type { MacroValues } from '../../src/filter/macros.ts';
import { decideCreateRule } from '../../src/core/records/create-rule.ts';
import { ITEMS } from '../filter/filter-fixtures.ts';
import { filterText, macroValues, rowArb } from '../filter/filter-arbitraries.ts';
import { insertRows, openItemsDb } from '../filter/filter-db.ts';

const USER_FIELDS = ['title', 'email', 'n', 'x', 'ok', 'd', 'dt', 'kind', 'parent', 'ssn'] as const;

/** Terms that read the body: values, nulls, isset, and body against the would-be row's fields. */
const BODY_TERMS = [
  "@body.title = 'a'", "@body.title != 'a'", '@body.title = null', '@body.title != null', '@body.title ~ title',
  '@body.email = title', "email ~ 'a'", '@body.n < 3', '@body.n = n', '@body.n != null', 'n >= @body.n', '@body.x > x',
  '@body.ok = true', '@body.ok != ok', '@body.d < d', "@body.dt > '2024-01-01T00:00:00Z'", "@body.kind = 'a'",
  '@body.parent = null', "@body.ssn = 'a'", '@body.title:isset = true', '@body.n:isset = false', '@body.ok:isset != @body.ok',
  'ok = @body.title:isset', 'title != email', 'title = parent', 'n = x', 'd = null', 'owner = @auth.id', 'id != null',
  'created = updated', 'created = @now', 'title != kind',
];
const bodyTerm = fc.constantFrom(...BODY_TERMS);
const ruleText = fc.oneof(
  { weight: 2, arbitrary: bodyTerm },
  { weight: 1, arbitrary: filterText },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(' && ', ' || '), fc.array(fc.oneof(bodyTerm, filterText), { minLength: 2, maxLength: 3 }))
    .map(([op, items]) => items.map((i) => `(${i})`).join(op)) },
);

/** A body: some user fields sent (null among the values), the others absent. */
const bodyArb = fc.tuple(rowArb, fc.subarray([...USER_FIELDS])).map(([r, keys]) => {
  const body: Record<string, unknown> = Object.create(null);
  for (const k of keys) body[k] = (r as Record<string, unknown>)[k];
  return body;
});

let next = 0;

eachDialect('create rules: the decision, SQL on the would-be row and the reference agree', (t) => {
  let db: Database;
  before(async () => { db = await openItemsDb(t); });
  after(async () => { await db?.close(); });

  test('random create rules and bodies', async () => {
    await fc.assert(fc.asyncProperty(ruleText, bodyArb, macroValues, async (text, body, base) => {
      const expr = checkExpr(parseFilter(text), { collection: ITEMS, mode: 'write-rule' });
      const macros: MacroValues = { ...base, body };
      // The record the create would store: the body's values, null for what it did not send.
      const row: Record<string, unknown> = { id: `c${next++}`, created: base.now, updated: base.now, owner: base.auth.id };
      for (const f of ITEMS.fields) row[f.name] = Object.hasOwn(body, f.name) ? body[f.name] : null;

      const decided = decideCreateRule(expr, ITEMS, row, macros);
      const reference = referenceEval(expr, row as Row, macros);
      await insertRows(db, [row as Row]);
      const where = compileFilter(expr, { collection: ITEMS, dialect: t.dialect, macros });
      const sqlSays = (await db.kysely.selectFrom('items').select('id').where('id', '=', row.id as string).where(where).execute()).length === 1;
      assert.equal(decided, reference, `decision vs reference: ${text} body=${JSON.stringify(body)}`);
      assert.equal(sqlSays, reference, `SQL on the stored row vs reference: ${text} body=${JSON.stringify(body)}`);
      const folded = foldConstant(expr, { collection: ITEMS, dialect: t.dialect, macros });
      if (folded !== undefined) assert.equal(folded, reference, `fold vs reference: ${text}`);
    }), { numRuns: 300 });
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldShape, SchemaShape } from '../../src/db/migrate/describe-schema.ts';
import { describeSchema } from '../../src/db/migrate/describe-schema.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field, freshDb, insertRow, migrate } from './fixtures.ts';

// Each dialect is compared with the same literal, so both give the same observable schema.
const sys = (): Record<string, FieldShape> => ({
  id: { type: 'text', required: true, notNull: true, unique: true, index: true },
  created: { type: 'datetime', required: true, notNull: true, unique: false, index: true },
  updated: { type: 'datetime', required: true, notNull: true, unique: false, index: false },
  owner: { type: 'text', required: false, notNull: false, unique: false, index: true },
});
const f = (type: string, required = false, notNull = required, unique = false, index = unique): FieldShape =>
  ({ type, required, notNull, unique, index });

const V1 = [
  collection('people', [
    field('name', 'text', { required: true, index: true }),
    field('email', 'email', { unique: true }),
    field('age', 'number', { integer: true }),
    field('height', 'number'),
    field('ok', 'boolean'),
  ]),
  collection('visits', [
    field('person', 'relation', { collection: 'people', required: true, index: true }),
    field('on', 'date'), field('at', 'datetime'), field('home', 'url'),
    field('kind', 'select'), field('tags', 'select', { multiple: true }), field('data', 'json'),
  ]),
];
const V2 = [
  collection('people', [
    field('name', 'text', { unique: true }),
    field('email', 'email', { unique: true, required: true }),
    field('age', 'number'),
    field('ok', 'boolean', { required: true, default: false, index: true }),
    field('note', 'text', { required: true }),
  ]),
];

const SHAPE_V1: SchemaShape = {
  people: sortKeys({ ...sys(), name: f('text', true, true, false, true), email: f('email', false, false, true),
    age: f('number:integer'), height: f('number:float'), ok: f('boolean') }),
  visits: sortKeys({ ...sys(), person: f('relation:people', true, true, false, true), on: f('date'), at: f('datetime'),
    home: f('url'), kind: f('select:single'), tags: f('select:multiple'), data: f('json') }),
};
const SHAPE_V2: SchemaShape = {
  people: sortKeys({ ...sys(), name: f('text', false, false, true), email: f('email', true, true, true),
    age: f('number:float'), ok: f('boolean', true, true, false, true), note: f('text', true, false) }),
};

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

eachDialect('both dialects give the same observable schema', (t) => {
  test('create, then change with the flag: the normalized schema matches the shared expectation', async () => {
    const db = await freshDb(t);
    try {
      await migrate(db, V1);
      assert.deepEqual(await describeSchema(db), SHAPE_V1);
      await insertRow(db, 'people', { name: 'Ann', email: 'ann@example.com', age: 40, height: 1.7, ok: t.dialect === 'sqlite' ? 1 : true });
      const plan = await migrate(db, V2, true);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.field ?? null, s.destructive]), [
        ['drop_index', 'name', false],
        ['drop_field', 'height', true],
        ['change_type', 'age', true],
        ['add_field', 'note', true],
        ['drop_required', 'name', false],
        ['set_required', 'email', false],
        ['set_required', 'ok', false],
        ['add_unique', 'name', false],
        ['add_index', 'ok', false],
        ['drop_collection', null, true],
      ]);
      assert.deepEqual(await describeSchema(db), SHAPE_V2);
      assert.deepEqual((await planMigration(db, V2)).steps, []);
    } finally {
      await db.close();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectionDef } from '../../src/config/schema.ts';
import type { Database } from '../../src/db/database.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { describeSchema } from '../../src/db/migrate/describe-schema.ts';
import { formatPlan } from '../../src/db/migrate/format-plan.ts';
import type { StepKind } from '../../src/db/migrate/plan-types.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field, freshDb, insertRow, migrate, rowsOf } from './fixtures.ts';

interface Case {
  name: string;
  before: CollectionDef[];
  rows: Record<string, Record<string, unknown>[]>;
  after: CollectionDef[];
  /** the destructive step kinds expected, in order */
  kinds: StepKind[];
  /** checks once applied with the flag */
  check(db: Database): Promise<void>;
}

const t1 = (fields = [field('a', 'text'), field('b', 'number', { integer: true })]) => collection('items', fields);
const seed = { items: [{ a: 'x', b: 1 }, { a: 'x', b: null }] };

const CASES: Case[] = [
  { name: 'drop a collection', before: [t1(), collection('other', [])], rows: seed, after: [collection('other', [])],
    kinds: ['drop_collection'],
    async check(db) { assert.equal((await describeSchema(db)).items, undefined); } },
  { name: 'drop a field', before: [t1()], rows: seed, after: [t1([field('a', 'text')])], kinds: ['drop_field'],
    async check(db) { assert.deepEqual((await rowsOf(db, 'items')).map((r) => Object.hasOwn(r, 'b')), [false, false]); } },
  { name: 'rename a field (drop + add, no rename detection)', before: [t1()], rows: seed,
    after: [t1([field('a', 'text'), field('c', 'number', { integer: true })])], kinds: ['drop_field'],
    async check(db) { assert.deepEqual((await rowsOf(db, 'items')).map((r) => r.c), [null, null]); } },
  { name: 'integer to float', before: [t1()], rows: seed, after: [t1([field('a', 'text'), field('b', 'number')])],
    kinds: ['change_type'],
    async check(db) { assert.equal((await describeSchema(db)).items!.b!.type, 'number:float'); } },
  { name: 'text to email', before: [t1()], rows: seed, after: [t1([field('a', 'email'), field('b', 'number', { integer: true })])],
    kinds: ['change_type'],
    async check(db) { assert.deepEqual((await rowsOf(db, 'items')).map((r) => r.a), [null, null]); } },
  { name: 'select single to multiple', before: [t1([field('s', 'select', { index: true })])], rows: { items: [{ s: 'a' }] },
    after: [t1([field('s', 'select', { multiple: true, index: true })])], kinds: ['change_type'],
    async check(db) {
      const s = (await describeSchema(db)).items!.s!;
      assert.deepEqual([s.type, s.index], ['select:multiple', true]);
    } },
  { name: 'required when NULLs exist', before: [t1()], rows: seed,
    after: [t1([field('a', 'text'), field('b', 'number', { integer: true, required: true })])], kinds: ['set_required'],
    async check(db) {
      const b = (await describeSchema(db)).items!.b!;
      assert.deepEqual([b.required, b.notNull], [true, false], 'rows keep NULL; the rule applies to writes');
    } },
  { name: 'required when NULLs exist, with a default', before: [t1()], rows: seed,
    after: [t1([field('a', 'text'), field('b', 'number', { integer: true, required: true, default: 7 })])], kinds: ['set_required'],
    async check(db) {
      assert.deepEqual((await rowsOf(db, 'items')).map((r) => Number(r.b)), [1, 7]);
      assert.equal((await describeSchema(db)).items!.b!.notNull, true);
    } },
  { name: 'a new required field without a default on a table with rows', before: [t1()], rows: seed,
    after: [t1([field('a', 'text'), field('b', 'number', { integer: true }), field('c', 'date', { required: true })])],
    kinds: ['add_field'],
    async check(db) { assert.deepEqual((await describeSchema(db)).items!.c!, { type: 'date', required: true, notNull: false, unique: false, index: false }); } },
  { name: 'unique when duplicates exist', before: [t1()], rows: seed,
    after: [t1([field('a', 'text', { unique: true }), field('b', 'number', { integer: true })])], kinds: ['add_unique'],
    async check(db) {
      assert.deepEqual((await rowsOf(db, 'items')).map((r) => r.a), ['x', null], 'the oldest keeps its value');
      assert.equal((await describeSchema(db)).items!.a!.unique, true);
    } },
];

async function snapshot(db: Database) {
  const tables: Record<string, unknown> = {};
  for (const name of ['items', 'other']) tables[name] = await rowsOf(db, name).catch(() => 'absent');
  const snaps = await db.kysely.selectFrom('_sb_collections').select(['name', 'definition']).orderBy('name').execute();
  return { schema: await describeSchema(db), tables, snaps };
}

eachDialect('applyMigration: destructive changes', (t) => {
  for (const c of CASES) {
    test(`${c.name}: refused without the flag, nothing changes; applied with it`, async () => {
      const db = await freshDb(t);
      try {
        await migrate(db, c.before);
        for (const [table, rows] of Object.entries(c.rows)) for (const r of rows) await insertRow(db, table, r);
        const before = await snapshot(db);
        const plan = await planMigration(db, c.after);
        assert.deepEqual(plan.steps.filter((s) => s.destructive).map((s) => s.kind), c.kinds, formatPlan(plan));
        assert.match(formatPlan(plan), /\[DESTRUCTIVE\]/);
        await assert.rejects(applyMigration(db, plan, { allowDestructive: false }), (err: unknown) => {
          assert.ok(err instanceof StrongboxError);
          assert.equal(err.code, 'ERR_MIGRATION_DESTRUCTIVE');
          for (const s of plan.steps.filter((x) => x.destructive)) assert.ok(err.message.includes(s.description));
          assert.doesNotMatch(err.message, /alter table|drop table|create/i, 'no SQL in the message');
          return true;
        });
        assert.deepEqual(await snapshot(db), before, 'schema, data and snapshots unchanged');
        await applyMigration(db, plan, { allowDestructive: true });
        assert.deepEqual((await planMigration(db, c.after)).steps, [], 'the re-plan is empty');
        await c.check(db);
      } finally {
        await db.close();
      }
    });
  }

  test('a rename lists both the drop and the add', async () => {
    const db = await freshDb(t);
    try {
      await migrate(db, [t1()]);
      const plan = await planMigration(db, [t1([field('a', 'text'), field('c', 'number', { integer: true })])]);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.field]), [['drop_field', 'b'], ['add_field', 'c']]);
    } finally {
      await db.close();
    }
  });

  test('a stale plan is refused; one another instance already applied is a no-op', async () => {
    const db = await freshDb(t);
    try {
      const first = await planMigration(db, [t1()]);
      const second = await planMigration(db, [t1()]);
      await applyMigration(db, first, { allowDestructive: false });
      await applyMigration(db, second, { allowDestructive: false }); // nothing left to do
      // additive while the table is empty; a row written meanwhile would break NOT NULL
      const v2 = [t1([field('a', 'text'), field('b', 'number', { integer: true }), field('n', 'text', { required: true })])];
      const stale = await planMigration(db, v2);
      assert.deepEqual(stale.steps.map((s) => [s.kind, s.destructive]), [['add_field', false]]);
      await insertRow(db, 'items', { a: 'x' });
      await assert.rejects(applyMigration(db, stale, { allowDestructive: true }), { code: 'ERR_MIGRATION' });
      assert.equal((await describeSchema(db)).items!.n, undefined, 'nothing applied');
    } finally {
      await db.close();
    }
  });

  test('tables Strongbox did not create are never planned for a drop', async () => {
    const db = await freshDb(t);
    try {
      await db.kysely.schema.createTable('theirs').addColumn('x', 'text').execute();
      const plan = await planMigration(db, []);
      assert.deepEqual(plan.steps, []);
    } finally {
      await db.close();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';
import { describeSchema } from '../../src/db/migrate/describe-schema.ts';
import { formatPlan } from '../../src/db/migrate/format-plan.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field, freshDb, insertRow, migrate, rowsOf } from './fixtures.ts';

const patients = collection('patients', [
  field('name', 'text', { required: true, index: true }),
  field('email', 'email', { unique: true }),
  field('age', 'number', { integer: true }),
  field('score', 'number'),
  field('active', 'boolean', { default: true }),
  field('born', 'date'),
  field('seen', 'datetime'),
  field('kind', 'select'),
  field('tags', 'select', { multiple: true }),
  field('extra', 'json'),
  field('home', 'url'),
  field('doctor', 'relation', { collection: 'doctors' }),
]);

eachDialect('planMigration: additive', (t) => {
  test('from empty: one create step per collection, all additive, then the re-plan is empty', async () => {
    const db = await freshDb(t);
    try {
      const plan = await planMigration(db, [patients]);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.collection, s.destructive]), [['create_collection', 'patients', false]]);
      const sqlText = plan.steps[0]!.sql.join('\n');
      assert.match(sqlText, /create table "patients"/);
      for (const ix of ['ix_patients__owner', 'ix_patients__created', 'ix_patients__name', 'uq_patients__email']) {
        assert.ok(sqlText.includes(`"${ix}"`), ix);
      }
      assert.doesNotMatch(sqlText, /ix_patients__email/, 'a unique field needs no second index');
      await applyMigration(db, plan, { allowDestructive: false });
      const again = await planMigration(db, [patients]);
      assert.deepEqual(again.steps, []);
      const shape = await describeSchema(db);
      assert.deepEqual(Object.keys(shape), ['patients']);
      assert.deepEqual(shape.patients!.name, { type: 'text', required: true, notNull: true, unique: false, index: true });
      assert.deepEqual(shape.patients!.email, { type: 'email', required: false, notNull: false, unique: true, index: true });
      assert.equal(shape.patients!.tags!.type, 'select:multiple');
      assert.equal(shape.patients!.doctor!.type, 'relation:doctors');
      assert.deepEqual(shape.patients!.id, { type: 'text', required: true, notNull: true, unique: true, index: true });
      assert.equal(shape.patients!.owner!.index, true);
      const snap = await db.kysely.selectFrom('_sb_collections').selectAll().execute();
      assert.deepEqual(snap.map((r) => r.name), ['patients']);
      assert.deepEqual(JSON.parse(String(snap[0]!.definition)).fields.length, patients.fields.length);
    } finally {
      await db.close();
    }
  });

  test('add a nullable field, an index, a unique index; drop an index: all additive, data kept', async () => {
    const db = await freshDb(t);
    try {
      const v1 = collection('notes', [field('title', 'text', { index: true }), field('code', 'text')]);
      await migrate(db, [v1]);
      await insertRow(db, 'notes', { title: 'a', code: 'x' });
      await insertRow(db, 'notes', { title: 'b', code: 'y' });
      const v2 = collection('notes', [field('title', 'text'), field('code', 'text', { unique: true }),
        field('body', 'text', { index: true })]);
      const plan = await planMigration(db, [v2]);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.field, s.destructive]), [
        ['drop_index', 'title', false],
        ['add_field', 'body', false],
        ['add_unique', 'code', false],
        ['add_index', 'body', false],
      ]);
      await applyMigration(db, plan, { allowDestructive: false });
      assert.deepEqual((await planMigration(db, [v2])).steps, []);
      const shape = (await describeSchema(db)).notes!;
      assert.equal(shape.title!.index, false);
      assert.equal(shape.code!.unique, true);
      assert.equal(shape.body!.index, true);
      const rows = await rowsOf(db, 'notes');
      assert.deepEqual(rows.map((r) => [r.title, r.code, r.body]), [['a', 'x', null], ['b', 'y', null]]);
      // the unique index is real
      await assert.rejects(insertRow(db, 'notes', { title: 'c', code: 'x' }));
    } finally {
      await db.close();
    }
  });

  test('a required field with a default fills existing rows and becomes NOT NULL', async () => {
    const db = await freshDb(t);
    try {
      await migrate(db, [collection('tasks', [field('title', 'text')])]);
      await insertRow(db, 'tasks', { title: 'one' });
      const v2 = collection('tasks', [field('title', 'text'),
        field('status', 'select', { required: true, default: 'a' }),
        field('done', 'boolean', { required: true, default: false }),
        field('meta', 'json', { required: true, default: { k: "it's" } })]);
      const plan = await planMigration(db, [v2]);
      assert.ok(plan.steps.every((s) => !s.destructive), formatPlan(plan));
      await applyMigration(db, plan, { allowDestructive: false });
      assert.deepEqual((await planMigration(db, [v2])).steps, []);
      const [row] = await rowsOf(db, 'tasks');
      assert.equal(row!.status, 'a');
      assert.ok(row!.done === 0 || row!.done === false, `done is false, got ${String(row!.done)}`);
      const meta = typeof row!.meta === 'string' ? JSON.parse(row!.meta) : row!.meta;
      assert.deepEqual(meta, { k: "it's" });
      const shape = (await describeSchema(db)).tasks!;
      assert.deepEqual([shape.status!.required, shape.status!.notNull], [true, true]);
      await assert.rejects(insertRow(db, 'tasks', { title: 'two', status: null, done: false, meta: '{}' }));
    } finally {
      await db.close();
    }
  });

  test('a required field without a default on an empty table is additive and NOT NULL', async () => {
    const db = await freshDb(t);
    try {
      await migrate(db, [collection('tasks', [field('title', 'text')])]);
      const v2 = collection('tasks', [field('title', 'text', { required: true }), field('due', 'date', { required: true })]);
      const plan = await planMigration(db, [v2]);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.field, s.destructive]),
        [['add_field', 'due', false], ['set_required', 'title', false]]);
      await applyMigration(db, plan, { allowDestructive: false });
      const shape = (await describeSchema(db)).tasks!;
      assert.equal(shape.due!.notNull, true);
      assert.equal(shape.title!.notNull, true);
      assert.equal(shape.owner!.index, true, 'system indexes survive a SQLite rebuild');
      assert.deepEqual((await planMigration(db, [v2])).steps, []);
      // and back to optional: additive too
      const v3 = collection('tasks', [field('title', 'text'), field('due', 'date', { required: true })]);
      const p3 = await planMigration(db, [v3]);
      assert.deepEqual(p3.steps.map((s) => [s.kind, s.field, s.destructive]), [['drop_required', 'title', false]]);
      await applyMigration(db, p3, { allowDestructive: false });
      assert.equal((await describeSchema(db)).tasks!.title!.notNull, false);
    } finally {
      await db.close();
    }
  });

  test('making a field required when no row is NULL is additive', async () => {
    const db = await freshDb(t);
    try {
      await migrate(db, [collection('tasks', [field('title', 'text', { unique: true })])]);
      await insertRow(db, 'tasks', { title: 'x' });
      const v2 = collection('tasks', [field('title', 'text', { unique: true, required: true })]);
      const plan = await planMigration(db, [v2]);
      assert.deepEqual(plan.steps.map((s) => [s.kind, s.destructive]), [['set_required', false]]);
      await applyMigration(db, plan, { allowDestructive: false });
      const shape = (await describeSchema(db)).tasks!;
      assert.deepEqual([shape.title!.notNull, shape.title!.unique], [true, true]);
      assert.deepEqual((await rowsOf(db, 'tasks')).map((r) => r.title), ['x']);
    } finally {
      await db.close();
    }
  });

  test('--dry-run text lists every step and its SQL', async () => {
    const db = await freshDb(t);
    try {
      const plan = await planMigration(db, [patients]);
      const text = formatPlan(plan);
      assert.match(text, /1 step\(s\), 0 destructive/);
      assert.match(text, /create collection "patients"/);
      for (const s of plan.steps) for (const q of s.sql) assert.ok(text.includes(q), 'SQL is printed');
      assert.doesNotMatch(text, /DESTRUCTIVE/);
      assert.equal(formatPlan({ ...plan, steps: [] }), 'No schema changes.\n');
    } finally {
      await db.close();
    }
  });
});

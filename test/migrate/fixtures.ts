/** Hand-built CollectionDef fixtures (the config loader is not needed to test migrations). */
import type { CollectionDef, FieldDef, FieldType } from '../../src/config/schema.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import type { Database } from '../../src/db/database.ts';
import type { DialectCtx } from '../helpers/dialects.ts';
import { runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { planMigration } from '../../src/db/migrate/plan-migration.ts';
import { applyMigration } from '../../src/db/migrate/apply-migration.ts';

type Extra = Partial<Omit<FieldDef, 'name' | 'type'>> & Record<string, unknown>;

export function field(name: string, type: FieldType, extra: Extra = {}): FieldDef {
  const base = {
    name, type, required: false, unique: false, index: false, default: undefined,
    sensitive: false, searchable: false, mask: null, read: null,
  };
  const perType: Record<string, unknown> =
    type === 'text' ? { min: null, max: null, pattern: null }
    : type === 'number' ? { integer: false, min: null, max: null }
    : type === 'select' ? { values: ['a', 'b', 'c'], multiple: false }
    : type === 'relation' ? { collection: 'people' }
    : {};
  return { ...base, ...perType, ...extra } as FieldDef;
}

export function collection(name: string, fields: FieldDef[]): CollectionDef {
  return { name, fields, rules: { list: null, view: null, create: null, update: null, delete: null } };
}

export async function freshDb(t: DialectCtx): Promise<Database> {
  const db = await openDatabase(await t.freshDatabase());
  await runSystemMigrations(db);
  return db;
}

/** Plans and applies; returns the plan that was applied. */
export async function migrate(db: Database, cols: CollectionDef[], allowDestructive = false) {
  const plan = await planMigration(db, cols);
  await applyMigration(db, plan, { allowDestructive });
  return plan;
}

let seq = 0;
/** Inserts a record with system columns filled; values are already encoded for the dialect. */
export async function insertRow(db: Database, table: string, values: Record<string, unknown>): Promise<string> {
  const id = `rec${String(++seq).padStart(17, '0')}`;
  const created = new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString();
  await db.kysely.insertInto(table).values({ id, created, updated: created, owner: null, ...values }).execute();
  return id;
}

export async function rowsOf(db: Database, table: string): Promise<Record<string, unknown>[]> {
  return db.kysely.selectFrom(table).selectAll().orderBy('id').execute();
}

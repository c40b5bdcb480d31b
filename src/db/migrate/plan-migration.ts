import { FIELD_NAME_PATTERN, NAME_PATTERN, type CollectionDef } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database, Dialect } from '../database.ts';
import { countRows, readSnapshots } from './data-probes.ts';
import { introspectTable, listTables, type Executor } from './introspect.ts';
import { planAlter, planCreate, type PlanCtx } from './plan-collection.ts';
import { makeStep, type MigrationPlan, type MigrationStep } from './plan-types.ts';

/**
 * Compares the collections wanted with the database as it is (tables, columns and indexes read
 * from the catalog, logical types from the `_sb_collections` snapshots) and lists the steps
 * between them. Reads only. Tables Strongbox never recorded in `_sb_collections` are left alone:
 * only a collection it created can be planned for a drop.
 */
export async function planMigration(db: Database, collections: readonly CollectionDef[]): Promise<MigrationPlan> {
  return planWith(db.kysely, db.dialect, collections);
}

/** planMigration on a given executor, so applyMigration can re-plan inside its transaction. */
export async function planWith(exec: Executor, dialect: Dialect, collections: readonly CollectionDef[]): Promise<MigrationPlan> {
  for (const c of collections) {
    if (!NAME_PATTERN.test(c.name) || c.fields.some((f) => !FIELD_NAME_PATTERN.test(f.name))) {
      throw new StrongboxError('ERR_MIGRATION', `Collection "${c.name}" has a name that cannot be a table or column.`);
    }
  }
  const ctx: PlanCtx = { exec, kysely: exec, dialect };
  const tables = await listTables(exec, dialect);
  const snapshots = await readSnapshots(exec, tables);
  const steps: MigrationStep[] = [];
  for (const def of collections) {
    const model = tables.has(def.name) ? await introspectTable(exec, dialect, def.name) : null;
    if (!model) steps.push(planCreate(ctx, def));
    else steps.push(...await planAlter(ctx, def, model, snapshots.get(def.name)));
  }
  const wanted = new Set(collections.map((c) => c.name));
  for (const name of snapshots.keys()) {
    if (wanted.has(name) || !tables.has(name)) continue;
    const rows = await countRows(exec, name);
    steps.push(makeStep({ kind: 'drop_collection', collection: name, destructive: true,
      description: `drop collection "${name}"${rows > 0 ? ` and its ${rows} record(s)` : ''}`,
      queries: [exec.schema.dropTable(name).compile()] }));
  }
  return { dialect, collections, steps };
}

import type { CompiledQuery } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { Database } from '../database.ts';
import type { Executor } from './introspect.ts';
import { inMigrationTransaction } from './migration-lock.ts';
import { planWith } from './plan-migration.ts';
import { destructiveSteps, type MigrationPlan } from './plan-types.ts';
import { runSystemMigrations } from './system-migrations.ts';

export interface ApplyOptions {
  /** Also apply drops, type changes and constraints existing rows break (--allow-destructive). */
  readonly allowDestructive: boolean;
  /** Runs in the migration's transaction after its steps (PostgreSQL: the app role's grants). */
  readonly afterEach?: (trx: Executor) => Promise<void>;
  /** Runs in the collection plan's transaction once its steps are applied (the audit event). */
  readonly onApplied?: (trx: Executor, plan: MigrationPlan) => Promise<void>;
}

/**
 * Applies a plan in one transaction, with the `_sb_collections` snapshots, or nothing at all.
 * A destructive step without allowDestructive refuses the whole plan. Under the migration lock
 * the plan is made again: if another instance already applied it there is nothing left to do;
 * if the database changed some other way the plan is stale and is refused.
 */
export async function applyMigration(db: Database, plan: MigrationPlan, opts: ApplyOptions): Promise<void> {
  if (plan.dialect !== db.dialect) {
    throw new StrongboxError('ERR_MIGRATION', `The plan was made for ${plan.dialect}, not ${db.dialect}.`);
  }
  refuseDestructive(plan, opts);
  await runSystemMigrations(db, { afterEach: opts.afterEach });
  await inMigrationTransaction(db, async (trx) => {
    const now = await planWith(trx, db.dialect, plan.collections);
    if (now.steps.length > 0 && fingerprint(now) !== fingerprint(plan)) {
      throw new StrongboxError('ERR_MIGRATION', 'The database changed since the migration was planned; plan it again.');
    }
    refuseDestructive(now, opts);
    for (const step of now.steps) {
      for (const q of step.queries) {
        try {
          await trx.executeQuery(q);
        } catch (err) {
          if (isStrongboxError(err)) throw err;
          throw new StrongboxError('ERR_MIGRATION', `Could not ${step.description}.`, undefined, { cause: err });
        }
      }
    }
    await syncSnapshots(trx, plan.collections);
    if (now.steps.length > 0) await opts.afterEach?.(trx);
    if (now.steps.length > 0) await opts.onApplied?.(trx, now);
  });
}

function refuseDestructive(plan: MigrationPlan, opts: ApplyOptions): void {
  const bad = destructiveSteps(plan);
  if (bad.length === 0 || opts.allowDestructive) return;
  const list = bad.map((s) => `  - ${s.description}`).join('\n');
  throw new StrongboxError('ERR_MIGRATION_DESTRUCTIVE',
    `The schema change has ${bad.length} destructive step(s); run "strongbox migrate --allow-destructive" to apply them:\n${list}`);
}

/** Statements and bound values: two plans with the same fingerprint do the same thing. */
function fingerprint(plan: MigrationPlan): string {
  const qs: CompiledQuery[] = plan.steps.flatMap((s) => s.queries);
  return JSON.stringify(qs.map((q) => [q.sql, q.parameters]), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

async function syncSnapshots(trx: Executor, collections: readonly CollectionDef[]): Promise<void> {
  const rows = await trx.selectFrom('_sb_collections').select(['name', 'definition']).execute() as { name: string; definition: string }[];
  const have = new Map(rows.map((r) => [r.name, r.definition]));
  const updated = new Date().toISOString();
  for (const c of collections) {
    const definition = JSON.stringify(c);
    if (have.get(c.name) === definition) continue;
    await trx.insertInto('_sb_collections').values({ name: c.name, definition, updated })
      .onConflict((oc) => oc.column('name').doUpdateSet({ definition, updated })).execute();
  }
  const gone = [...have.keys()].filter((n) => !collections.some((c) => c.name === n));
  if (gone.length > 0) await trx.deleteFrom('_sb_collections').where('name', 'in', gone).execute();
}

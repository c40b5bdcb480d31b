import { existsSync } from 'node:fs';
import type { StrongboxConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { runSystemMigrations } from '../db/migrate/system-migrations.ts';
import { planMigration } from '../db/migrate/plan-migration.ts';
import { applyMigration } from '../db/migrate/apply-migration.ts';
import { grantHook, migrationDatabase, openConfigured } from './start-migrations.ts';
import { formatPlan } from '../db/migrate/format-plan.ts';
import type { MigrationPlan } from '../db/migrate/plan-types.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { KeyService } from './keys/key-service.ts';
import { AuditService, migrationEvent } from './audit/audit-service.ts';

export interface MigrateSchemaOptions {
  /** Plan and report only; the database is not changed (a missing SQLite file is not created). */
  readonly dryRun: boolean;
  readonly allowDestructive: boolean;
  /** Receives the formatted plan (with its SQL) before anything is applied or refused; not called when empty. */
  readonly onPlan?: (text: string) => void;
}

export interface MigrateSchemaResult {
  readonly plan: MigrationPlan;
  /** formatPlan(plan): steps and SQL. */
  readonly text: string;
  readonly pending: boolean;
  readonly destructive: boolean;
  readonly applied: boolean;
}

/**
 * `strongbox migrate`: compares the database with the config's collections and applies the
 * difference. Destructive steps are refused, before anything changes, unless allowed.
 */
export async function migrateSchema(config: StrongboxConfig, opts: MigrateSchemaOptions): Promise<MigrateSchemaResult> {
  const db = await openForPlanning(config, opts.dryRun);
  try {
    const afterEach = grantHook(config);
    if (!opts.dryRun) await runSystemMigrations(db, { afterEach });
    const plan = await planMigration(db, Object.values(config.collections));
    const text = formatPlan(plan);
    if (plan.steps.length > 0) opts.onPlan?.(text);
    const destructive = plan.steps.filter((s) => s.destructive);
    const result = { plan, text, pending: plan.steps.length > 0, destructive: destructive.length > 0 };
    if (opts.dryRun || !result.pending) return { ...result, applied: false };
    if (destructive.length > 0 && !opts.allowDestructive) {
      throw new StrongboxError('ERR_MIGRATION_DESTRUCTIVE',
        `${destructive.length} destructive step(s) pending (${destructive.map((s) => s.description).join('; ')}); nothing was changed; apply them with --allow-destructive`);
    }
    await applyMigration(db, plan, { allowDestructive: opts.allowDestructive, afterEach });
    await auditMigration(config, db, plan);
    return { ...result, applied: true };
  } finally {
    await db.close();
  }
}

/** The applied plan's `schema.migrate` event, as `serve` writes one for a migration at start. */
async function auditMigration(config: StrongboxConfig, db: Database, plan: MigrationPlan): Promise<void> {
  const keys = await KeyService.open(db, {
    kek: config.keys.kek,
    dev: config.dev,
    collections: Object.values(config.collections).filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name),
  });
  try {
    await new AuditService({ db, keys }).append(migrationEvent(plan));
  } finally {
    await keys.close();
  }
}

// A dry run must not even create the SQLite file: an empty in-memory database plans the same.
function openForPlanning(config: StrongboxConfig, dryRun: boolean): Promise<Database> {
  const cfg = migrationDatabase(config);
  if (dryRun && cfg.kind === 'sqlite' && cfg.path !== ':memory:' && !existsSync(cfg.path)) {
    return openDatabase({ kind: 'sqlite', path: ':memory:' });
  }
  return openConfigured(config, cfg);
}

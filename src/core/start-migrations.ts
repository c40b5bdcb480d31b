/**
 * Which role migrates: with `migrate.database` (or STRONGBOX_MIGRATE_DATABASE_URL) the schema
 * owner does, through its own URL and secret, and re-grants the app role's rights in each
 * migration's transaction; without it, the serving connection does (SQLite, development).
 */
import type { DatabaseConfig, StrongboxConfig } from '../config/config.ts';
import { urlRole } from '../config/parse-database.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { runSystemMigrations } from '../db/migrate/system-migrations.ts';
import { planMigration } from '../db/migrate/plan-migration.ts';
import { applyMigration } from '../db/migrate/apply-migration.ts';
import type { Executor } from '../db/migrate/introspect.ts';
import { applyAppGrants } from '../db/postgres/app-grants.ts';
import { servingRoleProblems } from '../db/postgres/role-check.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import type { MigrationPlan } from '../db/migrate/plan-types.ts';

/** The grant hook for migrations run by the owner on behalf of `config.database`'s role; undefined otherwise. */
export function grantHook(config: StrongboxConfig): ((trx: Executor) => Promise<void>) | undefined {
  const owner = config.migrate?.database ?? null;
  if (owner === null || config.database.kind !== 'postgres') return undefined;
  const app = urlRole(config.database.url);
  if (app === null || app === urlRole(owner.url)) return undefined;
  return (trx) => applyAppGrants(trx, { app });
}

/** The database migrations run on: the owner's URL when configured, else `database`. */
export function migrationDatabase(config: StrongboxConfig): DatabaseConfig {
  return config.migrate?.database ?? config.database;
}

/** Opens a database as Strongbox does outside dev mode: verified TLS only. */
export function openConfigured(config: StrongboxConfig, cfg: DatabaseConfig, poolSize?: number): Promise<Database> {
  const budgets = { cacheBytes: config.limits.cacheMemory, readTimeoutMs: (config.limits.readTimeout ?? 2) * 1000 };
  return openDatabase(cfg, { requireVerifiedTls: !config.dev, ...budgets, ...(poolSize === undefined ? {} : { poolSize }) });
}

/** System migrations, then the additive (or allowed destructive) collection plan. */
export async function migrateWith(db: Database, config: StrongboxConfig, allowDestructive: boolean, onApplied?: MigrationAudit): Promise<void> {
  const afterEach = grantHook(config);
  await runSystemMigrations(db, { afterEach });
  const plan = await planMigration(db, Object.values(config.collections));
  await applyMigration(db, plan, { allowDestructive, afterEach, onApplied });
}

/** Writes the audit event of an applied collection plan inside its transaction. */
export type MigrationAudit = (trx: Executor, plan: MigrationPlan) => Promise<void>;

/** Start-up migrations: through the owner's own short-lived pool when configured, else on `serving`. */
export async function runStartMigrations(config: StrongboxConfig, serving: Database, allowDestructive: boolean, onApplied?: MigrationAudit): Promise<void> {
  const owner = config.migrate?.database ?? null;
  if (owner === null) {
    await migrateWith(serving, config, allowDestructive, onApplied).catch((err: unknown) => {
      const e = err as { code?: unknown; cause?: { code?: unknown } };
      if (e.code !== '42501' && e.cause?.code !== '42501') throw err; // 42501: insufficient_privilege
      throw new StrongboxError('ERR_MIGRATION',
        "The schema needs a change, and the serving role may not make it (as intended for an app role); run 'strongbox migrate' with the owner's URL, or set migrate.database.",
        undefined, { cause: err });
    });
    return;
  }
  const db = await openConfigured(config, owner, 2);
  try {
    await migrateWith(db, config, allowDestructive, onApplied);
  } finally {
    await db.close();
  }
}

/** Production mode: the serving role may do only what serving needs (docs/postgres.md). */
export async function refuseUnsafeServingRole(db: Database): Promise<void> {
  if (db.dialect !== 'postgres') return;
  const { role, problems } = await servingRoleProblems(db.kysely);
  if (problems.length === 0) return;
  throw new StrongboxError('ERR_DB_ROLE_UNSAFE',
    `Production mode refuses to serve as the PostgreSQL role "${role}": ${problems.join('; ')}. ` +
    'Serve with a least-privilege app role: run \'strongbox db provision --admin-url …\' to create the owner and app roles, ' +
    'put the app role in `database` and the owner in `migrate.database` (see docs/postgres.md).');
}

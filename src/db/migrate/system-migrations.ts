import { sql } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database, Dialect } from '../database.ts';
import { listTables, type Executor } from './introspect.ts';
import { inMigrationTransaction } from './migration-lock.ts';
import { createAuditForwardTable, createAuditTables } from '../audit/audit-schema.ts';

export interface SystemMigration {
  readonly version: number;
  readonly name: string;
  up(exec: Executor, dialect: Dialect): Promise<void>;
}

/** Append only: a released migration is never edited, a change is a new version. */
export const SYSTEM_MIGRATIONS: readonly SystemMigration[] = [
  {
    version: 1,
    name: 'accounts, sessions and collection snapshots',
    async up(exec) {
      await exec.schema.createTable('_sb_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('updated', 'text', (c) => c.notNull())
        .execute();
      await exec.schema.createTable('_sb_sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('_sb_accounts.id').onDelete('cascade'))
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('expires', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .execute();
      await exec.schema.createIndex('ix__sb_sessions__account_id').on('_sb_sessions').column('account_id').execute();
      await exec.schema.createTable('_sb_collections')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('updated', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'sessions indexed by account and expiry',
    // Login clears the account's expired sessions; with only account_id indexed that scan grew
    // with every live session of the account.
    async up(exec) {
      await exec.schema.createIndex('ix__sb_sessions__account_expires').on('_sb_sessions').columns(['account_id', 'expires']).execute();
      await exec.schema.dropIndex('ix__sb_sessions__account_id').execute();
    },
  },
  {
    version: 3,
    name: 'keyring: wrapped keys and re-encryption jobs',
    // Keys are stored only wrapped by the KEK (base64 text, so both dialects and backups see the
    // same bytes). A version is 'active' until retired; retired rows keep no key material.
    async up(exec) {
      await exec.schema.createTable('_sb_keys')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('kek_id', 'text', (c) => c.notNull())
        .addColumn('wrapped', 'text')
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('retired', 'text')
        .addPrimaryKeyConstraint('pk__sb_keys', ['purpose', 'scope', 'version'])
        .execute();
      await exec.schema.createTable('_sb_key_jobs')
        .addColumn('collection', 'text', (c) => c.primaryKey())
        .addColumn('target_version', 'integer', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('done', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('changed', 'integer', (c) => c.notNull())
        .addColumn('pass_started', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('updated', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 4,
    name: 'audit trail: HMAC-chained events, chain head, append-only guards',
    up: (exec, dialect) => createAuditTables(exec, dialect),
  },
  {
    version: 5,
    name: 'sign-in: throttling, session details, disabled accounts, API tokens, reset tokens, TOTP',
    async up(exec) {
      // Times in these tables are epoch milliseconds (bigint): compared as numbers, never parsed.
      await exec.schema.createTable('_sb_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('next_allowed', 'bigint', (c) => c.notNull())
        .addColumn('expires', 'bigint', (c) => c.notNull())
        .execute();
      await exec.schema.createIndex('ix__sb_throttle__expires').on('_sb_throttle').column('expires').execute();
      await exec.schema.createTable('_sb_throttle_members')
        .addColumn('set_key', 'text', (c) => c.notNull())
        .addColumn('member', 'text', (c) => c.notNull())
        .addColumn('expires', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk__sb_throttle_members', ['set_key', 'member'])
        .execute();
      await exec.schema.alterTable('_sb_sessions').addColumn('id', 'text').execute();
      await exec.schema.alterTable('_sb_sessions').addColumn('ip', 'text').execute();
      await exec.schema.alterTable('_sb_sessions').addColumn('user_agent', 'text').execute();
      // 'pending' while a sign-in still owes its second factor; null once complete.
      await exec.schema.alterTable('_sb_sessions').addColumn('mfa', 'text').execute();
      await exec.schema.createIndex('ux__sb_sessions__id').on('_sb_sessions').column('id').unique().execute();
      await exec.schema.alterTable('_sb_accounts').addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await exec.schema.createTable('_sb_api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('_sb_accounts.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('expires', 'text')
        .addColumn('last_used', 'text')
        .execute();
      await exec.schema.createIndex('ix__sb_api_tokens__account').on('_sb_api_tokens').column('account_id').execute();
      await exec.schema.createTable('_sb_reset_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('_sb_accounts.id').onDelete('cascade'))
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('expires', 'text', (c) => c.notNull())
        .execute();
      await exec.schema.createTable('_sb_mfa')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('_sb_accounts.id').onDelete('cascade'))
        .addColumn('secret', 'text', (c) => c.notNull()) // sealed with the keyring's 'totp' key
        .addColumn('confirmed', 'text')
        .addColumn('last_step', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('recovery', 'text', (c) => c.notNull()) // JSON list of SHA-256 hashes; used ones removed
        .execute();
    },
  },
  {
    version: 6,
    name: 'rate-limit counters shared by instances',
    // One row per key and fixed window; `expires` (ms since the epoch) lets any instance prune.
    async up(exec) {
      await exec.schema.createTable('_sb_rate_limits')
        .addColumn('bucket', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('expires', 'bigint', (c) => c.notNull())
        .execute();
      await exec.schema.createIndex('ix__sb_rate_limits__key').on('_sb_rate_limits').column('key').execute();
      await exec.schema.createIndex('ix__sb_rate_limits__expires').on('_sb_rate_limits').column('expires').execute();
    },
  },
  {
    version: 7,
    name: 'backup catalog: archives written and their last restore drill',
    async up(exec) {
      await exec.schema.createTable('_sb_backups')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('file_sha256', 'text', (c) => c.notNull())
        .addColumn('manifest_id', 'text', (c) => c.notNull())
        .addColumn('records', 'integer', (c) => c.notNull())
        .addColumn('verified', 'text')
        .addColumn('verify_ok', 'integer')
        .addColumn('verify_message', 'text')
        .execute();
    },
  },
  {
    version: 8,
    name: 'scheduled job state (leadership is an advisory lock; this keeps the schedule)',
    // src/core/jobs/job-runner.ts: when each job last started and finished, and on which instance
    async up(exec) {
      await exec.schema.createTable('_sb_jobs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('last_started', 'text', (c) => c.notNull())
        .addColumn('last_finished', 'text')
        .addColumn('instance', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 9,
    name: 'audit sink forwarding cursor (a new leader resumes where the last one stopped)',
    up: (exec, dialect) => createAuditForwardTable(exec, dialect),
  },
];

export const LATEST_SYSTEM_VERSION = SYSTEM_MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);

export interface SystemMigrationOptions {
  /** Runs in each applied migration's transaction, after it (PostgreSQL: the app role's grants). */
  readonly afterEach?: (trx: Executor) => Promise<void>;
}

/**
 * Brings the system tables to the version this code knows. Each migration runs in its own
 * transaction under the migration lock, so concurrent instances apply each one exactly once.
 * A database from a newer Strongbox is refused rather than half understood.
 */

export async function runSystemMigrations(db: Database, opts: SystemMigrationOptions = {}): Promise<void> {
  for (const m of [...SYSTEM_MIGRATIONS].sort((a, b) => a.version - b.version)) {
    await inMigrationTransaction(db, async (trx) => {
      // Only when missing: a role without CREATE (PostgreSQL's app role) is refused even "if not exists".
      if (!(await listTables(trx, db.dialect)).has('_sb_migrations')) {
        await trx.schema.createTable('_sb_migrations').ifNotExists()
          .addColumn('version', 'integer', (c) => c.primaryKey())
          .addColumn('name', 'text')
          .addColumn('applied', 'text')
          .execute();
      }
      const row = await trx.selectFrom('_sb_migrations')
        .select(sql<unknown>`max(version)`.as('v')).executeTakeFirst();
      const current = row?.v == null ? 0 : Number(row.v);
      if (current > LATEST_SYSTEM_VERSION) {
        throw new StrongboxError('ERR_MIGRATION',
          `The database schema is version ${current}, newer than this Strongbox knows (${LATEST_SYSTEM_VERSION}); upgrade Strongbox.`);
      }
      const done = await trx.selectFrom('_sb_migrations').select('version')
        .where('version', '=', m.version).executeTakeFirst();
      if (done) return;
      await m.up(trx, db.dialect);
      await opts.afterEach?.(trx);
      await trx.insertInto('_sb_migrations')
        .values({ version: m.version, name: m.name, applied: new Date().toISOString() }).execute();
    });
  }
}

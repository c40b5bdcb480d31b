import { sql } from 'kysely';
import type { Dialect } from '../database.ts';
import type { Executor } from '../migrate/introspect.ts';

export const AUDIT_TABLE = '_sb_audit';
export const AUDIT_HEAD_TABLE = '_sb_audit_head';
export const AUDIT_FORWARD_TABLE = '_sb_audit_forward';
/** The session setting that lets the documented prune path (and only it) delete on PostgreSQL. */
export const PG_PRUNE_SETTING = 'strongbox.audit_prune';

const APPEND_ONLY = 'the audit trail is append-only; use strongbox audit prune';

/** SQLite guards; prune drops and re-creates the DELETE one inside its own transaction. */
export const SQLITE_GUARDS = {
  update: sql`create trigger _sb_audit_no_update before update on _sb_audit
    begin select raise(abort, ${sql.lit(APPEND_ONLY)}); end`,
  delete: sql`create trigger _sb_audit_no_delete before delete on _sb_audit
    begin select raise(abort, ${sql.lit(APPEND_ONLY)}); end`,
};

/**
 * System migration 4. `_sb_audit` holds the events, `_sb_audit_head` the one row every append
 * locks (so the chain stays linear across processes) with the chain's base after a prune.
 * Guards refuse UPDATE and DELETE so a bug cannot edit history; an insider who drops them is
 * caught by the HMAC chain and the signed checkpoints kept outside the database.
 */
export async function createAuditTables(exec: Executor, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await exec.schema.createTable(AUDIT_TABLE)
    .addColumn('seq', bigint, (c) => c.primaryKey())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('token_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('request_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_collection', 'text')
    .addColumn('target_record', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await exec.schema.createIndex('ix__sb_audit__time').on(AUDIT_TABLE).column('time').execute();
  await exec.schema.createTable(AUDIT_HEAD_TABLE)
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('log_id', 'text', (c) => c.notNull())
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('base_seq', bigint, (c) => c.notNull())
    .addColumn('base_hash', 'text', (c) => c.notNull())
    .execute();
  const zero = '0'.repeat(64);
  const logId = dialect === 'postgres' ? sql`replace(gen_random_uuid()::text, '-', '')` : sql`lower(hex(randomblob(16)))`;
  await sql`insert into _sb_audit_head (id, log_id, seq, hash, base_seq, base_hash)
    values (1, ${logId}, 0, ${zero}, 0, ${zero})`.execute(exec);
  if (dialect === 'sqlite') {
    await SQLITE_GUARDS.update.execute(exec);
    await SQLITE_GUARDS.delete.execute(exec);
    return;
  }
  await sql`create function _sb_audit_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting(${sql.lit(PG_PRUNE_SETTING)}, true) = 'on' then return old; end if;
      raise exception ${sql.lit(APPEND_ONLY)};
    end $$`.execute(exec);
  await sql`create trigger _sb_audit_append_only before update or delete on _sb_audit
    for each row execute function _sb_audit_append_only()`.execute(exec);
  await sql`create trigger _sb_audit_no_truncate before truncate on _sb_audit
    for each statement execute function _sb_audit_append_only()`.execute(exec);
}

/**
 * System migration 9. Where each sink's forwarding stands (one row per sink): the last seq the
 * leading instance handed to the receiver, and where a new leader resumes (what it handed over in
 * its last few seconds, which the receiver may not have read). Not part of the chain: a wrong
 * value here resends or skips forwarding, never changes what verify sees.
 */
export async function createAuditForwardTable(exec: Executor, dialect: Dialect): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await exec.schema.createTable(AUDIT_FORWARD_TABLE)
    .addColumn('sink', 'text', (c) => c.primaryKey())
    .addColumn('sent_seq', bigint, (c) => c.notNull())
    .addColumn('resend_from', bigint, (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
}

import { sql } from 'kysely';
import type { Database } from '../database.ts';
import type { Executor } from './introspect.ts';
import { immediateTransaction } from '../sqlite/immediate-transaction.ts';

/** Arbitrary but fixed: every Strongbox instance on one PostgreSQL database contends for it. */
const LOCK_KEY = 0x5b0c_7a11;

/**
 * Runs fn in a transaction that holds the schema-change lock from its first statement, so two
 * instances starting together apply each change once. PostgreSQL: an advisory transaction lock.
 * SQLite: BEGIN IMMEDIATE, because a deferred transaction that reads and then writes fails with
 * SQLITE_BUSY when another connection wrote in between (busy_timeout cannot help there).
 */
export async function inMigrationTransaction<T>(db: Database, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.dialect === 'postgres') {
    return db.kysely.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(trx);
      return fn(trx);
    });
  }
  return immediateTransaction(db, fn);
}

import { sql } from 'kysely';
import type { Database } from './database.ts';

/** Fixed lock keys per job, distinct from the migration lock's. */
export const JOB_LOCKS = { backup: 0x5b0c_ba01, backupDrill: 0x5b0c_ba02 } as const;

/**
 * Runs `fn` only if no other instance holds the job's lock, and returns whether it ran.
 * PostgreSQL: a transaction-level advisory lock held on a connection of its own for as long as
 * fn runs (fn uses other connections); it is released even if this process dies. SQLite is one
 * machine: fn just runs.
 */
export async function withJobLock(db: Database, key: number, fn: () => Promise<void>): Promise<boolean> {
  if (db.dialect !== 'postgres') {
    await fn();
    return true;
  }
  return db.kysely.transaction().execute(async (trx) => {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${key}) as ok`.execute(trx);
    if (rows[0]?.ok !== true) return false;
    await fn();
    return true;
  });
}

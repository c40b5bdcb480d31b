import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/**
 * A SQLite transaction that takes the write lock at BEGIN (BEGIN IMMEDIATE), so reading and then
 * writing inside it cannot fail with SQLITE_BUSY when another process wrote in between. A failed
 * rollback never hides the error that caused it.
 */
export function immediateTransaction<T>(db: Database, fn: (trx: Executor) => Promise<T>): Promise<T> {
  return db.kysely.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const out = await fn(conn);
      await sql`commit`.execute(conn);
      return out;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

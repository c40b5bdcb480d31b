import { sql } from 'kysely';
import type { Database } from './database.ts';

/** Hits one instance counted for one (key, window) since its last flush. */
export interface CounterIncrement {
  /** `${windowStart}:${key}`: the row's primary key */
  readonly bucket: string;
  readonly key: string;
  readonly add: number;
  /** when the window ends, ms since the epoch (prunable after) */
  readonly expires: number;
}

const TABLE = '_sb_rate_limits';
// SQLite binds at most 32,766 values per statement; 4 per row.
const SQLITE_CHUNK = 500;

/**
 * Adds every increment to its shared row (created at `add` when missing) and returns each
 * bucket's new total, every instance's hits included: one statement, one round trip on
 * PostgreSQL whatever the number of buckets (arrays through unnest, so the SQL text, and the
 * named prepared statement, never change).
 */
export async function addCounters(db: Database, incs: readonly CounterIncrement[]): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  if (incs.length === 0) return totals;
  if (db.dialect === 'postgres') {
    const { rows } = await sql<{ bucket: string; count: number }>`insert into ${sql.table(TABLE)} (bucket, key, count, expires)
      select * from unnest(${incs.map((i) => i.bucket)}::text[], ${incs.map((i) => i.key)}::text[],
        ${incs.map((i) => i.add)}::integer[], ${incs.map((i) => i.expires)}::bigint[])
      on conflict (bucket) do update set count = ${sql.ref(`${TABLE}.count`)} + excluded.count
      returning bucket, count`.execute(db.kysely);
    for (const r of rows) totals.set(r.bucket, Number(r.count));
    return totals;
  }
  for (let i = 0; i < incs.length; i += SQLITE_CHUNK) {
    const rows = await db.kysely.insertInto(TABLE)
      .values(incs.slice(i, i + SQLITE_CHUNK).map((x) => ({ bucket: x.bucket, key: x.key, count: x.add, expires: x.expires })))
      .onConflict((oc) => oc.column('bucket').doUpdateSet((eb) => ({ count: eb(`${TABLE}.count`, '+', eb.ref('excluded.count')) })))
      .returning(['bucket', 'count'])
      .execute() as { bucket: string; count: number }[];
    for (const r of rows) totals.set(r.bucket, Number(r.count));
  }
  return totals;
}

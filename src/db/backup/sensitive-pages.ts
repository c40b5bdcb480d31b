import { sql } from 'kysely';
import type { Database } from '../database.ts';

export interface SensitivePage {
  /** id, _sv and the fields, per row. */
  readonly rows: readonly Record<string, unknown>[];
  /** Where the next page starts (pass it back as `after`). */
  readonly next: number | string | null;
}

/**
 * A page of a collection's stored sensitive values, in storage order after `after` (null: from
 * the start). SQLite: by rowid, the order a restore inserted them in, so a reader can follow a
 * restore that is still committing rows (later rows only ever come after). PostgreSQL: by id.
 */
export async function readSensitivePage(db: Database, table: string, fields: readonly string[], after: number | string | null, limit: number): Promise<SensitivePage> {
  const cols = sql.join(['id', '_sv', ...fields].map((c) => sql.ref(c)));
  if (db.dialect === 'sqlite') {
    const { rows } = await sql<Record<string, unknown>>`select _rowid_ as _r, ${cols} from ${sql.table(table)}
      where _rowid_ > ${after ?? 0} order by _rowid_ limit ${limit}`.execute(db.kysely);
    return { rows, next: rows.length > 0 ? Number(rows[rows.length - 1]!._r) : after };
  }
  const { rows } = after === null
    ? await sql<Record<string, unknown>>`select ${cols} from ${sql.table(table)} order by id limit ${limit}`.execute(db.kysely)
    : await sql<Record<string, unknown>>`select ${cols} from ${sql.table(table)} where id > ${after} order by id limit ${limit}`.execute(db.kysely);
  return { rows, next: rows.length > 0 ? String(rows[rows.length - 1]!.id) : after };
}

import type { CollectionDef } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

interface DriverError { code?: unknown; message?: unknown; detail?: unknown; constraint?: unknown }

/** The column a unique violation names, when the driver error is one: SQLite or PostgreSQL 23505. */
function violatedColumn(err: unknown, table: string): string | null | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as DriverError;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: notes.title" (only the first column of a composite is used)
    const m = typeof e.message === 'string' ? /failed: ([^\s,]+)/.exec(e.message) : null;
    const qualified = m?.[1] ?? '';
    return qualified.startsWith(`${table}.`) ? qualified.slice(table.length + 1) : null;
  }
  if (e.code === '23505') {
    // detail "Key (title)=(…) already exists." carries the value too; only the name is kept.
    const m = typeof e.detail === 'string' ? /^Key \("?([A-Za-z0-9_]+)"?[,)]/.exec(e.detail) : null;
    return m?.[1] ?? null;
  }
  return undefined;
}

/**
 * Turns a unique violation into ERR_CONFLICT naming the field (never the database text or the
 * clashing value); returns any other error unchanged so the edge reports it as ERR_INTERNAL.
 */
export function mapUniqueViolation(err: unknown, collection: CollectionDef): unknown {
  const raw = violatedColumn(err, collection.name);
  if (raw === undefined) return err;
  // A searchable sensitive field is unique through its blind index column.
  const column = raw !== null && raw.startsWith('_bi_') ? raw.slice(4) : raw;
  const known = column !== null && (column === 'id' || collection.fields.some((f) => f.name === column));
  if (!known) return new StrongboxError('ERR_CONFLICT', 'a unique value conflicts with an existing record', undefined, { cause: err });
  return new StrongboxError('ERR_CONFLICT', `another record already has this ${column}`, { fields: { [column]: 'must be unique' } }, { cause: err });
}

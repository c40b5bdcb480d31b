import { CompiledQuery } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Executor } from '../migrate/introspect.ts';

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * One statement that inserts a whole JSON Lines part (the reverse of sqlite-json-lines.ts): the
 * lines become one JSON array, SQLite parses each row once (to JSONB, materialized) and takes
 * column i as `->> i`. No JavaScript value per row or column: about a third less CPU than
 * parsing the rows with JSON.parse and binding every value. The value forms are those
 * value-coercion.ts gives (a JSON true is 1, a number an INTEGER or REAL, a string TEXT). Rows
 * that are not arrays of the table's width are left out, so the count tells them.
 */
function jsonLinesInsert(table: string, columns: readonly string[]): string {
  const values = columns.map((_, i) => `j ->> ${i}`).join(', ');
  return `with m(j) as materialized (select jsonb(value) from json_each('[' || replace(rtrim(cast(? as text), char(10)), char(10), ',') || ']'))
    insert into ${quote(table)} (${columns.map(quote).join(', ')})
    select ${values} from m where json_type(j) = 'array' and json_array_length(j) = ${columns.length}`;
}

const invalidRow = (table: string, why: string): StrongboxError =>
  new StrongboxError('ERR_BACKUP_INVALID', `The backup archive is invalid: a row of ${table} ${why}.`);

/**
 * Inserts the `count` lines of `data` into `table` (SQLite); a line that is not JSON, or a row of
 * the wrong shape, is ERR_BACKUP_INVALID as when JavaScript parses them. The line structure is
 * trusted only as far as the part's SHA-256, which the restore checks before it commits: bytes
 * that would split or join lines differently fail that check.
 */
export async function insertJsonLines(trx: Executor, table: string, columns: readonly string[], data: Buffer, count: number): Promise<void> {
  let inserted: number;
  try {
    const r = await trx.executeQuery(CompiledQuery.raw(jsonLinesInsert(table, columns), [data]));
    inserted = Number(r.numAffectedRows ?? 0);
  } catch (err) {
    if (err instanceof Error && /malformed JSON/i.test(err.message)) throw invalidRow(table, 'is not JSON');
    throw err;
  }
  if (inserted !== count) throw invalidRow(table, 'has the wrong shape');
}

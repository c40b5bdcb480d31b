import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** One column value to replace, only if the row still holds `from`. */
export interface CasChange {
  readonly id: string;
  readonly column: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Rewrites many (row, column) values, one UPDATE per column, each only where the column still holds the
 * expected old value (compare-and-set): a concurrent write that changed it in the meantime wins
 * and is never overwritten. Returns nothing: a skipped value is simply left for the writer's own.
 */
export async function compareAndSetMany(exec: Executor, table: string, changes: readonly CasChange[]): Promise<void> {
  if (changes.length === 0) return;
  const byColumn = new Map<string, CasChange[]>();
  for (const c of changes) {
    const list = byColumn.get(c.column);
    if (list) list.push(c);
    else byColumn.set(c.column, [c]);
  }
  // One UPDATE … FROM (VALUES …) per column: a join on the primary key, not a CASE scanned per row.
  for (const [column, list] of byColumn) {
    const rows = sql.join(list.map((c) => sql`(${c.id}, ${c.from}, ${c.to})`));
    const t = sql.table(table);
    const col = sql.ref(column);
    await sql`update ${t} set ${col} = v.new_value
      from (select column1 as row_id, column2 as old_value, column3 as new_value from (values ${rows}) as changes) as v
      where ${sql.ref(`${table}.id`)} = v.row_id and ${sql.ref(`${table}.${column}`)} = v.old_value`.execute(exec);
  }
}

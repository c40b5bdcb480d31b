import { sql, type Kysely, type RawBuilder } from 'kysely';

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
 * Rewrites many (row, column) values in one UPDATE, each only where the column still holds the
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
  const set: Record<string, RawBuilder<unknown>> = {};
  for (const [column, list] of byColumn) {
    const col = sql.ref(column);
    const whens = list.map((c) => sql`when ${sql.ref('id')} = ${c.id} and ${col} = ${c.from} then ${c.to}`);
    set[column] = sql`case ${sql.join(whens, sql` `)} else ${col} end`;
  }
  const ids = [...new Set(changes.map((c) => c.id))];
  await exec.updateTable(table).set(set).where('id', 'in', ids).execute();
}

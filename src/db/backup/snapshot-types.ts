import type { Dialect } from '../database.ts';
import type { ArchiveStorage } from './value-coercion.ts';

/** A column as the catalog names it; `type` is the database's own type name (lower case). */
export interface SnapshotColumn {
  readonly name: string;
  readonly type: string;
}

export interface SnapshotTable {
  readonly name: string;
  readonly columns: readonly SnapshotColumn[];
  /** Tables this one references by foreign key (restored first). */
  readonly parents: readonly string[];
}

export interface JsonLinesPage {
  readonly text: string;
  readonly rows: number;
}

/**
 * One consistent, read-only view of a whole database: every table as of one instant, while
 * writers carry on. Rows come as arrays in `columns` order, as the driver returns them.
 */
export interface DatabaseSnapshot {
  readonly dialect: Dialect;
  /** Every base table, parents before children. */
  readonly tables: readonly SnapshotTable[];
  rows(table: SnapshotTable, batchSize: number): AsyncIterable<unknown[][]>;
  /**
   * The table's rows already written as archive JSON Lines by the database (one text per page,
   * every line ending in a newline), or null where the dialect or a column type cannot: the
   * caller then encodes rows() itself. Pages are sized to take a few milliseconds each.
   */
  jsonLines?(table: SnapshotTable, columns: readonly { name: string; storage: ArchiveStorage }[]): AsyncIterable<JsonLinesPage> | null;
  count(table: SnapshotTable): Promise<number>;
  close(): Promise<void>;
}

/** Parents before children; tables in a cycle (none today) keep their name order. */
export function orderByParents(tables: SnapshotTable[]): SnapshotTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: SnapshotTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: SnapshotTable): void => {
    if (state.get(t.name) !== undefined) return;
    state.set(t.name, 'visiting');
    for (const p of [...t.parents].sort()) {
      const parent = byName.get(p);
      if (parent !== undefined && p !== t.name) visit(parent);
    }
    state.set(t.name, 'done');
    out.push(t);
  };
  for (const t of [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) visit(t);
  return out;
}

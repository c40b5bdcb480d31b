import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { storageFromSql } from './column-types.ts';
import type { ColumnModel, IndexModel, TableModel } from './table-model.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Kysely<any>;

/** Names of the tables in the database (the current schema on PostgreSQL). */
export async function listTables(exec: Executor, dialect: Dialect): Promise<Set<string>> {
  const q = dialect === 'sqlite'
    ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
    : sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  const { rows } = await q.execute(exec);
  return new Set(rows.map((r) => r.name));
}

interface RawColumn { name: string; type: string; not_null: unknown; pk: unknown }
interface RawIndex { name: string; unique: unknown; column: string }

/** Reads a table's columns and its Strongbox-managed single-column indexes; null when it is absent. */
export async function introspectTable(exec: Executor, dialect: Dialect, table: string): Promise<TableModel | null> {
  const colQ = dialect === 'sqlite'
    ? sql<RawColumn>`select name, type, "notnull" as not_null, pk from pragma_table_info(${table})`
    : sql<RawColumn>`select c.column_name as name, c.data_type as type, (c.is_nullable = 'NO') as not_null,
        exists (select 1 from information_schema.table_constraints tc
          join information_schema.key_column_usage k on k.constraint_name = tc.constraint_name
            and k.table_schema = tc.table_schema and k.table_name = tc.table_name
          where tc.constraint_type = 'PRIMARY KEY' and tc.table_schema = c.table_schema
            and tc.table_name = c.table_name and k.column_name = c.column_name) as pk
        from information_schema.columns c
        where c.table_schema = current_schema() and c.table_name = ${table}
        order by c.ordinal_position`;
  const cols = (await colQ.execute(exec)).rows;
  if (cols.length === 0) return null;
  const columns: ColumnModel[] = cols.map((c) => ({
    name: c.name,
    // A column of a type Strongbox never makes reads as text: comparing it fails as a type change.
    storage: storageFromSql(c.type, dialect) ?? 'text',
    notNull: truthy(c.not_null),
    primaryKey: truthy(c.pk),
  }));
  const idxQ = dialect === 'sqlite'
    ? sql<RawIndex>`select il.name as name, il."unique" as "unique", ii.name as "column"
        from pragma_index_list(${table}) il join pragma_index_info(il.name) ii
        where (select count(*) from pragma_index_info(il.name)) = 1`
    : sql<RawIndex>`select i.relname as name, ix.indisunique as "unique", a.attname as "column"
        from pg_index ix
        join pg_class t on t.oid = ix.indrelid
        join pg_class i on i.oid = ix.indexrelid
        join pg_namespace n on n.oid = t.relnamespace
        join pg_attribute a on a.attrelid = t.oid and a.attnum = ix.indkey[0]
        where n.nspname = current_schema() and t.relname = ${table} and ix.indnatts = 1`;
  const indexes: IndexModel[] = [];
  for (const r of (await idxQ.execute(exec)).rows) {
    const unique = truthy(r.unique);
    const expected = `${unique ? 'uq' : 'ix'}_${table}__${r.column}`;
    if (r.name === expected) indexes.push({ name: r.name, column: r.column, unique });
  }
  return { name: table, columns, indexes };
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 1n || v === '1' || v === 't';
}

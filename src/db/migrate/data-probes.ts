import { sql } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import type { Executor } from './introspect.ts';

/** Questions the planner asks about existing rows, to tell additive changes from ones rows break. */

export async function countRows(exec: Executor, table: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}`.execute(exec);
  return Number(rows[0]?.n ?? 0);
}

export async function countNulls(exec: Executor, table: string, column: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}
    where ${sql.ref(column)} is null`.execute(exec);
  return Number(rows[0]?.n ?? 0);
}

/** Rows that would lose their value if a unique index kept only the oldest row per value. */
export async function countDuplicates(exec: Executor, table: string, column: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select coalesce(sum(c - 1), 0) as n from (
      select count(*) as c from ${sql.table(table)} where ${sql.ref(column)} is not null
      group by ${sql.ref(column)} having count(*) > 1) d`.execute(exec);
  return Number(rows[0]?.n ?? 0);
}

/** The last applied definition of each collection (empty before the system tables exist). */
export async function readSnapshots(exec: Executor, tables: ReadonlySet<string>): Promise<Map<string, CollectionDef>> {
  const out = new Map<string, CollectionDef>();
  if (!tables.has('_sb_collections')) return out;
  const rows = await exec.selectFrom('_sb_collections').select(['name', 'definition']).execute();
  for (const r of rows as { name: string; definition: unknown }[]) {
    const def = typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition;
    out.set(r.name, def as CollectionDef);
  }
  return out;
}

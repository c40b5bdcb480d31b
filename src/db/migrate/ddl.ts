import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { indexName, sqlTypeOf, uniqueName, type Storage } from './column-types.ts';
import { findColumn, type ColumnModel, type IndexModel, type TableModel } from './table-model.ts';

/**
 * DDL built with Kysely's schema builder from a TableModel, each function also updating the
 * model so later steps see the table as it will be. Nothing here runs SQL: it returns compiled
 * statements, so --dry-run prints exactly what apply executes.
 *
 * Choices kept simple on purpose:
 * - No SQL DEFAULT clauses: the record pipeline fills defaults; a backfill is an explicit UPDATE.
 * - SQLite tables are STRICT, so a value of the wrong type fails as it does on PostgreSQL.
 * - SQLite cannot ALTER a column's NOT NULL: it gets the documented rebuild (new table, copy,
 *   drop, rename, re-create indexes) inside the migration's transaction.
 */
export interface DdlCtx {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kysely: Kysely<any>;
  readonly dialect: Dialect;
}

export function createTableDdl(ctx: DdlCtx, t: TableModel, name = t.name): CompiledQuery {
  let b = ctx.kysely.schema.createTable(name);
  for (const c of t.columns) {
    b = b.addColumn(c.name, sqlTypeOf(c.storage, ctx.dialect), (col) => {
      if (c.primaryKey) return col.primaryKey();
      return c.notNull ? col.notNull() : col;
    });
  }
  if (ctx.dialect === 'sqlite') b = b.modifyEnd(sql`strict`);
  return b.compile();
}

export function createIndexDdl(ctx: DdlCtx, t: TableModel, column: string, unique: boolean): CompiledQuery {
  const name = unique ? uniqueName(t.name, column) : indexName(t.name, column);
  t.indexes.push({ name, column, unique });
  const b = ctx.kysely.schema.createIndex(name).on(t.name).column(column);
  return (unique ? b.unique() : b).compile();
}

export function dropIndexDdl(ctx: DdlCtx, t: TableModel, index: IndexModel): CompiledQuery {
  t.indexes = t.indexes.filter((i) => i.name !== index.name);
  return ctx.kysely.schema.dropIndex(index.name).compile();
}

/** Drops the column and, first, its indexes (SQLite refuses to drop an indexed column). */
export function dropColumnDdl(ctx: DdlCtx, t: TableModel, column: string): CompiledQuery[] {
  const out = t.indexes.filter((i) => i.column === column).map((i) => dropIndexDdl(ctx, t, i));
  t.columns = t.columns.filter((c) => c.name !== column);
  out.push(ctx.kysely.schema.alterTable(t.name).dropColumn(column).compile());
  return out;
}

/** Adds a nullable column; NOT NULL comes later, only once every row has a value. */
export function addColumnDdl(ctx: DdlCtx, t: TableModel, column: string, storage: Storage): CompiledQuery {
  t.columns.push({ name: column, storage, notNull: false, primaryKey: false });
  return ctx.kysely.schema.alterTable(t.name).addColumn(column, sqlTypeOf(storage, ctx.dialect)).compile();
}

/** Sets every NULL in the column to the (already encoded) value, bound as a parameter. */
export function fillNullsDdl(ctx: DdlCtx, t: TableModel, column: string, value: unknown): CompiledQuery {
  return ctx.kysely.updateTable(t.name).set({ [column]: value }).where(column, 'is', null).compile();
}

/** Keeps the value on the oldest row per value and clears it on the later duplicates. */
export function clearDuplicatesDdl(ctx: DdlCtx, t: TableModel, column: string): CompiledQuery {
  const tbl = sql.table(t.name);
  const col = sql.ref(column);
  return sql`update ${tbl} set ${col} = null where ${col} is not null and exists (
      select 1 from ${tbl} as o where o.${col} = ${tbl}.${col}
      and (o.created < ${tbl}.created or (o.created = ${tbl}.created and o.id < ${tbl}.id)))`.compile(ctx.kysely);
}

export function setNotNullDdl(ctx: DdlCtx, t: TableModel, column: string, notNull: boolean): CompiledQuery[] {
  const c = findColumn(t, column);
  if (!c || c.notNull === notNull) return [];
  c.notNull = notNull;
  if (ctx.dialect === 'postgres') {
    return [ctx.kysely.schema.alterTable(t.name)
      .alterColumn(column, (ac) => (notNull ? ac.setNotNull() : ac.dropNotNull())).compile()];
  }
  return sqliteRebuild(ctx, t);
}

/** SQLite's 12-step table rebuild, minus the parts that do not apply (no views, triggers or foreign keys point at collection tables). */
function sqliteRebuild(ctx: DdlCtx, t: TableModel): CompiledQuery[] {
  const tmp = `_sb_rebuild_${t.name}`;
  const names = t.columns.map((c: ColumnModel) => c.name);
  const out: CompiledQuery[] = [createTableDdl(ctx, t, tmp)];
  out.push(ctx.kysely.insertInto(tmp).columns(names)
    .expression(ctx.kysely.selectFrom(t.name).select(names)).compile());
  out.push(ctx.kysely.schema.dropTable(t.name).compile());
  out.push(ctx.kysely.schema.alterTable(tmp).renameTo(t.name).compile());
  const indexes = t.indexes;
  t.indexes = [];
  for (const i of indexes) out.push(createIndexDdl(ctx, t, i.column, i.unique));
  return out;
}

import { CompiledQuery, sql } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database, Dialect } from '../database.ts';
import type { Executor } from '../migrate/introspect.ts';
import { inMigrationTransaction } from '../migrate/migration-lock.ts';
import { planWith } from '../migrate/plan-migration.ts';
import { SYSTEM_MIGRATIONS } from '../migrate/system-migrations.ts';
import { insertJsonLines } from './sqlite-json-insert.ts';
import { archiveStorageOf, coercerFor, type Coercer } from './value-coercion.ts';

interface TargetColumn { readonly type: string; readonly coerce: Coercer }

/**
 * Tables a first start fills by itself (migrations, collection snapshots, the keyring's
 * freshly made keys): rows there do not make a database "not empty".
 */
const BOOTSTRAP_TABLES = new Set(['_sb_migrations', '_sb_collections', '_sb_keys', '_sb_audit_head']);

/** SQL text of one multi-row insert on SQLite, at most (characters; "(?, ?, …)" per row). */
const SQLITE_INSERT_CHARS = 10_000;

/** What a restore does inside its one transaction. */
export interface RestoreWriter {
  /** Creates the system tables of exactly these migration versions. */
  createSystemTables(versions: readonly number[]): Promise<void>;
  /** Creates the collection tables (and indexes) from their definitions. */
  createCollections(defs: readonly CollectionDef[]): Promise<void>;
  /** Inserts rows given as arrays in `columns` order, values in the archive's logical form. */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Inserts a JSON Lines part (`count` lines, one array per row in `columns` order) where the
   * target parses it itself: SQLite, when no column needs JavaScript (a blob's base64). False
   * when it cannot: the caller parses the rows and calls insert.
   */
  insertPart(table: string, columns: readonly string[], data: Buffer, count: number): Promise<boolean>;
  countRows(table: string): Promise<number>;
  /**
   * SQLite only, for a scratch database that is thrown away (backup verify): commits what is
   * restored so far and opens the next transaction, so other connections can check it while the
   * rest streams in. The restore is then no longer atomic: a failure leaves it half done.
   */
  unsafeCommit(): Promise<void>;
}

export interface RestoreOptions {
  /** Drop whatever is there; the caller has backed it up first. */
  readonly force: boolean;
}

/**
 * Runs a whole restore in one transaction under the migration lock: the target's tables are
 * dropped, the backup's schema made and its rows inserted; fn throwing (a failed check, a
 * damaged archive) or the process dying leaves the target exactly as it was.
 */
export async function restoreInTransaction(db: Database, opts: RestoreOptions, fn: (w: RestoreWriter) => Promise<void>): Promise<void> {
  await inMigrationTransaction(db, async (trx) => {
    const tables = await listBaseTables(trx, db.dialect);
    if (!opts.force) {
      const t = await firstTableWithData(trx, tables);
      if (t !== null) {
        throw new StrongboxError('ERR_BACKUP_TARGET_NOT_EMPTY',
          `The target database is not empty (table "${t}" has rows); restore into an empty database, or pass --force (which backs it up first).`);
      }
    }
    if (db.dialect === 'sqlite') await sql`pragma defer_foreign_keys = on`.execute(trx);
    await dropAll(trx, db.dialect, tables);
    await fn(makeWriter(trx, db.dialect));
  });
}

async function firstTableWithData(exec: Executor, tables: readonly string[]): Promise<string | null> {
  for (const t of tables) {
    if (!BOOTSTRAP_TABLES.has(t) && await countRows(exec, t) > 0) return t;
  }
  return null;
}

/** True when the database holds data a restore would replace (accounts, records, audit events…). */
export async function hasData(db: Database): Promise<boolean> {
  return (await firstTableWithData(db.kysely, await listBaseTables(db.kysely, db.dialect))) !== null;
}

function makeWriter(trx: Executor, dialect: Dialect): RestoreWriter {
  const tables = new Map<string, Map<string, TargetColumn>>();
  /** The target's columns for these archive columns, once the table's seeded rows are gone. */
  const columnsOf = async (table: string, columns: readonly string[]): Promise<TargetColumn[]> => {
    let target = tables.get(table);
    if (target === undefined) {
      target = new Map();
      for (const c of await columnTypes(trx, dialect, table)) target.set(c.name, { type: c.type, coerce: coercerFor(c.type, dialect) });
      tables.set(table, target);
      if (target.size === 0) throw new StrongboxError('ERR_BACKUP_INCOMPATIBLE', `The backup has a table "${table}" that this Strongbox does not create.`);
      // a migration may seed a row (the audit chain's head): the backup's rows replace it
      if (await countRows(trx, table) > 0) await trx.deleteFrom(table).execute();
    }
    return columns.map((c) => {
      const t = target.get(c);
      if (t === undefined) throw new StrongboxError('ERR_BACKUP_INCOMPATIBLE', `The backup has a column "${table}.${c}" that this Strongbox does not create.`);
      return t;
    });
  };
  const texts = new Map<string, string>();
  const insertText = (table: string, columns: readonly string[], n: number): string => {
    const key = `${table}\u0000${n}\u0000${columns.join('\u0000')}`;
    let text = texts.get(key);
    if (text === undefined) {
      // Kysely compiles the statement (quoting, placeholders); it is then reused as text
      const values = Array.from({ length: n }, () => Object.fromEntries(columns.map((c) => [c, null])));
      text = trx.insertInto(table).values(values).compile().sql;
      texts.set(key, text);
    }
    return text;
  };
  return {
    async createSystemTables(versions) {
      await trx.schema.createTable('_sb_migrations').ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text')
        .addColumn('applied', 'text')
        .execute();
      for (const m of [...SYSTEM_MIGRATIONS].sort((a, b) => a.version - b.version)) {
        if (!versions.includes(m.version)) continue;
        await m.up(trx, dialect);
        await trx.insertInto('_sb_migrations').values({ version: m.version, name: m.name, applied: new Date().toISOString() }).execute();
      }
    },
    async createCollections(defs) {
      const plan = await planWith(trx, dialect, defs);
      for (const step of plan.steps) {
        if (step.destructive || step.kind.startsWith('drop')) throw new StrongboxError('ERR_BACKUP_INCOMPATIBLE', `Restoring the schema needs an unexpected step: ${step.description}.`);
        for (const q of step.queries) await trx.executeQuery(q);
      }
    },
    async insert(table, columns, rows) {
      if (rows.length === 0) return;
      const coerce = (await columnsOf(table, columns)).map((c) => c.coerce);
      // One statement text per table and batch size, compiled once: only the values change. On
      // SQLite the text stays short enough for the prepared-statement cache to keep it
      // (sqlite/statement-cache.ts), or every batch would be parsed and planned again.
      const perBatch = dialect === 'sqlite'
        ? Math.max(1, Math.min(500, Math.floor(SQLITE_INSERT_CHARS / (3 * columns.length + 4))))
        : Math.max(1, Math.min(1000, Math.floor(30_000 / Math.max(1, columns.length))));
      const width = columns.length;
      for (let i = 0; i < rows.length; i += perBatch) {
        const batch = rows.slice(i, i + perBatch);
        const text = insertText(table, columns, batch.length);
        const params = new Array<unknown>(batch.length * width);
        let k = 0;
        for (const row of batch) for (let j = 0; j < width; j++) params[k++] = coerce[j]!(row[j]);
        await trx.executeQuery(CompiledQuery.raw(text, params));
      }
    },
    async insertPart(table, columns, data, count) {
      if (dialect !== 'sqlite' || count === 0) return false;
      const target = await columnsOf(table, columns);
      // SQLite has no base64: a blob column takes the JavaScript path
      if (target.some((c) => archiveStorageOf(c.type, dialect) === 'blob')) return false;
      await insertJsonLines(trx, table, columns, data, count);
      return true;
    },
    countRows: (table) => countRows(trx, table),
    async unsafeCommit() {
      if (dialect !== 'sqlite') throw new StrongboxError('ERR_INTERNAL', 'A restore commits in parts only into a SQLite scratch database.');
      await sql`commit`.execute(trx);
      await sql`begin immediate`.execute(trx);
      await sql`pragma defer_foreign_keys = on`.execute(trx);
    },
  };
}

async function listBaseTables(exec: Executor, dialect: Dialect): Promise<string[]> {
  const q = dialect === 'sqlite'
    ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
    : sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  return (await q.execute(exec)).rows.map((r) => r.name);
}

async function countRows(exec: Executor, table: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}`.execute(exec);
  return Number(rows[0]?.n ?? 0);
}

async function dropAll(exec: Executor, dialect: Dialect, tables: readonly string[]): Promise<void> {
  if (dialect === 'postgres') {
    // trigger functions (the audit guards) outlive their tables; the migrations make them again
    const fns = (await sql<{ sig: string }>`select p.oid::regprocedure::text as sig from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace where n.nspname = current_schema() and p.prokind = 'f'`.execute(exec)).rows;
    for (const t of tables) await sql`drop table if exists ${sql.table(t)} cascade`.execute(exec);
    for (const f of fns) await sql`drop function if exists ${sql.raw(f.sig)} cascade`.execute(exec);
    return;
  }
  for (const t of tables) await sql`drop table if exists ${sql.table(t)}`.execute(exec);
}

async function columnTypes(exec: Executor, dialect: Dialect, table: string): Promise<{ name: string; type: string }[]> {
  const q = dialect === 'sqlite'
    ? sql<{ name: string; type: string }>`select name, type from pragma_table_info(${table})`
    : sql<{ name: string; type: string }>`select column_name as name, data_type as type from information_schema.columns
        where table_schema = current_schema() and table_name = ${table}`;
  return (await q.execute(exec)).rows.map((r) => ({ name: r.name, type: r.type.trim().toLowerCase() }));
}

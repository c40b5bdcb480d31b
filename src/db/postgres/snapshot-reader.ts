import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.ts';
import { orderByParents, type DatabaseSnapshot, type SnapshotTable } from '../backup/snapshot-types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Conn = Kysely<any>;

/**
 * A snapshot in one REPEATABLE READ, READ ONLY transaction on a connection of its own: every
 * table as of the transaction's first query, while other connections write. Rows are read
 * through a server-side cursor, a batch at a time.
 */
export async function openPostgresSnapshot(db: Database): Promise<DatabaseSnapshot> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let ready!: (conn: Conn) => void;
  let failed!: (err: unknown) => void;
  const connReady = new Promise<Conn>((resolve, reject) => { ready = resolve; failed = reject; });
  const done = db.kysely.connection().execute(async (conn) => {
    await sql`begin isolation level repeatable read read only`.execute(conn);
    try {
      ready(conn);
      await released;
    } finally {
      await sql`rollback`.execute(conn);
    }
  }).catch((err: unknown) => { failed(err); });
  const conn = await connReady;
  try {
    const names = (await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(conn)).rows.map((r) => r.name);
    const tables: SnapshotTable[] = [];
    for (const name of names) {
      const columns = (await sql<{ name: string; type: string }>`select column_name as name, data_type as type
        from information_schema.columns where table_schema = current_schema() and table_name = ${name}
        order by ordinal_position`.execute(conn)).rows.map((c) => ({ name: c.name, type: c.type.toLowerCase() }));
      const parents = (await sql<{ t: string }>`select distinct cf.relname as t from pg_constraint c
        join pg_class ct on ct.oid = c.conrelid join pg_class cf on cf.oid = c.confrelid
        join pg_namespace n on n.oid = ct.relnamespace
        where c.contype = 'f' and n.nspname = current_schema() and ct.relname = ${name}`.execute(conn)).rows.map((r) => r.t);
      tables.push({ name, columns, parents });
    }
    let cursors = 0;
    return {
      dialect: 'postgres',
      tables: orderByParents(tables),
      async *rows(table, batchSize) {
        const cursor = `sb_backup_${++cursors}`;
        const cols = sql.join(table.columns.map((c) => sql.ref(c.name)));
        await sql`declare ${sql.id(cursor)} no scroll cursor for select ${cols} from ${sql.table(table.name)}`.execute(conn);
        try {
          for (;;) {
            const { rows } = await sql<Record<string, unknown>>`fetch forward ${sql.lit(batchSize)} from ${sql.id(cursor)}`.execute(conn);
            if (rows.length === 0) break;
            yield rows.map((r) => table.columns.map((c) => r[c.name]));
          }
        } finally {
          await sql`close ${sql.id(cursor)}`.execute(conn);
        }
      },
      async count(table) {
        const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table.name)}`.execute(conn);
        return Number(rows[0]?.n ?? 0);
      },
      async close() {
        release();
        await done;
      },
    };
  } catch (err) {
    release();
    await done;
    throw err;
  }
}

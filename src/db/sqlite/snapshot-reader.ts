import BetterSqlite3 from 'better-sqlite3';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { sqliteJsonLinesQuery } from '../backup/sqlite-json-lines.ts';
import { orderByParents, type DatabaseSnapshot, type JsonLinesPage, type SnapshotTable } from '../backup/snapshot-types.ts';

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
// JSON Lines pages: sized so each takes about this long, between these bounds (rows)
const PAGE_MS = 4;
const PAGE_MIN = 64;
const PAGE_MAX = 16_384;
const MIN_ROWID = -(2n ** 63n); // pages start after it: a rowid may be negative (SQLite assigns only positive ones)

/**
 * A snapshot through a second, read-only connection to the same file: one WAL read transaction,
 * so the server's connection keeps writing while the snapshot stays at its first read. Batches
 * hand the event loop back between them.
 */
export function openSqliteSnapshot(path: string): DatabaseSnapshot {
  if (path === ':memory:') throw new StrongboxError('ERR_BACKUP_SOURCE', 'An in-memory SQLite database cannot be backed up.');
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    raw.pragma('busy_timeout = 5000');
  } catch (cause) {
    throw new StrongboxError('ERR_UNAVAILABLE', 'The SQLite database file cannot be opened for a backup.', undefined, { cause });
  }
  raw.prepare('BEGIN DEFERRED').run();
  // The first read pins the snapshot: every read after it sees the database as of now.
  const names = raw.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
    .pluck().all() as string[];
  const tables: SnapshotTable[] = names.map((name) => {
    const columns = (raw.prepare('select name, type from pragma_table_info(?) order by cid').all(name) as { name: string; type: string }[])
      .map((c) => ({ name: c.name, type: c.type.trim().toLowerCase() }));
    const parents = [...new Set(raw.prepare('select "table" as t from pragma_foreign_key_list(?)').pluck().all(name) as string[])];
    return { name, columns, parents };
  });
  let closed = false;
  return {
    dialect: 'sqlite',
    tables: orderByParents(tables),
    async *rows(table, batchSize) {
      const cols = table.columns.map((c) => quote(c.name)).join(', ');
      // Pages in rowid order: .all() per page is several times cheaper than a row-by-row iterator.
      let page: BetterSqlite3.Statement;
      try {
        page = raw.prepare(`select _rowid_, ${cols} from ${quote(table.name)} where _rowid_ > ? order by _rowid_ limit ?`).raw(true);
      } catch {
        // a WITHOUT ROWID table (Strongbox makes none): one pass
        yield raw.prepare(`select ${cols} from ${quote(table.name)}`).raw(true).all() as unknown[][];
        return;
      }
      let last: number | bigint = MIN_ROWID;
      for (;;) {
        const rows = page.all(last, batchSize) as unknown[][];
        if (rows.length === 0) break;
        last = rows[rows.length - 1]![0] as number;
        for (const r of rows) r.shift();
        yield rows;
        if (rows.length < batchSize) break;
        await yieldToLoop();
      }
    },
    jsonLines(table, columns) {
      const text = sqliteJsonLinesQuery(table.name, columns);
      if (text === null) return null;
      let stmt: BetterSqlite3.Statement;
      try {
        stmt = raw.prepare(text);
      } catch {
        return null; // a WITHOUT ROWID table: the row path reads it
      }
      return (async function* (): AsyncGenerator<JsonLinesPage> {
        let last: number | bigint = MIN_ROWID;
        let size = 512;
        for (;;) {
          const t0 = performance.now();
          const page = stmt.get(last, size) as { n: number; last: number | bigint | null; text: string | null };
          if (page.n === 0 || page.text === null || page.last === null) return;
          yield { text: page.text, rows: page.n };
          if (page.n < size) return;
          last = page.last;
          // aim each page at PAGE_MS, so a caller on the event loop stays responsive
          const ms = Math.max(0.05, performance.now() - t0);
          size = Math.round(Math.min(PAGE_MAX, Math.max(PAGE_MIN, size * Math.min(2, PAGE_MS / ms))));
          await yieldToLoop();
        }
      })();
    },
    async count(table) {
      return Number(raw.prepare(`select count(*) from ${quote(table.name)}`).pluck().get());
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (raw.inTransaction) raw.prepare('COMMIT').run();
      } finally {
        raw.close();
      }
    },
  };
}

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database } from '../database.ts';
import { prepareSqliteFile, SQLITE_PRAGMAS } from './connection-options.ts';
import { DEFAULT_STATEMENT_CACHE_SIZE, StatementCache, type StatementCacheStats } from './statement-cache.ts';
import { ReadStatements } from './read-statements.ts';
import { ReadSnapshot } from './read-snapshot.ts';
import { ScanPool } from './scan-pool.ts';
import { WriteBatch } from './write-batch.ts';
import { ChangeStamp } from './change-stamp.ts';
import { ScanShapes } from './scan-shapes.ts';
import { cacheShares } from '../../util/cache-budget.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.ts';

export interface SqliteOptions {
  /** Prepared statements kept per database; default 500. */
  readonly statementCacheSize?: number;
  /** All in-process caches together, in bytes (default 64 MiB; this connection takes its shares). */
  readonly cacheBytes?: number;
  /** The time budget of one read, in milliseconds (default 2000). */
  readonly readTimeoutMs?: number;
}

export interface SqliteConnection {
  readonly database: Database;
  readonly stats: () => StatementCacheStats;
}

/** Opens one SQLite file (one connection: better-sqlite3 is synchronous, so more would not help). */
export function connectSqlite(path: string, opts: SqliteOptions = {}): SqliteConnection {
  let raw: BetterSqlite3.Database;
  try {
    prepareSqliteFile(path);
    raw = new BetterSqlite3(path);
  } catch (cause) {
    throw new StrongboxError('ERR_UNAVAILABLE', 'The SQLite database file cannot be opened.', undefined, { cause });
  }
  try {
    for (const pragma of SQLITE_PRAGMAS) raw.pragma(pragma);
  } catch (cause) {
    raw.close();
    throw new StrongboxError('ERR_UNAVAILABLE', 'The SQLite database cannot be configured (is it a database file?).', undefined, { cause });
  }
  // Checkpoints run on a background thread; the main connection keeps a far-off fallback.
  let checkpointer: Checkpointer | null = null;
  if (path !== ':memory:') {
    raw.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    checkpointer = startCheckpointer(path);
  }
  const shares = cacheShares(opts.cacheBytes);
  const cache = new StatementCache(raw, opts.statementCacheSize, shares.sqliteStatements);
  const snapshot = new ReadSnapshot(raw);
  const reads = new ReadStatements(raw, opts.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE, shares.sqliteReadStatements);
  // Every statement first ends the shared read snapshot. Every statement Kysely runs may change
  // the data a cached session was read from: the change stamp moves. The write batch's own
  // statements (its BEGIN, SAVEPOINT and COMMIT, the audit trail's appends and a record's insert,
  // see SyncWriter) write neither sessions nor accounts, and leave it.
  const stamp = new ChangeStamp(raw);
  const direct = (sql: string) => {
    snapshot.end();
    return cache.prepare(sql);
  };
  const forKysely = { prepare: (sql: string) => { stamp.bump(); return direct(sql); }, close: () => cache.close() };
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: forKysely }) });
  const readTimeoutMs = opts.readTimeoutMs ?? 2000;
  // An in-memory database cannot be opened by another connection: its scans stay on the loop.
  const scans = path === ':memory:' ? null : new ScanPool({
    path, maxBytes: shares.sqliteScanWorker, retryAfter: Math.ceil(readTimeoutMs / 1000),
  });
  const shapes = new ScanShapes(raw, shares.sqliteScanShapes);
  let closed = false;
  const writes = new WriteBatch(kysely, {
    writer: {
      run: (sql, parameters) => void direct(sql).run(parameters),
      get: (sql, parameters) => direct(sql).get(parameters) as Record<string, unknown> | undefined,
      all(sql, parameters) {
        const stmt = direct(sql);
        if (stmt.reader) return stmt.all(parameters) as Record<string, unknown>[];
        stmt.run(parameters);
        return [];
      },
    },
    control: (sql) => void direct(sql).run(),
  });
  const database: Database = {
    dialect: 'sqlite',
    kysely,
    write: (work) => writes.run(work),
    changeStamp() {
      if (closed) return stamp.bump();
      // inside the turn's read transaction: no lock calls of its own, one data_version read per snapshot
      return stamp.read(snapshot.enter() ? snapshot.current : null);
    },
    readWithin(sql, parameters, started) {
      if (closed || scans === null || !shapes.scans(sql, parameters)) return undefined;
      return scans.read(sql, parameters, started + readTimeoutMs);
    },
    readNow(sql, parameters) {
      if (closed) return undefined;
      // only statements that read and never write: anything else goes through Kysely's connection hand-off
      const read = reads.lookup(sql);
      if (read === null || !snapshot.enter()) return undefined;
      return ReadStatements.rows(read, parameters);
    },
    async close() {
      if (closed) return;
      closed = true;
      snapshot.end();
      await scans?.close();
      await checkpointer?.stop();
      // Kysely's destroy() skips a driver that never ran a query, so close the file ourselves too
      await kysely.destroy();
      reads.clear();
      cache.close();
    },
  };
  return { database, stats: () => cache.stats() };
}

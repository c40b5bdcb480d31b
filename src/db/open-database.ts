import type { DatabaseConfig } from '../config/config.ts';
import type { Database } from './database.ts';
import { connectPostgres } from './postgres/connect.ts';
import type { StatementCacheStats as PgStatementStats } from './postgres/statement-cache.ts';
import { connectSqlite } from './sqlite/connect.ts';
import type { StatementCacheStats as SqliteStatementStats } from './sqlite/statement-cache.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL pool size; default 10. Ignored for SQLite (one connection). */
  readonly poolSize?: number;
  /** Distinct prepared statements kept (SQLite: per database; PostgreSQL: per connection); default 500. */
  readonly statementCacheSize?: number;
  /** All in-process caches together, in bytes (limits.cacheMemory; default 64 MiB). */
  readonly cacheBytes?: number;
  /** The time budget of one read, in milliseconds (limits.readTimeout; default 2000). */
  readonly readTimeoutMs?: number;
  /** PostgreSQL: refuse less than sslmode=verify-full over TCP (production mode). */
  readonly requireVerifiedTls?: boolean;
}

export type StatementCacheStats =
  | ({ readonly dialect: 'sqlite' } & SqliteStatementStats)
  | ({ readonly dialect: 'postgres' } & PgStatementStats);

const statsByDatabase = new WeakMap<Database, () => StatementCacheStats>();

/**
 * Opens the configured database. SQLite: one WAL connection with a prepared-statement LRU.
 * PostgreSQL: a pg pool over TLS as the URL says, with named prepared statements. Connection
 * failures are ERR_UNAVAILABLE whose message never holds the URL or password (the cause is
 * kept for the log).
 */
export async function openDatabase(cfg: DatabaseConfig, opts: OpenDatabaseOptions = {}): Promise<Database> {
  if (cfg.kind === 'sqlite') {
    const { database, stats } = connectSqlite(cfg.path, opts);
    statsByDatabase.set(database, () => ({ dialect: 'sqlite', ...stats() }));
    return database;
  }
  const { database, stats } = await connectPostgres(cfg.url, cfg.password, opts);
  statsByDatabase.set(database, () => ({ dialect: 'postgres', ...stats() }));
  return database;
}

/** Statement cache counters for a database opened by openDatabase (for tests and `doctor`). */
export function statementCacheStats(db: Database): StatementCacheStats | undefined {
  return statsByDatabase.get(db)?.();
}

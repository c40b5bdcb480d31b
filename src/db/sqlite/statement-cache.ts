import type { Database as BetterSqlite, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { LruMap } from '../../util/lru-map.ts';
import { SecondSight } from '../../util/second-sight.ts';
import { CACHE_BUDGET, MAX_ENTRY_BYTES, sqliteStatementBytes } from '../../util/cache-budget.ts';

/** Counters a test or `doctor` can read to see that repeated queries are not re-planned. */
export interface StatementCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
  readonly capacity: number;
}

export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SqliteDriver calls `db.prepare(sql)` for every query; preparing is where SQLite
 * parses and plans, so this wrapper serves `prepare` from a bounded LRU keyed by SQL text.
 * Kysely compiles the same shape of query to the same text (values are parameters), so one
 * entry serves every call of a shape.
 */
export class StatementCache implements SqliteDatabase {
  readonly #db: BetterSqlite;
  readonly #statements: LruMap<string, Statement>;
  /** A shape is kept from its second use (util/second-sight.ts): one-off shapes pin no native memory. */
  readonly #secondSight: SecondSight;
  #hits = 0;
  #misses = 0;
  #closed = false;

  constructor(db: BetterSqlite, capacity = DEFAULT_STATEMENT_CACHE_SIZE, maxBytes: number = CACHE_BUDGET.sqliteStatements) {
    this.#db = db;
    this.#statements = new LruMap(capacity, {
      maxBytes, maxEntryBytes: MAX_ENTRY_BYTES.statements, sizeOf: (sql) => sqliteStatementBytes(sql),
    });
    this.#secondSight = new SecondSight(2 * capacity, SECOND_SIGHT_BYTES);
  }

  prepare(sql: string): Statement {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const stmt = this.#db.prepare(sql);
    // Schema statements are cheap to prepare and change what later statements mean; keep
    // the cache for the queries that repeat.
    if (!stmt.reader && isSchemaStatement(sql)) return stmt;
    if (this.#secondSight.admit(sql)) this.#statements.set(sql, stmt);
    return stmt;
  }

  stats(): StatementCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#statements.size, capacity: this.#statements.capacity };
  }

  /** Idempotent: Kysely closes it when its driver was used, openDatabase's close() always does. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#secondSight.clear();
    this.#db.close();
  }
}

/** What the keys of shapes seen once may hold (SQL texts). */
export const SECOND_SIGHT_BYTES = 1024 * 1024;

const SCHEMA_VERBS = /^\s*(create|drop|alter|pragma|vacuum|reindex|analyze|attach|detach)\b/i;

function isSchemaStatement(sql: string): boolean {
  return SCHEMA_VERBS.test(sql);
}

import type { Database as BetterSqlite, Statement } from 'better-sqlite3';
import { LruMap } from '../../util/lru-map.ts';
import { SecondSight } from '../../util/second-sight.ts';
import { SECOND_SIGHT_BYTES } from './statement-cache.ts';
import { CACHE_BUDGET, MAX_ENTRY_BYTES, sqliteStatementBytes } from '../../util/cache-budget.ts';

interface ReadStatement {
  readonly stmt: Statement;
  /** column names in select order */
  readonly names: readonly string[];
  /** a column is named __proto__: plain assignment would set the row's prototype */
  readonly protoColumn: boolean;
}

/**
 * Prepared statements of the synchronous read path. They run in raw mode: better-sqlite3 returns
 * each row as an array and the row objects are built here, with the column names read once per
 * statement. (better-sqlite3's own row objects are built through the V8 API, converting and
 * interning every column name again on every row, which costs more than the query itself.)
 * Kept apart from the Kysely-facing StatementCache, because raw mode is a per-statement switch.
 */
export class ReadStatements {
  readonly #db: BetterSqlite;
  /** null: the SQL may write, so it never runs here */
  readonly #entries: LruMap<string, ReadStatement | null>;
  readonly #secondSight: SecondSight;

  constructor(db: BetterSqlite, capacity: number, maxBytes: number = CACHE_BUDGET.sqliteReadStatements) {
    this.#db = db;
    this.#entries = new LruMap(capacity, {
      maxBytes, maxEntryBytes: MAX_ENTRY_BYTES.statements,
      sizeOf: (sql, read) => (read === null ? 2 * sql.length + 64 : sqliteStatementBytes(sql)),
    });
    this.#secondSight = new SecondSight(2 * capacity, SECOND_SIGHT_BYTES);
  }

  /** The statement for SQL that only reads, or null. */
  lookup(sql: string): ReadStatement | null {
    const hit = this.#entries.get(sql);
    if (hit !== undefined) return hit;
    const stmt = this.#db.prepare(sql);
    let read: ReadStatement | null = null;
    if (stmt.reader && stmt.readonly) {
      const names = stmt.columns().map((c) => c.name);
      read = { stmt: stmt.raw(true), names, protoColumn: names.includes('__proto__') };
    }
    // Kept from a shape's second use (util/second-sight.ts): one-off shapes pin no native memory.
    if (this.#secondSight.admit(sql)) this.#entries.set(sql, read);
    return read;
  }

  static rows(read: ReadStatement, parameters: readonly unknown[]): Record<string, unknown>[] {
    const { names, protoColumn } = read;
    const arrays = read.stmt.all(parameters as unknown[]) as unknown[][];
    const out = new Array<Record<string, unknown>>(arrays.length);
    for (let r = 0; r < arrays.length; r++) {
      const values = arrays[r];
      const row: Record<string, unknown> = {};
      if (protoColumn) {
        // an own data property, never the prototype (a BLOB column would come back as a Buffer object)
        for (let i = 0; i < names.length; i++) Object.defineProperty(row, names[i], { value: values[i], enumerable: true, writable: true, configurable: true });
      } else {
        for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
      }
      out[r] = row;
    }
    return out;
  }

  clear(): void {
    this.#entries.clear();
    this.#secondSight.clear();
  }
}

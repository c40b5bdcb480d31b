import type { Database as BetterSqlite } from 'better-sqlite3';
import { LruMap } from '../../util/lru-map.ts';
import { CACHE_BUDGET, stringBytes } from '../../util/cache-budget.ts';

/**
 * Which reads are scan-shaped, decided once per SQL text: a substring test (`instr`, what `~`
 * compiles to: it reads every candidate value in full), or a plan that visits every row of a
 * table (`SCAN t`, with or without an index to walk in order). Point lookups and index searches
 * (`SEARCH t USING INDEX …`) are not, and stay on the event loop.
 */
export class ScanShapes {
  readonly #db: BetterSqlite;
  readonly #known: LruMap<string, boolean>;

  constructor(db: BetterSqlite, maxBytes: number = CACHE_BUDGET.sqliteScanShapes) {
    this.#db = db;
    this.#known = new LruMap<string, boolean>(1000, { maxBytes, sizeOf: (sql) => stringBytes(sql) + 32 });
  }

  scans(sql: string, parameters: readonly unknown[]): boolean {
    return this.#known.memo(sql, () => {
      if (sql.includes('instr(')) return true;
      try {
        const plan = this.#db.prepare(`explain query plan ${sql}`).all(parameters as unknown[]) as { detail: string }[];
        return plan.some((step) => /^SCAN (?!CONSTANT ROW)/.test(step.detail));
      } catch {
        return false; // not a plain read: it takes the usual path
      }
    });
  }
}

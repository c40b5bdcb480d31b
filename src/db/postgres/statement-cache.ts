import { CACHE_BUDGET, MAX_ENTRY_BYTES, stringBytes } from '../../util/cache-budget.ts';

/** Counters a test or `doctor` can read; per-connection reuse is visible in pg_prepared_statements. */
export interface StatementCacheStats {
  /** queries sent as named (server-side prepared) statements */
  readonly named: number;
  /** queries sent unnamed (schema changes, multi-statement text, or the cache is full) */
  readonly unnamed: number;
  /** distinct statement names handed out in the current generation */
  readonly size: number;
  readonly capacity: number;
  /** estimated bytes of the names and SQL texts kept (bounded by the byte budget) */
  readonly bytes: number;
}

export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/** The name string and the map entry that holds it. */
const NAME_BYTES = 64;

const CACHEABLE = /^\s*(select|insert|update|delete|with)\b/i;
const SCHEMA_CHANGE = /^\s*(create|drop|alter|comment|grant|revoke|truncate)\b/i;

/**
 * Gives each distinct query text a statement name, so pg prepares it once per connection and
 * then only binds and executes (PostgreSQL plans a named statement once, then may switch to a
 * generic plan). pg remembers per connection which names it has parsed.
 *
 * A schema change starts a new generation of names: a statement prepared as `select *` before
 * ALTER TABLE would fail with "cached plan must not change result type". Names are bounded;
 * past the bound a query still runs, just unnamed.
 */
export class NamedStatements {
  readonly #capacity: number;
  #names = new Map<string, string>();
  #bytes = 0;
  readonly #maxBytes: number;
  #generation = 0;
  #named = 0;
  #unnamed = 0;

  constructor(capacity = DEFAULT_STATEMENT_CACHE_SIZE, maxBytes: number = CACHE_BUDGET.pgStatementNames) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  /** The name to prepare `sql` under, or undefined to send it unnamed. */
  nameFor(sql: string): string | undefined {
    if (!CACHEABLE.test(sql) || sql.includes(';')) {
      if (SCHEMA_CHANGE.test(sql)) this.invalidate();
      this.#unnamed++;
      return undefined;
    }
    let name = this.#names.get(sql);
    if (name === undefined) {
      // Names are never evicted (a connection may hold the statement); past either bound, unnamed.
      const cost = stringBytes(sql) + NAME_BYTES;
      if (this.#names.size >= this.#capacity || this.#bytes + cost > this.#maxBytes || sql.length > MAX_ENTRY_BYTES.statements / 32) {
        this.#unnamed++;
        return undefined;
      }
      name = `sb${this.#generation}_${this.#names.size + 1}`;
      this.#names.set(sql, name);
      this.#bytes += cost;
    }
    this.#named++;
    return name;
  }

  /** Forget all names; the next use of each query prepares it again under a new name. */
  invalidate(): void {
    this.#generation++;
    this.#names = new Map();
    this.#bytes = 0;
  }

  stats(): StatementCacheStats {
    return { named: this.#named, unnamed: this.#unnamed, size: this.#names.size, capacity: this.#capacity, bytes: this.#bytes };
  }
}

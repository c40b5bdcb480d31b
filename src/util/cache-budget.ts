/**
 * The memory budget of every in-process cache, 64 MiB in all by default (docs/bounded-cost.md).
 * Sizes are estimates of what an entry holds, measured on this code: a parsed and checked filter
 * holds about 6.5 bytes per character of its text, a compiled query (without Kysely's operation
 * tree, which is dropped) a few bytes per character of SQL, a SQLite prepared statement about
 * 25 bytes of native memory per character of SQL. The estimates round up.
 */
const MiB = 1024 * 1024;

export const CACHE_BUDGET = {
  /** Parsed and checked filter/rule/sort/fields ASTs (RuleCache). */
  ruleCache: 8 * MiB,
  /** Compiled read SQL (CompiledQueryCache of the record service). */
  compiledQueries: 16 * MiB,
  /** SQLite: Kysely's prepared statements (StatementCache). */
  sqliteStatements: 12 * MiB,
  /** SQLite: the synchronous read path's raw-mode statements (ReadStatements). */
  sqliteReadStatements: 12 * MiB,
  /** SQLite: prepared statements of each scan worker (two workers at most by default). */
  sqliteScanWorker: 4 * MiB,
  /** PostgreSQL: the statement names and SQL texts kept by NamedStatements. */
  pgStatementNames: 4 * MiB,
  /** SQLite: recently seen sessions, valid until the database next changes (SessionStore). */
  sessions: 2 * MiB,
  /** SQLite: which read SQL texts are scan-shaped (ScanShapes). */
  sqliteScanShapes: 1 * MiB,
} as const;

export const DEFAULT_CACHE_MEMORY = 64 * MiB;

export type CacheShares = { readonly [K in keyof typeof CACHE_BUDGET]: number };

/** Each cache's share of a total budget, in the proportions of CACHE_BUDGET (whose shares sum to 59 of 64 MiB). */
export function cacheShares(totalBytes: number = DEFAULT_CACHE_MEMORY): CacheShares {
  const scale = totalBytes / DEFAULT_CACHE_MEMORY;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(CACHE_BUDGET)) out[k] = Math.max(64 * 1024, Math.floor(v * scale));
  return out as CacheShares;
}

/** No single entry above this is kept: a query shape this large is compiled for its request only. */
export const MAX_ENTRY_BYTES = {
  ruleCache: 64 * 1024,
  compiledQueries: 128 * 1024,
  statements: 512 * 1024,
} as const;

/** Bytes of a JS string, as V8 may store it (two bytes per UTF-16 unit, plus the header). */
export function stringBytes(s: string): number {
  return 2 * s.length + 32;
}

/** SQLite native memory of one prepared statement for `sql` (measured ~25 bytes per character). */
export function sqliteStatementBytes(sql: string): number {
  return 32 * sql.length + 4096;
}

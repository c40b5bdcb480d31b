import type { Compilable, CompiledQuery, Kysely, RootOperationNode } from 'kysely';
import type { Database } from './database.ts';
import { batchWriterOf } from './sqlite/write-batch.ts';
import { LruMap } from '../util/lru-map.ts';
import { CACHE_BUDGET, MAX_ENTRY_BYTES, stringBytes } from '../util/cache-budget.ts';

/**
 * A placeholder for a value that changes on every call of an otherwise identical query (a record
 * id, a token hash, a page offset). It is bound like any value, so Kysely compiles it into the
 * parameter list; the cache swaps the real value in by position.
 */
export class Slot {
  private constructor(readonly index: number) {}
  static readonly all: readonly Slot[] = Array.from({ length: 64 }, (_, i) => new Slot(i));
}

/** Slot.all[i], named for readability at call sites. */
export function slot(i: number): Slot {
  return Slot.all[i];
}

interface Entry<R, M> {
  readonly compiled: CompiledQuery<R>;
  /** position in parameters → slot index, for the parameters that are slots */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  readonly meta: M;
}

/**
 * Compiled SQL kept per query shape, so a repeated request skips Kysely's builder and compiler
 * (most of its cost) and reaches the prepared-statement caches below with the same SQL text.
 * The caller's key must capture everything that shapes the SQL or its fixed parameters; the
 * values that vary go in slots. Bounded: the least recently used shape goes first.
 */
export class CompiledQueryCache {
  readonly #entries: LruMap<string, Entry<unknown, unknown>>;

  constructor(capacity = 2000, maxBytes: number = CACHE_BUDGET.compiledQueries) {
    this.#entries = new LruMap(capacity, { maxBytes, maxEntryBytes: MAX_ENTRY_BYTES.compiledQueries, sizeOf: entryBytes });
  }

  /**
   * Runs the query cached under `key`, building it with `build()` on a miss. `meta` is computed
   * with it and returned on every hit (e.g. how to project the rows). A null key builds and runs
   * without keeping anything (a shape that must not be reused, such as one that folds in @now).
   */
  execute<R, M>(
    database: Database,
    key: string | null,
    build: () => { query: Compilable<R>; meta: M },
    values: readonly unknown[],
    /** When the request's read budget started (Date.now()); undefined: no budget (internal lookups). */
    started?: number,
  ): { rows: R[]; meta: M } | Promise<{ rows: R[]; meta: M }> {
    const entry = this.#entry(key, build);
    const parameters = bind(entry, values);
    if (started !== undefined && database.readWithin) {
      const within = database.readWithin(entry.compiled.sql, parameters, started);
      if (within !== undefined) return within.then((rows) => ({ rows: rows as R[], meta: entry.meta }));
    }
    // Answered synchronously where the database can (SQLite, unless a write transaction is open): no promise hop.
    const now = database.readNow?.(entry.compiled.sql, parameters);
    if (now !== undefined) return { rows: now as R[], meta: entry.meta };
    return database.kysely.executeQuery<R>({ ...entry.compiled, parameters }).then((result) => ({ rows: result.rows, meta: entry.meta }));
  }

  /**
   * Runs the statement cached under `key` on `trx` (a write inside a transaction: an INSERT …
   * RETURNING whose column set and returned shape make the key). Values go in slots only.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async executeOn<R>(trx: Kysely<any>, key: string, build: () => Compilable<R>, values: readonly unknown[]): Promise<R[]> {
    const entry = this.#entry(key, () => ({ query: build(), meta: null }));
    // Inside a SQLite write batch's job: the same statement on its connection, without Kysely's hand-off.
    const sync = batchWriterOf(trx);
    if (sync !== undefined) return sync.all(entry.compiled.sql, bind(entry, values)) as R[];
    return (await trx.executeQuery<R>({ ...entry.compiled, parameters: bind(entry, values) })).rows;
  }

  /** The entry kept under `key`, built on a miss (a null key builds one that is not kept). */
  #entry<R, M>(key: string | null, build: () => { query: Compilable<R>; meta: M }): Entry<R, M> {
    // No closure per call: a named arrow here costs a defineProperty on every request under tsx.
    let entry = key === null ? undefined : (this.#entries.get(key) as Entry<R, M> | undefined);
    if (entry === undefined) {
      entry = makeEntry(build);
      if (key !== null) this.#entries.set(key, entry);
    }
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drops every entry: for a change that alters fixed parameters (e.g. a new blind-index key). */
  clear(): void {
    this.#entries.clear();
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#entries.bytes;
  }
}

/** The entry's parameters with this call's values in its slots. */
function bind(entry: Entry<unknown, unknown>, values: readonly unknown[]): readonly unknown[] {
  if (entry.slots.length === 0) return entry.compiled.parameters;
  const bound = entry.compiled.parameters.slice();
  for (const [at, index] of entry.slots) bound[at] = values[index];
  return bound;
}

function makeEntry<R, M>(build: () => { query: Compilable<R>; meta: M }): Entry<R, M> {
  const { query, meta } = build();
  const full = query.compile();
  // Kysely's operation tree is only needed to compile; executing needs the SQL and parameters.
  const compiled: CompiledQuery<R> = { query: STUB_NODE, queryId: full.queryId, sql: full.sql, parameters: full.parameters };
  const slots: [number, number][] = [];
  compiled.parameters.forEach((p, i) => { if (p instanceof Slot) slots.push([i, p.index]); });
  return { compiled, slots, meta };
}

const STUB_NODE = Object.freeze({ kind: 'RawNode', sqlFragments: Object.freeze(['']), parameters: Object.freeze([]) }) as unknown as RootOperationNode;

function entryBytes(key: string, entry: Entry<unknown, unknown>): number {
  let bytes = stringBytes(key) + 4 * entry.compiled.sql.length + 1024; // + meta (a read plan) and slots
  for (const p of entry.compiled.parameters) bytes += typeof p === 'string' ? stringBytes(p) : 16;
  return bytes;
}

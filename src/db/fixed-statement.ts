import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Dialect } from './database.ts';
import { Slot } from './compiled-query-cache.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/**
 * A statement whose shape never changes (the audit trail's head lock, one event's insert),
 * built and compiled once per dialect instead of on every call: Kysely's builder and compiler
 * cost more than SQLite takes to run such a statement. `build` gets the compiled-query cache's
 * slots as placeholders for the values that vary, which run() binds by position.
 */
export class FixedStatement<R = unknown> {
  readonly #build: (k: Executor, p: readonly unknown[]) => Compilable<R>;
  readonly #compiled = new Map<Dialect, { query: CompiledQuery<R>; at: ReadonlyArray<readonly [number, number]> }>();

  constructor(build: (k: Executor, p: readonly unknown[]) => Compilable<R>) {
    this.#build = build;
  }

  run(trx: Executor, dialect: Dialect, values: readonly unknown[] = []): Promise<QueryResult<R>> {
    let c = this.#compiled.get(dialect);
    if (c === undefined) {
      const query = this.#build(trx, Slot.all).compile();
      const at: [number, number][] = [];
      query.parameters.forEach((p, i) => { if (p instanceof Slot) at.push([i, p.index]); });
      c = { query, at };
      this.#compiled.set(dialect, c);
    }
    const parameters = c.query.parameters.slice();
    for (const [i, index] of c.at) parameters[i] = values[index];
    return trx.executeQuery<R>({ ...c.query, parameters });
  }
}

import type { Kysely } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import { slot, Slot, type CompiledQueryCache } from '../../db/compiled-query-cache.ts';
import type { ReadPlan } from './read-projection.ts';
import { selection, type QueryEnv } from './record-query.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/**
 * A create's INSERT … RETURNING, compiled once per shape through the compiled-query cache:
 * Kysely's builder costs more than SQLite's insert. `shape` is the caller's shape key (the
 * record service's, null when the shape must not be kept); with the column set it names the
 * statement. The returned columns depend on the caller's plan only (read rules may not use
 * @body, and a shape with @now is never kept).
 */
export async function insertRecord(queries: CompiledQueryCache, trx: Executor, def: CollectionDef, shape: string | null,
  row: Record<string, unknown>, plan: ReadPlan, env: QueryEnv): Promise<Record<string, unknown>> {
  const columns = Object.keys(row);
  if (shape === null || columns.length > Slot.all.length) {
    return trx.insertInto(def.name).values(row).returning(selection(plan, env)).executeTakeFirstOrThrow();
  }
  const [inserted] = await queries.executeOn<Record<string, unknown>>(trx, `insert\u0000${columns.join(',')}\u0000${shape}`, () => trx.insertInto(def.name)
    .values(Object.fromEntries(columns.map((c, i) => [c, slot(i)])))
    .returning(selection(plan, env)), columns.map((c) => row[c]));
  if (inserted === undefined) throw new Error('INSERT … RETURNING returned no row');
  return inserted;
}

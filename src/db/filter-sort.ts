import { sql, type SelectQueryBuilder } from 'kysely';
import type { CollectionDef } from '../config/schema.ts';
import type { SortTerm } from '../filter/ast.ts';
import { resolveField } from '../filter/field-kinds.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import type { Dialect } from './database.ts';

export interface SortEnv {
  readonly collection: CollectionDef;
  readonly dialect: Dialect;
  readonly table?: string;
}

/**
 * Appends ORDER BY for checked sort terms, then `id` as the final tiebreaker so paging is stable.
 * Both dialects order the same way: NULLs first ascending and last descending (SQLite's rule),
 * and text-stored columns byte-wise (PostgreSQL's default collation would differ).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function applySort<Q extends SelectQueryBuilder<any, any, any>>(query: Q, terms: readonly SortTerm[], env: SortEnv): Q {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let q: SelectQueryBuilder<any, any, any> = query;
  let hasId = false;
  for (const term of terms) {
    const field = resolveField(env.collection, term.field);
    if (!field || field.kind === 'none' || field.sensitive) {
      // checkSort rejects these first; this guards a caller that skipped it
      throw new StrongboxError('ERR_FILTER_UNKNOWN_FIELD', `cannot sort by this field at position ${term.pos}`, { position: term.pos });
    }
    if (term.field === 'id') hasId = true;
    const ref = env.table ? sql.id(env.table, field.name) : sql.id(field.name);
    const textual = env.dialect === 'postgres' && field.kind !== 'number' && field.kind !== 'boolean';
    const col = textual ? sql`${ref} collate "C"` : ref;
    q = q.orderBy(term.direction === 'desc' ? sql`${col} desc nulls last` : sql`${col} asc nulls first`);
  }
  if (!hasId) {
    const ref = env.table ? sql.id(env.table, 'id') : sql.id('id');
    q = q.orderBy(env.dialect === 'postgres' ? sql`${ref} collate "C" asc` : sql`${ref} asc`);
  }
  return q as Q;
}

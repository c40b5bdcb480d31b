import type { CollectionDef } from '../../config/schema.ts';
import type { Expr } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import type { ListQuery, ListResult } from '../record-types.ts';
import type { ReadAccess } from './read-projection.ts';
import type { RuleCache } from './rule-cache.ts';
import { decideStatic } from './static-rule.ts';

const blank = (s: string | undefined): boolean => s === undefined || s.trim() === '';

/**
 * True when the rule is false for this caller whatever the record (it folds to false on the
 * caller's macros alone, e.g. `owner = @auth.id` for an anonymous caller). Such a read is
 * answered without compiling, caching or running anything, so an attacker who may see nothing
 * cannot fill the caches with distinct filters either.
 */
export function ruleDenies(rule: Expr | 'all', def: CollectionDef, macros: MacroValues): boolean {
  return rule !== 'all' && decideStatic(rule, def, macros) === false;
}

/**
 * The answer to a list whose rule denies every record: the query texts are still parsed and
 * checked, so a bad one is the same 400 as for anyone, but nothing is kept.
 */
export function deniedPage(cache: RuleCache, def: CollectionDef, q: ListQuery, access: Pick<ReadAccess, 'filterable'>, page: number, perPage: number): ListResult {
  if (!blank(q.filter)) cache.checkUncached(def, 'filter', q.filter as string, access.filterable);
  if (!blank(q.sort)) cache.checkUncached(def, 'sort', q.sort as string, access.filterable);
  if (!blank(q.fields)) cache.checkUncached(def, 'fields', q.fields as string);
  return q.skipTotal === true ? { items: [], page, perPage } : { items: [], page, perPage, totalItems: 0, totalPages: 0 };
}

import type { CollectionDef } from '../../config/schema.ts';
import type { Expr } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import type { ListQuery, ListResult } from '../record-types.ts';
import type { ReadAccess } from './read-projection.ts';
import type { RuleCache } from './rule-cache.ts';
import { decideStatic, mentionsNow } from './static-rule.ts';

const blank = (s: string | undefined): boolean => s === undefined || s.trim() === '';

/**
 * True when the rule is false for this caller whatever the record (it folds to false on the
 * caller's macros alone, e.g. `owner = @auth.id` for an anonymous caller). Such a read is
 * answered without compiling, caching or running anything, so an attacker who may see nothing
 * cannot fill the caches with distinct filters either.
 */
export function ruleDenies(rule: Expr | 'all', def: CollectionDef, macros: MacroValues): boolean {
  if (rule === 'all') return false;
  const memo = memoOf(rule);
  if (memo === null) return decideStatic(rule, def, macros) === false;
  const { id, role, email } = macros.auth;
  if (memo.def === def && memo.id === id && memo.role === role && memo.email === email) return memo.denies;
  memo.denies = decideStatic(rule, def, macros) === false;
  memo.def = def;
  memo.id = id;
  memo.role = role;
  memo.email = email;
  return memo.denies;
}

/** The last decision of a rule, for the caller it was made for (a caller usually asks again); null for rules using @now. */
interface LastDecision { def: CollectionDef | null; id: string | null; role: string | null; email: string | null; denies: boolean }

const lastDecisions = new WeakMap<Expr, LastDecision | null>();

function memoOf(rule: Expr): LastDecision | null {
  let memo = lastDecisions.get(rule);
  if (memo === undefined) {
    // A read rule has no @body; @now changes every millisecond, so such a rule is decided every time.
    memo = mentionsNow(rule) ? null : { def: null, id: null, role: null, email: null, denies: false };
    lastDecisions.set(rule, memo);
  }
  return memo;
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

import type { CollectionDef } from '../../config/schema.ts';
import type { Expr } from '../../filter/ast.ts';
import type { ReadAccess } from './read-projection.ts';

/**
 * Searchable sensitive fields whose read rule depends on the record may still be filtered on,
 * but each comparison carries the field's read rule: `ssn = "x"` becomes
 * `(ssn = "x" && <read rule>)`, so it matches only records whose field the caller may read.
 * The owner finds their own record by SSN; nobody can probe anyone else's. (The language has no
 * negation above comparisons, so a guarded comparison can only ever turn a match off.)
 */
export interface FilterGuards {
  readonly filterable: ReadonlySet<string> | undefined;
  readonly filterableKey: string;
  readonly guards: ReadonlyMap<string, Expr>;
}

export function filterGuards(def: CollectionDef, access: ReadAccess): FilterGuards {
  const guards = new Map<string, Expr>();
  for (const f of def.fields) {
    const rule = access.perRecord.get(f.name);
    if (rule && f.sensitive && f.searchable) guards.set(f.name, rule);
  }
  if (guards.size === 0 || access.filterable === undefined) return { filterable: access.filterable, filterableKey: access.filterableKey, guards };
  const filterable = new Set(access.filterable);
  for (const name of guards.keys()) filterable.add(name);
  return { filterable, filterableKey: `${access.filterableKey}+${[...guards.keys()].sort().join(',')}`, guards };
}

export function guardFilter(expr: Expr, guards: ReadonlyMap<string, Expr>): Expr {
  if (guards.size === 0) return expr;
  switch (expr.kind) {
    case 'const': return expr;
    case 'and': case 'or': return { kind: expr.kind, items: expr.items.map((e) => guardFilter(e, guards)) };
    case 'compare': {
      const names = [expr.left, expr.right].filter((o) => o.kind === 'field').map((o) => (o as { name: string }).name);
      const rules = names.map((n) => guards.get(n)).filter((r): r is Expr => r !== undefined);
      return rules.length === 0 ? expr : { kind: 'and', items: [expr, ...rules] };
    }
  }
}

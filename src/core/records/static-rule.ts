import type { CollectionDef } from '../../config/schema.ts';
import type { Expr, Operand } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import { foldConstant } from '../../db/filter-compile.ts';

/** True when the expression names a record field anywhere (so its value differs per record). */
export function referencesFields(expr: Expr): boolean {
  switch (expr.kind) {
    case 'const':
      return false;
    case 'and':
    case 'or':
      return expr.items.some(referencesFields);
    case 'compare':
      return expr.left.kind === 'field' || expr.right.kind === 'field';
  }
}

/** True when the expression uses @now, whose value changes on every request. */
export function mentionsNow(expr: Expr): boolean {
  switch (expr.kind) {
    case 'const':
      return false;
    case 'and':
    case 'or':
      return expr.items.some(mentionsNow);
    case 'compare':
      return isNow(expr.left) || isNow(expr.right);
  }
}

function isNow(o: Operand): boolean {
  return o.kind === 'macro' && o.name === 'now';
}

/**
 * Decides a field-free rule for one caller with the compiler's own folding, so the answer is the
 * one the SQL would give. The dialect does not matter for a fold that touches no column.
 */
export function evaluateStatic(expr: Expr, collection: CollectionDef, macros: MacroValues): boolean {
  return foldConstant(expr, { collection, dialect: 'sqlite', macros }) === true;
}

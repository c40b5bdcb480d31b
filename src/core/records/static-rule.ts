import type { CollectionDef } from '../../config/schema.ts';
import type { Expr, Operand } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import { foldConstant } from '../../db/filter-compile.ts';

function anyOperand(expr: Expr, test: (o: Operand) => boolean): boolean {
  switch (expr.kind) {
    case 'const':
      return false;
    case 'and':
    case 'or':
      return expr.items.some((e) => anyOperand(e, test));
    case 'compare':
      return test(expr.left) || test(expr.right);
  }
}

/** True when the expression names a record field anywhere (so its value differs per record). */
export function referencesFields(expr: Expr): boolean {
  return anyOperand(expr, (o) => o.kind === 'field');
}

const usesNow = new WeakMap<Expr, boolean>();

/** True when the expression uses @now, whose value changes on every request (remembered per parsed expression: they are never changed). */
export function mentionsNow(expr: Expr): boolean {
  let uses = usesNow.get(expr);
  if (uses === undefined) usesNow.set(expr, (uses = anyOperand(expr, (o) => o.kind === 'macro' && o.name === 'now')));
  return uses;
}

/**
 * Decides a field-free rule for one caller with the compiler's own folding, so the answer is the
 * one the SQL would give. The dialect does not matter for a fold that touches no column.
 */
export function evaluateStatic(expr: Expr, collection: CollectionDef, macros: MacroValues): boolean {
  return decideStatic(expr, collection, macros) === true;
}

/** The same fold, undecided (undefined) when the expression names a column: SQL must decide it. */
export function decideStatic(expr: Expr, collection: CollectionDef, macros: MacroValues): boolean | undefined {
  return foldConstant(expr, { collection, dialect: 'sqlite', macros });
}

import type { CollectionDef } from '../../config/schema.ts';
import type { Expr, Operand } from '../../filter/ast.ts';
import { wasChecked } from '../../filter/check.ts';
import { resolveField, type ValueKind } from '../../filter/field-kinds.ts';
import type { MacroValues } from '../../filter/macros.ts';
import { isAbsentBodyMacro } from '../../filter/body-macro.ts';
import { isUnknownMacro } from '../../db/filter-compile.ts';
import { compareScalars, operandValue, type Scalar } from '../../db/filter-values.ts';

/** The record a create would store: validated values after defaults, plus id, owner, created, updated. */
export type WouldBeRow = Readonly<Record<string, unknown>>;

/**
 * Decides a create rule on the record the create would store, with exactly the semantics the
 * same rule has in the WHERE of a read of that stored row: a field is its would-be value (null
 * when unset), so `src != dst` is false when both are null (null-safe, as `is distinct from`),
 * ordering and `~` are false on null. Macros keep their own semantics (a macro with no value,
 * or a @body field not sent, equals nothing). No SQL runs: every value is known here.
 * test/records/create-rule.property.test.ts checks it against SQL on the inserted row and the
 * reference evaluator.
 */
export function decideCreateRule(expr: Expr, collection: CollectionDef, row: WouldBeRow, macros: MacroValues): boolean {
  switch (expr.kind) {
    case 'const': return expr.value;
    case 'and': return expr.items.every((e) => decideCreateRule(e, collection, row, macros));
    case 'or': return expr.items.some((e) => decideCreateRule(e, collection, row, macros));
    case 'compare': {
      const { op, left, right } = expr;
      if (isAbsentBodyMacro(left, macros) || isAbsentBodyMacro(right, macros)) return op === '!=' || op === '!~';
      if ((right.kind !== 'null' && isUnknownMacro(left, macros)) || (left.kind !== 'null' && isUnknownMacro(right, macros))) {
        return op === '!=' || op === '!~';
      }
      const checked = wasChecked(expr);
      const a = value(left, kindOf(right, collection), collection, row, macros, checked);
      const b = value(right, kindOf(left, collection), collection, row, macros, checked);
      return compareScalars(op, a, b);
    }
  }
}

function kindOf(o: Operand, collection: CollectionDef): ValueKind | null {
  return o.kind === 'field' ? resolveField(collection, o.name)?.kind ?? null : null;
}

function value(o: Operand, against: ValueKind | null, collection: CollectionDef, row: WouldBeRow, macros: MacroValues, checked: boolean): Scalar {
  if (o.kind !== 'field') return operandValue(o, against, macros, collection, checked);
  const v = Object.hasOwn(row, o.name) ? row[o.name] : null;
  return v === undefined ? null : (v as Scalar);
}

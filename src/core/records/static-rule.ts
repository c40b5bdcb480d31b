import type { Expr, Operand } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';

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

function operandValue(op: Operand, macros: MacroValues): unknown {
  switch (op.kind) {
    case 'macro': {
      if (op.name === 'auth.id') return macros.auth.id;
      if (op.name === 'auth.role') return macros.auth.role;
      if (op.name === 'auth.email') return macros.auth.email;
      if (op.name === 'now') return macros.now;
      const body = macros.body;
      const key = op.name.slice('body.'.length);
      return body && Object.hasOwn(body, key) ? (body[key] ?? null) : null;
    }
    case 'null':
      return null;
    case 'field':
      throw new Error('static evaluation of a field operand'); // guarded by referencesFields
    default:
      return op.value;
  }
}

/**
 * Evaluates a field-free expression in TypeScript with the same semantics as the compiled SQL:
 * `=` is null-safe and `!=` its exact negation; ordering with a null side is false; `~` is a
 * case-sensitive substring test, false on null, and `!~` its negation.
 */
export function evaluateStatic(expr: Expr, macros: MacroValues): boolean {
  switch (expr.kind) {
    case 'const':
      return expr.value;
    case 'and':
      return expr.items.every((e) => evaluateStatic(e, macros));
    case 'or':
      return expr.items.some((e) => evaluateStatic(e, macros));
    case 'compare': {
      const a = operandValue(expr.left, macros);
      const b = operandValue(expr.right, macros);
      switch (expr.op) {
        case '=':
          return a === b;
        case '!=':
          return a !== b;
        case '~':
        case '!~': {
          const hit = typeof a === 'string' && typeof b === 'string' && a.includes(b);
          return expr.op === '~' ? hit : !hit;
        }
        default: {
          if (a === null || b === null || typeof a !== typeof b) return false;
          const x = a as string | number;
          const y = b as string | number;
          if (expr.op === '<') return x < y;
          if (expr.op === '<=') return x <= y;
          if (expr.op === '>') return x > y;
          return x >= y;
        }
      }
    }
  }
}

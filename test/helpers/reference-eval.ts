/**
 * A plain-TypeScript reference for the filter semantics (team brief), used to check what both
 * databases return. Deliberately independent of src/db/: it evaluates a checked Expr over a
 * decoded row (text as strings, numbers, booleans, null).
 *  - `=`/`!=` are null-safe; `!=` is the exact negation of `=`.
 *  - `<,<=,>,>=` with a null side are false; text orders by code point (UTF-8 byte order).
 *  - `~` is a case-sensitive substring test, false when either side is null; `!~` its negation.
 *  - a macro with no value equals nothing: `=`, `~` and ordering are false, `!=` and `!~` true,
 *    unless the other side is the literal `null`.
 *  - a `@body.x` the body did not send equals nothing, not even `null`; `@body.x:isset` is true
 *    when the body carries the key (null included).
 */
import type { CompareOp, Expr, Operand } from '../../src/filter/ast.ts';
import type { MacroValues } from '../../src/filter/macros.ts';

export type Row = Readonly<Record<string, unknown>>;

export function referenceEval(expr: Expr, row: Row, macros: MacroValues): boolean {
  switch (expr.kind) {
    case 'const': return expr.value;
    case 'and': return expr.items.every((e) => referenceEval(e, row, macros));
    case 'or': return expr.items.some((e) => referenceEval(e, row, macros));
    case 'compare': {
      const { op, left, right } = expr;
      if (notSent(left, macros) || notSent(right, macros)) return op === '!=' || op === '!~';
      // A macro with no value equals nothing; only an explicit `= null` tests for it.
      if ((right.kind !== 'null' && unknownMacro(left, macros)) || (left.kind !== 'null' && unknownMacro(right, macros))) {
        return op === '!=' || op === '!~';
      }
      return compare(op, value(left, row, macros), value(right, row, macros));
    }
  }
}

function notSent(o: Operand, macros: MacroValues): boolean {
  if (o.kind !== 'macro' || !o.name.startsWith('body.') || o.name.endsWith(':isset')) return false;
  return !(macros.body !== undefined && Object.prototype.hasOwnProperty.call(macros.body, o.name.slice(5)));
}

function unknownMacro(o: Operand, macros: MacroValues): boolean {
  return o.kind === 'macro' && o.name !== 'now' && value(o, {}, macros) === null;
}

function value(o: Operand, row: Row, macros: MacroValues): unknown {
  switch (o.kind) {
    case 'field': return row[o.name] ?? null;
    case 'null': return null;
    case 'macro':
      if (o.name === 'now') return macros.now;
      if (o.name.startsWith('auth.')) return macros.auth[o.name.slice(5) as 'id' | 'role' | 'email'];
      if (o.name.endsWith(':isset')) {
        const field = o.name.slice(5, -':isset'.length);
        return macros.body !== undefined && Object.prototype.hasOwnProperty.call(macros.body, field);
      }
      return macros.body?.[o.name.slice(5)] ?? null;
    default: return o.value;
  }
}

/** Code point order, computed the slow obvious way. */
export function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  const contains = typeof a === 'string' && typeof b === 'string' && a.includes(b);
  if (op === '~') return contains;
  if (op === '!~') return !contains;
  if (a === null || b === null) return false;
  const c = typeof a === 'string' ? codePointCompare(a, b as string) : (a as number) - (b as number);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

/** Reference ORDER BY: nulls first ascending / last descending, then id ascending. */
export function referenceSort(rows: Row[], terms: readonly { field: string; direction: 'asc' | 'desc' }[]): Row[] {
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0;
    if (a === null || a === undefined) return -1;
    if (b === null || b === undefined) return 1;
    if (typeof a === 'string') return codePointCompare(a, b as string);
    return Number(a) - Number(b);
  };
  return [...rows].sort((r, s) => {
    for (const t of terms) {
      const c = cmp(r[t.field] ?? null, s[t.field] ?? null);
      if (c !== 0) return t.direction === 'desc' ? -c : c;
    }
    return codePointCompare(String(r.id), String(s.id));
  });
}

import type { Expr, Operand } from './ast.ts';
import { filterError } from './filter-error.ts';

/**
 * Bounds on what a client's filter compiles to, not only on what it parses to: one comparison
 * such as `'<900 characters joined by NUL>' ~ title` compiles to one `instr` term per distinct
 * NUL-separated piece, so the 40-comparison limit alone does not bound the SQL.
 */
export const COMPILED_LIMITS = {
  maxSqlTerms: 64, // SQL comparisons after expansion (NUL splitting included)
  maxParameters: 64, // bound values
  maxNeedleLength: 256, // characters of the value a `~` / `!~` searches for
} as const;

interface Cost { terms: number; parameters: number }

const isField = (o: Operand): boolean => o.kind === 'field';

/** Throws the limit's own code (400, with the position) when the checked filter compiles past it. */
export function checkFilterCost(expr: Expr): void {
  walk(expr, { terms: 0, parameters: 0 });
}

function walk(expr: Expr, cost: Cost): void {
  switch (expr.kind) {
    case 'const': return;
    case 'and': case 'or':
      for (const item of expr.items) walk(item, cost);
      return;
    case 'compare': {
      const { op, left, right, pos } = expr;
      // A comparison of two known values folds to a constant: it compiles to nothing.
      if (!isField(left) && !isField(right)) return;
      let terms = 1;
      let parameters = isField(left) && isField(right) ? 0 : 1;
      const value = isField(left) ? right : left;
      if (value.kind === 'null') parameters = 0;
      if ((op === '~' || op === '!~') && value.kind === 'string') {
        if (value === right) {
          if (codePoints(value.value) > COMPILED_LIMITS.maxNeedleLength) {
            throw filterError('ERR_FILTER_NEEDLE_TOO_LONG', `the value searched for by ${op} is longer than ${COMPILED_LIMITS.maxNeedleLength} characters`, value.pos);
          }
        } else {
          // `'literal' ~ field`: one term and one parameter per distinct NUL-separated piece.
          terms = parameters = new Set(value.value.split('\0')).size;
        }
      }
      cost.terms += terms;
      cost.parameters += parameters;
      if (cost.terms > COMPILED_LIMITS.maxSqlTerms) {
        throw filterError('ERR_FILTER_TOO_MANY_TERMS', `the filter compiles to more than ${COMPILED_LIMITS.maxSqlTerms} SQL terms`, pos);
      }
      if (cost.parameters > COMPILED_LIMITS.maxParameters) {
        throw filterError('ERR_FILTER_TOO_MANY_PARAMETERS', `the filter compiles to more than ${COMPILED_LIMITS.maxParameters} parameters`, pos);
      }
    }
  }
}

function codePoints(s: string): number {
  if (s.length <= COMPILED_LIMITS.maxNeedleLength) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

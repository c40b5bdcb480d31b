import type { Expr, Operand } from '../../filter/ast.ts';

/**
 * A create rule runs before any row exists, as a bare `SELECT <rule>`, so a record field it names
 * must stand for the value the new record will hold: a user field becomes `@body.<field>`, `owner`
 * becomes `@auth.id` and `created`/`updated` become `@now` (the server sets them to exactly these);
 * `id` becomes the new id as a literal.
 */
export function bindCreateRule(expr: Expr, newId: string): Expr {
  switch (expr.kind) {
    case 'const':
      return expr;
    case 'and':
    case 'or':
      return { kind: expr.kind, items: expr.items.map((e) => bindCreateRule(e, newId)) };
    case 'compare':
      return { ...expr, left: bindOperand(expr.left, newId), right: bindOperand(expr.right, newId) };
  }
}

function bindOperand(op: Operand, newId: string): Operand {
  if (op.kind !== 'field') return op;
  switch (op.name) {
    case 'owner':
      return { kind: 'macro', name: 'auth.id', pos: op.pos };
    case 'created':
    case 'updated':
      return { kind: 'macro', name: 'now', pos: op.pos };
    case 'id':
      return { kind: 'string', value: newId, pos: op.pos };
    default:
      return { kind: 'macro', name: `body.${op.name}`, pos: op.pos };
  }
}

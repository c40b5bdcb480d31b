import type { CompareOp, Operand } from '../filter/ast.ts';
import { compareText } from '../filter/compare-text.ts';
import type { ResolvedField, ValueKind } from '../filter/field-kinds.ts';
import type { MacroValues } from '../filter/macros.ts';
import { bodyField, bodySent, isIssetMacro } from '../filter/body-macro.ts';
import { resolveField } from '../filter/field-kinds.ts';
import { normalizeDate, normalizeDatetime } from '../filter/temporal.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import type { CollectionDef } from '../config/schema.ts';

/** A value known when the filter is compiled: a literal or a macro's value for this request. */
export type Scalar = string | number | boolean | null;

/**
 * The value of a non-field operand. `against` is the kind of the other side, so string literals
 * and macro values for date/datetime columns arrive normalized even if checkExpr was skipped.
 */
export function operandValue(o: Operand, against: ValueKind | null, macros: MacroValues, collection: CollectionDef, checked = false): Scalar {
  let v: unknown;
  let kind: ValueKind | null = against;
  switch (o.kind) {
    case 'field': throw new Error('operandValue called on a field');
    case 'null': return null;
    case 'number': case 'boolean': return o.value;
    case 'string':
      if (checked) return o.value; // checkExpr validated and normalized it
      v = o.value;
      break;
    case 'macro':
      if (o.name === 'now') { v = macros.now; kind = 'datetime'; break; }
      if (o.name === 'auth.id') return macros.auth.id;
      if (o.name === 'auth.role') return macros.auth.role;
      if (o.name === 'auth.email') return macros.auth.email;
      if (isIssetMacro(o.name)) return bodySent(macros, bodyField(o.name));
      v = macros.body?.[bodyField(o.name)] ?? null;
      kind = resolveField(collection, bodyField(o.name))?.kind ?? null;
      if (v === null) return null;
      if (kind === 'number' || kind === 'boolean') {
        if (typeof v !== kind) throw bad(o);
        return v as number | boolean;
      }
      break;
  }
  if (typeof v !== 'string') throw bad(o);
  if (kind === 'date' || kind === 'datetime') {
    const normal = kind === 'date' ? normalizeDate(v) : normalizeDatetime(v);
    if (normal === null) throw new StrongboxError('ERR_FILTER_TYPE', `not a valid ${kind} at position ${o.pos}`, { position: o.pos });
    return normal;
  }
  return v;
}

function bad(o: Operand): StrongboxError {
  return new StrongboxError('ERR_FILTER_TYPE', `value of wrong type at position ${o.pos}`, { position: o.pos });
}

/** Folds a comparison of two known values, with exactly the semantics the SQL has. */
export function compareScalars(op: CompareOp, a: Scalar, b: Scalar): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '~': return typeof a === 'string' && typeof b === 'string' && a.includes(b);
    case '!~': return !(typeof a === 'string' && typeof b === 'string' && a.includes(b));
    default: {
      if (a === null || b === null) return false;
      const c = typeof a === 'string' && typeof b === 'string' ? compareText(a, b) : (a as number) - (b as number);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
}

/** `a op b` ⇔ `b flip(op) a` for ordering and equality (not for ~). */
export const FLIP: Readonly<Record<CompareOp, CompareOp>> = {
  '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=', '~': '~', '!~': '!~',
};

/** Result of rewriting a comparison so no unbindable or out-of-range value reaches the database. */
export type Rewrite =
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'notnull' }
  | { readonly kind: 'cmp'; readonly op: CompareOp; readonly value: Scalar };

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * `column op value` rewritten to stay exact and bindable, on the storage assumption that stored
 * integers are safe integers and stored text never holds U+0000 (PostgreSQL cannot store it):
 * - an integer column against a fraction or a huge number becomes a whole-number bound or a constant,
 *   so no cast is needed and indexes still apply;
 * - a string holding U+0000 can never equal a stored value; ordering uses the prefix before it.
 */
export function rewriteForColumn(field: ResolvedField, op: CompareOp, v: Exclude<Scalar, null>): Rewrite {
  if (typeof v === 'number' && field.integer && (!Number.isInteger(v) || Math.abs(v) > MAX)) {
    if (op === '=') return { kind: 'const', value: false };
    if (op === '!=') return { kind: 'const', value: true };
    if (v > MAX) return op === '<' || op === '<=' ? { kind: 'notnull' } : { kind: 'const', value: false };
    if (v < -MAX) return op === '>' || op === '>=' ? { kind: 'notnull' } : { kind: 'const', value: false };
    return op === '<' || op === '<='
      ? { kind: 'cmp', op: '<=', value: Math.floor(v) }
      : { kind: 'cmp', op: '>=', value: Math.ceil(v) };
  }
  if (typeof v === 'string' && v.includes('\0')) {
    const prefix = v.slice(0, v.indexOf('\0'));
    switch (op) {
      case '=': case '~': return { kind: 'const', value: false };
      case '!=': case '!~': return { kind: 'const', value: true };
      case '<': case '<=': return { kind: 'cmp', op: '<=', value: prefix };
      default: return { kind: 'cmp', op: '>', value: prefix };
    }
  }
  return { kind: 'cmp', op, value: v };
}


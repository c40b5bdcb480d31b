import type { CollectionDef } from '../config/schema.ts';
import type { Expr, Operand, SortTerm } from './ast.ts';
import { describeName, filterError } from './filter-error.ts';
import { fieldPosition } from './fields.ts';
import { isSystemField, resolveField, type ResolvedField, type ValueKind } from './field-kinds.ts';
import { normalizeDate, normalizeDatetime } from './temporal.ts';
import { bodyField, isIssetMacro } from './body-macro.ts';

export interface CheckContext {
  readonly collection: CollectionDef;
  /** Fields the caller may read; undefined = all. System fields are always readable. */
  readonly readable?: ReadonlySet<string>;
  /** 'filter': a client's query; 'rule': list/view/delete rules; 'write-rule': create/update (allows @body.x). */
  readonly mode: 'filter' | 'rule' | 'write-rule';
}

/** What one side of a comparison is, for type checking. 'string' is an untyped literal. */
interface Side {
  readonly kind: ValueKind | 'string' | 'null';
  readonly field: ResolvedField | null; // a column (not @body)
  readonly substring: boolean;
  readonly label: string;
}

/**
 * Checks names, permissions and types of a parsed filter and returns it with date/datetime
 * literals normalized (the same tree when nothing changed). The result depends only on the
 * collection, readable set and mode, so core may cache it per (collection, text, readable, mode).
 */
export function checkExpr(expr: Expr, ctx: CheckContext): Expr {
  switch (expr.kind) {
    case 'const': return expr;
    case 'and': case 'or': {
      let changed = false;
      const items = expr.items.map((item) => {
        const checked = checkExpr(item, ctx);
        if (checked !== item) changed = true;
        return checked;
      });
      return changed ? { kind: expr.kind, items } : expr;
    }
    case 'compare': return checkCompare(expr, ctx);
  }
}

// Comparisons that passed checkExpr (literals already normalized), so compile can skip re-validating.
const checked = new WeakSet<Expr>();

/** True for a comparison node returned by checkExpr. */
export function wasChecked(expr: Expr): boolean {
  return checked.has(expr);
}

function checkCompare(expr: Extract<Expr, { kind: 'compare' }>, ctx: CheckContext): Expr {
  const out = checkCompareTypes(expr, ctx);
  checked.add(out);
  return out;
}

function checkCompareTypes(expr: Extract<Expr, { kind: 'compare' }>, ctx: CheckContext): Expr {
  const { op, left, right } = expr;
  const l = side(left, ctx);
  const r = side(right, ctx);
  for (const [s, other, operand] of [[l, r, left], [r, l, right]] as const) {
    if (s.field?.sensitive) {
      // Only = and != on a blind index exist for an encrypted value; anything else would need the plaintext.
      if (!s.field.searchable) throw typeError('ERR_FILTER_SENSITIVE_OPERATOR', `sensitive ${s.label} is not searchable`, operand);
      if (op !== '=' && op !== '!=') throw typeError('ERR_FILTER_SENSITIVE_OPERATOR', `sensitive ${s.label} allows only = and !=`, operand);
      if (other.field) throw typeError('ERR_FILTER_SENSITIVE_OPERATOR', `sensitive ${s.label} can only be compared with a value`, operand);
    }
    if (s.kind === 'null' && op !== '=' && op !== '!=') throw typeError('ERR_FILTER_TYPE', `null can only be compared with = or !=`, operand);
    if ((op === '~' || op === '!~') && s.kind !== 'null' && !s.substring) {
      throw typeError('ERR_FILTER_TYPE', `${op} needs text, email or url values, not ${s.label}`, operand);
    }
    if (s.kind === 'boolean' && op !== '=' && op !== '!=') {
      throw typeError('ERR_FILTER_TYPE', `${s.label} is a boolean and allows only = and !=`, operand);
    }
  }
  if (l.kind === 'null' || r.kind === 'null') return expr;
  if (l.kind === 'string' && r.kind !== 'string') {
    const value = literalFor(left as StringOperand, r);
    return value === left ? expr : { kind: 'compare', op, left: value, right, pos: expr.pos };
  }
  if (r.kind === 'string' && l.kind !== 'string') {
    const value = literalFor(right as StringOperand, l);
    return value === right ? expr : { kind: 'compare', op, left, right: value, pos: expr.pos };
  }
  if (l.kind !== r.kind) throw mismatch(l, r, right);
  return expr;
}

type StringOperand = Extract<Operand, { kind: 'string' }>;

/** A string literal takes the type of the other side; date and datetime literals are normalized. */
function literalFor(lit: StringOperand, other: Side): StringOperand {
  switch (other.kind) {
    case 'text': return lit;
    case 'date': {
      if (normalizeDate(lit.value) === null) throw typeError('ERR_FILTER_TYPE', `${other.label} is a date; the string is not a valid YYYY-MM-DD date`, lit);
      return lit;
    }
    case 'datetime': {
      const value = normalizeDatetime(lit.value);
      if (value === null) throw typeError('ERR_FILTER_TYPE', `${other.label} is a datetime; the string is not a valid ISO 8601 datetime with a time zone`, lit);
      return value === lit.value ? lit : { kind: 'string', value, pos: lit.pos };
    }
    default:
      throw mismatch(other, { kind: 'string', field: null, substring: true, label: 'a string' }, lit);
  }
}

function side(o: Operand, ctx: CheckContext): Side {
  switch (o.kind) {
    case 'field': {
      const f = usableField(o.name, o.pos, ctx);
      if (f.kind === 'none') throw typeError('ERR_FILTER_TYPE', `field ${describeName(o.name)} (${f.def?.type}) cannot be filtered`, o);
      return { kind: f.kind, field: f, substring: f.substring, label: `field ${describeName(o.name)}` };
    }
    case 'macro': {
      if (o.name.startsWith('body.')) {
        const name = bodyField(o.name);
        if (ctx.mode !== 'write-rule') throw typeError('ERR_FILTER_FORBIDDEN_FIELD', '@body is only allowed in create and update rules', o);
        const f = resolveField(ctx.collection, name);
        if (!f || isSystemField(name)) throw typeError('ERR_FILTER_UNKNOWN_FIELD', `unknown field ${describeName(name)} in @body`, o);
        if (isIssetMacro(o.name)) return { kind: 'boolean', field: null, substring: false, label: `@body.${name}:isset` };
        if (f.kind === 'none') throw typeError('ERR_FILTER_TYPE', `@body.${name} (${f.def?.type}) cannot be compared`, o);
        return { kind: f.kind, field: null, substring: f.substring, label: `@body.${name}` };
      }
      const kind = o.name === 'now' ? 'datetime' : 'text';
      return { kind, field: null, substring: kind === 'text', label: `@${o.name}` };
    }
    case 'string': return { kind: 'string', field: null, substring: true, label: 'a string' };
    case 'number': return { kind: 'number', field: null, substring: false, label: 'a number' };
    case 'boolean': return { kind: 'boolean', field: null, substring: false, label: 'a boolean' };
    case 'null': return { kind: 'null', field: null, substring: false, label: 'null' };
  }
}

function usableField(name: string, pos: number, ctx: CheckContext): ResolvedField {
  const f = resolveField(ctx.collection, name);
  if (!f) throw filterError('ERR_FILTER_UNKNOWN_FIELD', `unknown field ${describeName(name)}`, pos);
  if (ctx.readable && f.def && !ctx.readable.has(name)) {
    throw filterError('ERR_FILTER_FORBIDDEN_FIELD', `field ${describeName(name)} may not be used`, pos);
  }
  return f;
}

function mismatch(a: Side, b: Side, at: Operand): Error {
  const kind = (s: Side): string => (s.kind === 'string' ? 'a string' : `${s.kind === 'text' ? 'text' : `a ${s.kind}`}`);
  const what = (s: Side): string => (s.field || s.label.startsWith('@') ? `${s.label} (${kind(s)})` : kind(s));
  return typeError('ERR_FILTER_TYPE', `cannot compare ${what(a)} with ${what(b)}`, at);
}

function typeError(code: 'ERR_FILTER_TYPE' | 'ERR_FILTER_FORBIDDEN_FIELD' | 'ERR_FILTER_UNKNOWN_FIELD' | 'ERR_FILTER_SENSITIVE_OPERATOR', what: string, at: { pos: number }): Error {
  return filterError(code, what, at.pos);
}

/** Sort terms: known, readable, sortable (not json/multi-select, never sensitive). */
export function checkSort(terms: readonly SortTerm[], ctx: CheckContext): void {
  for (const term of terms) {
    const f = usableField(term.field, term.pos, ctx);
    if (f.sensitive) throw filterError('ERR_FILTER_SENSITIVE_OPERATOR', `sensitive field ${describeName(f.name)} cannot be sorted`, term.pos);
    if (f.kind === 'none') throw filterError('ERR_FILTER_TYPE', `field ${describeName(f.name)} (${f.def?.type}) cannot be sorted`, term.pos);
  }
}

/** A projection: every name known and readable (json and sensitive fields may be projected). */
export function checkFields(names: readonly string[], ctx: CheckContext): void {
  names.forEach((name, i) => usableField(name, fieldPosition(names, i), ctx));
}


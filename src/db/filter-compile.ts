import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { frag, Fragment, joinFragments } from './sql-fragment.ts';
import type { CollectionDef, FieldDef } from '../config/schema.ts';
import type { CompareOp, Expr, Operand } from '../filter/ast.ts';
import { resolveField, type ResolvedField } from '../filter/field-kinds.ts';
import { wasChecked } from '../filter/check.ts';
import type { MacroValues } from '../filter/macros.ts';
import { bodyField, isAbsentBodyMacro, isIssetMacro } from '../filter/body-macro.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { encodeValue } from './column-codec.ts';
import type { Dialect } from './database.ts';
import { compareScalars, FLIP, operandValue, rewriteForColumn, type Scalar } from './filter-values.ts';

/**
 * Where a sensitive (searchable) field is matched: its blind-index column and the index of a value.
 * Supplied by the field-encryption stage; without it the plain column is compared. `index` may
 * give several values (one per live index key while the key is being rotated): `=` then matches
 * any of them, `!=` none.
 */
export type SensitiveMatcher = (field: FieldDef, collection: CollectionDef) => { readonly column: string; index(value: Scalar): unknown };

export interface CompileEnv {
  readonly collection: CollectionDef;
  readonly dialect: Dialect;
  readonly macros: MacroValues;
  /** qualify columns as "table"."column" (joins, subqueries) */
  readonly table?: string;
  readonly sensitive?: SensitiveMatcher;
}

type Node = boolean | Fragment;

const TRUE_SQL = sql<SqlBool>`1 = 1`;
const FALSE_SQL = sql<SqlBool>`1 = 0`;

/**
 * Compiles a (checked) Expr into a WHERE expression. Every value is a bound parameter; identifiers
 * come from the schema. Comparisons that involve no column are folded here, with the SQL semantics:
 * `=`/`!=` null-safe, ordering and `~` false on NULL, `!~` the negation of `~`.
 */
export function compileFilter(expr: Expr, env: CompileEnv): Expression<SqlBool> {
  const node = compile(expr, env);
  return node === true ? TRUE_SQL : node === false ? FALSE_SQL : node.toSql<SqlBool>();
}

/**
 * The truth of an expression that names no column, folded exactly as compileFilter folds it, so a
 * rule decided without SQL agrees with the SQL. Undefined when the expression names a column.
 */
export function foldConstant(expr: Expr, env: CompileEnv): boolean | undefined {
  const node = compile(expr, env);
  return typeof node === 'boolean' ? node : undefined;
}

function compile(expr: Expr, env: CompileEnv): Node {
  switch (expr.kind) {
    case 'const': return expr.value;
    case 'compare': return compileCompare(expr.op, expr.left, expr.right, env, wasChecked(expr));
    case 'and': case 'or': {
      const absorbing = expr.kind === 'or'; // true absorbs an OR, false an AND
      const parts: Fragment[] = [];
      for (const item of expr.items) {
        const node = compile(item, env);
        if (node === absorbing) return absorbing;
        if (node !== !absorbing) parts.push(node as Fragment);
      }
      if (parts.length === 0) return !absorbing;
      if (parts.length === 1) return parts[0];
      return joinFragments(parts, absorbing ? ' or ' : ' and ');
    }
  }
}

interface Column { readonly field: ResolvedField; readonly ref: RawBuilder<unknown> }

// Identifier builders are immutable, so one per (table, column) is shared by every compile.
const refs = new Map<string, RawBuilder<unknown>>();
function columnRef(table: string | undefined, name: string): RawBuilder<unknown> {
  const key = table === undefined ? name : `${table}\u0000${name}`;
  let ref = refs.get(key);
  if (!ref) {
    ref = table === undefined ? sql.id(name) : sql.id(table, name);
    if (refs.size < 10_000) refs.set(key, ref);
  }
  return ref;
}

function column(o: Extract<Operand, { kind: 'field' }>, env: CompileEnv): Column {
  const field = resolveField(env.collection, o.name);
  if (!field || field.kind === 'none') {
    // checkExpr rejects these first; this guards a caller that skipped it
    throw new StrongboxError('ERR_FILTER_UNKNOWN_FIELD', `unknown field at position ${o.pos}`, { position: o.pos });
  }
  const name = field.sensitive && field.def && env.sensitive ? env.sensitive(field.def, env.collection).column : field.name;
  return { field, ref: columnRef(env.table, name) };
}

/**
 * A macro with no value (an anonymous caller's @auth.id, a field absent from @body) equals
 * nothing, so `owner = @auth.id` can never match ownerless records for an anonymous caller.
 * Only an explicit `= null` tests for the missing value.
 */
export function isUnknownMacro(o: Operand, macros: MacroValues): boolean {
  if (o.kind !== 'macro' || o.name === 'now') return false;
  if (o.name === 'auth.id') return macros.auth.id === null;
  if (o.name === 'auth.role') return macros.auth.role === null;
  if (o.name === 'auth.email') return macros.auth.email === null;
  if (isIssetMacro(o.name)) return false;
  return (macros.body?.[bodyField(o.name)] ?? null) === null;
}

function compileCompare(op: CompareOp, left: Operand, right: Operand, env: CompileEnv, checked: boolean): Node {
  // A field the body did not send equals nothing, not even null (see filter/body-macro.ts).
  if (isAbsentBodyMacro(left, env.macros) || isAbsentBodyMacro(right, env.macros)) return op === '!=' || op === '!~';
  if ((right.kind !== 'null' && isUnknownMacro(left, env.macros)) || (left.kind !== 'null' && isUnknownMacro(right, env.macros))) {
    return op === '!=' || op === '!~';
  }
  if (left.kind === 'field' && right.kind === 'field') return columns(op, column(left, env), column(right, env), env);
  if (left.kind === 'field') {
    const col = column(left, env);
    return columnValue(op, col, operandValue(right, col.field.kind, env.macros, env.collection, checked), env);
  }
  if (right.kind === 'field') {
    const col = column(right, env);
    const v = operandValue(left, col.field.kind, env.macros, env.collection, checked);
    if (op === '~' || op === '!~') return valueContains(op, v, col, env);
    return columnValue(FLIP[op], col, v, env);
  }
  return compareScalars(op, operandValue(left, null, env.macros, env.collection), operandValue(right, null, env.macros, env.collection));
}

/** Text-stored kinds order by byte on both dialects (PostgreSQL's default collation may not). */
function ordered(col: Column, env: CompileEnv): unknown {
  const k = col.field.kind;
  return env.dialect === 'postgres' && (k === 'text' || k === 'date' || k === 'datetime') ? frag`${col.ref} collate "C"` : col.ref;
}

function instr(env: CompileEnv, haystack: unknown, needle: unknown): Fragment {
  return env.dialect === 'postgres' ? frag`strpos(${haystack}, ${needle})` : frag`instr(${haystack}, ${needle})`;
}

function columnValue(op: CompareOp, col: Column, v: Scalar, env: CompileEnv): Node {
  const c = col.ref;
  if (v === null) {
    if (op === '=') return frag`${c} is null`;
    if (op === '!=') return frag`${c} is not null`;
    return op === '!~';
  }
  const rw = rewriteForColumn(col.field, op, v);
  if (rw.kind === 'const') return rw.value;
  if (rw.kind === 'notnull') return frag`${c} is not null`;
  const p = bind(col, rw.value, env);
  if (Array.isArray(p)) {
    // a blind index under several live index keys
    const list = joinFragments(p.map((one: unknown) => frag`${one}`), ', ');
    if (rw.op === '=') return frag`${c} in ${list}`;
    if (rw.op === '!=') return frag`(${c} not in ${list} or ${c} is null)`;
  }
  switch (rw.op) {
    case '=': return frag`${c} = ${p}`;
    case '!=': return frag`(${c} <> ${p} or ${c} is null)`;
    case '<': return frag`${ordered(col, env)} < ${p}`;
    case '<=': return frag`${ordered(col, env)} <= ${p}`;
    case '>': return frag`${ordered(col, env)} > ${p}`;
    case '>=': return frag`${ordered(col, env)} >= ${p}`;
    case '~': return frag`${instr(env, c, p)} > 0`;
    case '!~': return frag`(${c} is null or ${instr(env, c, p)} = 0)`;
  }
}

function bind(col: Column, v: Scalar, env: CompileEnv): unknown {
  const def = col.field.def;
  if (!def) return v;
  if (col.field.sensitive && env.sensitive) return env.sensitive(def, env.collection).index(v);
  return encodeValue(def, v, env.dialect);
}

/** `'literal' ~ column`: the column's value is a substring of the literal. */
function valueContains(op: '~' | '!~', v: Scalar, col: Column, env: CompileEnv): Node {
  if (v === null) return op === '!~';
  // Stored text never holds U+0000, so only the pieces between NULs can contain the column's value.
  const pieces = [...new Set(String(v).split('\0'))];
  const found = pieces.map((piece) => frag`${instr(env, piece, col.ref)} > 0`);
  const any = found.length === 1 ? found[0] : joinFragments(found, ' or ');
  return op === '~' ? any : frag`(${col.ref} is null or not ${any})`;
}

function columns(op: CompareOp, a: Column, b: Column, env: CompileEnv): Node {
  const pg = env.dialect === 'postgres';
  switch (op) {
    case '=': return pg ? frag`${a.ref} is not distinct from ${b.ref}` : frag`${a.ref} is ${b.ref}`;
    case '!=': return pg ? frag`${a.ref} is distinct from ${b.ref}` : frag`${a.ref} is not ${b.ref}`;
    case '<': return frag`${ordered(a, env)} < ${b.ref}`;
    case '<=': return frag`${ordered(a, env)} <= ${b.ref}`;
    case '>': return frag`${ordered(a, env)} > ${b.ref}`;
    case '>=': return frag`${ordered(a, env)} >= ${b.ref}`;
    case '~': return frag`${instr(env, a.ref, b.ref)} > 0`;
    case '!~': return frag`(${a.ref} is null or ${b.ref} is null or ${instr(env, a.ref, b.ref)} = 0)`;
  }
}

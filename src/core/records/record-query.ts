import type { AliasedExpression, Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import type { Dialect } from '../../db/database.ts';
import { compileFilter, type SensitiveMatcher } from '../../db/filter-compile.ts';
import type { Expr } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Caller } from '../caller.ts';
import { selectedColumns, type ReadPlan } from './read-projection.ts';
import { fieldsSent } from './validate-input.ts';

/** Everything needed to turn a checked AST into SQL for one request. */
export interface QueryEnv {
  readonly collection: CollectionDef;
  readonly dialect: Dialect;
  readonly macros: MacroValues;
  readonly sensitive?: SensitiveMatcher;
}

/** One request's macro values. @now reads the clock once, and only if a rule or a write uses it. */
class RequestMacros implements MacroValues {
  #now: string | undefined;
  readonly #clock: () => string;
  readonly auth: Caller;
  readonly body: Readonly<Record<string, unknown>> | undefined;

  constructor(auth: Caller, clock: () => string, body: Readonly<Record<string, unknown>> | undefined) {
    this.auth = auth;
    this.#clock = clock;
    this.body = body === undefined ? undefined : sentOnly(body);
  }

  get now(): string {
    return (this.#now ??= this.#clock());
  }
}

/** @body is what the request sent: a create's defaults are the new row's values, not the body's. */
function sentOnly(values: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const sent = fieldsSent(values);
  if (sent === undefined || sent.size === Object.keys(values).length) return values;
  const out: Record<string, unknown> = Object.create(null);
  for (const name of sent) out[name] = values[name];
  return out;
}

export function macrosFor(caller: Caller, now: () => string, body?: Readonly<Record<string, unknown>>): MacroValues {
  return new RequestMacros(caller, now, body);
}

export function compile(expr: Expr, env: QueryEnv): Expression<SqlBool> {
  return compileFilter(expr, env);
}

// Tables come from the live schema, so the builder is untyped here; every value is still bound.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;

/**
 * The select list of a read: the plan's columns plus, for each field with a per-record read rule,
 * `(<rule>) AS "__r_<field>"`, so the rule is decided by the same statement that reads the row.
 */
export function selection(plan: ReadPlan, env: QueryEnv) {
  return (eb: AnyEb): Array<string | AliasedExpression<unknown, string>> => [
    ...selectedColumns(plan),
    ...plan.ruleColumns.map((c) => eb.and([compile(c.expr, env)]).as(c.alias)),
  ];
}

/** One shape for "missing" and "not visible to you", so the answer reveals nothing. */
export function notFound(): StrongboxError {
  return new StrongboxError('ERR_NOT_FOUND', 'the record was not found');
}

/** A whole-collection refusal: anonymous callers are told to sign in, others that it is forbidden. */
export function denied(caller: Caller, action: string): StrongboxError {
  return caller.id === null
    ? new StrongboxError('ERR_UNAUTHENTICATED', `sign in to ${action} records in this collection`)
    : new StrongboxError('ERR_FORBIDDEN', `you may not ${action} records in this collection`);
}

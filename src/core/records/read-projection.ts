import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import { SYSTEM_FIELDS } from '../../config/schema.ts';
import type { Expr } from '../../filter/ast.ts';
import type { MacroValues } from '../../filter/macros.ts';
import type { Dialect } from '../../db/database.ts';
import { decodesAsIs } from '../../db/column-codec.ts';
import type { RuleCache } from './rule-cache.ts';
import { hasMaskColumn, maskColumn, REVISION_COLUMN } from './sensitive-columns.ts';
import { evaluateStatic, referencesFields } from './static-rule.ts';

/**
 * What one caller may read of one collection, decided before any query runs.
 * - `filterable`: fields the caller may name in filter/sort (undefined = all). A field qualifies only
 *   if it has no read rule, or its read rule uses macros alone and holds for this caller; a rule that
 *   names record fields may be false for some records, so filtering on that field would let the
 *   caller probe values they cannot read.
 * - `hidden`: fields never returned (macro-only read rule false for this caller).
 * - `perRecord`: fields whose read rule names record fields; evaluated per row in the same SELECT.
 */
export interface ReadAccess {
  readonly filterable: ReadonlySet<string> | undefined;
  /** Identifies `filterable` for the rule cache. */
  readonly filterableKey: string;
  readonly hidden: ReadonlySet<string>;
  readonly perRecord: ReadonlyMap<string, Expr>;
}

export const FULL_ACCESS: ReadAccess = Object.freeze({
  filterable: undefined,
  filterableKey: '*',
  hidden: new Set<string>(),
  perRecord: new Map<string, Expr>(),
});

export function readAccess(cache: RuleCache, collection: CollectionDef, macros: MacroValues): ReadAccess {
  const hidden = new Set<string>();
  const perRecord = new Map<string, Expr>();
  for (const f of collection.fields) {
    if (f.read === null) continue;
    const expr = cache.expr(collection, 'rule', f.read);
    if (referencesFields(expr)) perRecord.set(f.name, expr);
    else if (!evaluateStatic(expr, collection, macros)) hidden.add(f.name);
  }
  if (hidden.size === 0 && perRecord.size === 0) return FULL_ACCESS;
  const filterable = new Set<string>(SYSTEM_FIELDS);
  for (const f of collection.fields) if (!hidden.has(f.name) && !perRecord.has(f.name)) filterable.add(f.name);
  const barred = [...hidden, ...perRecord.keys()].sort();
  return { filterable, filterableKey: `-${barred.join(',')}`, hidden, perRecord };
}

/** Columns one read selects and, per field with a per-record read rule, the alias of its rule column. */
export interface ReadPlan {
  readonly systemFields: readonly string[];
  readonly fields: readonly FieldDef[];
  readonly ruleColumns: ReadonlyArray<{ readonly field: string; readonly alias: string; readonly expr: Expr }>;
  /** Sensitive fields this caller may never read in full but sees masked: only their mask column is selected. */
  readonly maskOnly: ReadonlySet<string>;
  /** Sensitive fields in `fields` (decrypted or masked per row). */
  readonly sensitive: readonly FieldDef[];
  /**
   * The driver's row already is the output record: its columns are exactly the selected ones, in
   * output order, with nothing to decode, decrypt or drop. Reads then skip the per-row copy.
   */
  readonly rowIsRecord: boolean;
}

/** `projection` = parsed `fields=` names (undefined = everything); `id` is always included. */
export function planRead(collection: CollectionDef, access: ReadAccess, dialect: Dialect, projection?: readonly string[]): ReadPlan {
  const wanted = projection ? new Set(projection) : undefined;
  const systemFields = SYSTEM_FIELDS.filter((s) => s === 'id' || !wanted || wanted.has(s));
  // A hidden sensitive field with a mask is still shown, masked; its value column is not read.
  const fields = collection.fields.filter((f) => (!access.hidden.has(f.name) || hasMaskColumn(f)) && (!wanted || wanted.has(f.name)));
  const maskOnly = new Set(fields.filter((f) => access.hidden.has(f.name)).map((f) => f.name));
  const ruleColumns = fields
    .filter((f) => access.perRecord.has(f.name))
    .map((f) => ({ field: f.name, alias: `__r_${f.name}`, expr: access.perRecord.get(f.name) as Expr }));
  const rowIsRecord = ruleColumns.length === 0 && fields.every((f) => !f.sensitive && decodesAsIs(f, dialect));
  return { systemFields, fields, ruleColumns, rowIsRecord, maskOnly, sensitive: fields.filter((f) => f.sensitive) };
}

export function selectedColumns(plan: ReadPlan): string[] {
  const cols = [...plan.systemFields];
  if (plan.sensitive.length > 0) cols.push(REVISION_COLUMN);
  for (const f of plan.fields) {
    if (!plan.maskOnly.has(f.name)) cols.push(f.name);
    if (hasMaskColumn(f) && (plan.maskOnly.has(f.name) || plan.ruleColumns.some((c) => c.field === f.name))) cols.push(maskColumn(f.name));
  }
  return cols;
}

/** Field names whose per-record read rule is false for this row. */
export function deniedFields(plan: ReadPlan, row: Readonly<Record<string, unknown>>): Set<string> {
  const denied = new Set<string>();
  for (const c of plan.ruleColumns) if (!sqlTrue(row[c.alias])) denied.add(c.field);
  return denied;
}

/** SQLite answers a boolean expression with 0/1, PostgreSQL with true/false; NULL means no. */
export function sqlTrue(v: unknown): boolean {
  return v === true || v === 1 || v === 1n || v === '1' || v === 't';
}

/**
 * The output record: system fields, then readable fields in declaration order. A field whose
 * per-record read rule is false for this row is left out entirely (not nulled), so its absence
 * says nothing about its value.
 */
export function projectRow(
  plan: ReadPlan,
  row: Readonly<Record<string, unknown>>,
  decoded: Readonly<Record<string, unknown>>,
  masked: ReadonlySet<string> = NONE,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of plan.systemFields) out[s] = row[s] ?? null;
  if (plan.ruleColumns.length === 0 && plan.maskOnly.size === 0) {
    for (const f of plan.fields) out[f.name] = decoded[f.name] ?? null;
    return out;
  }
  const denied = deniedFields(plan, row);
  for (const f of plan.maskOnly) denied.add(f);
  for (const f of plan.fields) {
    if (!denied.has(f.name)) out[f.name] = decoded[f.name] ?? null;
    else if (masked.has(f.name)) out[f.name] = decoded[f.name];
  }
  return out;
}

const NONE: ReadonlySet<string> = new Set();

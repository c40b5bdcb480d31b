import type { CompiledQuery } from 'kysely';
import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import { encodeValue } from '../column-codec.ts';
import { indexName, storageOf, typeSignature, uniqueName } from './column-types.ts';
import { countDuplicates, countNulls, countRows } from './data-probes.ts';
import {
  addColumnDdl, clearDuplicatesDdl, createIndexDdl, createTableDdl, dropColumnDdl, dropIndexDdl,
  fillNullsDdl, setNotNullDdl, type DdlCtx,
} from './ddl.ts';
import type { Executor } from './introspect.ts';
import { makeStep, type MigrationStep, type StepKind } from './plan-types.ts';
import { findColumn, type TableModel } from './table-model.ts';
import { companionColumns, isCompanionColumn } from './companion-columns.ts';

export interface PlanCtx extends DdlCtx { readonly exec: Executor }

/** System columns every collection table has, and the ones always indexed (owner rules are common). */
const SYSTEM_INDEXED = ['owner', 'created'] as const;

export function planCreate(ctx: PlanCtx, def: CollectionDef): MigrationStep {
  const t: TableModel = {
    name: def.name,
    columns: [
      { name: 'id', storage: 'text', notNull: true, primaryKey: true },
      { name: 'created', storage: 'text', notNull: true, primaryKey: false },
      { name: 'updated', storage: 'text', notNull: true, primaryKey: false },
      { name: 'owner', storage: 'text', notNull: false, primaryKey: false },
      ...def.fields.map((f) => ({ name: f.name, storage: storageOf(f, ctx.dialect), notNull: f.required, primaryKey: false })),
    ],
    indexes: [],
  };
  for (const c of companionColumns(def)) t.columns.push({ name: c.name, storage: 'text', notNull: false, primaryKey: false });
  const queries = [createTableDdl(ctx, t)];
  for (const c of SYSTEM_INDEXED) queries.push(createIndexDdl(ctx, t, c, false));
  for (const f of def.fields) {
    if (f.sensitive) continue; // indexed through its blind index (companion columns below)
    if (f.unique) queries.push(createIndexDdl(ctx, t, f.name, true));
    else if (f.index) queries.push(createIndexDdl(ctx, t, f.name, false));
  }
  for (const c of companionColumns(def)) if (c.index !== null) queries.push(createIndexDdl(ctx, t, c.name, c.index === 'unique'));
  return makeStep({ kind: 'create_collection', collection: def.name, destructive: false,
    description: `create collection "${def.name}" with ${def.fields.length} field(s)`, queries });
}

/**
 * Steps that take an existing table to `def`. Order: index drops, field drops, type changes,
 * new fields, required changes, new indexes, so each step sees the table the earlier ones leave.
 * Renames are not detected: a renamed field is a drop plus an add, and both are listed.
 */
export async function planAlter(ctx: PlanCtx, def: CollectionDef, t: TableModel, snap: CollectionDef | undefined): Promise<MigrationStep[]> {
  const steps: MigrationStep[] = [];
  const table = def.name;
  const rows = await countRows(ctx.exec, table);
  const snapField = new Map((snap?.fields ?? []).map((f) => [f.name, f] as const));
  const wanted = new Map(def.fields.map((f) => [f.name, f] as const));
  /** Columns (re)created by this plan: 'null' = every row NULL, 'default' = every row the default. */
  const fresh = new Map<string, 'null' | 'default'>();
  const step = (kind: StepKind, field: string | undefined, destructive: boolean, description: string, queries: CompiledQuery[]): void => {
    steps.push(makeStep({ kind, collection: table, ...(field ? { field } : {}), destructive, description, queries }));
  };

  for (const ix of [...t.indexes]) {
    const f = wanted.get(ix.column);
    const system = (SYSTEM_INDEXED as readonly string[]).includes(ix.column);
    if (!f && !snapField.has(ix.column)) continue; // not ours (system or unknown column): leave it
    if (ix.unique && f?.unique) continue;
    if (!ix.unique && (system || (f?.index && !f.unique))) continue;
    if (!f) continue; // the field's drop removes it
    step(ix.unique ? 'drop_unique' : 'drop_index', ix.column, false,
      `drop ${ix.unique ? 'unique index' : 'index'} on "${table}.${ix.column}"`, [dropIndexDdl(ctx, t, ix)]);
  }

  for (const sf of snap?.fields ?? []) {
    if (wanted.has(sf.name) || !findColumn(t, sf.name)) continue;
    step('drop_field', sf.name, true, `drop field "${table}.${sf.name}"${lost(rows)}`, dropColumnDdl(ctx, t, sf.name));
  }

  for (const f of def.fields) {
    const col = findColumn(t, f.name);
    if (!col) continue;
    const before = snapField.get(f.name);
    const storage = storageOf(f, ctx.dialect);
    const changed = col.storage !== storage || (before !== undefined && typeSignature(before) !== typeSignature(f));
    if (!changed) continue;
    const from = before ? typeSignature(before) : `a ${col.storage} column`;
    const queries = [...dropColumnDdl(ctx, t, f.name), addColumnDdl(ctx, t, f.name, storage)];
    const req = requireFresh(ctx, t, f, rows, fresh, queries);
    step('change_type', f.name, true, `change type of "${table}.${f.name}" from ${from} to ${typeSignature(f)}: `
      + `the column is dropped and re-added${lost(rows)}${req}`, queries);
  }

  for (const f of def.fields) {
    if (findColumn(t, f.name)) continue;
    const queries = [addColumnDdl(ctx, t, f.name, storageOf(f, ctx.dialect))];
    const req = requireFresh(ctx, t, f, rows, fresh, queries);
    const breaks = f.required && rows > 0 && f.default === undefined;
    step('add_field', f.name, breaks, `add ${f.required ? 'required ' : ''}field "${table}.${f.name}" (${typeSignature(f)})${req}`, queries);
  }

  for (const f of def.fields) {
    if (fresh.has(f.name)) continue;
    const col = findColumn(t, f.name);
    const before = snapField.get(f.name);
    if (!col) continue;
    const wasRequired = before ? before.required : col.notNull;
    if (f.required && !wasRequired) {
      const nulls = await countNulls(ctx.exec, table, f.name);
      const queries: CompiledQuery[] = [];
      let how = '';
      if (nulls > 0 && f.default !== undefined) {
        queries.push(fillNullsDdl(ctx, t, f.name, encodeValue(f, f.default, ctx.dialect)));
        how = `: ${nulls} row(s) with no value get the default`;
      } else if (nulls > 0) {
        how = `: ${nulls} existing row(s) have no value and break it; they keep NULL and the rule applies to writes`;
      }
      if (nulls === 0 || f.default !== undefined) queries.push(...setNotNullDdl(ctx, t, f.name, true));
      step('set_required', f.name, nulls > 0, `make "${table}.${f.name}" required${how}`, queries);
    } else if (!f.required && col.notNull) {
      step('drop_required', f.name, false, `make "${table}.${f.name}" optional`, setNotNullDdl(ctx, t, f.name, false));
    }
  }

  for (const c of SYSTEM_INDEXED) {
    if (findColumn(t, c) && !t.indexes.some((i) => i.name === indexName(table, c))) {
      step('add_index', c, false, `add index on "${table}.${c}"`, [createIndexDdl(ctx, t, c, false)]);
    }
  }
  for (const f of def.fields) {
    if (f.sensitive) continue; // its indexes live on the blind-index column (planCompanions)
    if (f.unique && !t.indexes.some((i) => i.name === uniqueName(table, f.name))) {
      const state = fresh.get(f.name);
      const dups = state === 'null' ? 0 : state === 'default' ? Math.max(rows - 1, 0) : await countDuplicates(ctx.exec, table, f.name);
      const queries: CompiledQuery[] = [];
      const loosens = dups > 0 && findColumn(t, f.name)?.notNull === true;
      if (dups > 0) queries.push(...setNotNullDdl(ctx, t, f.name, false), clearDuplicatesDdl(ctx, t, f.name));
      queries.push(createIndexDdl(ctx, t, f.name, true));
      step('add_unique', f.name, dups > 0, `add unique index on "${table}.${f.name}"` + (dups > 0
        ? `: ${dups} row(s) repeat a value and break it; the oldest row keeps the value, the others are set to NULL`
        + (loosens ? ' (so the column drops NOT NULL; required still applies to writes)' : '') : ''), queries);
    } else if (f.index && !f.unique && !t.indexes.some((i) => i.name === indexName(table, f.name))) {
      step('add_index', f.name, false, `add index on "${table}.${f.name}"`, [createIndexDdl(ctx, t, f.name, false)]);
    }
  }
  steps.push(...planCompanions(ctx, def, t));
  return steps;
}

/**
 * The derived columns of sensitive fields (blind index, encrypted mask): added when a field
 * needs one, dropped when it no longer does. Dropping one loses nothing that the ciphertext
 * does not still hold, so it is not destructive. A blind index added to existing rows starts
 * NULL: those rows match an equality filter only after they are written again.
 */
function planCompanions(ctx: PlanCtx, def: CollectionDef, t: TableModel): MigrationStep[] {
  const steps: MigrationStep[] = [];
  const wanted = companionColumns(def);
  const names = new Set(wanted.map((c) => c.name));
  for (const col of [...t.columns]) {
    if (!isCompanionColumn(col.name) || names.has(col.name)) continue;
    steps.push(makeStep({ kind: 'drop_field', collection: def.name, field: col.name, destructive: false,
      description: `drop derived column "${def.name}.${col.name}"`, queries: dropColumnDdl(ctx, t, col.name) }));
  }
  for (const c of wanted) {
    const queries: CompiledQuery[] = [];
    if (!findColumn(t, c.name)) queries.push(addColumnDdl(ctx, t, c.name, 'text'));
    for (const ix of t.indexes.filter((i) => i.column === c.name && (c.index === null || i.unique !== (c.index === 'unique')))) {
      queries.push(dropIndexDdl(ctx, t, ix));
    }
    if (c.index !== null && !t.indexes.some((i) => i.column === c.name)) queries.push(createIndexDdl(ctx, t, c.name, c.index === 'unique'));
    if (queries.length > 0) {
      steps.push(makeStep({ kind: 'add_field', collection: def.name, field: c.name, destructive: false,
        description: `derived column "${def.name}.${c.name}" for sensitive field "${c.field}"`, queries }));
    }
  }
  return steps;
}

/** NOT NULL for a new column only when every row gets a value: none exist, or the default fills them. */
function requireFresh(ctx: PlanCtx, t: TableModel, f: FieldDef, rows: number, fresh: Map<string, 'null' | 'default'>, queries: CompiledQuery[]): string {
  fresh.set(f.name, 'null');
  if (!f.required) return '';
  if (rows === 0) {
    queries.push(...setNotNullDdl(ctx, t, f.name, true));
    return '';
  }
  if (f.default === undefined) {
    return `: ${rows} existing row(s) have no value and break it; they keep NULL and the rule applies to writes`;
  }
  fresh.set(f.name, 'default');
  queries.push(fillNullsDdl(ctx, t, f.name, encodeValue(f, f.default, ctx.dialect)), ...setNotNullDdl(ctx, t, f.name, true));
  return `; existing rows get the default`;
}

function lost(rows: number): string {
  return rows > 0 ? ` (its values in ${rows} row(s) are lost)` : '';
}

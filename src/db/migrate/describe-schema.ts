import type { Database } from '../database.ts';
import { typeSignature } from './column-types.ts';
import { readSnapshots } from './data-probes.ts';
import { introspectTable, listTables } from './introspect.ts';

export interface FieldShape {
  /** Logical type (typeSignature) from the snapshot; `?<storage>` when the snapshot does not name the column. */
  readonly type: string;
  /** Required as recorded; enforced by NOT NULL only when `notNull` (see plan-collection.ts). */
  readonly required: boolean;
  readonly notNull: boolean;
  readonly unique: boolean;
  readonly index: boolean;
}

/** collection → column → shape, dialect-neutral: the same config must give the same value on both databases. */
export type SchemaShape = Record<string, Record<string, FieldShape>>;

/** The observable schema of the collections Strongbox manages (for tests, and for `doctor`). */
export async function describeSchema(db: Database): Promise<SchemaShape> {
  const tables = await listTables(db.kysely, db.dialect);
  const snapshots = await readSnapshots(db.kysely, tables);
  const out: SchemaShape = {};
  for (const name of [...snapshots.keys()].sort()) {
    const t = await introspectTable(db.kysely, db.dialect, name);
    if (!t) continue;
    const fields = new Map(snapshots.get(name)!.fields.map((f) => [f.name, f] as const));
    const shape: Record<string, FieldShape> = {};
    for (const c of [...t.columns].sort((a, b) => a.name.localeCompare(b.name))) {
      const f = fields.get(c.name);
      const ix = t.indexes.filter((i) => i.column === c.name);
      shape[c.name] = {
        type: f ? typeSignature(f) : c.name === 'id' || c.name === 'owner' ? 'text' : c.name === 'created' || c.name === 'updated' ? 'datetime' : `?${c.storage}`,
        required: f ? f.required : c.notNull,
        notNull: c.notNull,
        unique: c.primaryKey || ix.some((i) => i.unique),
        index: c.primaryKey || ix.length > 0,
      };
    }
    out[name] = shape;
  }
  return out;
}

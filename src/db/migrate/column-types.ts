import type { FieldDef } from '../../config/schema.ts';
import type { Dialect } from '../database.ts';

/**
 * How a column is stored, in the database's own terms (see column-codec.ts). SQLite has no
 * boolean or json storage: they are integer and text there, which is why the logical type comes
 * from the `_sb_collections` snapshot and not from the column.
 */
export type Storage = 'text' | 'integer' | 'real' | 'boolean' | 'json';

export function storageOf(field: FieldDef, dialect: Dialect): Storage {
  // A sensitive value is stored as base64 ciphertext, whatever its type (core/records/field-encryption-stage.ts).
  if (field.sensitive) return 'text';
  switch (field.type) {
    case 'number':
      return field.integer ? 'integer' : 'real';
    case 'boolean':
      return dialect === 'sqlite' ? 'integer' : 'boolean';
    case 'json':
      return dialect === 'sqlite' ? 'text' : 'json';
    case 'select':
      return field.multiple ? (dialect === 'sqlite' ? 'text' : 'json') : 'text';
    default:
      return 'text';
  }
}

/** The SQL type name Kysely's schema builder is given for a storage class. */
export function sqlTypeOf(storage: Storage, dialect: Dialect): 'text' | 'integer' | 'bigint' | 'real' | 'double precision' | 'boolean' | 'jsonb' {
  if (dialect === 'sqlite') return storage === 'real' ? 'real' : storage === 'integer' ? 'integer' : 'text';
  switch (storage) {
    case 'integer': return 'bigint';
    case 'real': return 'double precision';
    case 'boolean': return 'boolean';
    case 'json': return 'jsonb';
    default: return 'text';
  }
}

/** Maps a column type as introspected back to its storage class; null when Strongbox never makes it. */
export function storageFromSql(type: string, dialect: Dialect): Storage | null {
  const t = type.trim().toLowerCase();
  if (dialect === 'sqlite') {
    if (t === 'text') return 'text';
    if (t === 'integer') return 'integer';
    if (t === 'real') return 'real';
    return null;
  }
  if (t === 'text') return 'text';
  if (t === 'bigint') return 'integer';
  if (t === 'double precision') return 'real';
  if (t === 'boolean') return 'boolean';
  if (t === 'jsonb') return 'json';
  return null;
}

/**
 * The logical type of a field: two fields with the same signature hold interchangeable values.
 * text vs email, integer vs float, single vs multiple select and the relation's target all count,
 * because existing values may not fit the new type.
 */
export function typeSignature(field: FieldDef): string {
  switch (field.type) {
    case 'number': return field.integer ? 'number:integer' : 'number:float';
    case 'select': return field.multiple ? 'select:multiple' : 'select:single';
    case 'relation': return `relation:${field.collection}`;
    default: return field.type;
  }
}

export const indexName = (table: string, column: string): string => `ix_${table}__${column}`;
export const uniqueName = (table: string, column: string): string => `uq_${table}__${column}`;

import type { FieldDef } from '../config/schema.ts';
import type { Dialect } from './database.ts';

/**
 * How a validated field value is stored and read back, per dialect. Both dialects must give
 * the same observable values:
 * - text, email, url, relation, single select, date, datetime: TEXT (dates as normalized ISO 8601 UTC,
 *   so text order is time order)
 * - number: INTEGER/bigint when integer, REAL/double precision otherwise
 * - boolean: INTEGER 0/1 on SQLite, boolean on PostgreSQL
 * - json and multiple select: TEXT holding JSON on SQLite, jsonb on PostgreSQL
 */
export function encodeValue(field: FieldDef, value: unknown, dialect: Dialect): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'boolean':
      return dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value);
    case 'json':
      return JSON.stringify(value);
    case 'select':
      return field.multiple ? JSON.stringify(value) : value;
    default:
      return value;
  }
}

export function decodeValue(field: FieldDef, raw: unknown, dialect: Dialect): unknown {
  if (raw === null || raw === undefined) return null;
  switch (field.type) {
    case 'boolean':
      return dialect === 'sqlite' ? raw === 1 || raw === 1n : raw === true;
    case 'number':
      return typeof raw === 'string' || typeof raw === 'bigint' ? Number(raw) : raw;
    case 'json':
      return dialect === 'sqlite' && typeof raw === 'string' ? JSON.parse(raw) : raw;
    case 'select':
      return field.multiple && dialect === 'sqlite' && typeof raw === 'string' ? JSON.parse(raw) : raw;
    default:
      return raw;
  }
}

/**
 * True when this dialect's driver already returns the field's values as decodeValue would give
 * them, so rows of such fields need no decoding pass. Kept to what the drivers guarantee:
 * better-sqlite3 returns TEXT as strings and REAL/INTEGER as numbers (safeIntegers is off).
 */
export function decodesAsIs(field: FieldDef, dialect: Dialect): boolean {
  switch (field.type) {
    case 'boolean':
    case 'json':
      return false;
    case 'select':
      return !field.multiple;
    case 'number':
      return dialect === 'sqlite';
    default:
      return true;
  }
}

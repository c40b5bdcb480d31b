import type { Dialect } from '../database.ts';

/**
 * How a value is written in a backup, whatever the engine: JSON Lines need one logical form
 * per column so a SQLite backup restores into PostgreSQL and back.
 * - text: a string (timestamps as ISO 8601)   - integer, real: a number
 * - boolean: true/false (SQLite's 0/1 too)      - json: the JSON text, as a string
 * - blob: base64 text
 */
export type ArchiveStorage = 'text' | 'integer' | 'real' | 'boolean' | 'json' | 'blob';

export type Encoder = (value: unknown) => unknown;
export type Coercer = (value: unknown) => unknown;

/** The logical storage of a column from its catalog type (collections refine boolean and json). */
export function archiveStorageOf(type: string, dialect: Dialect): ArchiveStorage {
  const t = type.toLowerCase();
  if (dialect === 'sqlite') {
    if (t.includes('int')) return 'integer';
    if (t.includes('real') || t.includes('floa') || t.includes('doub')) return 'real';
    if (t === 'blob') return 'blob';
    return 'text';
  }
  if (t === 'bigint' || t === 'integer' || t === 'smallint') return 'integer';
  if (t === 'double precision' || t === 'real' || t === 'numeric') return 'real';
  if (t === 'boolean') return 'boolean';
  if (t === 'jsonb' || t === 'json') return 'json';
  if (t === 'bytea') return 'blob';
  return 'text';
}

const asIs: Encoder = (v) => v;

/** Turns a driver's value into its archive form; null when the driver's value already is it. */
export function encoderFor(storage: ArchiveStorage, dialect: Dialect): Encoder | null {
  // better-sqlite3 returns TEXT as strings and INTEGER/REAL as numbers (safeIntegers is off)
  if (dialect === 'sqlite' && (storage === 'text' || storage === 'real' || storage === 'integer' || storage === 'json')) return null;
  switch (storage) {
    case 'integer':
      return (v) => {
        if (typeof v === 'string' || typeof v === 'bigint') {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : String(v);
        }
        return v;
      };
    case 'boolean':
      return (v) => (v === null || v === undefined ? null : v === true || v === 1 || v === 1n || v === 't');
    case 'json':
      return (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
    case 'blob':
      return (v) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);
    case 'text':
      return (v) => (v instanceof Date ? v.toISOString() : v);
    default:
      return null;
  }
}

/** Turns an archive value into what the target column of this catalog type takes. */
export function coercerFor(type: string, dialect: Dialect): Coercer {
  const storage = archiveStorageOf(type, dialect);
  switch (storage) {
    case 'integer':
      return (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
    case 'boolean':
      return (v) => (v === null || v === undefined ? null : v === true || v === 1);
    case 'blob':
      return (v) => (typeof v === 'string' ? Buffer.from(v, 'base64') : v);
    case 'text':
      return (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
    default:
      return asIs;
  }
}

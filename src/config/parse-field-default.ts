import { JSON_MAX_BYTES, JSON_MAX_DEPTH, type FieldDef } from './schema.ts';

export type DefaultResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const RECORD_ID = /^[A-Za-z0-9_-]{20}$/;

const ok = (value: unknown): DefaultResult => ({ ok: true, value });
const bad = (problem: string): DefaultResult => ({ ok: false, problem });

/**
 * Validates a field's `default` against its own type and constraints, and normalizes it the way
 * stored values are (emails trimmed and lower-cased, datetimes to UTC ISO). `field.default` is ignored.
 */
export function checkDefault(field: FieldDef, value: unknown): DefaultResult {
  switch (field.type) {
    case 'text': {
      if (typeof value !== 'string') return bad('default must be a string');
      const len = [...value].length;
      if (field.min !== null && len < field.min) return bad(`default is shorter than min (${field.min})`);
      if (field.max !== null && len > field.max) return bad(`default is longer than max (${field.max})`);
      if (field.pattern !== null && !new RegExp(field.pattern, 'u').test(value)) return bad('default does not match pattern');
      return ok(value);
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad('default must be a finite number');
      if (field.integer && !Number.isSafeInteger(value)) return bad('default must be an integer');
      if (field.min !== null && value < field.min) return bad(`default is below min (${field.min})`);
      if (field.max !== null && value > field.max) return bad(`default is above max (${field.max})`);
      return ok(value);
    }
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : bad('default must be true or false');
    case 'email': {
      const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
      return email.length <= 254 && EMAIL.test(email) ? ok(email) : bad('default must be a valid email address');
    }
    case 'url':
      return isHttpUrl(value) ? ok(value) : bad('default must be an http or https URL');
    case 'date':
      return typeof value === 'string' && isRealDate(value) ? ok(value) : bad('default must be a date YYYY-MM-DD');
    case 'datetime': {
      const ms = typeof value === 'string' && DATETIME.test(value) ? Date.parse(value) : Number.NaN;
      return Number.isNaN(ms) ? bad('default must be an ISO 8601 datetime with a time zone') : ok(new Date(ms).toISOString());
    }
    case 'select':
      return checkSelect(field.values, field.multiple, value);
    case 'json':
      return checkJson(value);
    case 'relation':
      return typeof value === 'string' && RECORD_ID.test(value) ? ok(value) : bad('default must be a record id');
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isRealDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

function checkSelect(values: readonly string[], multiple: boolean, value: unknown): DefaultResult {
  if (!multiple) return typeof value === 'string' && values.includes(value) ? ok(value) : bad('default must be one of values');
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && values.includes(v))) {
    return bad('default must be a list of entries from values');
  }
  if (new Set(value).size !== value.length) return bad('default lists a value twice');
  return ok(value.slice());
}

function checkJson(value: unknown): DefaultResult {
  if (depth(value, 0) > JSON_MAX_DEPTH) return bad(`default is nested deeper than ${JSON_MAX_DEPTH}`);
  const text = JSON.stringify(value);
  if (text === undefined) return bad('default must be JSON data');
  if (Buffer.byteLength(text) > JSON_MAX_BYTES) return bad('default is larger than 64 KiB');
  return ok(JSON.parse(text) as unknown); // a plain copy, detached from the YAML document
}

/** Stops counting past the limit, so a hostile document cannot recurse us off the stack. */
function depth(value: unknown, level: number): number {
  if (level > JSON_MAX_DEPTH || typeof value !== 'object' || value === null) return level;
  let max = level + 1;
  for (const child of Object.values(value)) {
    max = Math.max(max, depth(child, level + 1));
    if (max > JSON_MAX_DEPTH) break;
  }
  return max;
}

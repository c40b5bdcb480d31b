import type { FieldDef, TextField, NumberField, SelectField, RelationField } from '../schema.ts';
import { badStringReason, codePointLength } from './validate-strings.ts';
import { parseDate, parseDatetime } from './validate-dates.ts';
import { badJsonReason } from './validate-json.ts';
import { normalizeEmail } from './validate-email.ts';

export type ValueCheck = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** A text field without `max` still has a ceiling, so one request cannot store megabytes per field. */
export const TEXT_DEFAULT_MAX = 65_535; // code points
export { EMAIL_MAX } from './validate-email.ts';
export const URL_MAX = 2048; // characters

// The record id shape (src/crypto/random-id.ts makes them); repeated here because config/ may not import crypto/.
const RECORD_ID = /^[A-Za-z0-9_-]{20}$/;
// `new URL` silently drops tabs/newlines and trims spaces; refuse them so what is stored is what was checked.
const URL_UNSAFE = /[\u0000-\u0020\u007f-\u009f]/;

const fail = (reason: string): ValueCheck => ({ ok: false, reason });
const pass = (value: unknown): ValueCheck => ({ ok: true, value });

const patternCache = new Map<string, RegExp>();
function compiledPattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** One message for a malformed, missing or invisible related record, so the answer reveals nothing. */
export function relationReason(field: RelationField): string {
  return `must be the id of a ${field.collection} record you can see`;
}

function checkText(f: TextField, v: string): ValueCheck {
  const max = f.max ?? TEXT_DEFAULT_MAX;
  const len = codePointLength(v, max);
  if (len > max) return fail(`must be at most ${max} characters`);
  if (f.min !== null && len < f.min) return fail(`must be at least ${f.min} characters`);
  if (f.pattern !== null && !compiledPattern(f.pattern).test(v)) return fail('must match the required pattern');
  return pass(v);
}

function checkNumber(f: NumberField, v: unknown): ValueCheck {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fail('must be a finite number');
  if (f.integer && !Number.isSafeInteger(v)) return fail('must be an integer between -(2^53-1) and 2^53-1');
  if (f.min !== null && v < f.min) return fail(`must be at least ${f.min}`);
  if (f.max !== null && v > f.max) return fail(`must be at most ${f.max}`);
  return pass(Object.is(v, -0) ? 0 : v);
}

function checkSelect(f: SelectField, v: unknown): ValueCheck {
  if (!f.multiple) {
    if (typeof v !== 'string' || !f.values.includes(v)) return fail(`must be one of: ${f.values.join(', ')}`);
    return pass(v);
  }
  if (!Array.isArray(v)) return fail('must be an array of allowed values');
  const seen = new Set<string>();
  for (const item of v) {
    if (typeof item !== 'string' || !f.values.includes(item)) return fail(`must contain only: ${f.values.join(', ')}`);
    if (seen.has(item)) return fail('must not repeat a value');
    seen.add(item);
  }
  return pass([...v]);
}

function checkString(f: FieldDef, v: string): ValueCheck {
  switch (f.type) {
    case 'text':
      return checkText(f, v);
    case 'email': {
      const e = normalizeEmail(v);
      return e !== null ? pass(e) : fail('must be a valid email address');
    }
    case 'url': {
      if (v.length > URL_MAX) return fail(`must be at most ${URL_MAX} characters`);
      if (URL_UNSAFE.test(v)) return fail('must be an http or https URL without spaces or control characters');
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return fail('must be an http or https URL');
      }
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return fail('must be an http or https URL');
      return pass(v);
    }
    case 'date':
      return parseDate(v) !== null ? pass(v) : fail('must be a date as YYYY-MM-DD');
    case 'datetime': {
      const d = parseDatetime(v);
      return d !== null ? pass(d) : fail('must be an ISO 8601 date-time with a time zone offset');
    }
    case 'relation':
      // Existence and visibility are checked against the database by the record service.
      return RECORD_ID.test(v) ? pass(v) : fail(relationReason(f));
    default:
      return fail('has the wrong type');
  }
}

/** Validates one non-null field value against its definition; the returned value is what gets stored. */
export function validateValue(field: FieldDef, value: unknown): ValueCheck {
  switch (field.type) {
    case 'number':
      return checkNumber(field, value);
    case 'boolean':
      return typeof value === 'boolean' ? pass(value) : fail('must be true or false');
    case 'select':
      if (!field.multiple && typeof value === 'string') {
        const bad = badStringReason(value);
        if (bad) return fail(bad);
      }
      return checkSelect(field, value);
    case 'json': {
      const bad = badJsonReason(value);
      return bad ? fail(bad) : pass(value);
    }
    default: {
      if (typeof value !== 'string') return fail('must be a string');
      const bad = badStringReason(value);
      return bad ? fail(bad) : checkString(field, value);
    }
  }
}

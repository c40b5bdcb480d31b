import type { CollectionDef, FieldDef } from '../../config/schema.ts';
import { SYSTEM_FIELDS } from '../../config/schema.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { boundedFields, namesForMessage } from '../../errors/field-list.ts';
import { FORBIDDEN_KEYS } from '../../config/field-values/validate-json.ts';
import { validateValue } from '../../config/field-values/validate-value.ts';

export type WriteMode = 'create' | 'update';

/** Validated field values keyed by field name; a null-prototype object so no key reaches a prototype. */
export type RecordValues = Record<string, unknown>;

const SYSTEM: ReadonlySet<string> = new Set(SYSTEM_FIELDS);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** "Required" means a real value: null, '' and an empty multi-select do not count. */
function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

// The fields the body itself carried (create fills the others with defaults or null), so rules
// can tell a field that was not sent from one sent as null (`@body.x:isset`).
const sentFields = new WeakMap<RecordValues, ReadonlySet<string>>();

/** The names of the fields the request body sent, for values returned by validateInput. */
export function fieldsSent(values: RecordValues): ReadonlySet<string> | undefined {
  return sentFields.get(values);
}

function fieldMap(collection: CollectionDef): Map<string, FieldDef> {
  return new Map(collection.fields.map((f) => [f.name, f]));
}

/**
 * Refuses mass assignment (unknown, system and prototype keys) and validates each field by type.
 * Every problem is collected so the client sees them all at once in details.fields; on any
 * problem it throws ERR_VALIDATION and the caller writes nothing.
 * create: absent fields take their default; required fields must then hold a value.
 * update: partial; only present fields are returned; a required field cannot be cleared.
 */
export function validateInput(collection: CollectionDef, body: unknown, mode: WriteMode): RecordValues {
  if (!isPlainObject(body)) {
    throw new StrongboxError('ERR_VALIDATION', 'the record body must be a JSON object');
  }
  const fields = fieldMap(collection);
  const problems: Record<string, string> = Object.create(null);
  const out: RecordValues = Object.create(null);
  const sent = new Set<string>();
  for (const key of Reflect.ownKeys(body)) {
    if (typeof key !== 'string') continue; // JSON cannot carry symbols; nothing reads them
    if (FORBIDDEN_KEYS.has(key)) problems[key] = 'is a forbidden key';
    else if (SYSTEM.has(key)) problems[key] = 'is set by the server and cannot be written';
    else if (!fields.has(key)) problems[key] = 'is not a field of this collection';
  }
  for (const field of collection.fields) {
    const present = Object.hasOwn(body, field.name) && body[field.name] !== undefined;
    let value: unknown = present ? body[field.name] : undefined;
    if (present) sent.add(field.name);
    if (!present) {
      if (mode === 'update') continue;
      if (field.default !== undefined && field.default !== null) value = field.default;
    }
    if (value === undefined || value === null) {
      if (field.required) problems[field.name] = 'is required';
      else if (present || mode === 'create') out[field.name] = null;
      continue;
    }
    const check = validateValue(field, value);
    if (!check.ok) problems[field.name] = check.reason;
    else if (field.required && isMissing(check.value)) problems[field.name] = 'is required';
    else out[field.name] = check.value;
  }
  const names = Object.keys(problems);
  if (names.length > 0) {
    throw new StrongboxError('ERR_VALIDATION', `invalid fields: ${namesForMessage(names)}`, { fields: boundedFields(problems) });
  }
  sentFields.set(out, sent);
  return out;
}

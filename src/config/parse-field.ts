import type { IssueSink, KeyPath } from './config-error.ts';
import { patternProblem } from './check-pattern.ts';
import { checkDefault } from './parse-field-default.ts';
import { parseSelectValues } from './parse-select-values.ts';
import {
  checkKeys, describe, expectMap, own, readBool, readOptInt, readOptNumber, readOptString, type RawMap,
} from './read-value.ts';
import { FIELD_NAME_PATTERN, FIELD_TYPES, NAME_PATTERN, SYSTEM_FIELDS, type FieldDef, type FieldType, type MaskKind } from './schema.ts';

/**
 * Keys every field accepts. Defaults: required/unique/index/sensitive/searchable false, mask null,
 * read null (everyone who can see the record), default none.
 */
const COMMON_KEYS = ['type', 'required', 'unique', 'index', 'default', 'sensitive', 'searchable', 'mask', 'read', 'uniqueRevealsExistence'] as const;

/** Keys only some types accept; anything else is an unknown-key error. */
const TYPE_KEYS: Readonly<Record<FieldType, readonly string[]>> = {
  text: ['min', 'max', 'pattern'],
  number: ['integer', 'min', 'max'],
  boolean: [],
  email: [],
  url: [],
  date: [],
  datetime: [],
  select: ['values', 'multiple'],
  json: [],
  relation: ['collection'],
};

const MASKS: readonly MaskKind[] = ['last4', 'full', 'email'];
/** Text lengths are characters; the body limit (≤ 16 MiB) bounds them anyway. */
const LENGTH_RANGE = { min: 0, max: 16 * 1024 * 1024 };

export function checkName(name: string, path: KeyPath, sink: IssueSink, what: 'field' | 'collection'): boolean {
  if (what === 'collection' && name.startsWith('_')) {
    sink.add(path, 'collection names may not start with "_" (reserved for system tables)', 'key');
  } else if (what === 'collection' && !NAME_PATTERN.test(name)) {
    sink.add(path, 'invalid collection name: use a lower-case letter, then up to 27 of a-z, 0-9, _', 'key');
  } else if (what === 'field' && !FIELD_NAME_PATTERN.test(name)) {
    sink.add(path, 'invalid field name: use a letter, then up to 27 letters, digits or _', 'key');
  } else if (what === 'field' && (SYSTEM_FIELDS as readonly string[]).includes(name)) {
    sink.add(path, `"${name}" is a system field on every record and cannot be declared`, 'key');
  } else return true;
  return false;
}

/**
 * One field definition. Relation targets and `read` rules need every collection and are checked
 * by parse-collections.ts afterwards. Returns null when the field is too broken to describe.
 */
export function parseField(name: string, raw: unknown, path: KeyPath, sink: IssueSink): FieldDef | null {
  const nameOk = checkName(name, path, sink, 'field');
  const map = expectMap(raw, path, sink);
  if (!map) return null;
  const type = own(map, 'type');
  if (type === undefined) {
    sink.add(path, `missing key "type" (one of ${FIELD_TYPES.join(', ')})`, 'key');
    return null;
  }
  if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
    sink.add([...path, 'type'], `unknown field type, expected one of ${FIELD_TYPES.join(', ')}`);
    return null;
  }
  const ft = type as FieldType;
  checkKeys(map, [...COMMON_KEYS, ...TYPE_KEYS[ft]], path, sink, `a ${ft} field`);
  const field = withTypeKeys(ft, commonKeys(name, map, path, sink), map, path, sink);
  checkFlags(field, path, sink);
  const rawDefault = own(map, 'default');
  if (rawDefault === undefined || rawDefault === null) return nameOk ? field : null;
  const result = checkDefault(field, rawDefault);
  if (!result.ok) sink.add([...path, 'default'], result.problem);
  return nameOk ? { ...field, default: result.ok ? result.value : undefined } : null;
}

type Common = Omit<Extract<FieldDef, { type: 'boolean' }>, 'type'>;

function commonKeys(name: string, map: RawMap, path: KeyPath, sink: IssueSink): Common {
  const mask = own(map, 'mask');
  if (mask !== undefined && mask !== null && !MASKS.includes(mask as MaskKind)) {
    sink.add([...path, 'mask'], `expected one of ${MASKS.join(', ')}`);
  }
  return {
    name,
    required: readBool(map, 'required', path, sink, false),
    unique: readBool(map, 'unique', path, sink, false),
    index: readBool(map, 'index', path, sink, false),
    default: undefined,
    sensitive: readBool(map, 'sensitive', path, sink, false),
    searchable: readBool(map, 'searchable', path, sink, false),
    mask: MASKS.includes(mask as MaskKind) ? (mask as MaskKind) : null,
    read: readOptString(map, 'read', path, sink),
    // Present only when opted in, so every other field definition keeps its shape.
    ...(readBool(map, 'uniqueRevealsExistence', path, sink, false) ? { uniqueRevealsExistence: true } : {}),
  };
}

function withTypeKeys(type: FieldType, c: Common, map: RawMap, path: KeyPath, sink: IssueSink): FieldDef {
  switch (type) {
    case 'text': {
      const min = readOptInt(map, 'min', path, sink, LENGTH_RANGE);
      const max = readOptInt(map, 'max', path, sink, LENGTH_RANGE);
      if (min !== null && max !== null && min > max) sink.add([...path, 'min'], 'min must not exceed max');
      let pattern = readOptString(map, 'pattern', path, sink);
      const problem = pattern === null ? null : patternProblem(pattern);
      if (problem !== null) {
        sink.add([...path, 'pattern'], problem);
        pattern = null;
      }
      return { ...c, type, min, max, pattern };
    }
    case 'number': {
      const integer = readBool(map, 'integer', path, sink, false);
      const min = readOptNumber(map, 'min', path, sink);
      const max = readOptNumber(map, 'max', path, sink);
      if (min !== null && max !== null && min > max) sink.add([...path, 'min'], 'min must not exceed max');
      return { ...c, type, integer, min, max };
    }
    case 'select': {
      const values = parseSelectValues(own(map, 'values'), [...path, 'values'], sink);
      return { ...c, type, values, multiple: readBool(map, 'multiple', path, sink, false) };
    }
    case 'relation': {
      const target = own(map, 'collection');
      if (typeof target !== 'string') {
        sink.add(target === undefined ? path : [...path, 'collection'],
          target === undefined ? 'a relation needs "collection"' : `expected a collection name, got ${describe(target)}`,
          target === undefined ? 'key' : 'value');
      }
      return { ...c, type, collection: typeof target === 'string' ? target : '' };
    }
    default:
      return { ...c, type };
  }
}

/**
 * Flag combinations. A sensitive field is never indexed as such (an index over ciphertext is
 * useless); `unique` on a sensitive field is enforced through its blind index, so it needs
 * `searchable: true`.
 */
function checkFlags(f: FieldDef, path: KeyPath, sink: IssueSink): void {
  const listy = f.type === 'json' || (f.type === 'select' && f.multiple);
  if (f.sensitive && f.unique && !f.searchable) sink.add([...path, 'unique'], 'a sensitive field can be unique only through its blind index: add searchable: true');
  if (f.sensitive && f.index) sink.add([...path, 'index'], 'a sensitive field cannot be indexed (use searchable)');
  if (f.sensitive && f.type === 'relation') sink.add([...path, 'sensitive'], 'a relation cannot be sensitive (it must stay comparable to keep references valid)');
  if (f.searchable && !f.sensitive) sink.add([...path, 'searchable'], 'searchable requires sensitive: true');
  if (f.searchable && listy) sink.add([...path, 'searchable'], 'json and multiple-select fields cannot be searchable');
  if (f.mask !== null && !f.sensitive) sink.add([...path, 'mask'], 'mask requires sensitive: true');
  if (f.mask === 'email' && f.type !== 'email') sink.add([...path, 'mask'], 'mask "email" applies to email fields only');
  if (f.uniqueRevealsExistence === true && !f.unique) sink.add([...path, 'uniqueRevealsExistence'], 'uniqueRevealsExistence applies to unique fields only');
  if (listy && f.unique) sink.add([...path, 'unique'], 'json and multiple-select fields cannot be unique');
  if (listy && f.index) sink.add([...path, 'index'], 'json and multiple-select fields cannot be indexed');
}

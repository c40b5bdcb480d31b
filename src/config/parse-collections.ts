import type { IssueSink, KeyPath } from './config-error.ts';
import { checkName, parseField } from './parse-field.ts';
import { checkRule, parseRules } from './parse-rules.ts';
import { checkUniqueExposure } from './check-unique-exposure.ts';
import { checkKeys, expectMap, own } from './read-value.ts';
import type { CollectionDef, FieldDef } from './schema.ts';

/** Bounds well under SQLite's 2000 and PostgreSQL's 1600 columns per table. */
export const MAX_COLLECTIONS = 200;
export const MAX_FIELDS = 200;

const PATH: KeyPath = ['collections'];

/**
 * collections: name → { fields: name → field, rules }. The result has a null prototype so a
 * lookup by a request's collection name (`constructor`, `__proto__`) never reaches Object.prototype;
 * keys stay in declaration order.
 */
export function parseCollections(raw: unknown, sink: IssueSink): Record<string, CollectionDef> {
  const out: Record<string, CollectionDef> = Object.create(null) as Record<string, CollectionDef>;
  if (raw === undefined || raw === null) return out;
  const map = expectMap(raw, PATH, sink);
  if (!map) return out;
  const names = Object.keys(map);
  if (names.length > MAX_COLLECTIONS) {
    sink.add(PATH, `at most ${MAX_COLLECTIONS} collections`);
    return out;
  }
  // Pass 1: fields. Pass 2 (relations, rules) needs every collection and every field.
  const rawRules = new Map<string, unknown>();
  for (const name of names) {
    const path = [...PATH, name];
    const nameOk = checkName(name, path, sink, 'collection');
    const def = expectMap(map[name], path, sink);
    if (!def) continue;
    checkKeys(def, ['fields', 'rules'], path, sink, 'a collection');
    const fields = parseFields(own(def, 'fields'), [...path, 'fields'], sink);
    if (!nameOk || !fields) continue;
    out[name] = { name, fields, rules: { list: null, view: null, create: null, update: null, delete: null } };
    rawRules.set(name, own(def, 'rules'));
  }
  for (const [name, collection] of Object.entries(out)) {
    const path = [...PATH, name];
    const fields = collection.fields.map((f) => linkField(f, collection, out, [...path, 'fields', f.name], sink));
    const linked: CollectionDef = { ...collection, fields };
    out[name] = { ...linked, rules: parseRules(rawRules.get(name), linked, [...path, 'rules'], sink) };
    checkUniqueExposure(out[name], path, sink);
  }
  return out;
}

function parseFields(raw: unknown, path: KeyPath, sink: IssueSink): FieldDef[] | null {
  if (raw === undefined) {
    sink.add(path.slice(0, -1), 'a collection needs "fields"', 'key');
    return null;
  }
  const map = expectMap(raw, path, sink);
  if (!map) return null;
  const names = Object.keys(map);
  if (names.length > MAX_FIELDS) {
    sink.add(path, `at most ${MAX_FIELDS} fields per collection`);
    return null;
  }
  const fields: FieldDef[] = [];
  const folded = new Map<string, string>();
  for (const name of names) {
    const other = folded.get(name.toLowerCase());
    if (other !== undefined) {
      // SQLite compares column names case-insensitively: the two would be one column there.
      sink.add([...path, name], `differs from field "${other}" only in case; field names must differ in more than case`, 'key');
      continue;
    }
    folded.set(name.toLowerCase(), name);
    const field = parseField(name, map[name], [...path, name], sink);
    if (field) fields.push(field);
  }
  return fields;
}

/** Checks what needs the whole schema: relation targets and per-field read rules. */
function linkField(f: FieldDef, collection: CollectionDef, all: Record<string, CollectionDef>, path: KeyPath, sink: IssueSink): FieldDef {
  if (f.type === 'relation' && f.collection !== '' && !Object.hasOwn(all, f.collection)) {
    sink.add([...path, 'collection'], 'names a collection that is not declared');
  }
  if (f.read === null) return f;
  return { ...f, read: checkRule(f.read, collection, 'rule', [...path, 'read'], sink) };
}

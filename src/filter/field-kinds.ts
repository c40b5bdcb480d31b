import type { CollectionDef, FieldDef } from '../config/schema.ts';

/** How the filter language sees a value: what it may be compared with and which ops apply. */
export type ValueKind = 'text' | 'number' | 'boolean' | 'date' | 'datetime' | 'none';

export interface ResolvedField {
  readonly name: string;
  readonly kind: ValueKind;
  /** null for system fields (id, owner, created, updated) */
  readonly def: FieldDef | null;
  /** `~`/`!~` allowed: text, email, url only */
  readonly substring: boolean;
  /** stored as INTEGER/bigint: comparisons with fractions are rewritten, never cast */
  readonly integer: boolean;
  readonly sensitive: boolean;
  readonly searchable: boolean;
}

const system = (name: string, kind: ValueKind): ResolvedField =>
  ({ name, kind, def: null, substring: false, integer: false, sensitive: false, searchable: false });

const SYSTEM: Readonly<Record<string, ResolvedField>> = {
  id: system('id', 'text'),
  owner: system('owner', 'text'),
  created: system('created', 'datetime'),
  updated: system('updated', 'datetime'),
};

export function isSystemField(name: string): boolean {
  return Object.hasOwn(SYSTEM, name);
}

export function fieldKind(def: FieldDef): ValueKind {
  switch (def.type) {
    case 'text': case 'email': case 'url': case 'relation': return 'text';
    case 'select': return def.multiple ? 'none' : 'text';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    case 'datetime': return 'datetime';
    case 'json': return 'none';
  }
}

function resolveDef(def: FieldDef): ResolvedField {
  return {
    name: def.name,
    kind: fieldKind(def),
    def,
    substring: def.type === 'text' || def.type === 'email' || def.type === 'url',
    integer: def.type === 'number' && def.integer,
    sensitive: def.sensitive,
    searchable: def.searchable,
  };
}

// Collections are frozen for the life of a config, so the lookup table is built once per collection.
const tables = new WeakMap<CollectionDef, Map<string, ResolvedField>>();

/** Resolves a name against system fields and the collection's fields; undefined when unknown. */
export function resolveField(collection: CollectionDef, name: string): ResolvedField | undefined {
  let table = tables.get(collection);
  if (!table) {
    table = new Map(Object.entries(SYSTEM));
    for (const def of collection.fields) table.set(def.name, resolveDef(def));
    tables.set(collection, table);
  }
  return table.get(name);
}

import type { CollectionDef, FieldDef } from '../../src/config/schema.ts';
import type { MacroValues } from '../../src/filter/macros.ts';

/** A FieldDef with safe defaults, for tests. */
export function field(name: string, type: FieldDef['type'], extra: Partial<Record<string, unknown>> = {}): FieldDef {
  return {
    name, type, required: false, unique: false, index: false, default: undefined,
    sensitive: false, searchable: false, mask: null, read: null,
    ...(type === 'number' ? { integer: false, min: null, max: null } : {}),
    ...(type === 'text' ? { min: null, max: null, pattern: null } : {}),
    ...(type === 'select' ? { values: ['a', 'b'], multiple: false } : {}),
    ...(type === 'relation' ? { collection: 'items' } : {}),
    ...extra,
  } as FieldDef;
}

/** One field of every filterable kind, plus unfilterable and sensitive ones. */
export const ITEMS: CollectionDef = {
  name: 'items',
  fields: [
    field('title', 'text'),
    field('email', 'email'),
    field('n', 'number', { integer: true }),
    field('x', 'number'),
    field('ok', 'boolean'),
    field('d', 'date'),
    field('dt', 'datetime'),
    field('kind', 'select'),
    field('tags', 'select', { multiple: true }),
    field('meta', 'json'),
    field('ssn', 'text', { sensitive: true, searchable: true }),
    field('secret', 'text', { sensitive: true }),
    field('parent', 'relation'),
  ],
  rules: { list: null, view: null, create: null, update: null, delete: null },
};

export const MACROS: MacroValues = {
  auth: { id: 'AAAAAAAAAAAAAAAAAAAA', role: 'doctor', email: 'doc@example.com' },
  now: '2024-06-01T12:00:00.000Z',
};

export const ANON_MACROS: MacroValues = { auth: { id: null, role: null, email: null }, now: MACROS.now };

import {
  DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Expression, type SqlBool,
} from 'kysely';
import type { Dialect } from '../../src/db/database.ts';

/** Kysely instances that only compile (no database), one per dialect. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMPILERS: Readonly<Record<Dialect, Kysely<any>>> = {
  sqlite: new Kysely({ dialect: {
    createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler(),
  } }),
  postgres: new Kysely({ dialect: {
    createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler(),
  } }),
};

/** `select "id" from "items" where <expr>` compiled for a dialect. */
export function compileWhere(dialect: Dialect, where: Expression<SqlBool>): { sql: string; parameters: readonly unknown[] } {
  const q = COMPILERS[dialect].selectFrom('items').select('id').where(where).compile();
  return { sql: q.sql, parameters: q.parameters };
}

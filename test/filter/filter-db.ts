/** A fresh database per dialect holding an `items` table shaped like ITEMS (created with Kysely's schema builder). */
import type { DialectCtx } from '../helpers/dialects.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import type { Database } from '../../src/db/database.ts';
import { encodeValue } from '../../src/db/column-codec.ts';
import { ITEMS } from './filter-fixtures.ts';
import type { Row } from '../helpers/reference-eval.ts';

export async function openItemsDb(t: DialectCtx): Promise<Database> {
  const db = await openDatabase(await t.freshDatabase());
  const pg = t.dialect === 'postgres';
  let create = db.kysely.schema.createTable('items').addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created', 'text').addColumn('updated', 'text').addColumn('owner', 'text');
  for (const f of ITEMS.fields) {
    const type = f.type === 'number' ? (f.integer ? (pg ? 'bigint' : 'integer') : (pg ? 'double precision' : 'real'))
      : f.type === 'boolean' ? (pg ? 'boolean' : 'integer')
        : f.type === 'json' || (f.type === 'select' && f.multiple) ? (pg ? 'jsonb' : 'text') : 'text';
    create = create.addColumn(f.name, type);
  }
  await create.execute();
  return db;
}

export async function insertRows(db: Database, rows: readonly Row[]): Promise<void> {
  for (const row of rows) {
    const values: Record<string, unknown> = { id: row.id, created: row.created, updated: row.updated ?? null, owner: row.owner ?? null };
    for (const f of ITEMS.fields) if (f.name in row) values[f.name] = encodeValue(f, row[f.name], db.dialect);
    await db.kysely.insertInto('items').values(values).execute();
  }
}

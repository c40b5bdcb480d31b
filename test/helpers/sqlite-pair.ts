import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';

/**
 * A Strongbox SQLite database with a table `t (v text [unique])`, and a second, raw connection
 * to the same file, as another process (the CLI) would have; both closed and the file removed after.
 */
export async function withSqlitePair(opts: { unique: boolean; otherReadonly: boolean },
  work: (db: Database, other: BetterSqlite3.Database) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-pair-'));
  const path = join(dir, 's.db');
  const db = await openDatabase({ kind: 'sqlite', path });
  await db.kysely.schema.createTable('t').addColumn('v', 'text', (c) => (opts.unique ? c.unique() : c)).execute();
  const other = new BetterSqlite3(path, { readonly: opts.otherReadonly });
  if (!opts.otherReadonly) other.pragma('busy_timeout = 2000');
  try {
    await work(db, other);
  } finally {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

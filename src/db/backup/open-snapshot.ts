import type { DatabaseConfig } from '../../config/config.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database } from '../database.ts';
import { openPostgresSnapshot } from '../postgres/snapshot-reader.ts';
import { openSqliteSnapshot } from '../sqlite/snapshot-reader.ts';
import type { DatabaseSnapshot } from './snapshot-types.ts';

/**
 * A consistent read-only snapshot of the whole database, taken without blocking writers. SQLite
 * opens a connection of its own to the file; PostgreSQL takes one from `db`'s pool.
 */
export async function openSnapshot(db: Database | null, cfg: DatabaseConfig): Promise<DatabaseSnapshot> {
  if (cfg.kind === 'sqlite') return openSqliteSnapshot(cfg.path);
  if (db === null) throw new StrongboxError('ERR_INTERNAL', 'A PostgreSQL snapshot needs an open database.');
  return openPostgresSnapshot(db);
}

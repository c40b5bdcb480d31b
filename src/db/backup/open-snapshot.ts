import type { DatabaseConfig } from '../../config/config.ts';
import type { Database } from '../database.ts';
import { openPostgresSnapshot } from '../postgres/snapshot-reader.ts';
import { openSqliteSnapshot } from '../sqlite/snapshot-reader.ts';
import type { DatabaseSnapshot } from './snapshot-types.ts';

/** A consistent read-only snapshot of the whole database, taken without blocking writers. */
export async function openSnapshot(db: Database, cfg: DatabaseConfig): Promise<DatabaseSnapshot> {
  if (cfg.kind === 'sqlite') return openSqliteSnapshot(cfg.path);
  return openPostgresSnapshot(db);
}

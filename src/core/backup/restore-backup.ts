import { restoreInTransaction } from '../../db/backup/restore-writer.ts';
import type { Database } from '../../db/database.ts';
import { SYSTEM_MIGRATIONS, runSystemMigrations } from '../../db/migrate/system-migrations.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { HeaderTable, Manifest } from './archive-format.ts';
import { readArchive, type ReadArchiveOptions } from './read-archive.ts';

export interface RestoreBackupOptions extends ReadArchiveOptions {
  readonly source: AsyncIterable<Uint8Array>;
  readonly target: Database;
  /** Replace a non-empty target (the caller has backed it up first). */
  readonly force?: boolean;
  /** Sees every row as it is restored (verify keeps a sample). */
  readonly onRows?: (table: HeaderTable, rows: readonly unknown[][]) => void;
  /** Skips the system migrations newer than the backup (verify restores the backup as it was). */
  readonly upgrade?: boolean;
}

// _sb_migrations is made by the schema step with exactly the backup's versions.
const MADE_BY_SCHEMA = new Set(['_sb_migrations']);

/**
 * Restores an archive into `target` in one transaction: the schema of the backup's system
 * migrations and collections, then every row. The transaction commits only after the whole
 * archive checked out (signature, hashes, counts); anything else rolls back and the target is
 * left as it was. Afterwards the system tables are brought up to this Strongbox's version.
 */
export async function restoreBackup(opts: RestoreBackupOptions): Promise<Manifest> {
  let manifest!: Manifest;
  await restoreInTransaction(opts.target, { force: opts.force === true }, async (w) => {
    manifest = await readArchive(opts.source, opts, {
      async header(h) {
        const known = new Set(SYSTEM_MIGRATIONS.map((m) => m.version));
        const unknown = h.systemMigrations.filter((v) => !known.has(v));
        if (unknown.length > 0) {
          throw new StrongboxError('ERR_BACKUP_INCOMPATIBLE',
            `The backup's system tables are at version(s) ${unknown.join(', ')}, which this Strongbox does not know; upgrade Strongbox to restore it.`);
        }
        await w.createSystemTables(h.systemMigrations);
        await w.createCollections(h.collections);
      },
      async rows(table, rows) {
        opts.onRows?.(table, rows);
        if (MADE_BY_SCHEMA.has(table.name)) return;
        await w.insert(table.name, table.columns.map((c) => c.name), rows);
      },
    });
    for (const t of manifest.tables) {
      if (MADE_BY_SCHEMA.has(t.name)) continue;
      const n = await w.countRows(t.name);
      if (n !== t.rows) throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `Table ${t.name} has ${n} rows after the restore; the manifest says ${t.rows}.`);
    }
  });
  if (opts.upgrade !== false) await runSystemMigrations(opts.target);
  return manifest;
}

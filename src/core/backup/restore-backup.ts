import { restoreInTransaction } from '../../db/backup/restore-writer.ts';
import type { Database } from '../../db/database.ts';
import { SYSTEM_MIGRATIONS, runSystemMigrations } from '../../db/migrate/system-migrations.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Manifest } from './archive-format.ts';
import type { DataPart } from './data-part.ts';
import { readArchive, type ReadArchiveOptions } from './read-archive.ts';

export interface RestoreBackupOptions extends ReadArchiveOptions {
  readonly source: AsyncIterable<Uint8Array>;
  readonly target: Database;
  /** Replace a non-empty target (the caller has backed it up first). */
  readonly force?: boolean;
  /** Sees every data part as it is restored (verify keeps a sample). */
  readonly onPart?: (part: DataPart) => void;
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
      async part(part) {
        opts.onPart?.(part);
        const { table } = part;
        if (MADE_BY_SCHEMA.has(table.name)) return;
        const columns = table.columns.map((c) => c.name);
        // SQLite parses the lines itself; elsewhere they become rows here
        if (!await w.insertPart(table.name, columns, part.data, part.count)) await w.insert(table.name, columns, part.rows());
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

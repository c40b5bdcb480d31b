import { restoreInTransaction } from '../../db/backup/restore-writer.ts';
import type { Database } from '../../db/database.ts';
import { SYSTEM_MIGRATIONS, runSystemMigrations } from '../../db/migrate/system-migrations.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { isAuditTable, type ArchiveHeader, type Manifest } from './archive-format.ts';
import type { DataPart } from './data-part.ts';
import { readArchive, type ReadArchiveOptions } from './read-archive.ts';

export interface RestoreBackupOptions extends ReadArchiveOptions {
  readonly source: AsyncIterable<Uint8Array>;
  readonly target: Database;
  /** Replace a non-empty target (the caller has backed it up first). */
  readonly force?: boolean;
  /** Sees the archive's header before any row. */
  readonly onHeader?: (header: ArchiveHeader) => void;
  /** Sees every data part as it is restored (verify keeps a sample). */
  readonly onPart?: (part: DataPart) => void;
  /**
   * Scratch restores only (backup verify, into its own SQLite file): commits after each data part
   * and reports what is in, so checks can start on those tables while the rest streams in. The
   * restore is then not atomic; nothing counts before restoreBackup resolves all the same.
   */
  readonly unsafeCommitEachPart?: (progress: RestoreProgress) => void;
  /** Skips the system migrations newer than the backup (verify restores the backup as it was). */
  readonly upgrade?: boolean;
}

export interface RestoreProgress {
  /** Tables whose rows are all committed (every table once the restore resolved). */
  readonly complete: readonly string[];
  /** Every system table but the audit trail's is complete: the keyring can be read. */
  readonly keyring: boolean;
  /** Every system table is complete: the audit trail can be read too. */
  readonly system: boolean;
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
  const report = opts.unsafeCommitEachPart;
  let names: string[] = [];
  let systemEnd = 0; // tables before this index include every system table
  let keyringEnd = 0; // … every system table but the audit trail's (archive-format.ts archiveOrder)
  let at = 0; // tables before this index are complete
  await restoreInTransaction(opts.target, { force: opts.force === true }, async (w) => {
    const committed = async (): Promise<void> => {
      await w.unsafeCommit();
      report?.({ complete: names.slice(0, at), keyring: at >= keyringEnd, system: at >= systemEnd });
    };
    manifest = await readArchive(opts.source, opts, {
      async header(h) {
        names = h.tables.map((t) => t.name);
        systemEnd = h.tables.reduce((end, t, i) => (t.kind === 'system' ? i + 1 : end), 0);
        keyringEnd = h.tables.reduce((end, t, i) => (t.kind === 'system' && !isAuditTable(t.name) ? i + 1 : end), 0);
        const known = new Set(SYSTEM_MIGRATIONS.map((m) => m.version));
        const unknown = h.systemMigrations.filter((v) => !known.has(v));
        if (unknown.length > 0) {
          throw new StrongboxError('ERR_BACKUP_INCOMPATIBLE',
            `The backup's system tables are at version(s) ${unknown.join(', ')}, which this Strongbox does not know; upgrade Strongbox to restore it.`);
        }
        await w.createSystemTables(h.systemMigrations);
        await w.createCollections(h.collections);
        opts.onHeader?.(h);
      },
      async part(part) {
        opts.onPart?.(part);
        const { table } = part;
        const i = names.indexOf(table.name);
        if (report !== undefined && i > at) {
          at = i;
          await committed();
        }
        if (MADE_BY_SCHEMA.has(table.name)) return;
        const columns = table.columns.map((c) => c.name);
        // SQLite parses the lines itself; elsewhere they become rows here
        if (!await w.insertPart(table.name, columns, part.data, part.count)) await w.insert(table.name, columns, part.rows());
        if (report !== undefined && table.kind === 'collection') await committed();
      },
    });
    for (const t of manifest.tables) {
      if (MADE_BY_SCHEMA.has(t.name)) continue;
      const n = await w.countRows(t.name);
      if (n !== t.rows) throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `Table ${t.name} has ${n} rows after the restore; the manifest says ${t.rows}.`);
    }
  });
  report?.({ complete: names, keyring: true, system: true });
  if (opts.upgrade !== false) await runSystemMigrations(opts.target);
  return manifest;
}

import type { Database } from '../../db/database.ts';
import type { CreatedBackup } from './create-backup.ts';

/** What `_sb_backups` (system migration 7) knows of an archive. */
export interface CatalogEntry {
  readonly name: string;
  readonly created: string;
  readonly bytes: number;
  readonly records: number;
  /** ISO time of the last restore drill or `backup verify`, and its outcome. */
  readonly verified: string | null;
  readonly verifyOk: boolean | null;
  readonly verifyMessage: string | null;
}

const TABLE = '_sb_backups';

export async function recordCreated(db: Database, made: CreatedBackup): Promise<void> {
  const records = made.manifest.tables.reduce((n, t) => n + t.rows, 0);
  await db.kysely.insertInto(TABLE).values({
    name: made.name, created: made.manifest.created, bytes: made.bytes, file_sha256: made.fileSha256,
    manifest_id: made.manifest.id, records,
  }).execute();
}

/** Records a verification; an archive the catalog never saw (copied in by hand) is added. */
export async function recordVerified(db: Database, name: string, at: Date, ok: boolean, message: string, created: string | null): Promise<void> {
  const values = { verified: at.toISOString(), verify_ok: ok ? 1 : 0, verify_message: message.slice(0, 500) };
  const r = await db.kysely.updateTable(TABLE).set(values).where('name', '=', name).executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return;
  await db.kysely.insertInto(TABLE).values({
    name, created: created ?? at.toISOString(), bytes: 0, file_sha256: '', manifest_id: '', records: 0, ...values,
  }).execute();
}

export async function readCatalog(db: Database): Promise<Map<string, CatalogEntry>> {
  const rows = await db.kysely.selectFrom(TABLE).selectAll().execute() as Record<string, unknown>[];
  return new Map(rows.map((r) => [String(r.name), {
    name: String(r.name),
    created: String(r.created),
    bytes: Number(r.bytes),
    records: Number(r.records),
    verified: r.verified == null ? null : String(r.verified),
    verifyOk: r.verify_ok == null ? null : Number(r.verify_ok) === 1,
    verifyMessage: r.verify_message == null ? null : String(r.verify_message),
  }]));
}

export async function forget(db: Database, names: readonly string[]): Promise<void> {
  if (names.length > 0) await db.kysely.deleteFrom(TABLE).where('name', 'in', names).execute();
}

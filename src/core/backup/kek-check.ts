import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

interface FieldOpener {
  openField(collection: string, field: string, recordId: string, revision: unknown, stored: unknown): Promise<Buffer>;
}

const PAGE = 5000;

/**
 * Opens every stored sensitive value of a restored database with the keyring (its wrapped keys
 * came with the backup, the KEK from this server's config): proof that a restore is readable,
 * not only present. Returns the values opened, or null without a keyring.
 */
export async function checkSensitiveFields(engine: { db: Database }, collections: readonly CollectionDef[]): Promise<number | null> {
  const keys = (engine as { keys?: FieldOpener }).keys;
  if (keys === undefined || typeof keys.openField !== 'function') return null;
  let opened = 0;
  for (const def of collections) {
    const fields = def.fields.filter((f) => f.sensitive).map((f) => f.name);
    if (fields.length === 0) continue;
    let last = '';
    for (;;) {
      const rows = await engine.db.kysely.selectFrom(def.name).select(['id', '_sv', ...fields])
        .where('id', '>', last).orderBy('id').limit(PAGE).execute() as Record<string, unknown>[];
      for (const r of rows) {
        for (const f of fields) {
          if (r[f] === null || r[f] === undefined) continue;
          try {
            await keys.openField(def.name, f, String(r.id), r._sv, r[f]);
          } catch (cause) {
            throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `A sensitive value (${def.name}.${f} of record ${String(r.id)}) does not decrypt with this server's KEK.`, undefined, { cause });
          }
          opened++;
        }
      }
      if (rows.length < PAGE) break;
      last = String(rows[rows.length - 1]!.id);
    }
  }
  return opened;
}

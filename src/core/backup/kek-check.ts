import type { CollectionDef } from '../../config/schema.ts';
import { fieldKeyId } from '../../crypto/field-cipher.ts';
import { readSensitivePage } from '../../db/backup/sensitive-pages.ts';
import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/** What the check needs of the keyring: synchronous opens under keys it already holds. */
export interface FieldOpener {
  openAt(place: { collection: string; field: string; recordId: string; revision: string }, bytes: Buffer): Buffer;
  hasFieldKey(collection: string, version: number): boolean;
  reloadKeys(): Promise<void>;
}

const PAGE = 5000; // records per read

// made only on failure (a closure per value cost about 0.1 s per 200,000 under tsx)
const undecryptable = (collection: string, field: string, recordId: string, cause?: unknown): StrongboxError =>
  new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `A sensitive value (${collection}.${field} of record ${recordId}) does not decrypt with this server's KEK.`, undefined, { cause });

/**
 * Opens every stored sensitive value of a restored database with the keyring (its wrapped keys
 * came with the backup, the KEK from this server's config): proof that a restore is readable,
 * not only present. Each data key is unwrapped once, when the keyring loads it; a page whose
 * values name a version the keyring does not hold reloads it once. With `more`, the restore is
 * still committing rows: where a table's committed rows run out, `more(table)` waits for the next
 * commit (false once the table is complete, and it is read to its end once more). Returns the
 * values opened.
 */
export async function openAllSensitive(db: Database, keys: FieldOpener, collections: readonly CollectionDef[], more?: (table: string) => Promise<boolean>): Promise<number> {
  let opened = 0;
  for (const def of collections) {
    const fields = def.fields.filter((f) => f.sensitive).map((f) => f.name);
    if (fields.length === 0) continue;
    let restoring = more !== undefined;
    let after: number | string | null = null;
    for (;;) {
      const page = await readSensitivePage(db, def.name, fields, after, PAGE);
      after = page.next;
      let reloaded = false;
      for (const r of page.rows) {
        for (const f of fields) {
          const stored = r[f];
          if (stored === null || stored === undefined) continue;
          const recordId = String(r.id);
          if (typeof stored !== 'string' || typeof r._sv !== 'string') throw undecryptable(def.name, f, recordId);
          const bytes = Buffer.from(stored, 'base64'); // decoded once: the key id is its bytes 1-4
          const version = fieldKeyId(bytes);
          if (version === null) throw undecryptable(def.name, f, recordId);
          if (!keys.hasFieldKey(def.name, version) && !reloaded) {
            reloaded = true;
            await keys.reloadKeys();
          }
          try {
            keys.openAt({ collection: def.name, field: f, recordId, revision: r._sv }, bytes).fill(0);
          } catch (cause) {
            throw undecryptable(def.name, f, recordId, cause);
          }
          opened++;
        }
      }
      if (page.rows.length === PAGE) continue;
      if (!restoring) break;
      restoring = await more!(def.name);
    }
  }
  return opened;
}

/**
 * The KEK check on this thread, for where the checks thread cannot run (a KEK that does not load
 * on a thread). Null when the engine has no keyring.
 */
export async function checkSensitiveFields(engine: { db: Database; keys?: unknown }, collections: readonly CollectionDef[]): Promise<number | null> {
  const keys = engine.keys as FieldOpener | undefined;
  if (keys === undefined || typeof keys.openAt !== 'function') return null;
  return openAllSensitive(engine.db, keys, collections);
}

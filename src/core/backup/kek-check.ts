import type { StrongboxConfig } from '../../config/config.ts';
import type { CollectionDef } from '../../config/schema.ts';
import { fieldKeyId } from '../../crypto/field-cipher.ts';
import type { Database } from '../../db/database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import { errorOf, startBackupThread, type ThreadFailure } from './backup-thread.ts';
import type { KekCheckJob } from './kek-check-thread.ts';

/** What the check needs of the keyring: synchronous opens under keys it already holds. */
export interface FieldOpener {
  openAt(place: { collection: string; field: string; recordId: string; revision: string }, bytes: Buffer): Buffer;
  hasFieldKey(collection: string, version: number): boolean;
  reloadKeys(): Promise<void>;
}

const PAGE = 5000; // records per read

/**
 * Opens every stored sensitive value of a restored database with the keyring (its wrapped keys
 * came with the backup, the KEK from this server's config): proof that a restore is readable,
 * not only present. Each data key is unwrapped once, when the keyring loads it; a page whose
 * values name a version the keyring does not hold reloads it once. Returns the values opened.
 */
export async function openAllSensitive(db: Database, keys: FieldOpener, collections: readonly CollectionDef[]): Promise<number> {
  let opened = 0;
  for (const def of collections) {
    const fields = def.fields.filter((f) => f.sensitive).map((f) => f.name);
    if (fields.length === 0) continue;
    let last = '';
    for (;;) {
      const rows = await db.kysely.selectFrom(def.name).select(['id', '_sv', ...fields])
        .where('id', '>', last).orderBy('id').limit(PAGE).execute() as Record<string, unknown>[];
      let reloaded = false;
      for (const r of rows) {
        for (const f of fields) {
          const stored = r[f];
          if (stored === null || stored === undefined) continue;
          const recordId = String(r.id);
          const fail = (cause?: unknown): StrongboxError => new StrongboxError('ERR_BACKUP_VERIFY_FAILED',
            `A sensitive value (${def.name}.${f} of record ${recordId}) does not decrypt with this server's KEK.`, undefined, { cause });
          if (typeof stored !== 'string' || typeof r._sv !== 'string') throw fail();
          const bytes = Buffer.from(stored, 'base64'); // decoded once: the key id is its bytes 1-4
          const version = fieldKeyId(bytes);
          if (version === null) throw fail();
          if (!keys.hasFieldKey(def.name, version) && !reloaded) {
            reloaded = true;
            await keys.reloadKeys();
          }
          try {
            keys.openAt({ collection: def.name, field: f, recordId, revision: r._sv }, bytes).fill(0);
          } catch (cause) {
            throw fail(cause);
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

type FromThread = ThreadFailure | { type: 'done'; opened: number };

/**
 * A KEK-check thread started ahead of time (verify starts it before the restore, so its start-up
 * runs on the core the restore leaves idle); it waits for its job.
 */
export interface KekCheckThread {
  run(job: KekCheckJob): Promise<number>;
  cancel(): void;
}

export function startKekCheckThread(): KekCheckThread {
  const worker = startBackupThread('./kek-check-thread.ts', {});
  let settle: ((m: FromThread | Error) => void) | null = null;
  let early: FromThread | Error | null = null;
  const deliver = (m: FromThread | Error): void => {
    if (settle !== null) settle(m);
    else early ??= m;
  };
  worker.on('message', (m: FromThread) => deliver(m));
  worker.on('error', (err) => deliver(err));
  worker.on('exit', () => deliver(new Error('the check thread stopped')));
  worker.unref();
  return {
    run(job) {
      worker.ref();
      return new Promise<number>((resolve, reject) => {
        settle = (m) => {
          settle = () => undefined;
          void worker.terminate();
          if (m instanceof Error) reject(m);
          else if (m.type === 'done') resolve(m.opened);
          else reject(errorOf(m));
        };
        if (early !== null) settle(early);
        else worker.postMessage({ type: 'job', job });
      });
    },
    cancel() {
      settle = () => undefined;
      void worker.terminate();
    },
  };
}

/**
 * The check on a worker thread with its own connection and keyring, so it runs beside the
 * audit chain's check; where the thread cannot run (a KEK that does not load on a thread),
 * here instead. Null when the engine has no keyring.
 */
export async function checkSensitiveFields(engine: { db: Database; config: StrongboxConfig; keys?: unknown }, collections: readonly CollectionDef[], thread?: KekCheckThread): Promise<number | null> {
  const keys = engine.keys as FieldOpener | undefined;
  if (keys === undefined || typeof keys.openAt !== 'function') return null;
  if (!collections.some((c) => c.fields.some((f) => f.sensitive))) return 0;
  // no nice of its own: a drill's thread is lowered already, and this thread inherits that
  const job: KekCheckJob = { database: engine.config.database, kek: engine.config.keys.kek, dev: engine.config.dev, collections, nice: 0 };
  try {
    return await (thread ?? startKekCheckThread()).run(job);
  } catch (err) {
    if (isStrongboxError(err) && err.code === 'ERR_BACKUP_VERIFY_FAILED') throw err;
    return openAllSensitive(engine.db, keys, collections);
  }
}

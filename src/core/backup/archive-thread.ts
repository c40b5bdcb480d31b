import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConfig } from '../../config/config.ts';
import { openSnapshot } from '../../db/backup/open-snapshot.ts';
import type { Database } from '../../db/database.ts';
import { openDatabase } from '../../db/open-database.ts';
import { BACKUP_FILE_MODE } from './backup-dir.ts';
import { failureOf, lowerThreadPriority } from './backup-thread.ts';
import { sealSnapshot } from './seal-snapshot.ts';

/**
 * The worker-thread side of createBackup (create-backup.ts): snapshot, encode, seal and write
 * on this thread. The backup-signing key stays with the keyring on the main thread: the
 * manifest goes there to be signed, and only the signature comes back.
 *
 * In (workerData): ArchiveJob. Out: { type: 'progress', done, total }, { type: 'sign', bytes },
 * then { type: 'done', manifest, bytes, fileSha256 } or a ThreadFailure. In: { type: 'signature', signature }.
 */
export interface ArchiveJob {
  readonly database: DatabaseConfig;
  readonly id: string;
  readonly created: string;
  readonly recipients: readonly string[];
  readonly keyId: string;
  readonly partial: string;
  readonly nice: number;
}

const port = parentPort;
if (port === null) throw new Error('archive-thread.ts runs only on a worker thread');
const job = workerData as ArchiveJob;
lowerThreadPriority(job.nice);

let signed: ((signature: Buffer) => void) | null = null;
port.on('message', (m: { type: string; signature?: Uint8Array }) => {
  if (m.type === 'signature' && m.signature !== undefined) signed?.(Buffer.from(m.signature));
});

let lastProgress = 0;
let db: Database | null = null;
try {
  // SQLite: the snapshot is a connection of its own; PostgreSQL: a one-connection pool of this thread
  if (job.database.kind === 'postgres') db = await openDatabase(job.database, { poolSize: 1 });
  const snapshot = await openSnapshot(db, job.database);
  try {
    const sealed = await sealSnapshot({
      snapshot, id: job.id, created: new Date(job.created), recipients: job.recipients, partial: job.partial,
      openOutput: (path) => open(path, 'wx', BACKUP_FILE_MODE),
      signer: {
        keyId: job.keyId,
        sign: (bytes) => new Promise<Buffer>((resolve) => {
          signed = resolve;
          port.postMessage({ type: 'sign', bytes });
        }),
      },
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - lastProgress < 100 && done < total) return;
        lastProgress = now;
        port.postMessage({ type: 'progress', done, total });
      },
    });
    port.postMessage({ type: 'done', ...sealed });
  } finally {
    await snapshot.close();
  }
} catch (err) {
  port.postMessage(failureOf(err));
} finally {
  await db?.close();
  port.close();
}

import { open, rename, unlink } from 'node:fs/promises';
import type { DatabaseConfig } from '../../config/config.ts';
import { isAgeRecipient } from '../../crypto/age-seal.ts';
import { randomHex } from '../../crypto/random-hex.ts';
import { openSnapshot } from '../../db/backup/open-snapshot.ts';
import type { Database } from '../../db/database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { Manifest } from './archive-format.ts';
import type { ArchiveJob } from './archive-thread.ts';
import { BACKUP_FILE_MODE, archiveName, archivePath, ensureBackupDir, fsyncDir, partialName } from './backup-dir.ts';
import type { BackupSigningKey } from './backup-keys.ts';
import { BACKUP_THREAD_NICE, errorOf, settleOnce, startBackupThread, type ThreadFailure } from './backup-thread.ts';
import { sealSnapshot, type OpenOutput, type Sealed } from './seal-snapshot.ts';

export type { OpenOutput };

export interface CreateBackupOptions {
  readonly db: Database;
  readonly database: DatabaseConfig;
  readonly recipients: readonly string[];
  readonly dir: string;
  readonly signer: BackupSigningKey;
  readonly now?: () => Date;
  readonly onProgress?: (done: number, total: number) => void;
  readonly openOutput?: OpenOutput;
  /**
   * Seal on this thread instead of a worker thread below the event loop: for `backup create`,
   * whose whole process is the background (nice 19), and a thread's start-up (its own loader and
   * modules) would only add CPU time.
   */
  readonly onThisThread?: boolean;
}

export interface CreatedBackup {
  readonly path: string;
  readonly name: string;
  readonly manifest: Manifest;
  /** Size and SHA-256 of the archive file itself (the ciphertext). */
  readonly bytes: number;
  readonly fileSha256: string;
}

export function checkRecipients(recipients: readonly string[]): void {
  if (recipients.length === 0) {
    throw new StrongboxError('ERR_BACKUP_RECIPIENT', 'backup.recipients is empty: name at least one age public key (age1…) to seal backups to.');
  }
  for (const r of recipients) {
    if (!isAgeRecipient(r)) throw new StrongboxError('ERR_BACKUP_RECIPIENT', 'A backup recipient is not a valid age X25519 public key (age1…).');
  }
}

/**
 * Takes one consistent snapshot and writes it as a sealed, signed archive. The bytes go to a
 * dot-named partial file that is fsynced and renamed into place only when whole, so a failure
 * at any point leaves no file that looks like a backup.
 */
export async function createBackup(opts: CreateBackupOptions): Promise<CreatedBackup> {
  checkRecipients(opts.recipients);
  ensureBackupDir(opts.dir);
  const created = (opts.now ?? (() => new Date()))();
  const id = randomHex(16);
  const name = archiveName(created, id);
  const partial = archivePath(opts.dir, partialName(name));
  const finalPath = archivePath(opts.dir, name);
  try {
    // a test's own output (a full disk) can only be handed to this thread
    const sealed = opts.openOutput !== undefined || opts.onThisThread === true
      ? await sealHere(opts, id, created, partial, opts.openOutput ?? ((path) => open(path, 'wx', BACKUP_FILE_MODE)))
      : await sealOnThread(opts, { database: opts.database, id, created: created.toISOString(), recipients: opts.recipients, keyId: opts.signer.keyId, partial, nice: BACKUP_THREAD_NICE });
    await rename(partial, finalPath);
    fsyncDir(opts.dir);
    return { path: finalPath, name, ...sealed };
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    throw mapWriteError(err);
  }
}

async function sealHere(opts: CreateBackupOptions, id: string, created: Date, partial: string, openOutput: OpenOutput): Promise<Sealed> {
  const snapshot = await openSnapshot(opts.db, opts.database);
  try {
    return await sealSnapshot({ snapshot, id, created, recipients: opts.recipients, signer: opts.signer, partial, openOutput, onProgress: opts.onProgress });
  } finally {
    await snapshot.close();
  }
}

type FromThread = ThreadFailure | { type: 'progress'; done: number; total: number } | { type: 'sign'; bytes: Uint8Array } | ({ type: 'done' } & Sealed);

/** The snapshot is read, sealed and written on a worker thread (archive-thread.ts); only signing happens here. */
function sealOnThread(opts: CreateBackupOptions, job: ArchiveJob): Promise<Sealed> {
  return new Promise<Sealed>((resolve, reject) => {
    const worker = startBackupThread('./archive-thread.ts', job);
    const finish = settleOnce(worker);
    worker.on('message', (m: FromThread) => {
      if (m.type === 'progress') opts.onProgress?.(m.done, m.total);
      else if (m.type === 'sign') {
        try {
          worker.postMessage({ type: 'signature', signature: opts.signer.sign(Buffer.from(m.bytes)) });
        } catch (err) {
          finish(() => reject(err));
        }
      } else if (m.type === 'done') finish(() => resolve({ manifest: m.manifest, bytes: m.bytes, fileSha256: m.fileSha256 }));
      else finish(() => reject(errorOf(m)));
    });
    worker.on('error', (err) => finish(() => reject(new StrongboxError('ERR_INTERNAL', undefined, undefined, { cause: err }))));
    worker.on('exit', () => finish(() => reject(new StrongboxError('ERR_INTERNAL', 'The backup thread stopped before the archive was written.'))));
  });
}

function mapWriteError(err: unknown): unknown {
  if (isStrongboxError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StrongboxError('ERR_BACKUP_NO_SPACE', 'The backup folder ran out of space; the partial archive was removed.', undefined, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EEXIST') {
    return new StrongboxError('ERR_BACKUP_DESTINATION', 'The archive cannot be written to the backup folder.', undefined, { cause: err });
  }
  return err;
}

import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { DatabaseConfig } from '../../config/config.ts';
import { ageSeal, isAgeRecipient } from '../../crypto/age-seal.ts';
import { randomHex } from '../../crypto/random-hex.ts';
import { Sha256 } from '../../crypto/sha256-stream.ts';
import { openSnapshot } from '../../db/backup/open-snapshot.ts';
import type { Database } from '../../db/database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { Manifest } from './archive-format.ts';
import { writeArchive } from './archive-writer.ts';
import { BACKUP_FILE_MODE, archiveName, archivePath, ensureBackupDir, fsyncDir, partialName } from './backup-dir.ts';
import type { BackupSigningKey } from './backup-keys.ts';

/** Where the archive bytes go; tests swap it to simulate a full disk. */
export type OpenOutput = (path: string) => Promise<Pick<FileHandle, 'write' | 'sync' | 'close'>>;

export interface CreateBackupOptions {
  readonly db: Database;
  readonly database: DatabaseConfig;
  readonly recipients: readonly string[];
  readonly dir: string;
  readonly signer: BackupSigningKey;
  readonly now?: () => Date;
  readonly onProgress?: (done: number, total: number) => void;
  readonly openOutput?: OpenOutput;
}

export interface CreatedBackup {
  readonly path: string;
  readonly name: string;
  readonly manifest: Manifest;
  /** Size and SHA-256 of the archive file itself (the ciphertext). */
  readonly bytes: number;
  readonly fileSha256: string;
}

const defaultOpen: OpenOutput = (path) => open(path, 'wx', BACKUP_FILE_MODE);

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
  const snapshot = await openSnapshot(opts.db, opts.database);
  let out: Awaited<ReturnType<OpenOutput>> | null = null;
  try {
    const archive = writeArchive({ snapshot, id, created, signer: opts.signer, onProgress: opts.onProgress });
    out = await (opts.openOutput ?? defaultOpen)(partial);
    const fileHash = new Sha256();
    let bytes = 0;
    for await (const chunk of ageSeal(opts.recipients, archive.bytes)) {
      fileHash.update(chunk);
      bytes += chunk.length;
      await out.write(chunk);
    }
    const manifest = await archive.result;
    await out.sync();
    await out.close();
    out = null;
    await snapshot.close();
    await rename(partial, finalPath);
    fsyncDir(opts.dir);
    return { path: finalPath, name, manifest, bytes, fileSha256: fileHash.hex() };
  } catch (err) {
    await out?.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    throw mapWriteError(err);
  } finally {
    await snapshot.close().catch(() => undefined);
  }
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

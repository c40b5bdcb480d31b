import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { ARCHIVE_SUFFIX } from './archive-format.ts';

export const BACKUP_DIR_MODE = 0o700;
export const BACKUP_FILE_MODE = 0o600;

/** strongbox-20261201T090000Z-<8 hex>.tar.age: sortable by time, never a dot file. */
export const ARCHIVE_NAME = /^strongbox-\d{8}T\d{6}Z-[0-9a-f]{8}\.tar\.age$/;

export function archiveName(created: Date, id: string): string {
  const stamp = created.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `strongbox-${stamp}-${id.slice(0, 8)}${ARCHIVE_SUFFIX}`;
}

/** A file being written: a dot name `backup list` never shows, renamed into place when whole. */
export const partialName = (name: string): string => `.${name}.partial`;

/**
 * Makes the folder (0700) or checks that an existing one is owner-only: a backup folder others
 * can read or write would let them take or swap archives.
 */
export function ensureBackupDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: BACKUP_DIR_MODE });
  } catch (cause) {
    throw new StrongboxError('ERR_BACKUP_DESTINATION', 'The backup folder cannot be created.', undefined, { cause });
  }
  checkBackupDir(dir);
}

export function checkBackupDir(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (cause) {
    throw new StrongboxError('ERR_BACKUP_DESTINATION', 'The backup folder does not exist or cannot be read.', undefined, { cause });
  }
  if (!st.isDirectory()) throw new StrongboxError('ERR_BACKUP_DESTINATION', 'The backup folder is not a folder.');
  if ((st.mode & 0o077) !== 0) {
    throw new StrongboxError('ERR_BACKUP_PERMISSIONS',
      `The backup folder is open to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); make it owner-only with chmod 700.`);
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new StrongboxError('ERR_BACKUP_PERMISSIONS', 'The backup folder belongs to another user.');
  }
}

/** Archive file names in the folder, oldest first. */
export function listArchiveNames(dir: string): string[] {
  return readdirSync(dir).filter((n) => ARCHIVE_NAME.test(n)).sort();
}

/** Makes a rename in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export const archivePath = (dir: string, name: string): string => join(dir, name);

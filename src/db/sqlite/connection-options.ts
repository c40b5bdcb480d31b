import { closeSync, existsSync, mkdirSync, openSync, constants as fsConstants } from 'node:fs';
import { dirname } from 'node:path';

/** Pragmas applied to every SQLite connection, in this order. */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL', // readers never block the writer
  'foreign_keys = ON',
  'busy_timeout = 5000', // ms to wait for a lock held by another process
  'synchronous = NORMAL', // durable across app crashes; with WAL only a power loss can drop the last commits
];

export const SQLITE_FILE_MODE = 0o600;
export const SQLITE_DIR_MODE = 0o700;

/**
 * Creates the database file (and its folder) owner-only before SQLite opens it: SQLite gives
 * the -wal and -shm files the mode of the database file, so all three stay 0600. An
 * existing file keeps its mode; `doctor` reports a loose one.
 */
export function prepareSqliteFile(path: string): void {
  if (path === ':memory:') return;
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: SQLITE_DIR_MODE });
  try {
    // O_EXCL: create only, never touch a file that is already there
    closeSync(openSync(path, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_RDWR, SQLITE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

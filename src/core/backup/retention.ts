import { unlinkSync } from 'node:fs';
import type { BackupConfig } from '../../config/config.ts';
import { archivePath, listArchiveNames } from './backup-dir.ts';

/** Name stamp → time: strongbox-20261201T090000Z-… */
function createdOf(name: string): number {
  const m = /^strongbox-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
}

/**
 * Deletes local archives beyond `keep.count` (newest kept) and older than `keep.age`; the
 * newest archive is never deleted. Returns the names removed.
 */
export function pruneArchives(dir: string, keep: BackupConfig['keep'], nowMs: number): string[] {
  const names = listArchiveNames(dir).reverse(); // newest first
  const removed: string[] = [];
  names.forEach((name, i) => {
    if (i === 0) return;
    const tooMany = i >= keep.count;
    const tooOld = keep.age !== null && nowMs - createdOf(name) > keep.age * 1000;
    if (!tooMany && !tooOld) return;
    unlinkSync(archivePath(dir, name));
    removed.push(name);
  });
  return removed;
}

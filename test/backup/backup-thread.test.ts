// Backup work runs on worker threads: what crosses back is a code and a public message, never a
// library's text or a path, and a failure there still leaves no archive behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { errorOf, failureOf } from '../../src/core/backup/backup-thread.ts';
import type { Database } from '../../src/db/database.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { ageKeys, tempDir, testSigner } from './backup-fixture.ts';

test('a failure on the archive thread comes back with its code, and leaves no file', async () => {
  const keys = await ageKeys();
  const dir = join(tempDir(), 'backups');
  await assert.rejects(
    createBackup({ db: null as unknown as Database, database: { kind: 'sqlite', path: ':memory:' }, recipients: [keys.recipient], dir, signer: testSigner() }),
    (err: unknown) => err instanceof StrongboxError && err.code === 'ERR_BACKUP_SOURCE',
  );
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
});

test('thread failures keep codes, drop library messages and paths', () => {
  const sb = errorOf(failureOf(new StrongboxError('ERR_BACKUP_VERIFY_FAILED', 'Table x has 3 rows after the restore; the manifest says 4.')));
  assert.ok(sb instanceof StrongboxError);
  assert.equal(sb.code, 'ERR_BACKUP_VERIFY_FAILED');
  assert.match(sb.message, /the manifest says 4/);

  const disk = errorOf(failureOf(Object.assign(new Error("ENOSPC: no space left on device, write '/secret/path/.x.partial'"), { code: 'ENOSPC' })));
  assert.equal((disk as { code?: string }).code, 'ENOSPC', 'a system error keeps its code, so create maps it to ERR_BACKUP_NO_SPACE');
  assert.doesNotMatch(disk.message, /secret|partial/);

  const other = errorOf(failureOf(new TypeError('Cannot read properties of undefined (reading "x") at /srv/app/file.ts')));
  assert.ok(other instanceof StrongboxError);
  assert.equal(other.code, 'ERR_INTERNAL');
  assert.doesNotMatch(other.message, /Cannot read|\/srv/);
});

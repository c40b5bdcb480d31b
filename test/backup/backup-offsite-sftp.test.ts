import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { copyOffsite } from '../../src/core/backup/offsite-rclone.ts';
import type { Engine } from '../../src/core/engine.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { sftpStatus, startSftpServer, type SftpServer } from '../helpers/sftp-server.ts';
import { ageKeys, seededEngine, tempDir, testSigner } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

describeWithTool(sftpStatus(), 'offsite copies through rclone to a real SFTP server', () => {
  let server: SftpServer;
  let engine: Engine;

  before(async () => {
    server = await startSftpServer();
    ({ engine } = await seededEngine((await freshFor('sqlite'))!, 3));
  });
  after(async () => {
    await engine?.close();
    await server?.stop();
  });

  test('the archive arrives byte for byte, and rclone lists it', async () => {
    const keys = await ageKeys();
    const made = await createBackup({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir: join(tempDir(), 'b'), signer: testSigner() });
    const target = await copyOffsite(made.path, `rclone:sftptest:${server.root}/strongbox`, { config: server.rcloneConfig, timeoutMs: 60_000 });
    assert.equal(target, `sftptest:${server.root}/strongbox/${made.name}`);
    assert.deepEqual(readFileSync(join(server.root, 'strongbox', made.name)), readFileSync(made.path));
    const listed = execFileSync('rclone', ['--config', server.rcloneConfig, 'lsf', `sftptest:${server.root}/strongbox`]).toString();
    assert.equal(listed.trim(), made.name);
  });
});

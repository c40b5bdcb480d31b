import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildConfig } from '../../src/config/build-config.ts';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { copyOffsite } from '../../src/core/backup/offsite-rclone.ts';
import type { Engine } from '../../src/core/engine.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { ageKeys, seededEngine, tempDir, testSigner, type AgeKeys } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

function configError(backup: unknown): { code: string; message: string } {
  try {
    buildConfig({ backup }, { baseDir: tempDir() });
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('the config was accepted');
}

test('a recipient that is not an age X25519 public key is a config error naming it', async () => {
  const { recipient } = await ageKeys();
  const broken = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q'); // checksum off by one character
  for (const bad of ['age1short', 'ssh-ed25519 AAAA', broken, 42]) {
    const err = configError({ recipients: [bad] });
    assert.equal(err.code, 'ERR_CONFIG');
    assert.match(err.message, /backup\.recipients\[0\]|backup\.recipients\.0/);
    assert.match(err.message, /age X25519 public key/);
  }
  assert.doesNotThrow(() => buildConfig({ backup: { recipients: [recipient] } }, { baseDir: tempDir() }));
});

test('an age identity in the config is refused with the reason, and never echoed', async () => {
  const { identity } = await ageKeys();
  const err = configError({ recipients: [identity] });
  assert.equal(err.code, 'ERR_CONFIG');
  assert.match(err.message, /age identity \(a private key\), refused/);
  assert.match(err.message, /server holds only public keys/);
  assert.ok(!err.message.includes(identity.slice(16)), 'the private key is not in the message');
});

test('other backup settings are validated strictly', () => {
  assert.match(configError({ schedule: '6 hours', recipients: [] }).message, /duration/);
  assert.match(configError({ schedule: '6h' }).message, /need backup\.recipients/);
  assert.match(configError({ keep: 0 }).message, /between 1 and/);
  assert.match(configError({ keep: { count: 3, age: '1y' } }).message, /duration/);
  assert.match(configError({ offsite: ['s3://bucket'] }).message, /rclone:REMOTE:PATH/);
  assert.match(configError({ offsite: ['rclone:--config:x'] }).message, /rclone:REMOTE:PATH/);
  assert.match(configError({ dir: 'rclone:r:p' }).message, /backup\.offsite/);
  assert.match(configError({ typo: 1 }).message, /unknown key/);
});

test('schedules of seconds only in dev mode (to watch the scheduler work); production keeps 5m', async () => {
  const { recipient } = await ageKeys();
  const backup = { recipients: [recipient], schedule: '2s', verify: '3s' };
  const prod = configError(backup);
  assert.match(prod.message, /backup\.schedule: must be between 5m and 30d/);
  assert.match(prod.message, /backup\.verify: must be between 5m and 30d/);
  assert.match(configError({ ...backup, schedule: '299s', verify: '5m' }).message, /backup\.schedule: must be between 5m/);
  const dev = buildConfig({ backup }, { baseDir: tempDir(), dev: true });
  assert.equal(dev.backup.schedule, 2);
  assert.equal(dev.backup.verify, 3);
  assert.throws(() => buildConfig({ backup: { ...backup, schedule: '0s' } }, { baseDir: tempDir(), dev: true }), /between 1s and 30d/);
});

let engine: Engine;
let keys: AgeKeys;
before(async () => {
  keys = await ageKeys();
  ({ engine } = await seededEngine((await freshFor('sqlite'))!, 3));
});
after(async () => { await engine?.close(); });

const opts = (dir: string) => ({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir, signer: testSigner() });

test('a recipient with a bad checksum is refused at backup time too', async () => {
  const bad = keys.recipient.slice(0, -1) + (keys.recipient.endsWith('q') ? 'p' : 'q');
  await assert.rejects(createBackup({ ...opts(join(tempDir(), 'b')), recipients: [bad] }), { code: 'ERR_BACKUP_RECIPIENT' });
  await assert.rejects(createBackup({ ...opts(join(tempDir(), 'b')), recipients: [] }), { code: 'ERR_BACKUP_RECIPIENT' });
});

test('a full disk fails the backup and leaves no file at all', async () => {
  const dir = join(tempDir(), 'full');
  let written = 0;
  await assert.rejects(createBackup({
    ...opts(dir),
    openOutput: async () => ({
      write: async (chunk: Uint8Array) => {
        written += chunk.length;
        if (written > 300) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return { bytesWritten: chunk.length, buffer: chunk };
      },
      sync: async () => undefined,
      close: async () => undefined,
    }) as never,
  }), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'ERR_BACKUP_NO_SPACE');
    assert.match(err.message, /out of space/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), [], 'no partial file left');
});

test('a backup folder with loose permissions is refused', async () => {
  const dir = join(tempDir(), 'loose');
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o755);
  await assert.rejects(createBackup(opts(dir)), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'ERR_BACKUP_PERMISSIONS');
    assert.match(err.message, /0755.*chmod 700/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

const rclone = requireTool('rclone', () => {
  try {
    execFileSync('rclone', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'rclone is not installed (Debian package rclone)';
  }
});

describeWithTool(rclone, 'offsite copies to an unreachable remote', () => {
  test('fail with ERR_BACKUP_DESTINATION and keep the local archive', async () => {
    const dir = join(tempDir(), 'local');
    const made = await createBackup(opts(dir));
    const conf = join(tempDir(), 'rclone.conf');
    // nothing listens on port 1 of loopback
    writeFileSync(conf, '[nowhere]\ntype = sftp\nhost = 127.0.0.1\nport = 1\nuser = nobody\n', { mode: 0o600 });
    await assert.rejects(copyOffsite(made.path, 'rclone:nowhere:backups', { config: conf, timeoutMs: 30_000 }), (err: { code?: string; message: string }) => {
      assert.equal(err.code, 'ERR_BACKUP_DESTINATION');
      assert.match(err.message, /nowhere/);
      return true;
    });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tar.age')), [made.name]);
  });
});

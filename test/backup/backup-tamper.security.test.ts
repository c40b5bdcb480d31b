// An attacker who can write to the backup store alters, truncates, splices or forges an archive so that a restore brings back data the server never wrote, or half a database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { restoreBackup } from '../../src/core/backup/restore-backup.ts';
import type { Engine } from '../../src/core/engine.ts';
import { hasData } from '../../src/db/backup/restore-writer.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { openEntries, sealEntries } from './archive-tools.ts';
import { ageKeys, seededEngine, tempDir, testSigner, type AgeKeys } from './backup-fixture.ts';
import { freshFor } from './fresh-database.ts';

let engine: Engine;
let keys: AgeKeys;
const signer = testSigner();
const dir = join(tempDir(), 'backups');
let pathA: string;
let pathB: string;

before(async () => {
  keys = await ageKeys();
  ({ engine } = await seededEngine((await freshFor('sqlite'))!, 5));
  const opts = { db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir, signer };
  pathA = (await createBackup(opts)).path;
  pathB = (await createBackup(opts)).path;
});
after(async () => { await engine?.close(); });

/** Restores `bytes` into a fresh SQLite file; resolves to the error code, and checks nothing was restored. */
async function restoreCode(bytes: Buffer, identity = keys.identity): Promise<string> {
  const cfg = (await freshFor('sqlite'))!;
  const target = await openDatabase(cfg);
  try {
    await restoreBackup({ source: Readable.from([bytes]), identities: [identity], trustedPublicKeys: [signer.publicKeyPem], target });
    return 'restored';
  } catch (err) {
    assert.equal(await hasData(target), false, 'nothing restored');
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await target.close();
  }
}

test('the untouched archive restores (the corpus below can fail)', async () => {
  assert.equal(await restoreCode(readFileSync(pathA)), 'restored');
});

test('a flipped byte anywhere is refused', async () => {
  const good = readFileSync(pathA);
  const positions = [10, 60, 120, 200, Math.floor(good.length / 3), Math.floor(good.length / 2), good.length - 20, good.length - 1];
  for (const at of positions) {
    const bad = Buffer.from(good);
    bad[at] = bad[at]! ^ 0x01;
    const code = await restoreCode(bad);
    assert.ok(['ERR_BACKUP_INVALID', 'ERR_BACKUP_IDENTITY'].includes(code), `byte ${at}: ${code}`);
  }
});

test('a truncated archive is refused', async () => {
  const good = readFileSync(pathA);
  for (const len of [0, 30, 200, Math.floor(good.length / 2), good.length - 17, good.length - 1]) {
    const code = await restoreCode(good.subarray(0, len));
    assert.ok(['ERR_BACKUP_INVALID', 'ERR_BACKUP_IDENTITY'].includes(code), `length ${len}: ${code}`);
  }
});

test('the manifest of another backup (validly signed) is refused', async () => {
  const a = await openEntries(pathA, keys.identity);
  const b = await openEntries(pathB, keys.identity);
  const spliced = [...a.filter((e) => !e.name.startsWith('manifest.')), ...b.filter((e) => e.name.startsWith('manifest.'))];
  assert.equal(await restoreCode(await sealEntries(spliced, keys.recipient)), 'ERR_BACKUP_INVALID');
});

test('a valid age archive not signed by this server is refused', async () => {
  const forged = await createBackup({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir: join(tempDir(), 'b'), signer: testSigner() });
  assert.equal(await restoreCode(readFileSync(forged.path)), 'ERR_BACKUP_SIGNATURE');
  // and re-signing nothing: data edited under the real manifest fails its hash
  const entries = await openEntries(pathA, keys.identity);
  const edited = entries.map((e) => (e.name.startsWith('data/_sb_accounts/') ? { ...e, data: Buffer.from(e.data.toString().replace('admin', 'admix')) } : e));
  assert.equal(await restoreCode(await sealEntries(edited, keys.recipient)), 'ERR_BACKUP_INVALID');
});

test('the wrong identity is refused', async () => {
  const other = await ageKeys();
  assert.equal(await restoreCode(readFileSync(pathA), other.identity), 'ERR_BACKUP_IDENTITY');
});

test('a backup of a newer format version is refused as such', async () => {
  const entries = await openEntries(pathA, keys.identity);
  const newer = entries.map((e) => (e.name === 'strongbox-backup.json'
    ? { ...e, data: Buffer.from(JSON.stringify({ ...JSON.parse(e.data.toString()), version: 2 })) } : e));
  assert.equal(await restoreCode(await sealEntries(newer, keys.recipient)), 'ERR_BACKUP_VERSION');
});

eachDialect('a restore killed by SIGKILL', (ctx) => {
  test('leaves the target empty', async () => {
    const { engine: big } = await seededEngine(await ctx.freshDatabase(), 0);
    let path: string;
    try {
      // enough rows for several 4 MiB parts
      const now = new Date().toISOString();
      const rows = Array.from({ length: 40_000 }, (_, i) => ({
        id: `r${String(i).padStart(19, '0')}`, created: now, updated: now, owner: null, name: `n${i} ${'x'.repeat(200)}`,
      }));
      for (let i = 0; i < rows.length; i += 2000) await big.db.kysely.insertInto('patients').values(rows.slice(i, i + 2000)).execute();
      path = (await createBackup({ db: big.db, database: big.config.database, recipients: [keys.recipient], dir: join(tempDir(), 'k'), signer })).path;
    } finally {
      await big.close();
    }
    const target: DatabaseConfig = await ctx.freshDatabase();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'restore-child.ts')], {
      env: { ...process.env, SB_RESTORE_JOB: JSON.stringify({ path, identity: keys.identity, publicKey: signer.publicKeyPem, target }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('restoring')) resolve(); });
      child.on('exit', () => reject(new Error('the restore ended before it could be killed')));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const db = await openDatabase(target);
    try {
      assert.equal(await hasData(db), false, 'no rows restored');
    } finally {
      await db.close();
    }
  });
});

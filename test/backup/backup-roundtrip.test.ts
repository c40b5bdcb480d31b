import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/core/backup/create-backup.ts';
import { restoreBackup } from '../../src/core/backup/restore-backup.ts';
import { verifyBackup } from '../../src/core/backup/verify-backup.ts';
import type { Caller } from '../../src/core/caller.ts';
import type { Engine } from '../../src/core/engine.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { eachDialect, DIALECTS } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/test-engine.ts';
import { freshFor } from './fresh-database.ts';
import { COLLECTIONS, ageKeys, allPatients, seededEngine, tempDir, testSigner, type AgeKeys } from './backup-fixture.ts';
import { useTestPepperEnv } from '../helpers/sign-in.ts';

// Password hashes are peppered: a restore verifies them only with the same pepper, so both engines share one.
useTestPepperEnv();

eachDialect('backup create, verify and restore', (ctx) => {
  let engine: Engine;
  let admin: Caller;
  let keys: AgeKeys;
  const signer = testSigner();
  const dir = join(tempDir(), 'backups');
  let path: string;

  before(async () => {
    keys = await ageKeys();
    ({ engine, admin } = await seededEngine(await ctx.freshDatabase(), 25));
    const made = await createBackup({ db: engine.db, database: engine.config.database, recipients: [keys.recipient], dir, signer });
    path = made.path;
  });
  after(async () => { await engine?.close(); });

  test('writes one owner-only archive in an owner-only folder', () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), [path.split('/').pop()]);
  });

  test('verify restores it into a scratch database and reads records back', async () => {
    const r = await verifyBackup({ path, identities: [keys.identity], trustedPublicKeys: [signer.publicKeyPem], config: engine.config });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.sampled, 25);
    assert.ok(r.records >= 25 + 1);
  });

  for (const to of DIALECTS) {
    test(`restores into an empty ${to} database with the same records through the API`, async (t) => {
      const targetCfg = await freshFor(to);
      if (targetCfg === null) { t.skip('PostgreSQL missing'); return; }
      const target = await openDatabase(targetCfg);
      try {
        await restoreBackup({ source: createReadStream(path), identities: [keys.identity], trustedPublicKeys: [signer.publicKeyPem], target });
      } finally {
        await target.close();
      }
      const restored = await openTestEngine(targetCfg, { collections: COLLECTIONS });
      try {
        assert.deepEqual(await allPatients(restored, admin), await allPatients(engine, admin));
        // sessions are not carried over; accounts are
        const login = await restored.accounts.login('admin@example.com', 'Granite-Falcon-Meadow-26');
        assert.ok(login.token);
      } finally {
        await restored.close();
      }
    });
  }

  test('a non-empty target is refused and left as it was', async () => {
    await assert.rejects(
      restoreBackup({ source: createReadStream(path), identities: [keys.identity], trustedPublicKeys: [signer.publicKeyPem], target: engine.db }),
      { code: 'ERR_BACKUP_TARGET_NOT_EMPTY' },
    );
    assert.equal((await allPatients(engine, admin)).length, 25);
  });
});

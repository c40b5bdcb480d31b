import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { createTestToken, findSoftHsm, type TestToken } from '../helpers/softhsm.ts';
import { collection, field, tempSqlite, testConfig } from '../helpers/test-engine.ts';
import type { KekConfig } from '../../src/config/parse-keys.ts';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { openEngine } from '../../src/core/engine.ts';
import { rotateKek } from '../../src/core/keys/kek-rotation.ts';
import { PKCS11_PIN_ENV } from '../../src/core/keys/open-kek.ts';

const softhsm = requireTool('SoftHSM2', () => {
  if (findSoftHsm() === null) return 'libsofthsm2.so not found (Debian package softhsm2)';
  execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
  return null;
});

const SECRETS = collection('secrets', [field('pin', 'text', { sensitive: true, searchable: true })], { list: 'true', view: 'true', create: 'true' });
const admin = { id: 'AAAAAAAAAAAAAAAAAAAA', role: 'admin', email: null };

describeWithTool(softhsm, 'PKCS#11 KEK on SoftHSM2', () => {
  let token: TestToken;
  const pinDir = mkdtempSync(join(tmpdir(), 'sb-pin-'));
  const pinFile = (pin: string): string => {
    const p = join(pinDir, `pin-${randomBytes(6).toString('hex')}`);
    writeFileSync(p, `${pin}\n`, { mode: 0o600 });
    return p;
  };
  const kek = (key = 'strongbox-kek', tokenLabel?: string): KekConfig => ({ kind: 'pkcs11', module: token.module, token: tokenLabel ?? token.token, key });
  const config = (db: DatabaseConfig, k: KekConfig) => ({ ...testConfig(db, { collections: [SECRETS] }), keys: { kek: k, rotationBatch: 500 } });

  test('setup: a token with two AES keys made inside it', () => {
    token = createTestToken('strongbox-kek');
    token.addKey('other-kek');
    process.env[PKCS11_PIN_ENV] = pinFile(token.pin);
  });
  after(() => token?.cleanup());

  test('keys are wrapped inside the token: sensitive fields round-trip, stored keys name the token KEK', async () => {
    const db = tempSqlite();
    const engine = await openEngine(config(db, kek()));
    const r = await engine.records.create(admin, 'secrets', { pin: '4242' });
    assert.equal((await engine.records.get(admin, 'secrets', String(r.id))).pin, '4242');
    const rows = await engine.db.kysely.selectFrom('_sb_keys').select(['kek_id', 'wrapped']).execute();
    assert.ok(rows.length >= 8);
    for (const row of rows) {
      assert.match(String(row.kek_id), /^pkcs11:[0-9a-f]{16}$/);
      assert.equal(Buffer.from(String(row.wrapped), 'base64')[0], 2, 'wrapped by the token (format 2)');
    }
    await engine.close();
    // a second start unwraps with the token again
    const again = await openEngine(config(db, kek()));
    assert.equal((await again.records.get(admin, 'secrets', String(r.id))).pin, '4242');
    await again.close();
  });

  test('a wrong PIN, a missing token, a missing key label, an unreadable PIN file: ERR_KEK_UNAVAILABLE, never the PIN', async () => {
    const db = tempSqlite();
    const right = process.env[PKCS11_PIN_ENV];
    try {
      process.env[PKCS11_PIN_ENV] = pinFile('9999-wrong');
      await assert.rejects(openEngine(config(db, kek())), (e: Error & { code?: string }) => e.code === 'ERR_KEK_UNAVAILABLE' && /PIN .* was refused/.test(e.message) && !e.message.includes('9999'));
      process.env[PKCS11_PIN_ENV] = right;
      await assert.rejects(openEngine(config(db, kek('strongbox-kek', 'no-such-token'))), (e: Error & { code?: string }) => e.code === 'ERR_KEK_UNAVAILABLE' && /no PKCS#11 token labelled 'no-such-token'/.test(e.message));
      await assert.rejects(openEngine(config(db, kek('no-such-key'))), (e: Error & { code?: string }) => e.code === 'ERR_KEK_UNAVAILABLE' && /no secret key labelled 'no-such-key'/.test(e.message));
      await assert.rejects(openEngine(config(db, { ...kek(), module: '/nonexistent/libnothing.so' } as KekConfig)), (e: Error & { code?: string }) => e.code === 'ERR_KEK_UNAVAILABLE' && /cannot load the PKCS#11 module/.test(e.message));
      process.env[PKCS11_PIN_ENV] = join(pinDir, 'missing');
      await assert.rejects(openEngine(config(db, kek())), (e: Error & { code?: string }) => e.code === 'ERR_KEK_UNAVAILABLE' && /cannot be read/.test(e.message));
    } finally {
      process.env[PKCS11_PIN_ENV] = right;
    }
  });

  test('another key of the token does not unwrap the stored keys: ERR_KEK_MISMATCH, nothing rewritten', async () => {
    const db = tempSqlite();
    const engine = await openEngine(config(db, kek()));
    const before = await engine.db.kysely.selectFrom('_sb_keys').selectAll().orderBy('purpose').orderBy('scope').execute();
    await engine.close();
    await assert.rejects(openEngine(config(db, kek('other-kek'))), (e: Error & { code?: string }) => e.code === 'ERR_KEK_MISMATCH' && /wrapped by KEK pkcs11:/.test(e.message));
    const check = await openEngine(config(db, kek()));
    assert.deepEqual(await check.db.kysely.selectFrom('_sb_keys').selectAll().orderBy('purpose').orderBy('scope').execute(), before);
    await check.close();
  });

  test('keys rotate --kek --to pkcs11: re-wraps an env KEK\'s keys into the token; data stays readable', async () => {
    const db = tempSqlite();
    const start = await openEngine(testConfig(db, { collections: [SECRETS] }));
    const r = await start.records.create(admin, 'secrets', { pin: '1111' });
    const res = await rotateKek(start.keys, start.config.keys.kek, kek(), { dev: true });
    assert.ok(res.rewrapped >= 8 && res.configChange);
    await start.close();
    const moved = await openEngine(config(db, kek()));
    assert.equal((await moved.records.get(admin, 'secrets', String(r.id))).pin, '1111');
    assert.equal((await moved.records.list(admin, 'secrets', { filter: 'pin = "1111"' })).totalItems, 1);
    await moved.close();
    await assert.rejects(openEngine(testConfig(db, { collections: [SECRETS] })), (e: Error & { code?: string }) => e.code === 'ERR_KEK_MISMATCH');
  });
});

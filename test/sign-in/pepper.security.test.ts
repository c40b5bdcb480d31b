// Attack: someone who stole the database tries to crack the password hashes offline, or runs production on a dev pepper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '../../src/crypto/password.ts';
import { PasswordHasher } from '../../src/crypto/password-hasher.ts';
import { DEV_PEPPER_FILE, loadPepper, parsePepperText } from '../../src/crypto/pepper.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { testPepper } from '../helpers/sign-in.ts';

const isConfig = (e: unknown) => e instanceof StrongboxError && e.code === 'ERR_CONFIG';

test('a stored hash does not verify without the pepper, nor with another pepper', async () => {
  const ring = testPepper();
  const hasher = new PasswordHasher(ring);
  const stored = await hasher.hash('Tulip-Harbor-Quartz-41');
  assert.match(stored, /^p1\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  const phc = stored.slice(2);
  // What an attacker with only the database can try: the PHC string with no secret.
  assert.equal(await verifyPassword(phc, 'Tulip-Harbor-Quartz-41'), false);
  assert.equal((await new PasswordHasher(testPepper()).verify(stored, 'Tulip-Harbor-Quartz-41')).ok, false);
  // With the pepper it does: the test can fail.
  assert.deepEqual(await hasher.verify(stored, 'Tulip-Harbor-Quartz-41'), { ok: true, rehash: false });
  assert.equal((await hasher.verify(stored, 'Tulip-Harbor-Quartz-42')).ok, false);
});

test('a hash under an older pepper version verifies and asks for a rehash under the current one', async () => {
  const v1 = testPepper(1);
  const old = await new PasswordHasher(v1).hash('Velvet-Canyon-Orbit-73');
  const v1Line = `v1:${Buffer.from(v1.current.unsafeSecret).toString('base64')}`;
  const rotated = new PasswordHasher(testPepper(2, v1Line));
  assert.deepEqual(await rotated.verify(old, 'Velvet-Canyon-Orbit-73'), { ok: true, rehash: true });
  assert.match(await rotated.hash('x-Velvet-Canyon-Orbit-73'), /^p2\$/);
  // A retired pepper (dropped from the ring) can no longer verify.
  assert.equal((await new PasswordHasher(testPepper(2)).verify(old, 'Velvet-Canyon-Orbit-73')).ok, false);
});

test('STRONGBOX_PEPPER_FILE wins over STRONGBOX_PEPPER; short or malformed peppers are refused without echoing them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-pepper-'));
  const file = join(dir, 'pepper');
  writeFileSync(file, `v7:${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
  const ring = loadPepper({ env: { STRONGBOX_PEPPER_FILE: file, STRONGBOX_PEPPER: `v3:${Buffer.alloc(32, 3).toString('base64')}` }, dev: false, dataDir: dir });
  assert.equal(ring.current.version, 7);
  assert.equal(loadPepper({ env: { STRONGBOX_PEPPER: `v3:${Buffer.alloc(32, 3).toString('base64')}` }, dev: false, dataDir: dir }).current.version, 3);
  for (const bad of ['v1:c2hvcnQ=', 'secret-without-version', `v0:${Buffer.alloc(32).toString('base64')}`, '']) {
    assert.throws(() => parsePepperText(bad, 'X'), (e) => isConfig(e) && !(e as Error).message.includes(bad || '\u0000'));
  }
});

test('production refuses a missing pepper and a dev pepper; dev creates one, 0600, and reuses it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-pepper-'));
  assert.throws(() => loadPepper({ env: {}, dev: false, dataDir: dir }), isConfig);
  const dev = loadPepper({ env: {}, dev: true, dataDir: dir });
  assert.equal(dev.current.dev, true);
  const path = join(dir, DEV_PEPPER_FILE);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^# .*\ndev-v1:[A-Za-z0-9+/]{43}=\n$/);
  assert.deepEqual(loadPepper({ env: {}, dev: true, dataDir: dir }).current.unsafeSecret, dev.current.unsafeSecret, 'reused, not regenerated');
  // The dev pepper file handed to a production server is refused.
  assert.throws(() => loadPepper({ env: { STRONGBOX_PEPPER_FILE: path }, dev: false, dataDir: dir }), isConfig);
  assert.throws(() => loadPepper({ env: {}, dev: false, dataDir: dir }), isConfig, 'no silent fallback to the dev file');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '../../src/crypto/keyring.ts';
import { kekFromEnv, LocalKek, newKekText, parseKekText } from '../../src/crypto/kek/local-kek.ts';
import { FieldDecryptError, FIELD_OVERHEAD_BYTES, fieldKeyId, sealField, openField, storedKeyId } from '../../src/crypto/field-cipher.ts';
import { verifySignature } from '../../src/crypto/signature.ts';
import { openKek } from '../../src/core/keys/open-kek.ts';

const kek = () => kekFromEnv('T', newKekText());
const place = { collection: 'patients', field: 'ssn', recordId: 'r1', revision: 'rev1' };

test('the field layout: version 1, key id, 96-bit nonce, tag; a fresh nonce every time', () => {
  const key = Buffer.alloc(32, 1);
  const a = sealField(key, 7, place, Buffer.from('"123-45-6789"'));
  const b = sealField(key, 7, place, Buffer.from('"123-45-6789"'));
  assert.equal(a[0], 1);
  assert.equal(a.readUInt32BE(1), 7);
  assert.equal(fieldKeyId(a), 7);
  assert.equal(a.length, FIELD_OVERHEAD_BYTES + '"123-45-6789"'.length);
  assert.notDeepEqual(a.subarray(5, 17), b.subarray(5, 17));
  assert.ok(!a.includes(Buffer.from('123-45-6789')));
  assert.equal(openField(key, place, a).toString(), '"123-45-6789"');
});

test('the key id read from the base64 head equals the decoded one; foreign or short text has none', () => {
  const key = randomBytes(32);
  const place = { collection: 'c', field: 'f', recordId: 'r', revision: 'v' };
  for (const id of [1, 2, 255, 256, 65_535, 65_536, 16_777_216, 0x7fff_ffff, 0xffff_ffff]) {
    for (const n of [0, 1, 2, 3, 40]) {
      const text = sealField(key, id, place, randomBytes(n)).toString('base64');
      assert.equal(storedKeyId(text), id);
      assert.equal(fieldKeyId(Buffer.from(text, 'base64')), id);
    }
  }
  assert.equal(storedKeyId(Buffer.alloc(40, 2).toString('base64')), null, 'another format version');
  assert.equal(storedKeyId('AQAAAAE'), null, 'too short to be a ciphertext');
  assert.equal(storedKeyId('plain text, not base64 at all!!!!!!!!!!!!!!!!'), null);
});

test('nonces come from a pooled CSPRNG buffer: 3,000 seals (several refills) never repeat one', () => {
  const key = randomBytes(32);
  const place = { collection: 'c', field: 'f', recordId: 'r', revision: 'v' };
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) seen.add(sealField(key, 1, place, Buffer.from('x')).subarray(5, 17).toString('hex'));
  assert.equal(seen.size, 3000);
});

test('associated data binds the place: another record, field or collection, or a changed key id, fails', () => {
  const key = Buffer.alloc(32, 2);
  const c = sealField(key, 1, place, Buffer.from('"x"'));
  for (const other of [{ ...place, recordId: 'r2' }, { ...place, field: 'dob' }, { ...place, collection: 'staff' }, { ...place, revision: 'rev0' }]) {
    assert.throws(() => openField(key, other, c), FieldDecryptError);
  }
  const relabelled = Buffer.from(c);
  relabelled.writeUInt32BE(2, 1);
  assert.throws(() => openField(key, place, relabelled), FieldDecryptError);
  for (let i = 0; i < c.length; i += 3) {
    const flipped = Buffer.from(c);
    flipped[i] ^= 0x01;
    assert.throws(() => openField(key, place, flipped), FieldDecryptError, `bit flip at byte ${i}`);
  }
  assert.throws(() => openField(key, place, c.subarray(0, c.length - 1)), FieldDecryptError);
  assert.throws(() => openField(key, place, Buffer.from('not ours at all, long enough to pass the length')), FieldDecryptError);
});

test('wrapped keys: bound to purpose/scope/version, refused by another KEK, zeroed when retired', async () => {
  const k1 = kek();
  const ring = new Keyring(k1);
  const w = await ring.generate('field-data', 'patients', 1);
  assert.equal(w.wrapped.length, 1 + 12 + 32 + 16);
  const other = new Keyring(kek());
  await assert.rejects(other.load(w), /unwrap failed/);
  const fresh = new Keyring(k1);
  await assert.rejects(fresh.load({ ...w, version: 2 }), /unwrap failed/, 'a wrapped key copied to another version');
  await assert.rejects(fresh.load({ ...w, purpose: 'blind-index' }), /unwrap failed/, 'a wrapped key copied to another purpose');
  await fresh.load(w);
  const stored = ring.sealField('patients', 1, place, Buffer.from('"v"'));
  assert.equal(fresh.openField('patients', place, stored).toString(), '"v"');
  // retire zero-fills the key buffer held inside the ring
  const held = (fresh as unknown as { keys: Map<string, Buffer> }).keys.values().next().value as Buffer;
  fresh.retire('field-data', 'patients', 1);
  assert.ok(held.every((b) => b === 0));
  assert.throws(() => fresh.openField('patients', place, stored), /no live data key/);
});

test('one key, one purpose: each purpose and scope gets its own random key', async () => {
  const ring = new Keyring(kek());
  await ring.generate('audit-hmac', '', 1);
  await ring.generate('csrf', '', 1);
  await ring.generate('device-cookie', '', 1);
  await ring.generate('blind-index', 'a', 1);
  await ring.generate('blind-index', 'b', 1);
  const tags = [ring.mac('audit-hmac', 1).mac('x'), ring.mac('csrf', 1).mac('x'), ring.mac('device-cookie', 1).mac('x')];
  assert.equal(new Set(tags.map((t) => t.toString('hex'))).size, 3);
  assert.notEqual(ring.blindIndex('a', 1, 'v'), ring.blindIndex('b', 1, 'v'));
  const m = ring.mac('csrf', 1);
  assert.ok(m.verify('x', m.mac('x')));
  assert.ok(!m.verify('x', Buffer.alloc(32)));
  assert.ok(!m.verify('x', Buffer.alloc(3)));
});

test('signing keys export only the public half; a verifier needs no secret', async () => {
  const ring = new Keyring(kek());
  await ring.generate('audit-signing', '', 1);
  await ring.generate('backup-signing', '', 1);
  const s = ring.signer('audit-signing', 1);
  const sig = s.sign(Buffer.from('checkpoint'));
  assert.ok(verifySignature(s.publicKeyPem, Buffer.from('checkpoint'), sig));
  assert.ok(!verifySignature(s.publicKeyPem, Buffer.from('checkpoinT'), sig));
  assert.ok(!verifySignature(ring.signer('backup-signing', 1).publicKeyPem, Buffer.from('checkpoint'), sig));
  assert.ok(!s.publicKeyPem.includes('PRIVATE'));
  assert.match(s.keyId, /^[0-9a-f]{16}$/);
});

test('sealing keys (TOTP): bound to their aad, one opaque error', async () => {
  const ring = new Keyring(kek());
  await ring.generate('totp', '', 1);
  const s = ring.sealer('totp', 1);
  const sealed = s.seal(Buffer.from('JBSWY3DPEHPK3PXP'), 'account:a1');
  assert.equal(s.open(sealed, 'account:a1').toString(), 'JBSWY3DPEHPK3PXP');
  assert.throws(() => s.open(sealed, 'account:a2'), /could not be opened/);
});

test('KEK text: malformed files are refused without quoting them; dev keys are marked', () => {
  assert.throws(() => parseKekText('hunter2-not-a-key', 'the KEK file'), (e: Error) => !e.message.includes('hunter2'));
  assert.throws(() => parseKekText('strongbox-kek-v1:abc', 'the KEK file'), /32-byte/);
  assert.equal(parseKekText(newKekText(), 'x').dev, false);
  const k = new LocalKek('file', Buffer.alloc(32, 9), true);
  assert.equal(k.dev, true);
  assert.match(k.id, /^local:[0-9a-f]{16}$/);
});

test('file KEK: created 0600 for an empty database, refused when group/world readable, dev key refused by production serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-kek-'));
  const path = join(dir, 'kek.key');
  openKek({ kind: 'file', path }, { dev: true, serving: false, create: true });
  assert.match(readFileSync(path, 'utf8'), /^strongbox-dev-kek-v1:/);
  assert.throws(() => openKek({ kind: 'file', path }, { dev: false, serving: true, create: false }), (e: Error & { code?: string }) =>
    e.code === 'ERR_KEK_INVALID' && /development key/.test(e.message));
  chmodSync(path, 0o640);
  assert.throws(() => openKek({ kind: 'file', path }, { dev: true, serving: false, create: false }), (e: Error & { code?: string }) =>
    e.code === 'ERR_KEK_INVALID' && /readable by others \(mode 0640\)/.test(e.message));
  const missing = join(dir, 'gone.key');
  assert.throws(() => openKek({ kind: 'file', path: missing }, { dev: false, serving: false, create: false }), /does not exist/);
  const bad = join(dir, 'bad.key');
  writeFileSync(bad, 'garbage-secret-text', { mode: 0o600 });
  assert.throws(() => openKek({ kind: 'file', path: bad }, { dev: false, serving: false, create: false }), (e: Error & { code?: string }) =>
    e.code === 'ERR_KEK_INVALID' && !e.message.includes('garbage-secret-text'));
  assert.throws(() => openKek({ kind: 'env', name: 'SB_NO_SUCH_VAR' }, { dev: false, serving: false, create: false, env: {} }), /is not set/);
});

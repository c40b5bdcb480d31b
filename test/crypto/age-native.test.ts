import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { ageDecrypt, ageEncrypt } from '../../src/crypto/age-native.ts';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}
async function* pieces(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  if (b.length === 0) yield b;
}

// sizes around the 64 KiB chunk boundary, and empty
const SIZES = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001];

test('native age output opens with the age-encryption package (an independent implementation)', async () => {
  const id = await generateX25519Identity();
  const other = await generateX25519Identity();
  for (const n of SIZES) {
    const data = randomBytes(n);
    const sealed = await collect(ageEncrypt([await identityToRecipient(other), await identityToRecipient(id)], pieces(data, 7000)));
    const d = new Decrypter();
    d.addIdentity(id);
    assert.deepEqual(Buffer.from(await d.decrypt(sealed)), data, `size ${n}`);
  }
});

test('the package\'s age files open natively', async () => {
  const id = await generateX25519Identity();
  for (const n of SIZES) {
    const data = randomBytes(n);
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(id));
    const sealed = Buffer.from(await e.encrypt(data));
    assert.deepEqual(await collect(ageDecrypt([id], pieces(sealed, 50_000))), data, `size ${n}`);
  }
});

test('a dropped last chunk, a flipped byte or the wrong identity never decrypts', async () => {
  const id = await generateX25519Identity();
  const data = randomBytes(3 * 65_536 + 10);
  const sealed = await collect(ageEncrypt([await identityToRecipient(id)], pieces(data, 65_536)));
  const headerEnd = sealed.indexOf('\n', sealed.indexOf('\n---')) + 1 + 16;
  const cut = sealed.subarray(0, headerEnd + 3 * (65_536 + 16)); // whole chunks, none marked last
  await assert.rejects(collect(ageDecrypt([id], pieces(cut, 9999))), /authentication/);
  for (const at of [5, 30, headerEnd - 20, headerEnd + 100, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[at] = bad[at]! ^ 0x80;
    await assert.rejects(collect(ageDecrypt([id], pieces(bad, 9999))), `byte ${at}`);
  }
  await assert.rejects(collect(ageDecrypt([await generateX25519Identity()], pieces(sealed, 9999))), /no identity matched/);
});

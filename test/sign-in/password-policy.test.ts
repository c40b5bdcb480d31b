import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNewPassword, normalizePassword, blocklistSize } from '../../src/core/auth/password-policy.ts';
import { buildConfig } from '../../src/config/build-config.ts';
import { PasswordHasher } from '../../src/crypto/password-hasher.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { testPepper } from '../helpers/sign-in.ts';

const OPTS = { minLength: 12, maxBytes: 4096 };
const refusal = (pw: unknown, email = 'kim@example.com'): StrongboxError | null => {
  try {
    checkNewPassword(pw, email, OPTS);
    return null;
  } catch (e) {
    assert.ok(e instanceof StrongboxError);
    return e;
  }
};

test('at least 12 characters by default, counted as characters after NFKC', () => {
  assert.equal(refusal('Qz8!vR2#wL5')?.code, 'ERR_PASSWORD_POLICY', '11 characters');
  assert.equal(refusal('Qz8!vR2#wL5@'), null, '12 characters');
  assert.equal(refusal('żółw-jeż-łoś-ćma'), null, 'any Unicode');
});

test('the minimum is configurable but never below 8', () => {
  const build = (auth: unknown) => buildConfig({ auth }, { baseDir: '/srv' });
  assert.equal(build({ passwordMinLength: 8 }).auth.passwordMinLength, 8);
  assert.equal(build({ passwordMinLength: 16 }).auth.passwordMinLength, 16);
  assert.throws(() => build({ passwordMinLength: 7 }), (e) => e instanceof StrongboxError && e.code === 'ERR_CONFIG' && /passwordMinLength/.test(e.message));
});

test('common passwords (a bundled list of more than 10,000) are refused, with no network', () => {
  assert.ok(blocklistSize() >= 10_000, `${blocklistSize()} entries`);
  for (const pw of ['password1234', 'qwertyuiop123', '123456789012']) assert.equal(refusal(pw)?.code, 'ERR_PASSWORD_POLICY', pw);
});

test('a zxcvbn-ts score below 3 is refused with its feedback in the error details', () => {
  const e = refusal('aaaaaaaaaaaaaaaa');
  assert.equal(e?.code, 'ERR_PASSWORD_POLICY');
  assert.match(e!.details!.fields!.password, /too easy to guess \(strength [0-2] of 4, needs 3\): \S/);
});

test("a password containing the email's local part is refused", () => {
  assert.match(refusal('my-Kimberly-Zebra-91', 'kimberly@example.com')!.details!.fields!.password, /email/);
  assert.equal(refusal('my-Kimberly-Zebra-91', 'tom@example.com'), null);
});

test('at least 128 characters are accepted and never truncated: the 1,000th character counts', async () => {
  const long = Array.from({ length: 1200 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(i * 7 + (i >> 3)) % 36]).join('');
  assert.equal(refusal(long.slice(0, 128)), null, '128 characters accepted');
  assert.equal(refusal(long), null, '1,200 characters accepted');
  const other = `${long.slice(0, 999)}${long[999] === 'x' ? 'y' : 'x'}${long.slice(1000)}`;
  const hasher = new PasswordHasher(testPepper());
  const stored = await hasher.hash(normalizePassword(long, 4096));
  assert.equal((await hasher.verify(stored, long)).ok, true);
  assert.equal((await hasher.verify(stored, other)).ok, false, 'only the 1,000th character differs');
});

test('NFKC: compatibility forms of one password are one password', () => {
  assert.equal(normalizePassword('ｆｕｌｌｗｉｄｔｈ-Ｐａｓｓ', 4096), 'fullwidth-Pass');
  assert.equal(normalizePassword('e\u0301', 4096), '\u00e9');
});

test('bad shapes get ERR_VALIDATION before any hashing: 100 KB, NUL, lone surrogates, wrong types; 4,096-byte cap after NFKC', () => {
  for (const bad of ['x'.repeat(100 * 1024), 'abc\u0000defghijklm', 'abcdefghijkl\ud800', '\udc00abcdefghijkl', 42, null, ['a'], { $gt: '' }, 'é'.repeat(2049)]) {
    assert.throws(() => normalizePassword(bad, 4096), (e) => e instanceof StrongboxError && e.code === 'ERR_VALIDATION', String(bad).slice(0, 20));
  }
  assert.equal(normalizePassword('é'.repeat(2048), 4096).length, 2048, 'exactly 4,096 bytes is fine');
  // NFKC can grow a string (U+FDFA is 18 characters in NFKC): the cap applies to what is hashed.
  assert.throws(() => normalizePassword('\ufdfa'.repeat(300), 4096), (e) => e instanceof StrongboxError && e.code === 'ERR_VALIDATION');
});

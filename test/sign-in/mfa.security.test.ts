// Attack: someone with the password (phished or guessed) tries to get past the second factor: skip it, replay a seen code, reuse a recovery code, or read the TOTP secret from the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from 'otpauth';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { unsafeCurrentTotp } from '../../src/crypto/totp.ts';
import { PW } from '../helpers/sign-in.ts';

eachDialect('TOTP second factor', (t) => {
  let api: TestApi;
  let clock = Date.parse('2034-03-01T00:00:00Z');
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { now: () => new Date(clock), auth: { mfa: { doctor: 'required' } } });
  });
  after(async () => { await api.close(); });
  const login = (email: string, password: string) => api.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  const post = (url: string, token: string, payload: object = {}) => api.inject({ method: 'POST', url, headers: bearer(token), payload });
  const codeAt = (uri: string, ms: number) => unsafeCurrentTotp(Buffer.from(Secret.fromBase32(new URL(uri).searchParams.get('secret')!).bytes), ms);

  test('enrol → otpauth URI; confirm with a code → 10 recovery codes; the secret is sealed in the database', async () => {
    const { token } = await api.signIn('mia@example.com', PW.alice);
    const enrol = await post('/api/auth/mfa/enrol', token);
    assert.equal(enrol.statusCode, 200, enrol.body);
    const { uri } = enrol.json();
    assert.match(uri, /^otpauth:\/\/totp\/Strongbox:mia%40example\.com\?.*secret=[A-Z2-7]+/);
    const b32 = new URL(uri).searchParams.get('secret')!;
    const stored = JSON.stringify(await api.engine.db.kysely.selectFrom('_sb_mfa').selectAll().execute());
    assert.ok(!stored.includes(b32) && !stored.includes(Buffer.from(Secret.fromBase32(b32).bytes).toString('base64')), 'secret not stored in clear');
    assert.equal((await post('/api/auth/mfa/confirm', token, { code: '000000' })).statusCode, 401);
    const ok = await post('/api/auth/mfa/confirm', token, { code: codeAt(uri, clock) });
    assert.equal(ok.statusCode, 200, ok.body);
    const codes = ok.json().recoveryCodes as string[];
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    const row = JSON.stringify(await api.engine.db.kysely.selectFrom('_sb_mfa').selectAll().execute());
    for (const c of codes) assert.ok(!row.includes(c), 'recovery codes stored hashed');

    // Sign-in now owes the second factor: the pending session reaches nothing else.
    clock += 60_000;
    const first = await login('mia@example.com', PW.alice);
    assert.equal(first.json().mfaRequired, true);
    const pending = first.json().token as string;
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(pending) })).statusCode, 401);
    assert.equal((await api.inject({ method: 'GET', url: '/api/collections/notes/records', headers: bearer(pending) })).json().items?.length ?? 0, 0);
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(pending) })).statusCode, 401);
    const code = codeAt(uri, clock);
    const done = await post('/api/auth/mfa/verify', pending, { code });
    assert.equal(done.statusCode, 200, done.body);
    const full = done.json().token as string;
    assert.notEqual(full, pending, 'a new session token once MFA is complete');
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(full) })).statusCode, 200);
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(pending) })).statusCode, 401, 'the pending token ended');

    // The same code again, within its window, on another sign-in: refused (no replay).
    const second = (await login('mia@example.com', PW.alice)).json().token as string;
    assert.equal((await post('/api/auth/mfa/verify', second, { code })).statusCode, 401);
    // A recovery code works once.
    assert.equal((await post('/api/auth/mfa/verify', second, { recoveryCode: codes[0] })).statusCode, 200);
    const third = (await login('mia@example.com', PW.alice)).json().token as string;
    assert.equal((await post('/api/auth/mfa/verify', third, { recoveryCode: codes[0] })).statusCode, 401);
    assert.equal((await post('/api/auth/mfa/verify', third, { recoveryCode: codes[1].toUpperCase() })).statusCode, 200);
  });

  test('a role with `mfa: required` must enrol before its sign-in completes', async () => {
    await api.engine.accounts.register('dr@example.com', PW.carol);
    const id = (await api.engine.accounts.findByEmail('dr@example.com'))!.id;
    await api.engine.accounts.admin.change(id, { role: 'doctor' }, { id: null, keepSessionHash: null });
    const r = await login('dr@example.com', PW.carol);
    assert.equal(r.json().mfaRequired, true);
    const pending = r.json().token as string;
    assert.equal((await post('/api/auth/mfa/verify', pending, { code: '123456' })).json().error.code, 'ERR_MFA_REQUIRED');
    const { uri } = (await post('/api/auth/mfa/enrol', pending)).json();
    const ok = await post('/api/auth/mfa/confirm', pending, { code: codeAt(uri, clock) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.ok(ok.json().token);
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(ok.json().token) })).json().account.role, 'doctor');
  });

  test('wrong codes are throttled like passwords', async () => {
    const pending = (await login('mia@example.com', PW.alice)).json().token as string;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post('/api/auth/mfa/verify', pending, { code: String(100000 + i) })).statusCode);
    assert.ok(statuses.includes(429), statuses.join(','));
  });
});

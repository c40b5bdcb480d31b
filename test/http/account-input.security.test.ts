// Attack: an unauthenticated client registers or signs in with an email holding NUL, control characters, lone surrogates, bidi overrides or huge lengths, to crash the server (PostgreSQL cannot store NUL), store a spoofable address or tell accounts apart by the answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, assertNoLeak, rowCounts, collection, field, NOTES, bearer, type TestApi } from '../helpers/test-engine.ts';

const JSON_CT = { 'content-type': 'application/json' };
const PASSWORD = 'Tulip-Harbor-Quartz-41';

// Raw JSON text, so escapes like \u0000 and a lone \ud800 reach the server exactly as an attacker sends them.
const BAD_EMAILS: [string, string][] = [
  ['NUL', String.raw`a\u0000@x.io`],
  ['NUL at the end', String.raw`kate@x.io\u0000`],
  ['C0 controls (SOH, ESC)', String.raw`a\u0001\u001b@x.io`],
  ['a trailing newline', String.raw`kate@x.io\n`],
  ['DEL', String.raw`a\u007f@x.io`],
  ['a C1 control (CSI)', String.raw`a\u009b@x.io`],
  ['a lone high surrogate', String.raw`a\ud800@x.io`],
  ['a lone low surrogate', String.raw`a\udc00@x.io`],
  ['U+202E right-to-left override', String.raw`a\u202e@x.io`],
  ['U+200B zero-width space', String.raw`ka\u200bte@x.io`],
  ['the Kelvin sign (lower-cases to an ASCII k)', String.raw`\u212aate@x.io`],
  ['a 255-character address', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}.io`],
  ['a 100 000-character address', `${'a'.repeat(100_000)}@x.io`],
  ['no domain dot', 'kate@x'],
  ['a quoted local part', String.raw`\"a b\"@x.io`],
];

const CONTACTS = collection('contacts', [field('email', 'email')], { create: '@auth.id != null' });
const TABLES = ['_sb_accounts', '_sb_sessions', 'contacts'];

eachDialect('account email input', (t) => {
  let api: TestApi;
  let token: string;
  let ip = 0;
  let before_: Record<string, number>;
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { register: true, collections: [NOTES, CONTACTS] });
    // An existing account whose address the look-alike inputs imitate.
    const reg = await api.inject({ method: 'POST', url: '/api/auth/register', headers: JSON_CT, payload: JSON.stringify({ email: 'kate@x.io', password: PASSWORD }) });
    assert.equal(reg.statusCode, 201, reg.body);
    token = (await api.signIn('kate@x.io', PASSWORD)).token;
    before_ = await rowCounts(api.engine, TABLES);
  });
  after(async () => { await api.close(); });

  for (const [what, email] of BAD_EMAILS) {
    test(`register with ${what} → 400 ERR_VALIDATION on error.fields.email (details.fields)`, async () => {
      const res = await api.inject({ method: 'POST', url: '/api/auth/register', headers: JSON_CT, payload: `{"email":"${email}","password":"${PASSWORD}"}` });
      assert.equal(res.statusCode, 400, res.body.slice(0, 300));
      const body = res.json();
      assert.equal(body.error.code, 'ERR_VALIDATION');
      assert.deepEqual(Object.keys(body.error.fields), ['email']);
      assertNoLeak(res.body);
      assert.doesNotMatch(res.body, /\\u0000|\\u001b|\\ud800|\u202e/i, 'the bad input is not echoed');
    });

    test(`login with ${what} → 401 ERR_INVALID_CREDENTIALS, same body as a wrong password`, async () => {
      // Each from its own address, the account's counter cleared: this test is about the body, not the throttle.
      await api.engine.accounts.throttle.clearAccount('kate@x.io');
      const remoteAddress = `10.9.${ip >> 8}.${ip++ & 255}`;
      const res = await api.inject({ method: 'POST', url: '/api/auth/login', headers: JSON_CT, remoteAddress, payload: `{"email":"${email}","password":"${PASSWORD}"}` });
      const wrong = await api.inject({ method: 'POST', url: '/api/auth/login', headers: JSON_CT, remoteAddress, payload: JSON.stringify({ email: 'kate@x.io', password: 'wrong-password' }) });
      assert.equal(res.statusCode, 401, res.body.slice(0, 300));
      assert.equal(res.body, wrong.body);
      assert.equal(res.headers['set-cookie'], undefined, 'no session cookie');
    });

    test(`a record email field refuses ${what} the same way`, async () => {
      const res = await api.inject({ method: 'POST', url: '/api/collections/contacts/records', headers: { ...JSON_CT, ...bearer(token) }, payload: `{"email":"${email}"}` });
      assert.equal(res.statusCode, 400, res.body.slice(0, 300));
      const body = res.json();
      assert.equal(body.error.code, 'ERR_VALIDATION');
      assert.deepEqual(Object.keys(body.error.fields), ['email']);
    });
  }

  test('nothing was stored: no account, no session, no record', async () => {
    assert.deepEqual(await rowCounts(api.engine, TABLES), before_);
    const stored = await api.engine.db.kysely.selectFrom('_sb_accounts').select('email').execute();
    assert.deepEqual(stored.map((r) => r.email), ['kate@x.io']);
  });

  test('the same rule accepts and normalizes a good address on both paths', async () => {
    const reg = await api.inject({ method: 'POST', url: '/api/auth/register', headers: JSON_CT, payload: JSON.stringify({ email: '  Lee@Example.COM ', password: PASSWORD }) });
    assert.equal(reg.statusCode, 201, reg.body);
    assert.equal(reg.json().account.email, 'lee@example.com');
    const rec = await api.inject({ method: 'POST', url: '/api/collections/contacts/records', headers: { ...JSON_CT, ...bearer(token) }, payload: JSON.stringify({ email: '  Lee@Example.COM ' }) });
    assert.equal(rec.statusCode, 201, rec.body);
    assert.equal(rec.json().email, 'lee@example.com');
    const login = await api.inject({ method: 'POST', url: '/api/auth/login', headers: JSON_CT, payload: JSON.stringify({ email: 'LEE@example.com', password: PASSWORD }) });
    assert.equal(login.statusCode, 200, login.body);
    const longest = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.io`; // 254, the limit
    const reg254 = await api.inject({ method: 'POST', url: '/api/auth/register', headers: JSON_CT, payload: JSON.stringify({ email: longest, password: PASSWORD }) });
    assert.equal(reg254.statusCode, 201, reg254.body.slice(0, 300));
  });
});

// Attack: a page on another site makes the victim's browser send a state-changing request that rides on the victim's session cookie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, rowCounts, type TestApi } from '../helpers/test-engine.ts';
import { SESSION_COOKIE, CSRF_HEADER } from '../../src/http/session.ts';
import { PW } from '../helpers/sign-in.ts';

const NOTES = '/api/collections/notes/records';

eachDialect('CSRF', (t) => {
  let api: TestApi;
  let token: string;
  let csrf: string;
  let otherCsrf: string;
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { edge: { listen: { publicOrigins: ['https://vault.example.com'] } } });
    await api.engine.accounts.register('victim@example.com', PW.alice);
    const r = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'victim@example.com', password: PW.alice } });
    ({ token, csrfToken: csrf } = r.json());
    // Another session's token (same account): bound to its own session only.
    otherCsrf = (await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'victim@example.com', password: PW.alice } })).json().csrfToken;
  });
  after(async () => { await api.close(); });

  const write = (headers: Record<string, string | undefined>) =>
    api.inject({ method: 'POST', url: NOTES, cookies: { [SESSION_COOKIE]: token }, headers: { host: 'localhost:80', ...headers } as Record<string, string>, payload: { title: 'planted' } });

  test('a cookie-authenticated change without, with a forged, or with another session\'s CSRF token is refused; nothing is written', async () => {
    const before_ = await rowCounts(api.engine, ['notes']);
    const [v] = csrf.split('.');
    for (const h of [{}, { [CSRF_HEADER]: '' }, { [CSRF_HEADER]: `${v}.${'A'.repeat(43)}` }, { [CSRF_HEADER]: otherCsrf }, { [CSRF_HEADER]: `v9.${csrf.split('.')[1]}` }, { [CSRF_HEADER]: token }]) {
      const res = await write(h);
      assert.equal(res.statusCode, 403, JSON.stringify(h));
      assert.equal(res.json().error.code, 'ERR_CSRF');
    }
    assert.deepEqual(await rowCounts(api.engine, ['notes']), before_);
    const ok = await write({ [CSRF_HEADER]: csrf });
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('Sec-Fetch-Site: cross-site and an unlisted Origin are refused even with the right token; a listed one passes', async () => {
    for (const h of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://localhost:80' }]) {
      const res = await write({ [CSRF_HEADER]: csrf, ...h });
      assert.equal(res.statusCode, 403, JSON.stringify(h));
      assert.equal(res.json().error.code, 'ERR_CSRF');
    }
    for (const h of [{ 'sec-fetch-site': 'same-origin' }, { origin: 'https://vault.example.com' }]) {
      assert.equal((await write({ [CSRF_HEADER]: csrf, ...h })).statusCode, 201, JSON.stringify(h));
    }
  });

  test('a cross-site login (login CSRF) is refused too', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/auth/login', headers: { 'sec-fetch-site': 'cross-site' }, payload: { email: 'victim@example.com', password: PW.alice } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('Bearer requests need no CSRF token (no ambient credential), and reads never do', async () => {
    assert.equal((await api.inject({ method: 'POST', url: NOTES, headers: bearer(token), payload: { title: 'api' } })).statusCode, 201);
    assert.equal((await api.inject({ method: 'POST', url: NOTES, headers: { ...bearer(token), 'sec-fetch-site': 'cross-site' }, payload: { title: 'cors api' } })).statusCode, 201);
    assert.equal((await api.inject({ method: 'GET', url: NOTES, cookies: { [SESSION_COOKIE]: token } })).statusCode, 200);
  });

  test('GET /api/auth/me gives a cookie page the token of its own session', async () => {
    const me = await api.inject({ method: 'GET', url: '/api/auth/me', cookies: { [SESSION_COOKIE]: token } });
    assert.equal(me.json().csrfToken, csrf);
  });
});

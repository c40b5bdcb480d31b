// Attack: steal, replay or plant a session — reuse a token after logout, read it from a response or log, or have the cookie sent cross-site or to other hosts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { SESSION_COOKIE, DEVICE_COOKIE } from '../../src/http/session.ts';
import { hashSessionToken } from '../../src/crypto/session-token.ts';

eachDialect('sessions over HTTP', (t) => {
  let api: TestApi;
  const logLines: string[] = [];
  before(async () => {
    const stream = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    api = await openTestApi(await t.freshDatabase(), { logger: { level: 'trace', stream } });
    await api.engine.accounts.register('alice@example.com', 'correct-password');
  });
  after(async () => { await api.close(); });

  const login = () => api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'correct-password' } });

  test('the session cookie has exactly the required attributes', async () => {
    const res = await login();
    const token = res.json().token as string;
    const cookies = res.headers['set-cookie'] as string[];
    assert.ok(Array.isArray(cookies) && cookies.length <= 2, 'the session cookie and at most a device cookie');
    assert.equal(cookies[0], `${SESSION_COOKIE}=${token}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`);
    for (const c of cookies) assert.doesNotMatch(c, /domain=/i);
    if (cookies[1] !== undefined) {
      assert.match(cookies[1], new RegExp(`^${DEVICE_COOKIE}=v\\d+\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}; Max-Age=15552000; Path=/; HttpOnly; Secure; SameSite=Strict$`));
    }
  });

  test('every login issues a new token and earlier ones keep working until logout', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) tokens.add((await login()).json().token);
    assert.equal(tokens.size, 5);
    for (const tk of tokens) assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(tk) })).statusCode, 200);
  });

  test('logout kills the bearer token at once and clears the cookie', async () => {
    const token = (await login()).json().token as string;
    const out = await api.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) });
    assert.equal(out.statusCode, 204);
    assert.equal(out.body, '');
    assert.equal(out.headers['set-cookie'], `${SESSION_COOKIE}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`);
    for (const headers of [bearer(token), { cookie: `${SESSION_COOKIE}=${token}` }]) {
      const me = await api.inject({ method: 'GET', url: '/api/auth/me', headers });
      assert.equal(me.statusCode, 401);
      assert.equal(me.json().error.code, 'ERR_UNAUTHENTICATED');
    }
    const row = await api.engine.db.kysely.selectFrom('_sb_sessions').select('token_hash').where('token_hash', '=', hashSessionToken(token)).executeTakeFirst();
    assert.equal(row, undefined, 'session row deleted');
  });

  test('logout by cookie kills that session; other sessions survive', async () => {
    const a = (await login()).json().token as string;
    const b = (await login()).json().token as string;
    const out = await api.inject({ method: 'POST', url: '/api/auth/logout', cookies: { [SESSION_COOKIE]: a } });
    assert.equal(out.statusCode, 204);
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', cookies: { [SESSION_COOKIE]: a } })).statusCode, 401);
    assert.equal((await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(b) })).statusCode, 200);
    // Logging out again, or with no session, is harmless.
    assert.equal((await api.inject({ method: 'POST', url: '/api/auth/logout', cookies: { [SESSION_COOKIE]: a } })).statusCode, 204);
    assert.equal((await api.inject({ method: 'POST', url: '/api/auth/logout' })).statusCode, 204);
  });

  test('a malformed Authorization header or a token in the query is not a session', async () => {
    const token = (await login()).json().token as string;
    for (const req of [
      { headers: { authorization: token } },
      { headers: { authorization: `Basic ${token}` } },
      { headers: { authorization: `Bearer ${token} extra` } },
      { headers: { authorization: `Bearer ${token.slice(0, -1)}` } },
      { url: `/api/auth/me?token=${token}` },
    ]) {
      const res = await api.inject({ method: 'GET', url: '/api/auth/me', ...req });
      assert.ok(res.statusCode === 401 || res.statusCode === 400, `${res.statusCode} ${res.body}`);
      assert.ok(!res.body.includes(token));
    }
  });

  test('tokens and passwords never reach the database in clear or the log at all', async () => {
    const token = (await login()).json().token as string;
    await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    await api.inject({ method: 'GET', url: '/api/auth/me', cookies: { [SESSION_COOKIE]: token } });
    await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'wrong-password-123' } });
    const sessions = JSON.stringify(await api.engine.db.kysely.selectFrom('_sb_sessions').selectAll().execute());
    assert.ok(!sessions.includes(token));
    const log = logLines.join('');
    assert.ok(log.length > 0, 'logging is on');
    for (const secret of [token, 'correct-password', 'wrong-password-123', '$argon2id']) {
      assert.ok(!log.includes(secret), `log contains ${secret.slice(0, 8)}…`);
    }
  });
});

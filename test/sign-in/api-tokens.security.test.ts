// Attack: a leaked or forged API token is used beyond what it was given (other collections, other actions, account management, after expiry or revocation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { hashSessionToken } from '../../src/crypto/session-token.ts';
import { PW } from '../helpers/sign-in.ts';

const NOTES = '/api/collections/notes/records';

eachDialect('API tokens', (t) => {
  let api: TestApi;
  let session: string;
  before(async () => {
    api = await openTestApi(await t.freshDatabase());
    session = (await api.signIn('tia@example.com', PW.alice)).token;
  });
  after(async () => { await api.close(); });
  const create = (payload: unknown, token = session) => api.inject({ method: 'POST', url: '/api/auth/tokens', headers: bearer(token), payload: payload as object });

  test('a token is shown once, stored hashed, listed without its secret, and limited to its scopes', async () => {
    const res = await create({ name: 'CI reader', scopes: { notes: ['list', 'view'] } });
    assert.equal(res.statusCode, 201, res.body);
    const { token, id, scopes } = res.json();
    assert.match(token, /^sbt_[A-Za-z0-9_-]{20}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(scopes, ['notes:list', 'notes:view']);
    const rows = JSON.stringify(await api.engine.db.kysely.selectFrom('_sb_api_tokens').selectAll().execute());
    assert.ok(!rows.includes(token) && rows.includes(hashSessionToken(token)), 'only the SHA-256 is stored');
    const list = await api.inject({ method: 'GET', url: '/api/auth/tokens', headers: bearer(session) });
    assert.ok(!list.body.includes(token));
    assert.equal(list.json().items[0].id, id);

    const note = await api.inject({ method: 'POST', url: NOTES, headers: bearer(session), payload: { title: 'mine' } });
    assert.equal((await api.inject({ method: 'GET', url: NOTES, headers: bearer(token) })).statusCode, 200);
    assert.equal((await api.inject({ method: 'GET', url: `${NOTES}/${note.json().id}`, headers: bearer(token) })).statusCode, 200);
    for (const req of [
      { method: 'POST' as const, url: NOTES, payload: { title: 'x' } },
      { method: 'PATCH' as const, url: `${NOTES}/${note.json().id}`, payload: { title: 'x' } },
      { method: 'DELETE' as const, url: `${NOTES}/${note.json().id}` },
    ]) {
      const r = await api.inject({ ...req, headers: bearer(token) });
      assert.equal(r.statusCode, 403, `${req.method} ${r.body}`);
    }
    // Account management needs a real session.
    for (const req of [
      { method: 'POST' as const, url: '/api/auth/tokens', payload: { name: 'escalate', scopes: { notes: ['delete'] } } },
      { method: 'GET' as const, url: '/api/auth/sessions' },
      { method: 'POST' as const, url: '/api/auth/password', payload: { currentPassword: PW.alice, newPassword: 'Another-Strong-Pass-88' } },
    ]) {
      const r = await api.inject({ ...req, headers: bearer(token) });
      assert.equal(r.statusCode, 403, `${req.url} ${r.body}`);
    }
    // Last use is recorded.
    const used = await api.engine.db.kysely.selectFrom('_sb_api_tokens').select('last_used').where('id', '=', id).executeTakeFirstOrThrow();
    assert.match(String(used.last_used), /^\d{4}-/);
  });

  test('revoked, expired, forged and foreign tokens are refused like a missing one', async () => {
    const a = (await create({ name: 'short-lived', scopes: { notes: ['list'] }, expires: new Date(Date.now() + 3600_000).toISOString() })).json();
    assert.equal((await api.inject({ method: 'GET', url: NOTES, headers: bearer(a.token) })).statusCode, 200);
    await api.engine.db.kysely.updateTable('_sb_api_tokens').set({ expires: new Date(Date.now() - 1000).toISOString() }).where('id', '=', a.id).execute();
    const b = (await create({ name: 'revoked', scopes: { notes: ['list'] } })).json();
    assert.equal((await api.inject({ method: 'DELETE', url: `/api/auth/tokens/${b.id}`, headers: bearer(session) })).statusCode, 204);
    const other = (await api.signIn('ola@example.com', PW.bob)).token;
    const c = (await create({ name: 'ola', scopes: { notes: ['list'] } }, other)).json();
    assert.equal((await api.inject({ method: 'DELETE', url: `/api/auth/tokens/${c.id}`, headers: bearer(session) })).statusCode, 404, 'not yours');
    const forged = `sbt_${a.id}_${'A'.repeat(43)}`;
    const missing = await api.inject({ method: 'GET', url: '/api/auth/me' });
    for (const tk of [a.token, b.token, forged, 'sbt_x_y']) {
      const r = await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(tk) });
      assert.equal(r.statusCode, 401);
      assert.equal(r.body, missing.body);
    }
  });

  test('bad token requests are 400 with reasons and store nothing', async () => {
    const before_ = (await api.engine.db.kysely.selectFrom('_sb_api_tokens').selectAll().execute()).length;
    for (const payload of [
      { name: '', scopes: { notes: ['list'] } },
      { name: 'x'.repeat(65), scopes: { notes: ['list'] } },
      { name: 'a\u0000b', scopes: { notes: ['list'] } },
      { name: 'ok', scopes: { _sb_accounts: ['list'] } },
      { name: 'ok', scopes: { notes: ['drop'] } },
      { name: 'ok', scopes: { notes: [] } },
      { name: 'ok', scopes: ['notes:list'] },
      { name: 'ok', scopes: { notes: ['list'] }, expires: '2000-01-01T00:00:00Z' },
      { name: 'ok', scopes: { notes: ['list'] }, expires: 'tomorrow' },
      { name: 'ok', scopes: { notes: ['list'] }, role: 'admin' },
    ]) {
      const r = await create(payload);
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(r.json().error.code, 'ERR_VALIDATION');
    }
    assert.equal((await api.engine.db.kysely.selectFrom('_sb_api_tokens').selectAll().execute()).length, before_);
  });
});

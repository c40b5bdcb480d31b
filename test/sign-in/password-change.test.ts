import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { hashSessionToken } from '../../src/crypto/session-token.ts';
import { PW } from '../helpers/sign-in.ts';

const NEW_PW = 'Saffron-Glacier-Pylon-37';

eachDialect('password change and admin reset', (t) => {
  let api: TestApi;
  let admin: string;
  before(async () => {
    api = await openTestApi(await t.freshDatabase());
    await api.engine.accounts.createAdmin('root@example.com', PW.admin);
    admin = (await api.signIn('root@example.com', PW.admin)).token;
  });
  after(async () => { await api.close(); });
  const login = (email: string, password: string) => api.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  const alive = async (tk: string) => (await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(tk) })).statusCode === 200;

  test('a change needs the current password; it ends the other sessions and gives this one a new token', async () => {
    const a = (await api.signIn('pat@example.com', PW.alice)).token;
    const b = (await login('pat@example.com', PW.alice)).json().token;
    const wrong = await api.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(a), payload: { currentPassword: 'not-it-at-all', newPassword: NEW_PW } });
    assert.equal(wrong.statusCode, 401);
    const weak = await api.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(a), payload: { currentPassword: PW.alice, newPassword: 'password1234' } });
    assert.equal(weak.json().error.code, 'ERR_PASSWORD_POLICY');
    const ok = await api.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(a), payload: { currentPassword: PW.alice, newPassword: NEW_PW } });
    assert.equal(ok.statusCode, 200, ok.body);
    const { token } = ok.json();
    assert.notEqual(token, a);
    assert.ok(!(await alive(a)), 'the old token of this session ended');
    assert.ok(!(await alive(b)), 'other sessions ended');
    assert.ok(await alive(token));
    assert.equal((await login('pat@example.com', PW.alice)).statusCode, 401);
    assert.equal((await login('pat@example.com', NEW_PW)).statusCode, 200);
  });

  test('an admin reset token works once, within 15 minutes, is stored hashed, and ends every session', async () => {
    const u = await api.signIn('rae@example.com', PW.bob);
    const res = await api.inject({ method: 'POST', url: `/api/admin/accounts/${u.account.id}/reset-password`, headers: bearer(admin) });
    assert.equal(res.statusCode, 201, res.body);
    const { token, expires } = res.json();
    assert.ok(Math.abs(Date.parse(expires) - Date.now() - 15 * 60_000) < 60_000);
    const stored = JSON.stringify(await api.engine.db.kysely.selectFrom('_sb_reset_tokens').selectAll().execute());
    assert.ok(!stored.includes(token) && stored.includes(hashSessionToken(token)));
    const weak = await api.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token, password: 'short' } });
    assert.equal(weak.json().error.code, 'ERR_PASSWORD_POLICY');
    const used = await api.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token, password: NEW_PW } });
    assert.equal(used.statusCode, 204, used.body);
    assert.ok(!(await alive(u.token)));
    assert.equal((await login('rae@example.com', NEW_PW)).statusCode, 200);
    const again = await api.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token, password: 'Yet-Another-Strong-Pw-9' } });
    const forged = await api.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token: 'A'.repeat(43), password: 'Yet-Another-Strong-Pw-9' } });
    assert.equal(again.statusCode, 400);
    assert.equal(again.body, forged.body, 'used and forged answer alike');
    // Expired
    const r2 = (await api.inject({ method: 'POST', url: `/api/admin/accounts/${u.account.id}/reset-password`, headers: bearer(admin) })).json();
    await api.engine.db.kysely.updateTable('_sb_reset_tokens').set({ expires: new Date(Date.now() - 1).toISOString() }).execute();
    const late = await api.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token: r2.token, password: 'Yet-Another-Strong-Pw-9' } });
    assert.equal(late.body, forged.body);
    // Only admins issue them.
    const self = await api.inject({ method: 'POST', url: `/api/admin/accounts/${u.account.id}/reset-password`, headers: bearer((await login('rae@example.com', NEW_PW)).json().token) });
    assert.equal(self.statusCode, 403);
  });
});

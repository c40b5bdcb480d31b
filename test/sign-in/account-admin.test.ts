import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { PW } from '../helpers/sign-in.ts';

eachDialect('account administration', (t) => {
  let api: TestApi;
  let admin: { token: string; account: { id: string } };
  before(async () => {
    api = await openTestApi(await t.freshDatabase());
    await api.engine.accounts.createAdmin('boss@example.com', PW.admin);
    admin = await api.signIn('boss@example.com', PW.admin);
  });
  after(async () => { await api.close(); });
  const patch = (id: string, payload: unknown, token = admin.token) => api.inject({ method: 'PATCH', url: `/api/admin/accounts/${id}`, headers: bearer(token), payload: payload as object });
  const alive = async (tk: string) => (await api.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(tk) })).statusCode === 200;

  test('GET /api/admin/accounts is admin-only, paged and filterable, and shows no hash', async () => {
    for (let i = 0; i < 5; i++) await api.engine.accounts.register(`member${i}@example.com`, PW.bob);
    const all = await api.inject({ method: 'GET', url: '/api/admin/accounts?perPage=2&page=2', headers: bearer(admin.token) });
    assert.equal(all.statusCode, 200, all.body);
    const body = all.json();
    assert.equal(body.items.length, 2);
    assert.equal(body.totalItems, 6);
    assert.equal(body.totalPages, 3);
    assert.deepEqual(Object.keys(body.items[0]).sort(), ['created', 'disabled', 'email', 'id', 'role', 'updated']);
    assert.ok(!all.body.includes('argon2'));
    const f = await api.inject({ method: 'GET', url: '/api/admin/accounts?email=MEMBER3&role=user&disabled=false', headers: bearer(admin.token) });
    assert.deepEqual(f.json().items.map((a: { email: string }) => a.email), ['member3@example.com']);
    const like = await api.inject({ method: 'GET', url: `/api/admin/accounts?email=${encodeURIComponent('%')}`, headers: bearer(admin.token) });
    assert.equal(like.json().totalItems, 0, 'LIKE wildcards are literal');
    const user = await api.signIn('member0@example.com', PW.bob);
    assert.equal((await api.inject({ method: 'GET', url: '/api/admin/accounts', headers: bearer(user.token) })).statusCode, 403);
    assert.equal((await api.inject({ method: 'GET', url: '/api/admin/accounts?perPage=0', headers: bearer(admin.token) })).statusCode, 400);
    assert.equal((await api.inject({ method: 'GET', url: '/api/admin/accounts?sort=x', headers: bearer(admin.token) })).statusCode, 400);
  });

  test('a role change is validated, ends the account\'s sessions, and the new role reaches rules', async () => {
    const doc = await api.signIn('doc@example.com', PW.carol);
    for (const role of ['Doctor', 'doc tor', '', 'a'.repeat(33), 'admin;drop']) {
      const r = await patch(doc.account.id, { role });
      assert.equal(r.statusCode, 400, role);
    }
    assert.equal((await patch(doc.account.id, { role: 42 })).statusCode, 400);
    assert.equal((await patch(doc.account.id, { owner: 'x' })).statusCode, 400);
    const r = await patch(doc.account.id, { role: 'doctor' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().account.role, 'doctor');
    assert.ok(!(await alive(doc.token)), 'sessions ended');
    const again = await api.signIn('doc@example.com', PW.carol);
    assert.equal(again.account.role, 'doctor');
  });

  test('disable ends sessions and blocks sign-in with the same answer as a wrong password; enable restores', async () => {
    const u = await api.signIn('dee@example.com', PW.alice);
    assert.equal((await patch(u.account.id, { disabled: true })).json().account.disabled, true);
    assert.ok(!(await alive(u.token)));
    const blocked = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'dee@example.com', password: PW.alice } });
    const wrong = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password: PW.alice } });
    assert.equal(blocked.statusCode, 401);
    assert.equal(blocked.body, wrong.body);
    await patch(u.account.id, { disabled: false });
    await api.engine.accounts.throttle.clearAccount('dee@example.com');
    assert.equal((await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'dee@example.com', password: PW.alice } })).statusCode, 200);
  });

  test('the last admin cannot be demoted or disabled; with a second admin it can', async () => {
    for (const change of [{ role: 'user' }, { disabled: true }]) {
      const r = await patch(admin.account.id, change);
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error.code, 'ERR_LAST_ADMIN');
    }
    const second = await api.signIn('second-admin@example.com', PW.other);
    await patch(second.account.id, { role: 'admin' });
    const r = await patch(admin.account.id, { role: 'user' });
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(r.json().token, 'a new token for the changed privilege');
    assert.ok(!(await alive(admin.token)), 'the old token ended');
  });

  test('an admin can clear a sign-in lock', async () => {
    const boss2 = await api.signIn('second-admin@example.com', PW.other);
    const u = await api.signIn('lox@example.com', PW.bob);
    for (let i = 0; i < 6; i++) await api.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `10.8.0.${i}`, payload: { email: 'lox@example.com', password: 'not-the-password' } });
    const locked = await api.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.8.1.1', payload: { email: 'lox@example.com', password: PW.bob } });
    assert.equal(locked.statusCode, 429);
    assert.match(String(locked.headers['retry-after']), /^\d+$/);
    assert.equal((await api.inject({ method: 'POST', url: `/api/admin/accounts/${u.account.id}/unlock`, headers: bearer(boss2.token) })).statusCode, 204);
    assert.equal((await api.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.8.1.1', payload: { email: 'lox@example.com', password: PW.bob } })).statusCode, 200);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { assertNoLeak, bearer, openTestApi } from '../helpers/test-engine.ts';

eachDialect('GET /api/admin/audit', (t) => {
  test('admins page through events with the filter language; others are refused; bad filters are 400', async () => {
    const api = await openTestApi(await t.freshDatabase());
    try {
      await api.engine.accounts.createAdmin('root@example.com', 'correct-password');
      const admin = await api.signIn('root@example.com');
      const user = await api.signIn('user@example.com');
      for (let i = 0; i < 3; i++) {
        await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'user@example.com', password: `nope-nope-${i}` } });
      }
      const res = await api.inject({ method: 'GET', url: `/api/admin/audit?filter=${encodeURIComponent("action = 'auth.login' && outcome = 'failure'")}&perPage=2`, headers: bearer(admin.token) });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.totalItems, 3);
      assert.equal(body.items.length, 2);
      assert.equal(body.totalPages, 2);
      assert.ok(body.items.every((e: { action: string; outcome: string }) => e.action === 'auth.login' && e.outcome === 'failure'));
      assert.ok(body.items[0].seq < body.items[1].seq);
      const newest = await api.inject({ method: 'GET', url: '/api/admin/audit?sort=-seq&perPage=1', headers: bearer(admin.token) });
      assert.equal(newest.json().items[0].action, 'audit.query'); // the previous query is itself audited

      const cases: Array<[string, Record<string, string> | undefined, number, string]> = [
        ['/api/admin/audit', bearer(user.token), 403, 'ERR_FORBIDDEN'],
        ['/api/admin/audit', undefined, 401, 'ERR_UNAUTHENTICATED'],
        [`/api/admin/audit?filter=${encodeURIComponent("password = 'x'")}`, bearer(admin.token), 400, 'ERR_FILTER_UNKNOWN_FIELD'],
        [`/api/admin/audit?filter=${encodeURIComponent("id = 'x'")}`, bearer(admin.token), 400, 'ERR_FILTER_UNKNOWN_FIELD'],
        [`/api/admin/audit?filter=${encodeURIComponent('details = 1')}`, bearer(admin.token), 400, 'ERR_FILTER_UNKNOWN_FIELD'],
        [`/api/admin/audit?filter=${encodeURIComponent("seq = 'abc'")}`, bearer(admin.token), 400, 'ERR_FILTER_TYPE'],
        ['/api/admin/audit?filter=%28%28%28', bearer(admin.token), 400, 'ERR_FILTER_SYNTAX'],
        ['/api/admin/audit?sort=time', bearer(admin.token), 400, 'ERR_BAD_QUERY'],
        ['/api/admin/audit?bogus=1', bearer(admin.token), 400, 'ERR_BAD_QUERY'],
      ];
      for (const [url, headers, status, code] of cases) {
        const r = await api.inject({ method: 'GET', url, headers });
        assert.equal(r.statusCode, status, `${url}: ${r.body}`);
        assert.equal(r.json().error.code, code, url);
        assertNoLeak(r.body);
      }
      const denied = await api.engine.db.kysely.selectFrom('_sb_audit').selectAll().where('action', '=', 'access.denied').execute();
      assert.equal(denied.length, 1);
      assert.equal(denied[0].actor_id, user.account.id);
      assert.equal(denied[0].target_collection, null);
    } finally {
      await api.close();
    }
  });
});

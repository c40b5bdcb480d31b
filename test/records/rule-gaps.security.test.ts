// Attack: a caller relies on one rule being forgotten (a delete rule narrower than view, an update rule on @body, a cached filter check from a more privileged caller, a view-null collection's 404) to delete, change, probe or detect records.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field, openTestApi, bearer, type TestApi } from '../helpers/test-engine.ts';
import { caller, openFixture, rejectsWith, ADMIN, type Fixture } from './records-fixture.ts';

/** Anyone may view; only the owner may delete (delete narrower than view). */
const BOARD = collection('board', [field('title', 'text')], {
  list: 'true', view: 'true', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id',
});

/** The update rule is decided by the body alone. */
const LEVELS = collection('levels', [field('level', 'number', { integer: true }), field('note', 'text')], {
  list: 'true', view: 'true', create: 'true', update: '@body.level < 5', delete: null,
});

/** `salary` is readable (and so filterable) only by role hr: a macro-only read rule. */
const STAFF = collection('staff', [field('name', 'text'), field('salary', 'number', { read: "@auth.role = 'hr'" })], {
  list: 'true', view: 'true', create: 'true', update: null, delete: null,
});

/** No view rule: admins only. */
const VAULT = collection('vault', [field('title', 'text')], {
  list: null, view: null, create: '@auth.id != null', update: null, delete: null,
});

eachDialect('rule gaps', (t) => {
  let fx: Fixture;
  before(async () => { fx = await openFixture(t, undefined, [BOARD, LEVELS, STAFF, VAULT]); });
  after(async () => { await fx.close(); });

  test('a delete rule narrower than the view rule is applied: a non-owner DELETE is ERR_NOT_FOUND and the record stays', async () => {
    const alice = caller();
    const mallory = caller();
    const r = await fx.svc.create(alice, 'board', { title: 'pinned' });
    assert.equal((await fx.svc.get(mallory, 'board', String(r.id))).title, 'pinned', 'mallory may view it');
    await rejectsWith(fx.svc.delete(mallory, 'board', String(r.id)), 'ERR_NOT_FOUND');
    assert.deepEqual(await fx.svc.get(alice, 'board', String(r.id)), r);
    await fx.svc.delete(alice, 'board', String(r.id));
    await rejectsWith(fx.svc.get(alice, 'board', String(r.id)), 'ERR_NOT_FOUND');
  });

  test('an update rule on @body decides with the body: level 3 is allowed, level 7 refused and nothing changes', async () => {
    const u = caller();
    const r = await fx.svc.create(u, 'levels', { level: 1, note: 'start' });
    const ok = await fx.svc.update(u, 'levels', String(r.id), { level: 3, note: 'allowed' });
    assert.equal(ok.level, 3);
    await rejectsWith(fx.svc.update(u, 'levels', String(r.id), { level: 7, note: 'refused' }), 'ERR_NOT_FOUND');
    const now = await fx.svc.get(u, 'levels', String(r.id));
    assert.equal(now.level, 3);
    assert.equal(now.note, 'allowed');
  });

  test('a filter checked for a caller who may read salary is not reused for one who may not', async () => {
    const hr = caller('hr');
    const user = caller('user');
    await fx.svc.create(hr, 'staff', { name: 'ann', salary: 9000 });
    for (const filter of ['salary > 1000', 'salary = 9000 || name = "x"']) {
      assert.equal((await fx.svc.list(hr, 'staff', { filter })).items.length, 1, filter);
      await rejectsWith(fx.svc.list(user, 'staff', { filter }), 'ERR_FILTER_FORBIDDEN_FIELD');
      await rejectsWith(fx.svc.list(caller(null), 'staff', { filter }), 'ERR_FILTER_FORBIDDEN_FIELD');
    }
    assert.equal((await fx.svc.list(hr, 'staff', { sort: '-salary' })).items.length, 1);
    await rejectsWith(fx.svc.list(user, 'staff', { sort: '-salary' }), 'ERR_FILTER_FORBIDDEN_FIELD');
    const seen = await fx.svc.list(user, 'staff', {});
    assert.ok(seen.items.every((i) => !Object.hasOwn(i, 'salary')));
  });

  test('a view-null collection answers exactly the 404 of a missing record', async () => {
    const u = caller();
    const r = await fx.svc.create(u, 'vault', { title: 'hidden' });
    const hidden = await rejectsWith(fx.svc.get(u, 'vault', String(r.id)), 'ERR_NOT_FOUND');
    const missing = await rejectsWith(fx.svc.get(u, 'board', 'AAAAAAAAAAAAAAAAAAAA'), 'ERR_NOT_FOUND');
    assert.equal(hidden.message, missing.message);
    assert.deepEqual(hidden.details, missing.details);
    assert.equal((await fx.svc.get(ADMIN, 'vault', String(r.id))).title, 'hidden');
  });
});

eachDialect('rule gaps over HTTP', (t) => {
  let api: TestApi;
  before(async () => { api = await openTestApi(await t.freshDatabase(), { collections: [BOARD, VAULT] }); });
  after(async () => { await api.close(); });

  test('GET, PATCH and DELETE on a view-null record look exactly like a missing one', async () => {
    const { token } = await api.signIn('vault-user@example.com');
    const created = await api.inject({ method: 'POST', url: '/api/collections/vault/records', headers: bearer(token), payload: { title: 'x' } });
    assert.equal(created.statusCode, 201, created.body);
    const id = String(created.json().id);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const payload = method === 'PATCH' ? { title: 'y' } : undefined;
      const hidden = await api.inject({ method, url: `/api/collections/vault/records/${id}`, headers: bearer(token), payload });
      const missing = await api.inject({ method, url: '/api/collections/vault/records/AAAAAAAAAAAAAAAAAAAA', headers: bearer(token), payload });
      const other = await api.inject({ method, url: '/api/collections/board/records/AAAAAAAAAAAAAAAAAAAA', headers: bearer(token), payload });
      assert.equal(hidden.statusCode, 404, method);
      assert.equal(hidden.body, missing.body, method);
      assert.equal(hidden.body, other.body, method);
      assert.equal(hidden.headers['content-length'], other.headers['content-length']);
    }
  });
});

// Attack: a client buys a response far larger than its request's worth of work by sending huge or countless unknown keys that the error then echoes (a 1 MB key came back as a 2 MB error, 90,000 keys as 4 MB).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, assertNoLeak, type TestApi } from '../helpers/test-engine.ts';
import { FIELD_LIST_LIMITS } from '../../src/errors/field-list.ts';

const MAX_ERROR_BYTES = 4096;

eachDialect('errors that list fields are capped on every route', (t) => {
  let api: TestApi;
  let token: string;
  let id: string;
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { bodyLimit: 4 * 1024 * 1024 });
    token = (await api.signIn('echo@example.com')).token;
    const r = await api.inject({ method: 'POST', url: '/api/collections/notes/records', headers: bearer(token), payload: { title: 'x' } });
    id = String(r.json().id);
  });
  after(async () => { await api.close(); });

  const manyKeys = (): Record<string, number> => Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`k${i}`, 1]));
  const hugeKey = (): Record<string, number> => ({ [`${'k'.repeat(1024 * 1024)}`]: 1, title: 1 });

  test('record create and update, register and login: small errors, few short names', async () => {
    const routes = [
      { method: 'POST' as const, url: '/api/collections/notes/records', auth: true, many: true },
      { method: 'PATCH' as const, url: `/api/collections/notes/records/${id}`, auth: true, many: false },
      { method: 'POST' as const, url: '/api/auth/register', auth: false, many: true },
      { method: 'POST' as const, url: '/api/auth/login', auth: false, many: false },
    ];
    for (const route of routes) {
      for (const payload of route.many ? [manyKeys(), hugeKey()] : [hugeKey()]) {
        const res = await api.inject({ method: route.method, url: route.url, headers: route.auth ? bearer(token) : {}, payload });
        assert.ok(res.statusCode === 400 || res.statusCode === 401, `${route.url}: ${res.statusCode}`);
        assert.ok(res.body.length < MAX_ERROR_BYTES, `${route.method} ${route.url}: ${res.body.length} bytes`);
        assertNoLeak(res.body);
        const fields = Object.keys(res.json().error.fields ?? {});
        assert.ok(fields.length <= FIELD_LIST_LIMITS.maxNames, `${fields.length} names`);
        for (const f of fields) assert.ok([...f].length <= FIELD_LIST_LIMITS.maxNameLength + 1, `name of ${f.length} chars`);
      }
    }
    const counted = await api.engine.db.kysely.selectFrom('notes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(counted.n), 1, 'nothing written');
  });

  test('the message names at most the capped list and says how many more', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/collections/notes/records', headers: bearer(token), payload: manyKeys() });
    const { message, fields } = res.json().error;
    assert.match(message, /and 89981 more$/); // 90,000 unknown keys and the missing title
    assert.equal(fields.k0, 'is not a field of this collection');
  });
});

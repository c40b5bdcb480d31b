// Attack: provoke internal failures (database errors, broken services, a closed database) hoping the response leaks SQL, stack traces, server paths or library messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, assertNoLeak, type TestApi } from '../helpers/test-engine.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import type { Engine } from '../../src/core/engine.ts';

const SQL_TEXT = 'SQLITE_ERROR: near "SELECT": syntax error in SELECT * FROM notes WHERE owner = ? -- at /work/main/src/db/sqlite/connect.ts:42';
const NOTES = '/api/collections/notes/records';
const ID = 'AAAAAAAAAAAAAAAAAAAA';

/** What each RecordService method throws, by method. */
const THROWS: Record<string, () => unknown> = {
  list: () => new Error(SQL_TEXT),
  get: () => new TypeError("Cannot read properties of undefined (reading 'password_hash') at /work/main/src/core/records/x.ts:9"),
  create: () => new StrongboxError('ERR_INTERNAL', `decrypt failed for key /work/main/data/keys/k1 ${SQL_TEXT}`),
  update: () => Object.assign(new Error(`relation "notes" does not exist ${SQL_TEXT}`), { code: '42P01', statusCode: 500 }),
  delete: () => `a thrown string with ${SQL_TEXT}`,
};

function brokenRecords(engine: Engine): Engine {
  const records = new Proxy(engine.records, {
    get(target, prop, receiver) {
      const make = typeof prop === 'string' ? THROWS[prop] : undefined;
      if (make) return async () => { throw make(); };
      return Reflect.get(target, prop, receiver);
    },
  });
  return { ...engine, records };
}

// At info Fastify logs through its own logger; at warn (serve's level) it has none and Strongbox's own logs (src/http/server-log.ts).
for (const level of ['info', 'warn']) eachDialect(`internal errors never leak (log level ${level})`, (t) => {
  let api: TestApi;
  let token: string;
  const log: string[] = [];
  before(async () => {
    const stream = new Writable({ write(chunk, _enc, cb) { log.push(String(chunk)); cb(); } });
    api = await openTestApi(await t.freshDatabase(), { override: brokenRecords, logger: { level, stream } });
    token = (await api.signIn('alice@example.com')).token;
  });
  after(async () => { await api.close(); });

  const cases = [
    { name: 'list throws a SQL error', req: { method: 'GET' as const, url: NOTES } },
    { name: 'get throws a TypeError', req: { method: 'GET' as const, url: `${NOTES}/${ID}` } },
    { name: 'create throws ERR_INTERNAL with a detailed message', req: { method: 'POST' as const, url: NOTES, payload: { title: 'x' } } },
    { name: 'update throws a driver error with a statusCode', req: { method: 'PATCH' as const, url: `${NOTES}/${ID}`, payload: { title: 'x' } } },
    { name: 'delete throws a non-Error', req: { method: 'DELETE' as const, url: `${NOTES}/${ID}` } },
  ];
  for (const c of cases) {
    test(`${c.name} → 500 ERR_INTERNAL with only the public message`, async () => {
      const res = await api.inject({ ...c.req, headers: bearer(token) });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { error: { code: 'ERR_INTERNAL', message: 'An internal error occurred.' } });
      assertNoLeak(res.body, [token, 'near', 'relation', 'decrypt', 'Cannot read']);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    });
  }

  test('the causes go to the log (redacted), not to the client', () => {
    const text = log.join('');
    assert.ok(text.includes('syntax error in SELECT'), 'SQL cause logged');
    assert.ok(text.includes('Cannot read properties'), 'TypeError logged');
    assert.ok(!text.includes(token), 'no token in the log');
  });

  test('with the database closed every route answers a registered error, and nothing leaks', async () => {
    await api.engine.db.close();
    const probes = [
      { method: 'GET' as const, url: '/api/health', status: 503, code: 'ERR_UNAVAILABLE' },
      { method: 'GET' as const, url: '/api/auth/me', headers: bearer(token), status: 500, code: 'ERR_INTERNAL' },
      { method: 'POST' as const, url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'correct-password' }, status: 500, code: 'ERR_INTERNAL' },
      { method: 'POST' as const, url: '/api/auth/register', payload: { email: 'new@example.com', password: 'Velvet-Canyon-Orbit-73' }, status: 500, code: 'ERR_INTERNAL' },
      { method: 'POST' as const, url: '/api/auth/logout', headers: bearer(token), status: 500, code: 'ERR_INTERNAL' },
      { method: 'GET' as const, url: '/api/openapi.json', status: 200, code: '' },
    ];
    for (const { status, code, ...req } of probes) {
      const res = await api.inject(req);
      assert.equal(res.statusCode, status, `${req.url}: ${res.body}`);
      if (code) assert.equal(res.json().error.code, code);
      if (code) assert.deepEqual(Object.keys(res.json().error), ['code', 'message']);
      assertNoLeak(res.body, [token, 'not open', 'closed', 'pool', 'Cannot']);
    }
  });
});

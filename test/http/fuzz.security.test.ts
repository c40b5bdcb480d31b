// Attack: a flood of random malformed requests (methods, paths, queries, media types, bodies, tokens) trying to crash the server, get a 500 or sneak a write through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, rowCounts, type TestApi } from '../helpers/test-engine.ts';
import { ERRORS, isErrorCode } from '../../src/errors/registry.ts';
import { SESSION_COOKIE } from '../../src/http/session.ts';

const RUNS = 1000;
const BODY_LIMIT = 16 * 1024; // bytes
const NOTES = '/api/collections/notes/records';
const TABLES = ['notes', '_sb_accounts', '_sb_sessions'];
// Attacker input may be echoed inside an error message, so only look for what input cannot put there.
const NEVER = [/\n\s+at /, '$argon2', 'node_modules', 'FST_', 'SQLITE_', 'syntax error at or near', '/work/main/src'];

const method = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS') as fc.Arbitrary<InjectOptions['method']>;
const segment = fc.oneof(fc.string({ maxLength: 30 }).map(encodeURIComponent), fc.constantFrom('notes', '..', '%00', '%E0%A4%A', '_sb_accounts', '__proto__', 'AAAAAAAAAAAAAAAAAAAA'));
const path = fc.oneof(
  fc.constantFrom('/api/health', '/api/openapi.json', '/api/auth/login', '/api/auth/register', '/api/auth/logout', '/api/auth/me', NOTES, `${NOTES}/AAAAAAAAAAAAAAAAAAAA`),
  segment.map((s) => `${NOTES}/${s}`),
  segment.map((s) => `/api/collections/${s}/records`),
  fc.array(segment, { maxLength: 5 }).map((xs) => `/api/${xs.join('/')}`),
);
const queryValue = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("title = 'a'", '((((((((((a=1))))))))))', "title ~ '%'", '-created,title', 'id,__proto__', '0', '-1', '1e9', '501', 'NaN'));
const query = fc.option(
  fc.array(fc.tuple(fc.constantFrom('filter', 'sort', 'fields', 'page', 'perPage', 'skipTotal', 'expand', '__proto__', 'token'), queryValue), { maxLength: 4 })
    .map((kv) => kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
  { nil: undefined },
);
const contentType = fc.option(
  fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/jsonx', 'APPLICATION/JSON'), fc.string({ maxLength: 20 }).filter((s) => /^[\x21-\x7e]*$/.test(s))),
  { nil: undefined },
);
const poisoned = fc.constantFrom('{"__proto__":{"admin":true}}', '{"a":{"constructor":{"prototype":{"x":1}}}}', '[{"__proto__":null}]', '{"title":"a","\\u005f_proto__":1}');
const body = fc.option(
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.json({ maxDepth: 2 }).map((j) => j.slice(0, Math.max(0, j.length - 1))),
    poisoned,
    fc.constantFrom('{"email":"alice@example.com","password":"wrong-password"}', '{"title":"x","owner":"someone"}', 'x'.repeat(BODY_LIMIT + 1)),
    fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  ),
  { nil: undefined },
);

eachDialect('fuzzing the HTTP edge', (t) => {
  let api: TestApi;
  let token: string;
  before(async () => {
    // Registration off and only read requests carry a real session, so no random request can legitimately write.
    api = await openTestApi(await t.freshDatabase(), { register: false, bodyLimit: BODY_LIMIT });
    token = (await api.signIn('alice@example.com')).token;
    await api.inject({ method: 'POST', url: NOTES, headers: bearer(token), payload: { title: 'keep' } });
  });
  after(async () => { await api.close(); });

  test(`${RUNS} random malformed requests: no 5xx, registered errors only, nothing written`, async () => {
    const before_ = await rowCounts(api.engine, TABLES);
    const auth = fc.constantFrom<'none' | 'garbage' | 'cookie' | 'valid'>('none', 'garbage', 'cookie', 'valid');
    await fc.assert(
      fc.asyncProperty(method, path, query, contentType, body, auth, async (m, p, q, ct, b, a) => {
        const headers: Record<string, string> = {};
        if (ct !== undefined) headers['content-type'] = ct;
        if (a === 'garbage') headers.authorization = 'Bearer ' + 'x'.repeat(43);
        if (a === 'cookie') headers.cookie = `${SESSION_COOKIE}=${'%'.repeat(10)}; other=1`;
        // A real session only on reads: writes stay anonymous.
        if (a === 'valid' && (m === 'GET' || m === 'HEAD')) headers.authorization = `Bearer ${token}`;
        const req: InjectOptions = { method: m, url: q ? `${p}?${q}` : p, headers };
        if (b !== undefined && m !== 'GET' && m !== 'HEAD') req.payload = b;
        const res = await api.inject(req);
        assert.ok(res.statusCode < 500, `${m} ${req.url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        if (m === 'HEAD' || res.statusCode === 204) return;
        const parsed = res.json();
        if (res.statusCode >= 400) {
          assert.deepEqual(Object.keys(parsed), ['error']);
          assert.ok(isErrorCode(parsed.error.code), parsed.error.code);
          assert.equal(ERRORS[parsed.error.code as keyof typeof ERRORS].status, res.statusCode);
        }
        for (const n of NEVER) {
          assert.ok(typeof n === 'string' ? !res.body.includes(n) : !n.test(res.body), `leak ${String(n)} in ${res.body.slice(0, 200)}`);
        }
        assert.ok(!res.body.includes(token), 'token never in a response');
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    assert.deepEqual(await rowCounts(api.engine, TABLES), before_, 'nothing was written');
  });

  test('afterwards the server still answers correctly', async () => {
    assert.deepEqual((await api.inject({ method: 'GET', url: '/api/health' })).json(), { status: 'ok' });
    const list = await api.inject({ method: 'GET', url: NOTES, headers: bearer(token) });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().items.map((i: { title: string }) => i.title), ['keep']);
    const login = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'correct-password' } });
    assert.equal(login.statusCode, 200);
  });
});

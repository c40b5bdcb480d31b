import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, assertNoLeak, type TestApi } from '../helpers/test-engine.ts';
import { isErrorCode, ERRORS } from '../../src/errors/registry.ts';
import { SESSION_COOKIE } from '../../src/http/session.ts';

interface Ctx {
  api: TestApi;
  alice: { token: string; account: { id: string; email: string; role: string } };
  bob: { token: string; account: { id: string; email: string; role: string } };
  note: Record<string, unknown>;
}

interface Scenario {
  readonly name: string;
  readonly request: (c: Ctx) => InjectOptions;
  readonly status: number;
  /** For errors: the expected code. */
  readonly code?: string;
  readonly expect?: (body: unknown, c: Ctx) => void | Promise<void>;
  /** Strings that must not appear in the body (beyond the standard leak list). */
  readonly absent?: (c: Ctx) => string[];
}

const NOTES = '/api/collections/notes/records';
const MISSING_ID = 'AAAAAAAAAAAAAAAAAAAA';
const f = (s: string) => encodeURIComponent(s);

// Table-driven API scenarios (pocketbase tests/api.go style): request, status, content, and what must NOT appear.
const SCENARIOS: Scenario[] = [
  { name: 'health', request: () => ({ method: 'GET', url: '/api/health' }), status: 200,
    expect: (b) => assert.deepEqual(b, { status: 'ok' }) },
  { name: 'register answers 201 with id, email and role only', status: 201,
    request: () => ({ method: 'POST', url: '/api/auth/register', payload: { email: 'Carol@Example.com', password: 'Maple-Lantern-Ridge-58' } }),
    expect: (b) => {
      const a = (b as { account: Record<string, unknown> }).account;
      assert.deepEqual(Object.keys(b as object), ['account']);
      assert.deepEqual(Object.keys(a).sort(), ['email', 'id', 'role']);
      assert.equal(a.email, 'carol@example.com');
      assert.equal(a.role, 'user');
    },
    absent: () => ['Maple-Lantern-Ridge-58', 'token'] },
  { name: 'register cannot choose a role', status: 400, code: 'ERR_VALIDATION',
    request: () => ({ method: 'POST', url: '/api/auth/register', payload: { email: 'mallory@example.com', password: 'mallory-password', role: 'admin' } }),
    expect: async (b, c) => {
      assert.deepEqual((b as { error: { fields: unknown } }).error.fields, { role: 'unknown field' });
      const row = await c.api.engine.db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', 'mallory@example.com').executeTakeFirst();
      assert.equal(row, undefined, 'nothing written');
    } },
  { name: 'register a taken email answers like a fresh registration and creates nothing', status: 201,
    request: () => ({ method: 'POST', url: '/api/auth/register', payload: { email: 'ALICE@example.com', password: 'whatever-password' } }),
    expect: async (b, c) => {
      const a = (b as { account: Record<string, unknown> }).account;
      assert.deepEqual(Object.keys(a).sort(), ['email', 'id', 'role']);
      assert.notEqual(a.id, c.alice.account.id);
      const rows = await c.api.engine.db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', 'alice@example.com').execute();
      assert.equal(rows.length, 1);
    },
    absent: (c) => [c.alice.account.id] },
  { name: 'register with a short password', status: 400, code: 'ERR_PASSWORD_POLICY',
    request: () => ({ method: 'POST', url: '/api/auth/register', payload: { email: 'dave@example.com', password: 'short' } }),
    absent: () => ['short'] },
  { name: 'login answers token and account and sets the cookie', status: 200,
    request: () => ({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'correct-password' } }),
    expect: (b, c) => {
      const body = b as { token: string; account: Record<string, unknown> };
      assert.deepEqual(Object.keys(body).sort(), ['account', 'csrfToken', 'mfaRequired', 'token']);
      assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(body.token, c.alice.token, 'a new token per login');
      assert.deepEqual(body.account, c.alice.account);
    },
    absent: () => ['correct-password'] },
  { name: 'login with a wrong password', status: 401, code: 'ERR_INVALID_CREDENTIALS',
    request: () => ({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@example.com', password: 'wrong-password' } }) },
  { name: 'login with an unknown account', status: 401, code: 'ERR_INVALID_CREDENTIALS',
    request: () => ({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password: 'wrong-password' } }) },
  { name: 'me with a bearer token', status: 200,
    request: (c) => ({ method: 'GET', url: '/api/auth/me', headers: bearer(c.alice.token) }),
    expect: (b, c) => assert.deepEqual((b as { account: unknown }).account, c.alice.account), absent: (c) => [c.alice.token] },
  { name: 'me with the session cookie', status: 200,
    request: (c) => ({ method: 'GET', url: '/api/auth/me', cookies: { [SESSION_COOKIE]: c.bob.token } }),
    expect: (b, c) => {
      assert.deepEqual((b as { account: unknown }).account, c.bob.account);
      assert.match((b as { csrfToken: string }).csrfToken, /^v\d+\.[A-Za-z0-9_-]{43}$/, 'a cookie page learns its CSRF token');
    }, absent: (c) => [c.bob.token] },
  { name: 'me without a session', status: 401, code: 'ERR_UNAUTHENTICATED',
    request: () => ({ method: 'GET', url: '/api/auth/me' }) },
  { name: 'me with a made-up token', status: 401, code: 'ERR_UNAUTHENTICATED',
    request: () => ({ method: 'GET', url: '/api/auth/me', headers: bearer('A'.repeat(43)) }) },
  { name: 'create sets owner from the session', status: 201,
    request: (c) => ({ method: 'POST', url: NOTES, headers: bearer(c.alice.token), payload: { title: 'second', tag: 'x' } }),
    expect: (b, c) => {
      const r = b as Record<string, unknown>;
      assert.deepEqual(Object.keys(r).sort(), ['body', 'created', 'id', 'owner', 'tag', 'title', 'updated']);
      assert.equal(r.owner, c.alice.account.id);
      assert.match(String(r.id), /^[A-Za-z0-9_-]{20}$/);
    } },
  { name: 'create refuses a client-chosen owner', status: 400, code: 'ERR_VALIDATION',
    request: (c) => ({ method: 'POST', url: NOTES, headers: bearer(c.bob.token), payload: { title: 't', owner: c.alice.account.id } }) },
  { name: 'create refuses unknown fields', status: 400, code: 'ERR_VALIDATION',
    request: (c) => ({ method: 'POST', url: NOTES, headers: bearer(c.bob.token), payload: { title: 't', isAdmin: true } }) },
  { name: 'create as anonymous is refused', status: 401, code: 'ERR_UNAUTHENTICATED',
    request: () => ({ method: 'POST', url: NOTES, payload: { title: 'anon' } }) },
  { name: 'list as the owner with totals', status: 200,
    request: (c) => ({ method: 'GET', url: `${NOTES}?filter=${f("title = 'first'")}`, headers: bearer(c.alice.token) }),
    expect: (b, c) => {
      const l = b as { items: Record<string, unknown>[]; page: number; perPage: number; totalItems: number; totalPages: number };
      assert.deepEqual(l.items.map((i) => i.id), [c.note.id]);
      assert.deepEqual([l.page, l.perPage, l.totalItems, l.totalPages], [1, 30, 1, 1]);
    } },
  { name: 'list with skipTotal, sort and perPage', status: 200,
    request: (c) => ({ method: 'GET', url: `${NOTES}?skipTotal=1&sort=-created&perPage=5&page=1`, headers: bearer(c.alice.token) }),
    expect: (b) => {
      const l = b as Record<string, unknown>;
      assert.deepEqual(Object.keys(l).sort(), ['items', 'page', 'perPage']);
      assert.equal(l.perPage, 5);
    } },
  { name: 'list with a field projection', status: 200,
    request: (c) => ({ method: 'GET', url: `${NOTES}?fields=id,title`, headers: bearer(c.alice.token) }),
    expect: (b) => {
      for (const item of (b as { items: Record<string, unknown>[] }).items) assert.deepEqual(Object.keys(item).sort(), ['id', 'title']);
    } },
  { name: 'another user lists nothing of the owner', status: 200,
    request: (c) => ({ method: 'GET', url: NOTES, headers: bearer(c.bob.token) }),
    expect: (b) => assert.deepEqual((b as { items: unknown[] }).items, []), absent: () => ['first'] },
  { name: 'a filter syntax error names the position', status: 400, code: 'ERR_FILTER_SYNTAX',
    request: (c) => ({ method: 'GET', url: `${NOTES}?filter=${f('title = ')}`, headers: bearer(c.alice.token) }),
    expect: (b) => assert.equal(typeof (b as { error: { position: unknown } }).error.position, 'number') },
  { name: 'a filter on an unknown field', status: 400, code: 'ERR_FILTER_UNKNOWN_FIELD',
    request: (c) => ({ method: 'GET', url: `${NOTES}?filter=${f("nosuchfield = 'x'")}`, headers: bearer(c.alice.token) }) },
  { name: "an injection attempt in a filter is just a value", status: 200,
    request: (c) => ({ method: 'GET', url: `${NOTES}?filter=${f("title = \"x' OR 1=1 --\"")}`, headers: bearer(c.alice.token) }),
    expect: (b) => assert.deepEqual((b as { items: unknown[] }).items, []) },
  { name: 'perPage above the maximum', status: 400, code: 'ERR_BAD_QUERY',
    request: (c) => ({ method: 'GET', url: `${NOTES}?perPage=501`, headers: bearer(c.alice.token) }) },
  { name: 'a non-integer page', status: 400, code: 'ERR_BAD_QUERY',
    request: (c) => ({ method: 'GET', url: `${NOTES}?page=1.5`, headers: bearer(c.alice.token) }) },
  { name: 'page zero', status: 400, code: 'ERR_BAD_QUERY',
    request: (c) => ({ method: 'GET', url: `${NOTES}?page=0`, headers: bearer(c.alice.token) }) },
  { name: 'a repeated query parameter', status: 400, code: 'ERR_BAD_QUERY',
    request: (c) => ({ method: 'GET', url: `${NOTES}?filter=${f("title='a'")}&filter=${f("title='b'")}`, headers: bearer(c.alice.token) }) },
  { name: 'an unknown query parameter', status: 400, code: 'ERR_BAD_QUERY',
    request: (c) => ({ method: 'GET', url: `${NOTES}?expand=owner`, headers: bearer(c.alice.token) }) },
  { name: 'get by id as the owner', status: 200,
    request: (c) => ({ method: 'GET', url: `${NOTES}/${c.note.id}`, headers: bearer(c.alice.token) }),
    expect: (b, c) => assert.deepEqual(b, c.note) },
  { name: "another user's record is a 404", status: 404, code: 'ERR_NOT_FOUND',
    request: (c) => ({ method: 'GET', url: `${NOTES}/${c.note.id}`, headers: bearer(c.bob.token) }), absent: () => ['first'] },
  { name: 'a missing record is the same 404', status: 404, code: 'ERR_NOT_FOUND',
    request: (c) => ({ method: 'GET', url: `${NOTES}/${MISSING_ID}`, headers: bearer(c.bob.token) }) },
  { name: 'a malformed id', status: 400, code: 'ERR_INVALID_ID',
    request: (c) => ({ method: 'GET', url: `${NOTES}/${f("1' OR '1'='1")}`, headers: bearer(c.alice.token) }) },
  { name: 'an unknown collection', status: 404, code: 'ERR_NOT_FOUND',
    request: (c) => ({ method: 'GET', url: '/api/collections/_sb_accounts/records', headers: bearer(c.alice.token) }) },
  { name: "another user cannot update the record", status: 404, code: 'ERR_NOT_FOUND',
    request: (c) => ({ method: 'PATCH', url: `${NOTES}/${c.note.id}`, headers: bearer(c.bob.token), payload: { title: 'pwned' } }) },
  { name: "another user cannot delete the record", status: 404, code: 'ERR_NOT_FOUND',
    request: (c) => ({ method: 'DELETE', url: `${NOTES}/${c.note.id}`, headers: bearer(c.bob.token) }),
    expect: async (_b, c) => {
      const res = await c.api.inject({ method: 'GET', url: `${NOTES}/${c.note.id}`, headers: bearer(c.alice.token) });
      assert.deepEqual(res.json(), c.note, 'record untouched');
    } },
  { name: 'the owner updates the record', status: 200,
    request: (c) => ({ method: 'PATCH', url: `${NOTES}/${c.note.id}`, headers: bearer(c.alice.token), payload: { body: 'edited' } }),
    expect: (b, c) => {
      const r = b as Record<string, unknown>;
      assert.equal(r.body, 'edited');
      assert.equal(r.title, 'first');
      assert.equal(r.owner, c.alice.account.id);
    } },
  { name: 'the owner deletes the record', status: 204,
    request: (c) => ({ method: 'DELETE', url: `${NOTES}/${c.note.id}`, headers: bearer(c.alice.token) }),
    expect: async (_b, c) => {
      const res = await c.api.inject({ method: 'GET', url: `${NOTES}/${c.note.id}`, headers: bearer(c.alice.token) });
      assert.equal(res.statusCode, 404);
    } },
];

eachDialect('HTTP API scenarios', (t) => {
  const c = {} as Ctx;
  before(async () => {
    c.api = await openTestApi(await t.freshDatabase());
    c.alice = await c.api.signIn('alice@example.com');
    c.bob = await c.api.signIn('bob@example.com');
    const res = await c.api.inject({ method: 'POST', url: NOTES, headers: bearer(c.alice.token), payload: { title: 'first' } });
    assert.equal(res.statusCode, 201, res.body);
    c.note = res.json();
  });
  after(async () => { await c.api.close(); });

  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const res = await c.api.inject(s.request(c));
      assert.equal(res.statusCode, s.status, res.body);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-powered-by'], undefined);
      const body: unknown = res.body === '' ? undefined : res.json();
      if (s.status === 204) assert.equal(res.body, '');
      else assert.match(String(res.headers['content-type']), /^application\/json/);
      if (s.status >= 400) {
        const err = (body as { error: Record<string, unknown> }).error;
        assert.equal(err.code, s.code);
        assert.ok(isErrorCode(err.code));
        assert.equal(ERRORS[err.code].status, s.status, 'status matches the registry');
        assert.equal(typeof err.message, 'string');
        assert.deepEqual(Object.keys(body as object), ['error']);
      }
      assertNoLeak(res.body, s.absent?.(c) ?? []);
      // A token only ever appears in the login body and its Set-Cookie.
      if (!s.request(c).url?.toString().endsWith('/login')) {
        assert.ok(!res.body.includes(c.alice.token) && !res.body.includes(c.bob.token), 'no token in body');
      }
      await s.expect?.(body, c);
    });
  }

  test('a 404 for a hidden record is byte-identical to a missing one', async () => {
    const a = await c.api.inject({ method: 'GET', url: `${NOTES}/${MISSING_ID}`, headers: bearer(c.bob.token) });
    const other = await c.api.inject({ method: 'POST', url: NOTES, headers: bearer(c.alice.token), payload: { title: 'hidden' } });
    const b = await c.api.inject({ method: 'GET', url: `${NOTES}/${other.json().id}`, headers: bearer(c.bob.token) });
    assert.equal(a.statusCode, b.statusCode);
    assert.equal(a.body, b.body);
  });
});

eachDialect('registration switched off', (t) => {
  test('POST /api/auth/register answers ERR_REGISTRATION_DISABLED and writes nothing', async () => {
    const api = await openTestApi(await t.freshDatabase(), { register: false });
    try {
      const res = await api.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'x@example.com', password: 'long-password' } });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'ERR_REGISTRATION_DISABLED');
      const rows = await api.engine.db.kysely.selectFrom('_sb_accounts').select('id').execute();
      assert.equal(rows.length, 0);
    } finally {
      await api.close();
    }
  });
});

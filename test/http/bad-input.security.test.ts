// Attack: malformed or hostile requests (broken JSON, wrong media types, oversized bodies, prototype-poisoning keys, odd routes and ids) trying to crash the server, leak internals or write data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { eachDialect } from '../helpers/dialects.ts';
import { openTestApi, bearer, assertNoLeak, rowCounts, type TestApi } from '../helpers/test-engine.ts';

const NOTES = '/api/collections/notes/records';
const JSON_CT = { 'content-type': 'application/json' };
const BODY_LIMIT = 64 * 1024; // bytes, small so the test stays fast

interface Case { name: string; req: (token: string) => InjectOptions; status: number; code: string }

const w = (token: string, extra: Record<string, string> = {}) => ({ ...bearer(token), ...extra });
const CASES: Case[] = [
  { name: 'truncated JSON', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":' }) },
  { name: 'trailing garbage', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a"} x' }) },
  { name: 'a duplicate key (parser differential)', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"benign","title":"evil"}' }) },
  { name: 'a duplicate key hidden by an escape', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","ti\\u0074le":"b"}' }) },
  { name: 'a duplicate nested key', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","body":"x","meta":{"k":1,"k" :2}}' }) },
  { name: 'empty JSON body', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '' }) },
  { name: 'single quotes', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: "{'title':'a'}" }) },
  { name: 'NUL bytes', status: 400, code: 'ERR_INVALID_JSON', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a"}\u0000' }) },
  { name: 'a JSON array body', status: 400, code: 'ERR_BAD_REQUEST', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '[{"title":"a"}]' }) },
  { name: 'a JSON string body', status: 400, code: 'ERR_BAD_REQUEST', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '"title"' }) },
  { name: 'JSON null', status: 400, code: 'ERR_BAD_REQUEST', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: 'null' }) },
  { name: 'no body at all', status: 400, code: 'ERR_BAD_REQUEST', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t) }) },
  { name: '__proto__ at the top', status: 400, code: 'ERR_FORBIDDEN_KEY', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","__proto__":{"isAdmin":true}}' }) },
  { name: '__proto__ nested deep', status: 400, code: 'ERR_FORBIDDEN_KEY', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","body":[{"x":{"__proto__":{"polluted":1}}}]}' }) },
  { name: 'constructor.prototype', status: 400, code: 'ERR_FORBIDDEN_KEY', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","constructor":{"prototype":{"polluted":1}}}' }) },
  { name: 'escaped __proto__ key', status: 400, code: 'ERR_FORBIDDEN_KEY', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":"a","\\u005f_proto__":{"polluted":1}}' }) },
  { name: 'proto key on login', status: 400, code: 'ERR_FORBIDDEN_KEY', req: () => ({ method: 'POST', url: '/api/auth/login', headers: JSON_CT, payload: '{"email":"a@b.co","password":"x","__proto__":{"role":"admin"}}' }) },
  { name: 'form-encoded body', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, { 'content-type': 'application/x-www-form-urlencoded' }), payload: 'title=a' }) },
  { name: 'multipart body', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, { 'content-type': 'multipart/form-data; boundary=x' }), payload: '--x\r\n\r\n--x--' }) },
  { name: 'text/plain JSON (CSRF-style)', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: () => ({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'text/plain' }, payload: '{"email":"alice@example.com","password":"correct-password"}' }) },
  { name: 'JSON declared in another charset', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, { 'content-type': 'application/json; charset=latin1' }), payload: '{"title":"a"}' }) },
  { name: 'JSON declared as UTF-16', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, { 'content-type': 'application/json;charset="utf-16"' }), payload: '{"title":"a"}' }) },
  { name: 'a JSON-looking media type', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, { 'content-type': 'application/jsonx' }), payload: '{"title":"a"}' }) },
  { name: 'a body without a content type', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t), payload: Buffer.from('{"title":"a"}') }) },
  { name: 'a body on DELETE with a wrong type', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', req: (t) => ({ method: 'DELETE', url: `${NOTES}/AAAAAAAAAAAAAAAAAAAA`, headers: w(t, { 'content-type': 'text/xml' }), payload: '<x/>' }) },
  { name: 'an oversized body', status: 413, code: 'ERR_BODY_TOO_LARGE', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: JSON.stringify({ title: 'x'.repeat(BODY_LIMIT) }) }) },
  { name: 'an oversized body on login', status: 413, code: 'ERR_BODY_TOO_LARGE', req: () => ({ method: 'POST', url: '/api/auth/login', headers: JSON_CT, payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(BODY_LIMIT) }) }) },
  { name: 'an unknown route', status: 404, code: 'ERR_ROUTE_NOT_FOUND', req: () => ({ method: 'GET', url: '/api/nope' }) },
  { name: 'a path traversal', status: 404, code: 'ERR_ROUTE_NOT_FOUND', req: () => ({ method: 'GET', url: '/api/../../etc/passwd' }) },
  { name: 'the admin UI path (not built yet)', status: 404, code: 'ERR_ROUTE_NOT_FOUND', req: () => ({ method: 'GET', url: '/_/' }) },
  { name: 'PUT on records', status: 405, code: 'ERR_METHOD_NOT_ALLOWED', req: (t) => ({ method: 'PUT', url: `${NOTES}/AAAAAAAAAAAAAAAAAAAA`, headers: w(t, JSON_CT), payload: '{}' }) },
  { name: 'DELETE on a list', status: 405, code: 'ERR_METHOD_NOT_ALLOWED', req: (t) => ({ method: 'DELETE', url: NOTES, headers: w(t) }) },
  { name: 'GET on login', status: 405, code: 'ERR_METHOD_NOT_ALLOWED', req: () => ({ method: 'GET', url: '/api/auth/login' }) },
  { name: 'POST on health', status: 405, code: 'ERR_METHOD_NOT_ALLOWED', req: () => ({ method: 'POST', url: '/api/health', headers: JSON_CT, payload: '{}' }) },
  { name: 'a SQL id', status: 400, code: 'ERR_INVALID_ID', req: (t) => ({ method: 'GET', url: `${NOTES}/${encodeURIComponent("x' OR 1=1 --")}`, headers: w(t) }) },
  { name: 'a too-long id', status: 400, code: 'ERR_INVALID_ID', req: (t) => ({ method: 'PATCH', url: `${NOTES}/${'A'.repeat(21)}`, headers: w(t, JSON_CT), payload: '{"title":"b"}' }) },
  { name: 'a unicode id', status: 400, code: 'ERR_INVALID_ID', req: (t) => ({ method: 'DELETE', url: `${NOTES}/${encodeURIComponent('ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ')}`, headers: w(t) }) },
  { name: 'a broken percent-encoding', status: 400, code: 'ERR_BAD_REQUEST', req: (t) => ({ method: 'GET', url: '/api/collections/%E0%A4%A/records', headers: w(t) }) },
  { name: 'a system table as a collection', status: 404, code: 'ERR_NOT_FOUND', req: (t) => ({ method: 'GET', url: '/api/collections/_sb_sessions/records', headers: w(t) }) },
  { name: 'a prototype name as a collection', status: 404, code: 'ERR_NOT_FOUND', req: (t) => ({ method: 'GET', url: '/api/collections/__proto__/records', headers: w(t) }) },
  { name: 'a query string with __proto__', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'GET', url: `${NOTES}?__proto__[x]=1`, headers: w(t) }) },
  { name: 'a query parameter on create', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'POST', url: `${NOTES}?owner=x`, headers: w(t, JSON_CT), payload: '{"title":"a"}' }) },
  { name: 'a negative page', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'GET', url: `${NOTES}?page=-1`, headers: w(t) }) },
  { name: 'an exponent perPage', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'GET', url: `${NOTES}?perPage=1e2`, headers: w(t) }) },
  { name: 'a huge page', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'GET', url: `${NOTES}?page=99999999999999999999`, headers: w(t) }) },
  { name: 'a bad skipTotal', status: 400, code: 'ERR_BAD_QUERY', req: (t) => ({ method: 'GET', url: `${NOTES}?skipTotal=yes`, headers: w(t) }) },
  { name: 'a filter past the length limit', status: 400, code: 'ERR_FILTER_LIMIT', req: (t) => ({ method: 'GET', url: `${NOTES}?filter=${encodeURIComponent(`title = '${'a'.repeat(2100)}'`)}`, headers: w(t) }) },
  { name: 'a wrong-typed value', status: 400, code: 'ERR_VALIDATION', req: (t) => ({ method: 'POST', url: NOTES, headers: w(t, JSON_CT), payload: '{"title":{"$gt":""}}' }) },
];

eachDialect('bad input', (t) => {
  let api: TestApi;
  let token: string;
  let before_: Record<string, number>;
  const TABLES = ['notes', '_sb_accounts', '_sb_sessions'];
  before(async () => {
    api = await openTestApi(await t.freshDatabase(), { bodyLimit: BODY_LIMIT });
    token = (await api.signIn('alice@example.com')).token;
    await api.inject({ method: 'POST', url: NOTES, headers: bearer(token), payload: { title: 'keep' } });
    before_ = await rowCounts(api.engine, TABLES);
  });
  after(async () => { await api.close(); });

  for (const c of CASES) {
    test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await api.inject(c.req(token));
      assert.equal(res.statusCode, c.status, res.body);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, c.code);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assertNoLeak(res.body, [token]);
      if (c.status === 405) assert.match(String(res.headers.allow), /^[A-Z, ]+$/);
    });
  }

  test('nothing was written and no prototype was polluted', async () => {
    assert.deepEqual(await rowCounts(api.engine, TABLES), before_);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  });

  test('the server still answers normally', async () => {
    assert.deepEqual((await api.inject({ method: 'GET', url: '/api/health' })).json(), { status: 'ok' });
    const list = await api.inject({ method: 'GET', url: NOTES, headers: bearer(token) });
    assert.deepEqual(list.json().items.map((i: { title: string }) => i.title), ['keep']);
  });
});

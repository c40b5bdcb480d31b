// Attack: a page on another origin reads API responses by getting the server to reflect its Origin (look-alike suffixes and prefixes, other schemes or ports, `null` from a sandboxed frame).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestApi, tempSqlite, type TestApi } from '../helpers/test-engine.ts';

const ALLOWED = 'https://example.com';
const HOSTILE = [
  'https://evil.com', 'https://evil-example.com', 'https://example.com.evil.org', 'https://notexample.com',
  'https://sub.example.com', 'https://example.co', 'http://example.com', 'https://example.com:8443',
  'https://example.com:443.evil.org', 'null', 'https://example.com/', 'https://EXAMPLE.com',
  'https://example.com, https://evil.com', '*', 'https://example.com.', 'https://example.com\\',
];

describe('CORS off by default', () => {
  let api: TestApi;
  before(async () => { api = await openTestApi(tempSqlite()); });
  after(async () => { await api.close(); });

  test('no CORS header for any origin, and a preflight is not answered', async () => {
    for (const origin of [ALLOWED, ...HOSTILE.slice(0, 3)]) {
      const res = await api.inject({ method: 'GET', url: '/api/health', headers: { origin } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    }
    const pre = await api.inject({ method: 'OPTIONS', url: '/api/health', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } });
    assert.notEqual(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
  });
});

describe('CORS with an exact allowlist', () => {
  let api: TestApi;
  before(async () => {
    api = await openTestApi(tempSqlite(), { edge: { cors: { origins: [ALLOWED, 'http://localhost:3000'], credentials: true, maxAge: 600 } } });
  });
  after(async () => { await api.close(); });

  test('the listed origin, exactly, gets its own origin back (never *), with Vary: Origin', async () => {
    const res = await api.inject({ method: 'GET', url: '/api/health', headers: { origin: ALLOWED } });
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers.vary), /Origin/);
    const local = await api.inject({ method: 'GET', url: '/api/health', headers: { origin: 'http://localhost:3000' } });
    assert.equal(local.headers['access-control-allow-origin'], 'http://localhost:3000');
  });

  test('look-alikes, other schemes and ports, null and junk are never reflected', async () => {
    for (const origin of HOSTILE) {
      const res = await api.inject({ method: 'GET', url: '/api/health', headers: { origin } });
      assert.equal(res.statusCode, 200, origin);
      assert.equal(res.headers['access-control-allow-origin'], undefined, `reflected ${JSON.stringify(origin)}`);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, origin);
      assert.match(String(res.headers.vary), /Origin/, 'caches must not serve one origin the answer of another');
    }
  });

  test('preflight: 204 with methods and headers for the listed origin; 403 ERR_CORS_ORIGIN for any other', async () => {
    const ok = await api.inject({ method: 'OPTIONS', url: '/api/collections/notes/records', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(ok.headers['access-control-allow-methods'], 'GET, POST, PATCH, DELETE');
    assert.equal(ok.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(ok.headers['access-control-max-age'], '600');
    assert.equal(ok.body, '');
    for (const origin of HOSTILE) {
      const res = await api.inject({ method: 'OPTIONS', url: '/api/collections/notes/records', headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal(res.statusCode, 403, origin);
      assert.equal(res.json().error.code, 'ERR_CORS_ORIGIN');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(res.headers['access-control-allow-methods'], undefined);
    }
  });
});

// Attack: find one response (an error, a 404, a raw 400, a 429, a 500) that lacks the security headers, leaks a server version, or scores below A+ on the MDN Observatory's rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import type { Engine } from '../../src/core/engine.ts';
import { describeWithTool, requireTool } from '../helpers/require-tool.ts';
import { opensslMissing } from '../helpers/test-certs.ts';
import { edgeRequest, rawExchange, startEdge, type EdgeServer } from '../helpers/edge-server.ts';
import { observatoryScore } from '../helpers/observatory-rules.ts';

const EXPECTED: Record<string, RegExp> = {
  'strict-transport-security': /^max-age=(\d{8,}); includeSubDomains$/,
  'content-security-policy': /^default-src 'none'; frame-ancestors 'none'/,
  'cache-control': /^no-store$/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^no-referrer$/,
  'cross-origin-resource-policy': /^same-origin$/,
};

function assertHeaders(headers: IncomingHttpHeaders, what: string): void {
  for (const [name, re] of Object.entries(EXPECTED)) assert.match(String(headers[name]), re, `${what}: ${name}`);
  const age = Number(/max-age=(\d+)/.exec(String(headers['strict-transport-security']))?.[1]);
  assert.ok(age >= 365 * 86_400, `${what}: HSTS at least a year`);
  for (const name of ['server', 'x-powered-by', 'x-aspnet-version']) assert.equal(headers[name], undefined, `${what}: no ${name}`);
}

/** Headers of a raw HTTP/1.1 reply. */
function rawHeaders(text: string): { status: number; headers: IncomingHttpHeaders } {
  const [head] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: IncomingHttpHeaders = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

const throwingList = (e: Engine): Engine => ({ ...e, records: new Proxy(e.records, {
  get: (t, p, r) => (p === 'list' ? async () => { throw new Error('boom at /work/src/x.ts:1'); } : Reflect.get(t, p, r)),
}) });

describeWithTool(requireTool('openssl', opensslMissing), 'security headers on every response, over HTTPS', () => {
  let edge: EdgeServer;
  before(async () => {
    edge = await startEdge({
      bodyLimit: 1024,
      override: throwingList,
      rateLimit: { ...defaultEdge().rateLimit, enabled: true, read: { ip: 40, account: 0 } },
      edge: { listen: { redirectHttp: 0 } },
    });
  });
  after(async () => { await edge?.close(); });

  test('200, 401, 404, 405, 413, 429 and 500 carry every header and score A+ (100 or more) on the Observatory rules', async () => {
    const redirect = await edgeRequest({ port: edge.addresses.redirect!.port, plain: true }, '/api/health');
    const httpRedirect = { status: redirect.status, location: redirect.headers.location };
    const foreignPreflight = (await edge.request('/api/health', { method: 'OPTIONS', headers: { origin: 'https://http-observatory.security.mozilla.org', 'access-control-request-method': 'GET' } })).headers;
    const cases: [number, () => Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>][] = [
      [200, () => edge.request('/api/health')],
      [401, () => edge.request('/api/auth/me')],
      [404, () => edge.request('/api/nothing-here')],
      [405, () => edge.request('/api/health', { method: 'DELETE' })],
      [413, () => edge.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2048) }) })],
      [500, () => edge.request('/api/collections/notes/records')],
      [429, async () => {
        for (let i = 0; i < 60; i++) {
          const r = await edge.request('/api/health');
          if (r.status === 429) return r;
        }
        throw new Error('never limited');
      }],
    ];
    for (const [status, run] of cases) {
      const res = await run();
      assert.equal(res.status, status, res.text);
      assertHeaders(res.headers, String(status));
      assert.doesNotMatch(res.text, /\/work\/|boom|stack/i);
      const { score, grade, results } = observatoryScore({ headers: res.headers, httpRedirect, foreignPreflight });
      assert.ok(score >= 100, `${status}: ${score} ${grade} ${JSON.stringify(results.filter((r) => r.modifier !== 0))}`);
      assert.equal(grade, 'A+');
    }
  });

  test('raw 400 (bad request line), 431 (headers too large) and 408 written before Fastify carry them too', async () => {
    const bad = rawHeaders(await rawExchange(edge.addresses.main.port, 'NOT HTTP AT ALL\r\n\r\n', { ca: edge.ca }));
    assert.equal(bad.status, 400);
    assertHeaders(bad.headers, 'raw 400');
    const big = rawHeaders(await rawExchange(edge.addresses.main.port, `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, { ca: edge.ca }));
    assert.equal(big.status, 431);
    assertHeaders(big.headers, 'raw 431');
    assert.equal(observatoryScore({ headers: bad.headers }).grade, 'A+');
  });

  test('the redirect listener only redirects: 301 to the same host and path over HTTPS, nothing served', async () => {
    const port = edge.addresses.redirect!.port;
    const r = await edgeRequest({ port, plain: true, headers: { host: 'api.example.com' } }, '/api/collections/notes/records?x=1');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, `https://api.example.com:${edge.addresses.main.port}/api/collections/notes/records?x=1`);
    assert.equal(r.text, '');
    const post = await edgeRequest({ port, plain: true, method: 'POST', headers: { host: 'localhost:80', 'content-type': 'application/json' }, body: '{}' }, '/api/auth/login');
    assert.equal(post.status, 301);
    assert.equal(post.headers.location, `https://localhost:${edge.addresses.main.port}/api/auth/login`);
    const evil = await edgeRequest({ port, plain: true, headers: { host: 'evil.example/@x' } }, '/');
    assert.equal(evil.status, 400, 'a Host that is not a host name is refused');
  });
});
